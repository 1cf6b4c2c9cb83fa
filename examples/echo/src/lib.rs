//! Echoes every message from `input` to `output`, written the way a new
//! author would: index the buffer with the length `receive` returns.
//!
//! The SDK keeps this form as small as the panic-free `.get(..n)` form
//! (`tests/tests/guests.rs` checks the size), so authors need not write
//! around bounds checks.
#![no_std]
wasm_sdk::define_panic_handlers!();
// Never used (the linker drops the arena), but the SDK links `alloc`.
wasm_sdk::define_alloc_heap!(1024);

use wasm_sdk::{Result, receive, send, task_run};

#[task_run(inputs(input), outputs(output))]
fn run() -> Result<()> {
    let mut buf = [0u8; 256];
    loop {
        let n = receive(&mut buf, Input::Input)?;
        #[cfg(not(echo_get_form))]
        send(&buf[..n], Output::Output)?;
        #[cfg(echo_get_form)]
        send(buf.get(..n).unwrap_or_default(), Output::Output)?;
    }
}
