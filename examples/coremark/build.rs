//! One 64 KiB page with the default 8 KiB stack: CoreMark's state (about
//! 1.5 KB) lives on it.
fn main() {
    wasm_sdk_build::GuestMemory::new().emit();
}
