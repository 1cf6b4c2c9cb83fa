//! CoreMark's workload as a guest: for each iteration count (a `u32`) it
//! runs the standard performance run (seeds 0, 0, 0x66, 2,000 bytes of
//! data) from fresh state and sends the report's CRCs
//! ([`CoreMarkReport`]). The work is `coremark-core`'s, the same code
//! hosts run natively, so a host can time both on one CPU and check the
//! CRCs bit for bit.

#![no_std]

use core::hint::black_box;

use coremark_core::Seeds;
use module_examples_common::CoreMarkReport;
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, task_run};

define_alloc_heap!(256);
define_panic_handlers!();

/// What the guest computes for `iterations`; hosts call it natively to
/// compare.
pub fn coremark(iterations: u32) -> CoreMarkReport {
    // Seeds the compiler cannot see, as the reference requires.
    coremark_core::run(iterations, black_box(Seeds::PERFORMANCE)).into()
}

#[task_run(inputs(iterations: u32), outputs(report: CoreMarkReport))]
fn run() -> Result<()> {
    loop {
        let iterations = Input::Iterations.receive()?;
        Output::Report.send(&coremark(iterations))?;
    }
}
