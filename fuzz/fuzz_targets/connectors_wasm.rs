//! The `connectors` imports through the wasmi binding of `wasm-sdk-host`:
//! a fixed guest that calls the imports with raw, fuzz-chosen `i32`s.
//!
//! The guest (WAT below) first receives a program on input 0 into its
//! memory at 0, then runs it: 16-byte instructions `(op, a, b, c)`, four
//! little-endian `i32`s, calling `receive_input(a, b, c)`,
//! `send_output(a, b, c)`, `log(a, b, c)`, `report_error(a, b)`,
//! `input_len(a)`, `memory.grow(a)`, returning `a`, or
//! `wait_input(a, b)`, by `op % 8`. Every
//! result is stored at `0x8000 + 4 * (instruction % 1024)`, where later
//! instructions may use it as a pointer or length. The fuzz input is
//! `program_len: u16 LE, program`, then `len: u8, message` pairs queued on
//! inputs 1, 0, 1, ...; a guest blocked on an empty input (or waiting on
//! several) is fed or the input closed (`common::run`).
//!
//! Checks that no argument a guest passes panics the host, with fuel
//! slices, blocking and resuming, and the host's promises after each step
//! (`common::run`). A manifest with two inputs and two outputs lets index
//! checks see known and unknown indices; a small text budget and output
//! budget let texts be throttled and refused and outputs fill up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_sdk_abi::queue::QueueEnv;
use wasm_sdk_abi::rules::TextBudget;
use wasm_sdk_host::{Guest, Host, HostConfig};

mod common;

const TOTAL_FUEL: u64 = 1_000_000;

const GUEST: &str = r#"(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $error (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $len (param i32) (result i32)))
  (import "connectors" "wait_input" (func $wait (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run_task") (result i32)
    (local $n i32) (local $pc i32) (local $op i32) (local $a i32) (local $b i32)
    (local $c i32) (local $r i32)
    (local.set $n (call $recv (i32.const 0) (i32.const 0x8000) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (local.get $n))))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (i32.add (local.get $pc) (i32.const 16)) (local.get $n)))
        (local.set $op (i32.load (local.get $pc)))
        (local.set $a (i32.load offset=4 (local.get $pc)))
        (local.set $b (i32.load offset=8 (local.get $pc)))
        (local.set $c (i32.load offset=12 (local.get $pc)))
        (block $store
         (block $wait_
          (block $ret
            (block $grow
              (block $input_len
                (block $report
                  (block $log_
                    (block $send_
                      (block $recv_
                        (br_table $recv_ $send_ $log_ $report $input_len $grow $ret $wait_
                          (i32.rem_u (local.get $op) (i32.const 8))))
                      (local.set $r (call $recv (local.get $a) (local.get $b) (local.get $c)))
                      (br $store))
                    (local.set $r (call $send (local.get $a) (local.get $b) (local.get $c)))
                    (br $store))
                  (local.set $r (call $log (local.get $a) (local.get $b) (local.get $c)))
                  (br $store))
                (local.set $r (call $error (local.get $a) (local.get $b)))
                (br $store))
              (local.set $r (call $len (local.get $a)))
              (br $store))
            (local.set $r (memory.grow (local.get $a)))
            (br $store))
          (return (local.get $a)))
         (local.set $r (call $wait (local.get $a) (local.get $b))))
        (i32.store offset=0x8000
          (i32.shl (i32.and (i32.shr_u (local.get $pc) (i32.const 4)) (i32.const 1023))
                   (i32.const 2))
          (local.get $r))
        (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
        (br $next)))
    (i32.const 0))
  (@custom "wasm-sdk.manifest" "\01\00\02\02i0\02i1\02\02o0\02o1"))"#;

thread_local! {
    static HOST: Host<QueueEnv> = Host::new(HostConfig {
        fuel_per_slice: Some(10_000),
        total_fuel: Some(TOTAL_FUEL),
        // Small, so texts reach every limit.
        text: TextBudget { max_len: 256, per_step: 512, total: Some(4096) },
        ..HostConfig::default()
    });
    static WASM: Vec<u8> = wat::parse_str(GUEST).expect("the guest's WAT");
}

fuzz_target!(|data: &[u8]| {
    HOST.with(|host| {
        let mut guest: Guest<QueueEnv> =
            WASM.with(|wasm| host.load(wasm, common::env())).expect("the fixed guest loads");
        // `program_len: u16 LE, program`, then `len: u8, message` pairs,
        // alternating between the inputs.
        let (len, rest) = data
            .split_first_chunk::<2>()
            .map_or((0, data), |(l, r)| (usize::from(u16::from_le_bytes(*l)), r));
        let (program, mut rest) = rest.split_at(len.min(rest.len()));
        guest.env_mut().push(0, program.to_vec());
        let mut input = 1;
        while let Some((&n, tail)) = rest.split_first() {
            let (message, tail) = tail.split_at(usize::from(n).min(tail.len()));
            guest.env_mut().push(input, message.to_vec());
            input ^= 1;
            rest = tail;
        }
        common::run(&mut guest, host.config(), TOTAL_FUEL);
    });
});
