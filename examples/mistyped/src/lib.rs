//! The counter's ports, `wasm_input` and `wasm_data`, typed with `Reading`
//! instead of `Counter`: it would run, and turn every count into garbage.
//! A host whose channels carry `Counter`s refuses it at load, by the type
//! keys in its manifest, before it runs: the test host, the native mock
//! and both firmwares (tests load it beside the counter to show each).
#![no_std]
wasm_sdk::define_panic_handlers!();
wasm_sdk::define_alloc_heap!(1024);

use module_examples_common::Reading;
use wasm_sdk::{Result, task_run};

#[task_run(inputs(wasm_input: Reading), outputs(wasm_data: Reading))]
fn run() -> Result<()> {
    loop {
        let reading = Input::WasmInput.receive()?;
        Output::WasmData.send(&reading)?;
    }
}
