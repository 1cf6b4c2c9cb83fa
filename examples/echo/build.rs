//! One 64 KiB page with a 4 KiB stack.
//!
//! `ECHO_FORM=get` builds the panic-free `.get(..n)` form instead of the
//! obvious `&buf[..n]`: the size check in `tests/tests/guests.rs` builds both
//! and requires the obvious form within 10% of it.
fn main() {
    wasm_sdk_build::GuestMemory::new().stack_size(4 * 1024).emit();
    println!("cargo::rustc-check-cfg=cfg(echo_get_form)");
    println!("cargo::rerun-if-env-changed=ECHO_FORM");
    if std::env::var("ECHO_FORM").as_deref() == Ok("get") {
        println!("cargo::rustc-cfg=echo_get_form");
    }
}
