//! A module that fails on command, for testing hosts and the SDK's reports.
//!
//! Input `command` carries a [`Fault`]; output `echo` gets the command back
//! when it is [`Fault::Echo`]. [`Fault::Fail`] makes `run` return an error
//! (`Task run error: unknown output`, exit -1), [`Fault::Panic`] indexes out
//! of bounds (`panicked at examples/faulty/src/lib.rs:<line>:<col>`, then a
//! trap), [`Fault::Exhaust`] allocates more than the 1 KiB heap
//! (`... memory allocation of 4096 bytes failed`, then a trap). Bytes that
//! are not a `Fault` are a payload error.

#![no_std]

extern crate alloc;

use module_examples_common::Fault;
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, send, task_run};

define_alloc_heap!(1024);
define_panic_handlers!();

/// Bytes `Fault::Exhaust` asks the 1 KiB heap for.
pub const EXHAUST_BYTES: usize = 4096;

#[task_run(inputs(command: Fault), outputs(echo: Fault))]
fn run() -> Result<()> {
    let mut buf = [0u8; 8];
    loop {
        let fault = Input::Command.receive()?;
        match fault {
            Fault::Echo => Output::Echo.send(&fault)?,
            // Output 1 does not exist: the host answers "unknown output".
            Fault::Fail => send(&[], 1)?,
            Fault::Panic => {
                // `black_box` keeps the compiler from proving the index.
                let index = core::hint::black_box(buf.len() + usize::from(buf[0]));
                buf[index] = 1;
            }
            Fault::Exhaust => {
                let mut big =
                    alloc::vec::Vec::<u8>::with_capacity(core::hint::black_box(EXHAUST_BYTES));
                big.push(1);
                // Raw bytes on a typed output: its index is the escape hatch.
                send(&big, Output::Echo.index())?;
            }
        }
    }
}
