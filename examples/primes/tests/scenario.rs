//! Prime counting, natively and as `.wasm` on the test host (with fuel
//! slices, as firmware runs it): same transcript.

use wasm_sdk_testhost::{GuestBuilder, Scenario, Step, TestHost};

#[test]
fn counts_primes_both_ways_and_is_preempted() {
    assert_eq!(primes::count_primes(100), 25);
    let wasm = GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build primes");
    let scenario = Scenario::new("primes")
        .push_message("limit", &100u32)
        .push_message("limit", &10_000u32)
        .close("limit")
        .expect_message("count", &25u32)
        .expect_message("count", &1229u32)
        .expect_status(Step::Finished { exit_code: 0 });
    scenario.run_both(&primes::TASK, &wasm).unwrap();

    let host = TestHost::builder().fuel_per_slice(10_000).build();
    let mut guest = host.load_file(&wasm).unwrap();
    guest.push_message("limit", &10_000u32).unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 });
    assert!(guest.preemptions() > 10, "{} preemptions", guest.preemptions());
    assert_eq!(guest.outputs_as::<u32>("count").unwrap(), [1229]);
}
