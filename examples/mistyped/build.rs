//! One 64 KiB page with a 4 KiB stack.
fn main() {
    wasm_sdk_build::GuestMemory::new().stack_size(4 * 1024).emit();
}
