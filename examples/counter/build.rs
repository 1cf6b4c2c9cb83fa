//! One 64 KiB page with a 4 KiB stack; with `WASM_SDK_MEMORY=tight`, linear
//! memory is just the stack, the 8,000-byte heap and static data.
//!
//! `COUNTER_FORM=talk` builds the talk's slide (untyped ports, a byte
//! buffer; `src/talk.rs`) instead of the typed counter: the size check in
//! `tests/tests/guests.rs` builds both and prints what typed ports cost.
fn main() {
    wasm_sdk_build::GuestMemory::new().stack_size(4 * 1024).emit();
    println!("cargo::rustc-check-cfg=cfg(counter_talk_form)");
    println!("cargo::rerun-if-env-changed=COUNTER_FORM");
    if std::env::var("COUNTER_FORM").as_deref() == Ok("talk") {
        println!("cargo::rustc-cfg=counter_talk_form");
    }
}
