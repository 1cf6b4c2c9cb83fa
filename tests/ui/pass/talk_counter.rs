// The talk's counter slide, lines 3 to 21 verbatim (line 1's `#![no_std]`
// and line 2's nightly-only `#![feature(alloc_error_handler)]` are crate
// attributes this test binary cannot take), run natively: untyped ports
// still compile and work unchanged.
pub const HEAP_SIZE: usize = 8_000;
define_alloc_heap!(HEAP_SIZE);
define_panic_handlers!();

use module_examples_common::Counter;
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, receive, send};
use wasm_sdk_macros::task_run;

#[task_run(inputs(wasm_input), outputs(wasm_data))]
fn run() -> Result<()> {
    let mut buffer = [0; 50];
    loop {
        receive(&mut buffer, Input::WasmInput)?;
        let mut counter = Counter::from_payload(&buffer)?;
        counter.increment();
        let n_write = counter.serialize_into(&mut buffer)?;
        send(&buffer[0..n_write], Output::WasmData)?;
    }
}

fn main() {
    assert!(TASK.input_types[0].is_none() && TASK.output_types[0].is_none());
    TASK.reset();
    wasm_sdk::native::push_input(0, &[5]);
    wasm_sdk::native::close_input(0);
    assert_eq!(wasm_sdk::native::run(&TASK), wasm_sdk::native::Step::Finished { exit_code: 0 });
    assert_eq!(wasm_sdk::native::take_outputs(), vec![(0, vec![6])]);
}
