//! `{{name}}`: receives `Sample`s on input `sample` and sends the running
//! `Total` on output `total` after each one, until the host closes `sample`.

#![no_std] // wasm32-unknown-unknown guests have no operating system

// A fixed heap arena inside linear memory (this module never allocates, so
// the linker drops it until it does), and the panic handler a no_std module
// needs: it reports `panicked at <file>:<line>:<col>` to the host and traps.
define_alloc_heap!(4 * 1024);
define_panic_handlers!();

use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, task_run};

use {{messages_crate}}::{Sample, Total};

// Typed ports: `sample` carries `Sample`s and `total` carries `Total`s. The
// macro generates the `Input::Sample` and `Output::Total` handles, the
// exported `run_task`, the manifest (port names, each type's schema and key,
// which hosts check at load), and `TASK` for native tests.
#[task_run(inputs(sample: Sample), outputs(total: Total))]
fn run() -> Result<()> {
    let mut total = Total::default();
    loop {
        // Blocks until a sample is queued and decodes it, in a buffer sized
        // by `Sample`'s largest encoding. When the host closes `sample`,
        // `receive` returns `Error::InputClosed` and `?` ends the task
        // cleanly (`run_task` returns 0); any other error is reported to the
        // host and `run_task` returns -1.
        let sample = Input::Sample.receive()?;
        total.add(sample);
        // Only a `Total` compiles here.
        Output::Total.send(&total)?;
    }
}
