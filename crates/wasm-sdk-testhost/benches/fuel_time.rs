//! What a unit of fuel costs in time, by guest shape: fuel bounds a
//! slice's time only if no shape makes a unit of fuel much slower than
//! plain code.
//!
//! `cargo bench -p wasm-sdk-testhost --bench fuel_time` runs each guest
//! until its total fuel is used and prints nanoseconds per unit of fuel
//! and the ratio to a plain arithmetic loop. Shapes: a loop calling a
//! function with the most locals the default host takes (`max_locals`),
//! the same with 16,000 locals on a host that lifts the limit and the
//! value stack's (what the limits prevent), logging 1,000-byte lines, and
//! sending 1 KiB messages (both charged by `bytes_per_fuel`). Timing is
//! the median of several rounds.
//!
//! It also prints the figures as `figure` lines, which
//! `scripts/figures-from-log` writes to `figures/bench-fuel-time.toml`
//! (CI's `bench` stage pipes the output through it).

use std::time::{Duration, Instant};

use wasm_sdk_build::fixture::Fixture;
use wasm_sdk_testhost::{HostConfig, Step, TestHost};

const IMPORTS: &str = r#"
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))"#;

/// A guest whose `run_task` loops over `body` forever, with `items`.
fn guest(items: &str, body: &str) -> Vec<u8> {
    Fixture::new(format!(
        r#"(module {IMPORTS}
  (memory (export "memory") 1 1)
  (data (i32.const 0) "{text}")
  {items}
  (func (export "run_task") (result i32) (local $i i32)
    (loop $again {body} (br $again))
    (i32.const 0)))"#,
        text = "x".repeat(1024)
    ))
    .inputs(["in"])
    .outputs(["out"])
    .build()
}

/// A function with `n` locals (one `i32` parameter) that touches its last.
fn with_locals(n: usize) -> String {
    format!(
        "(func $f (param i32) (result i32) (local {}) (local.get {}))",
        "i32 ".repeat(n - 1),
        n - 1
    )
}

const ROUNDS: usize = 7;

/// Median time to use `fuel` running `wasm` (draining outputs as they
/// fill), and the fuel used.
fn time(config: &HostConfig, wasm: &[u8], fuel: u64) -> (Duration, u64) {
    let host =
        TestHost::builder().config(HostConfig { total_fuel: Some(fuel), ..config.clone() }).build();
    let mut times = Vec::new();
    let mut used = 0;
    for _ in 0..ROUNDS {
        let mut guest = host.load(wasm).expect("bench guest loads");
        let start = Instant::now();
        loop {
            match guest.run_until_idle() {
                Step::Full { .. } => drop(guest.take_sent()),
                Step::OutOfFuel => break,
                other => panic!("bench guest stopped: {other:?}"),
            }
        }
        times.push(start.elapsed());
        used = guest.fuel_consumed();
    }
    times.sort();
    (times[ROUNDS / 2], used)
}

fn main() {
    let base = HostConfig {
        text: {
            let mut t = HostConfig::default().text;
            t.total = None;
            t
        },
        ..HostConfig::default()
    };
    let max = base.max_locals as usize;
    // 16,000 locals need 128 KB of value stack per call: wasmi's desktop
    // default (1 MiB) instead of the host's 16 KiB.
    let unlimited = HostConfig { max_locals: u32::MAX, max_value_stack: 1 << 20, ..base.clone() };
    let add = "(local.set $i (i32.add (local.get $i) (i32.const 1)))";
    let call = "(local.set $i (call $f (local.get $i)))";
    // Each shape: its name, its key in the figures, its host and guest, and
    // the fuel to use.
    let shapes: [(&str, &str, &HostConfig, Vec<u8>, u64); 5] = [
        ("plain loop (i32.add)", "plain", &base, guest("", add), 50_000_000),
        (
            &*Box::leak(format!("call, {max} locals (the limit)").into_boxed_str()),
            "call_max_locals",
            &base,
            guest(&with_locals(max), call),
            20_000_000,
        ),
        (
            "call, 16,000 locals (limit lifted)",
            "call_16000_locals",
            &unlimited,
            guest(&with_locals(16_000), call),
            200_000,
        ),
        (
            "log 1,000 bytes",
            "log_1000_bytes",
            &base,
            guest("", "(drop (call $log (i32.const 0) (i32.const 1000) (i32.const 2)))"),
            500_000,
        ),
        (
            "send 1 KiB",
            "send_1_kib",
            &base,
            guest("", "(drop (call $send (i32.const 0) (i32.const 1024) (i32.const 0)))"),
            2_000_000,
        ),
    ];
    println!("figure fuel-time max_locals = {max}");
    let mut plain = None;
    for (name, key, config, wasm, fuel) in &shapes {
        let (t, used) = time(config, wasm, *fuel);
        let ns = t.as_nanos() as f64 / used as f64;
        let ratio = ns / *plain.get_or_insert(ns);
        println!("{name:<38} {used:>11} fuel  {ns:>8.2} ns/fuel  {ratio:>7.1}x plain");
        println!("figure fuel-time {key}_ns_per_fuel = {ns:.2}");
        println!("figure fuel-time {key}_ratio = {ratio:.1}");
    }
}
