#![no_std] // required for wasm32-unknown-unknown
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
        let n_read = receive(&mut buffer, Input::WasmInput)?;
        let mut counter = Counter::from_payload(&buffer[..n_read])?;
        counter.increment();
        let n_write = counter.serialize_into(&mut buffer)?;
        send(&buffer[0..n_write], Output::WasmData)?;
    }
}
