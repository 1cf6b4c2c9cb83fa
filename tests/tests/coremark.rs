//! The coremark guest, built for both wasm targets and run on the test
//! host, computes CoreMark bit for bit as `coremark-core` does natively:
//! every CRC of its reports equals the native run's, and the reference's
//! known CRCs for the 2K performance run hold. The fuel per iteration is
//! printed, not checked.

use coremark_core::{KnownRun, Seeds, run, validate};
use module_examples_common::CoreMarkReport;
use wasm_sdk_testhost::{Step, TestHost};
use wasm_sdk_tests::{TARGETS, build_guest, report};

const COUNTS: [u32; 4] = [1, 2, 5, 0];

#[test]
fn the_coremark_guest_is_bit_exact_with_the_native_crate() {
    for target in TARGETS {
        let mut guest = TestHost::default()
            .load_file(build_guest("coremark", target, &[]))
            .unwrap_or_else(|e| panic!("coremark ({target}): {e}"));
        // Fuel for each run: the difference per iteration is CoreMark's.
        let mut fuel = Vec::new();
        for count in COUNTS {
            let before = guest.fuel_consumed();
            guest.push_message("iterations", &count).unwrap();
            assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 }, "{target}");
            fuel.push(guest.fuel_consumed() - before);
        }
        guest.close_input("iterations").unwrap();
        assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 }, "{target}");
        assert!(guest.errors().is_empty(), "{target}: {:?}", guest.errors());
        let reports = guest.outputs_as::<CoreMarkReport>("report").unwrap();
        let native = COUNTS.map(|n| CoreMarkReport::from(run(n, Seeds::PERFORMANCE)));
        assert_eq!(reports, native, "{target}");
        for r in &reports[..3] {
            assert_eq!(
                (r.seedcrc, r.crclist, r.crcmatrix, r.crcstate),
                (0xe9f5, 0xe714, 0x1fd7, 0x8e3a)
            );
        }
        // The native reports pass the reference's check (the guest's are equal).
        assert_eq!(validate(&run(5, Seeds::PERFORMANCE)), Ok(KnownRun::Performance2K));
        // 5 iterations against 0: init and messaging cancel out.
        report(&format!(
            "coremark ({target}): {} fuel per iteration ({} for init and one message)",
            (fuel[2] - fuel[3]) / 5,
            fuel[3]
        ));
    }
}
