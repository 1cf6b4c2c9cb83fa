//! One 64 KiB page with the default 8 KiB stack.
fn main() {
    wasm_sdk_build::GuestMemory::new().emit();
}
