//! `{{name}}`: receives `Sample`s on input `sample` and sends the running
//! `Total` on output `total` after each one, until the host closes `sample`.

#![no_std] // wasm32-unknown-unknown guests have no operating system

// A fixed heap arena inside linear memory (this module never allocates, so
// the linker drops it until it does), and the panic handler a no_std module
// needs: it reports `panicked at <file>:<line>:<col>` to the host and traps.
define_alloc_heap!(4 * 1024);
define_panic_handlers!();

use wasm_sdk::{Payload, Result, define_alloc_heap, define_panic_handlers, receive, send};
use wasm_sdk_macros::task_run;

use {{messages_crate}}::{Sample, Total};

// Generates the `Input` and `Output` enums, the exported `run_task`, the
// manifest the host checks, and `TASK` for native tests.
#[task_run(inputs(sample), outputs(total))]
fn run() -> Result<()> {
    let mut buf = [0u8; 32];
    let mut total = Total::default();
    loop {
        // Blocks until a sample is queued. When the host closes `sample`,
        // `receive` returns `Error::InputClosed` and `?` ends the task
        // cleanly (`run_task` returns 0); any other error is reported to the
        // host and `run_task` returns -1.
        let n = receive(&mut buf, Input::Sample)?;
        // `n` is clamped to the buffer, so this slice cannot panic.
        let sample = Sample::from_payload(&buf[..n])?;
        total.add(sample);
        let n = total.serialize_into(&mut buf)?;
        send(&buf[..n], Output::Total)?;
    }
}
