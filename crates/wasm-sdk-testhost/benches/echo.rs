//! Echo round trips per second (guest `receive` -> `send`) through the test
//! host, against a raw wasmi baseline doing the same copies in the same run.
//!
//! `cargo bench -p wasm-sdk-testhost --bench echo` prints both rates and
//! their ratio (target: test host >= 0.7 of the baseline). The baseline
//! binds the same two imports with no checks, no environment trait and no
//! suspension: the guest drains the queue in one call and stops when
//! `receive_input` says closed. The test host runs the same guest through
//! `wasm-sdk-host` (pointer checks, manifest-checked indices, the
//! `Environment` trait, a resumable call that suspends when the queue is
//! empty). Timing is the median of several rounds.
//!
//! It also prints the figures as `figure` lines, which
//! `scripts/figures-from-log` writes to `figures/bench-echo.toml` (CI's
//! `bench` stage pipes the output through it).

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_testhost::TestHost;
use wasmi::{Caller, Engine, Linker, Memory, Module, Store};

const MESSAGES: usize = 10_000;
const ROUNDS: usize = 15;
const MESSAGE: [u8; 16] = *b"sensor:21.5degC!";

struct Raw {
    queue: VecDeque<Vec<u8>>,
    sent: Vec<Vec<u8>>,
    /// Looked up once after instantiation, as the test host does.
    memory: Option<Memory>,
}

fn raw_baseline(wasm: &[u8]) -> Duration {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).expect("module");
    let mut store =
        Store::new(&engine, Raw { queue: VecDeque::new(), sent: Vec::new(), memory: None });
    let mut linker = Linker::<Raw>::new(&engine);
    linker
        .func_wrap(
            "connectors",
            "receive_input",
            |mut c: Caller<'_, Raw>, ptr: i32, _len: i32, _idx: i32| {
                let memory = c.data().memory.expect("memory");
                let (mem, raw) = memory.data_and_store_mut(&mut c);
                match raw.queue.pop_front() {
                    Some(m) => {
                        mem[ptr as usize..ptr as usize + m.len()].copy_from_slice(&m);
                        m.len() as i32
                    }
                    None => -4,
                }
            },
        )
        .expect("define")
        .func_wrap(
            "connectors",
            "send_output",
            |mut c: Caller<'_, Raw>, ptr: i32, len: i32, _idx: i32| {
                let memory = c.data().memory.expect("memory");
                let (mem, raw) = memory.data_and_store_mut(&mut c);
                raw.sent.push(mem[ptr as usize..(ptr + len) as usize].to_vec());
                0
            },
        )
        .expect("define");
    let instance = linker.instantiate_and_start(&mut store, &module).expect("instantiate");
    store.data_mut().memory = instance.get_memory(&store, "memory");
    let run = instance.get_typed_func::<(), i32>(&store, "run_task").expect("run_task");
    median(|| {
        for _ in 0..MESSAGES {
            store.data_mut().queue.push_back(MESSAGE.to_vec());
        }
        let start = Instant::now();
        black_box(run.call(&mut store, ()).expect("run"));
        let elapsed = start.elapsed();
        assert_eq!(store.data().sent.len(), MESSAGES);
        store.data_mut().sent.clear();
        elapsed
    })
}

fn test_host(wasm: &[u8], host: &TestHost) -> Duration {
    let mut guest = host.load(wasm).expect("load");
    median(|| {
        for _ in 0..MESSAGES {
            guest.push_input(0, &MESSAGE).expect("push");
        }
        let start = Instant::now();
        black_box(guest.run_until_idle());
        let elapsed = start.elapsed();
        assert_eq!(guest.take_sent().len(), MESSAGES);
        elapsed
    })
}

fn median(mut round: impl FnMut() -> Duration) -> Duration {
    round(); // warm-up
    let mut times: Vec<Duration> = (0..ROUNDS).map(|_| round()).collect();
    times.sort();
    times[ROUNDS / 2]
}

fn rate(d: Duration) -> f64 {
    MESSAGES as f64 / d.as_secs_f64()
}

fn main() {
    // The echo guest: receive, send it back, repeat; return 0 once closed.
    let wasm = Fixture::new(ECHO).inputs(["in"]).outputs(["out"]).build();
    let baseline = rate(raw_baseline(&wasm));
    let unmetered = rate(test_host(&wasm, &TestHost::builder().unmetered().build()));
    let metered = rate(test_host(&wasm, &TestHost::builder().fuel_per_slice(100_000).build()));
    println!(
        "echo round trips ({MESSAGES} x {} B per round, median of {ROUNDS} rounds):",
        MESSAGE.len()
    );
    println!("  raw wasmi baseline         {baseline:>12.0} /s");
    println!(
        "  test host                  {unmetered:>12.0} /s  ratio {:.2} (target >= 0.70)",
        unmetered / baseline
    );
    println!("  test host, fuel slices     {metered:>12.0} /s  ratio {:.2}", metered / baseline);
    println!("figure echo messages = {MESSAGES}");
    println!("figure echo message_bytes = {}", MESSAGE.len());
    println!("figure echo rounds = {ROUNDS}");
    println!("figure echo baseline_per_s = {baseline:.0}");
    println!("figure echo test_host_per_s = {unmetered:.0}");
    println!("figure echo test_host_ratio = {:.2}", unmetered / baseline);
    println!("figure echo fuel_slices_per_s = {metered:.0}");
    println!("figure echo fuel_slices_ratio = {:.2}", metered / baseline);
}
