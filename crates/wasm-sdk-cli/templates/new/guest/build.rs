//! Linear memory of the module: Rust's default wasm stack is 1 MiB, more
//! RAM than a microcontroller has. This is one 64 KiB page with a 4 KiB
//! stack; `WASM_SDK_MEMORY=tight` at build time makes memory exactly stack,
//! static data and heap. Nothing is emitted for native `cargo test` builds.
fn main() {
    wasm_sdk_build::GuestMemory::new()
        .stack_size(4 * 1024)
        .emit();
}
