//! One 64 KiB page with a 4 KiB stack; with `WASM_SDK_MEMORY=tight`, linear
//! memory is just the stack, the 8,000-byte heap and static data.
//!
//! `COUNTER_FORM` builds another form of the counter from the same crate,
//! for the size checks in `tests/tests/guests.rs`:
//! - `talk`: the talk's slide (untyped ports, a byte buffer; `src/talk.rs`),
//!   to print what typed ports cost;
//! - `indexed`: the slide as an author would write it with lengths,
//!   `&buffer[..n]` after `receive` and `&buffer[0..n_write]` after
//!   `serialize_into` (`src/indexed.rs`);
//! - `indexed-get`: the same with the panic-free `.get(..)`, which the
//!   `indexed` form must stay within 10% of.
fn main() {
    wasm_sdk_build::GuestMemory::new().stack_size(4 * 1024).emit();
    println!("cargo::rustc-check-cfg=cfg(counter_talk_form)");
    println!("cargo::rustc-check-cfg=cfg(counter_indexed_form)");
    println!("cargo::rustc-check-cfg=cfg(counter_get_form)");
    println!("cargo::rerun-if-env-changed=COUNTER_FORM");
    match std::env::var("COUNTER_FORM").as_deref() {
        Ok("talk") => println!("cargo::rustc-cfg=counter_talk_form"),
        Ok("indexed") => println!("cargo::rustc-cfg=counter_indexed_form"),
        Ok("indexed-get") => {
            println!("cargo::rustc-cfg=counter_indexed_form");
            println!("cargo::rustc-cfg=counter_get_form");
        }
        _ => {}
    }
}
