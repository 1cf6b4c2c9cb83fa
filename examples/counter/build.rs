//! One 64 KiB page with a 4 KiB stack; with `WASM_SDK_MEMORY=tight`, linear
//! memory is just the stack, the 8,000-byte heap and static data.
fn main() {
    wasm_sdk_build::GuestMemory::new().stack_size(4 * 1024).emit();
}
