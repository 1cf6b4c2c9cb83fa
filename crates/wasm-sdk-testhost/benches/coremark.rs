//! CoreMark's workload (the 2K performance run: seeds 0, 0, 0x66, 2,000
//! bytes of data) as the `coremark` guest on the test host, against the
//! same `coremark-core` code run natively in this process.
//!
//! `cargo bench -p wasm-sdk-testhost --bench coremark` prints iterations
//! per second natively, on wasmi unmetered and on wasmi with fuel slices
//! (as firmware runs guests), the ratios, and the fuel per iteration.
//! Timing is the median of several rounds; every report's CRCs are
//! checked against the native run's and the reference's. The figures are
//! also printed as `figure` lines, which `scripts/figures-from-log` writes
//! to `figures/bench-coremark.toml` (CI's `bench` stage pipes the output
//! through it).
//!
//! For instruction counts, `COREMARK_ONLY=native:N` or `wasm:N` runs one
//! run of N iterations and nothing else (the guest is built first, in a
//! child `cargo`), so that
//! `valgrind --tool=callgrind` on the bench binary, for two values of N,
//! gives instructions per iteration by difference (setup cancels out).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coremark_core::{KnownRun, Report, Seeds, run, validate};
use module_examples_common::CoreMarkReport;
use wasm_sdk_testhost::{GuestBuilder, HostConfig, Step, TestHost};

/// Iterations per wasm round; native rounds run ten times as many.
const WASM_ITERATIONS: u32 = 500;
const ROUNDS: usize = 5;
/// What firmware gives a guest before preempting it.
const FUEL_PER_SLICE: u64 = 100_000;

fn native(iterations: u32) -> Report {
    black_box(run(black_box(iterations), black_box(Seeds::PERFORMANCE)))
}

/// One run of `iterations` on `host`: the time from the message to the
/// report, the report, and the fuel used.
fn on_host(host: &TestHost, wasm: &Path, iterations: u32) -> (Duration, CoreMarkReport, u64) {
    let mut guest = host.load_file(wasm).expect("coremark guest loads");
    guest.push_message("iterations", &iterations).expect("push");
    let start = Instant::now();
    let step = guest.run_until_idle().clone();
    let elapsed = start.elapsed();
    assert_eq!(step, Step::Blocked { input: 0 }, "errors: {:?}", guest.errors());
    let [report] = guest.outputs_as::<CoreMarkReport>("report").expect("report")[..] else {
        panic!("one report expected")
    };
    (elapsed, report, guest.fuel_consumed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn rate(iterations: u32, time: Duration) -> f64 {
    f64::from(iterations) / time.as_secs_f64()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let wasm = GuestBuilder::for_tests()
        .build(root.join("examples").join("coremark"))
        .expect("build coremark");
    let unmetered = TestHost::builder().unmetered().build();
    let metered = TestHost::builder()
        .config(HostConfig {
            fuel_per_slice: Some(FUEL_PER_SLICE),
            total_fuel: None,
            ..TestHost::builder().build().config().clone()
        })
        .build();

    if let Ok(only) = std::env::var("COREMARK_ONLY") {
        let (what, n) = only.split_once(':').expect("COREMARK_ONLY=native:N or wasm:N");
        let n: u32 = n.parse().expect("iterations");
        let report = match what {
            "native" => CoreMarkReport::from(native(n)),
            "wasm" => on_host(&unmetered, &wasm, n).1,
            other => panic!("COREMARK_ONLY: `{other}` is not native or wasm"),
        };
        println!("{what} {n} iterations: {report:?}");
        return;
    }

    let native_n = WASM_ITERATIONS * 10;
    let expected = CoreMarkReport::from(native(WASM_ITERATIONS));
    let mut native_times = Vec::new();
    let mut unmetered_times = Vec::new();
    let mut metered_times = Vec::new();
    let mut fuel = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let report = native(native_n);
        native_times.push(start.elapsed());
        assert_eq!(validate(&report), Ok(KnownRun::Performance2K));

        let (time, report, _) = on_host(&unmetered, &wasm, WASM_ITERATIONS);
        assert_eq!(report, expected, "unmetered wasm differs from native");
        unmetered_times.push(time);

        let (time, report, used) = on_host(&metered, &wasm, WASM_ITERATIONS);
        assert_eq!(report, expected, "metered wasm differs from native");
        metered_times.push(time);
        fuel = used;
    }
    // Fuel of a zero-iteration run: init and messaging, taken off.
    let (_, _, fuel_zero) = on_host(&metered, &wasm, 0);
    let fuel_per_iteration = (fuel - fuel_zero) as f64 / f64::from(WASM_ITERATIONS);

    let native_rate = rate(native_n, median(native_times));
    let unmetered_rate = rate(WASM_ITERATIONS, median(unmetered_times));
    let metered_rate = rate(WASM_ITERATIONS, median(metered_times));
    println!(
        "CoreMark 2K performance run (seeds 0, 0, 0x66), median of {ROUNDS} rounds; CRCs \
         seedcrc {:#06x} list {:#06x} matrix {:#06x} state {:#06x} (reference: valid), \
         wasm = native bit for bit",
        expected.seedcrc, expected.crclist, expected.crcmatrix, expected.crcstate
    );
    println!(
        "  native coremark-core       {native_rate:>10.0} iterations/s  ({native_n} per round)"
    );
    println!(
        "  test host, unmetered       {unmetered_rate:>10.0} iterations/s  native/wasm {:>5.1}x",
        native_rate / unmetered_rate
    );
    println!(
        "  test host, fuel slices     {metered_rate:>10.0} iterations/s  native/wasm {:>5.1}x  \
         ({FUEL_PER_SLICE} fuel per slice)",
        native_rate / metered_rate
    );
    println!(
        "  fuel per iteration         {fuel_per_iteration:>10.0}  ({fuel_zero} for init and one message)"
    );
    println!("figure coremark rounds = {ROUNDS}");
    println!("figure coremark native_per_s = {native_rate:.0}");
    println!("figure coremark unmetered_per_s = {unmetered_rate:.0}");
    println!("figure coremark unmetered_ratio = {:.1}", native_rate / unmetered_rate);
    println!("figure coremark fuel_slices_per_s = {metered_rate:.0}");
    println!("figure coremark fuel_slices_ratio = {:.1}", native_rate / metered_rate);
    println!("figure coremark fuel_per_slice = {FUEL_PER_SLICE}");
    println!("figure coremark fuel_per_iteration = {fuel_per_iteration:.0}");
}
