//! The host's native stack is bounded whatever a guest executes: guests
//! that loop on a failing `memory.grow` or `table.grow`, or recurse as deep
//! as wasmi allows, run on a thread with a 64 KiB stack until their fuel
//! runs out, and the thread returns. With wasmi's tail-call dispatch each
//! executed grow kept host stack until the call returned, and the first
//! loop overflowed the desktop host at once; the
//! hosts now build wasmi with `portable-dispatch`, a loop whose frame does
//! not grow.
//!
//! A test binary of its own: a stack overflow aborts the whole process.

use wasm_sdk_build::fixture::Fixture;
use wasm_sdk_testhost::{Step, TestHost};

/// The stack a device gives its host task, roughly.
const HOST_STACK: usize = 64 * 1024;

/// Loads `wat` (a manifest without ports added), then runs it to its end on a thread with [`HOST_STACK`]
/// bytes of stack; returns the final step. (Loading, in a debug build,
/// needs more stack than that for wasmparser and wasmi's translation: that
/// is the load-time budget's subject, not this test's.)
fn run_on_small_stack(wat: &'static str, fuel: u64) -> Step {
    let wasm = Fixture::new(wat).build();
    let host = TestHost::builder().total_fuel(fuel).build();
    let mut guest = host.load(&wasm).expect("load");
    std::thread::Builder::new()
        .stack_size(HOST_STACK)
        .spawn(move || guest.run_until_idle().clone())
        .expect("spawn")
        .join()
        .expect("the guest's thread returned")
}

#[test]
fn a_failing_memory_grow_loop_does_not_grow_the_host_stack() {
    const WAT: &str = r#"(module (memory (export "memory") 1 1)
        (func (export "run_task") (result i32)
          (loop $l (drop (memory.grow (i32.const 1))) (br $l)) (i32.const 0)))"#;
    assert_eq!(run_on_small_stack(WAT, 20_000_000), Step::OutOfFuel);
}

#[test]
fn a_failing_table_grow_loop_does_not_grow_the_host_stack() {
    const WAT: &str = r#"(module (memory (export "memory") 1 1) (table 0 0 funcref)
        (func (export "run_task") (result i32)
          (loop $l (drop (table.grow (ref.null func) (i32.const 1))) (br $l)) (i32.const 0)))"#;
    assert_eq!(run_on_small_stack(WAT, 20_000_000), Step::OutOfFuel);
}

#[test]
fn deep_recursion_traps_without_overflowing_the_host_stack() {
    const WAT: &str = r#"(module (memory (export "memory") 1 1)
        (func $down (param i32) (result i32)
          (call $down (i32.add (local.get 0) (i32.const 1))))
        (func (export "run_task") (result i32) (call $down (i32.const 0))))"#;
    let step = run_on_small_stack(WAT, 100_000_000);
    assert!(matches!(step, Step::Trapped(_)), "{step:?}");
}

#[test]
fn control_trivial() {
    const WAT: &str = r#"(module (memory (export "memory") 1 1)
        (func (export "run_task") (result i32) (i32.const 0)))"#;
    assert_eq!(run_on_small_stack(WAT, 1000), Step::Finished { exit_code: 0 });
}
