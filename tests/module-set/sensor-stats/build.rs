//! One 64 KiB page with the default 8 KiB stack (`WASM_SDK_MEMORY=tight`:
//! stack, data and heap only, as the device profiles build).
fn main() {
    wasm_sdk_build::GuestMemory::new().emit();
}
