//! A CPU-bound guest: for each `limit` (a `u32`) it counts the primes below
//! it by trial division and sends the count (a `u32`). Large limits take
//! millions of instructions, so hosts must preempt it with fuel slices to
//! keep other work on time.

#![no_std]

use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, task_run};

define_alloc_heap!(256);
define_panic_handlers!();

/// The count this guest computes; one definition for the guest and the
/// hosts that check it natively.
pub use module_examples_common::count_primes;

#[task_run(inputs(limit: u32), outputs(count: u32))]
fn run() -> Result<()> {
    loop {
        let limit = Input::Limit.receive()?;
        Output::Count.send(&count_primes(limit))?;
    }
}
