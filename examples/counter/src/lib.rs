#![no_std] // required for wasm32-unknown-unknown
pub const HEAP_SIZE: usize = 8_000;
define_alloc_heap!(HEAP_SIZE);
define_panic_handlers!();

use module_examples_common::Counter;
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, task_run};

#[cfg(not(any(counter_talk_form, counter_indexed_form)))]
#[task_run(inputs(wasm_input: Counter), outputs(wasm_data: Counter))]
fn run() -> Result<()> {
    loop {
        let mut counter = Input::WasmInput.receive()?;
        counter.increment();
        Output::WasmData.send(&counter)?;
    }
}

// `COUNTER_FORM=talk`: the talk's slide, for the size comparison.
#[cfg(counter_talk_form)]
include!("talk.rs");

// `COUNTER_FORM=indexed` and `indexed-get`: the slide with lengths, for the
// size comparison.
#[cfg(counter_indexed_form)]
include!("indexed.rs");
