//! A 32 KiB stack, in two 64 KiB pages (`WASM_SDK_MEMORY=tight`: stack,
//! data and heap only): the `Nmea` state and a parsed sentence
//! (`ParseResult`, its largest variant GSV's satellites) live on the stack,
//! and 24 KiB overflowed on the first GGA sentence; without LTO, the data
//! does not fit one page beside it.
fn main() {
    wasm_sdk_build::GuestMemory::new().stack_size(32 * 1024).pages(2).emit();
}
