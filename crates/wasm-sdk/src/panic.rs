//! The guest's panic handler: report where, then trap.

/// Defines the module's panic handler.
///
/// A panic is reported through [`report_error`](crate::report_error) and
/// [`log`](crate::log()) (error level) as `panicked at <file>:<line>:<col>`,
/// then the module traps (`unreachable`), so the host sees both the report
/// and the trap. An allocation failure (see
/// [`define_alloc_heap!`](crate::define_alloc_heap)) adds
/// `: memory allocation of N bytes failed`. The report is built without
/// `core::fmt`; the `panic-message` feature appends the panic's own message,
/// which links `core::fmt`.
///
/// On hosted targets this links `std`, whose panic handler `cargo test`
/// needs.
#[macro_export]
macro_rules! define_panic_handlers {
    () => {
        #[cfg(target_arch = "wasm32")]
        #[panic_handler]
        fn __wasm_sdk_panic(info: &::core::panic::PanicInfo<'_>) -> ! {
            $crate::__private::report_panic(info)
        }

        #[cfg(not(any(target_arch = "wasm32", target_os = "none")))]
        extern crate std;
    };
}

#[cfg(target_arch = "wasm32")]
pub use wasm::report_panic;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use crate::abi::LogLevel;
    use crate::text::StackStr;
    use core::panic::PanicInfo;

    /// Reports a panic to the host and traps.
    pub fn report_panic(info: &PanicInfo<'_>) -> ! {
        let mut text = StackStr::<256>::new();
        text.push_str("panicked at ");
        match info.location() {
            Some(at) => {
                text.push_str(at.file())
                    .push_str(":")
                    .push_u32(at.line())
                    .push_str(":")
                    .push_u32(at.column());
            }
            None => {
                text.push_str("an unknown location");
            }
        }
        if let Some(size) = crate::heap::take_failed_alloc() {
            text.push_str(": memory allocation of ").push_usize(size).push_str(" bytes failed");
        }
        #[cfg(feature = "panic-message")]
        {
            use core::fmt::Write;
            // A cut message is still worth reporting.
            let _ = write!(text, ": {}", info.message());
        }
        // The module is about to trap; a refused report cannot be helped.
        let _ = crate::report_error(text.as_str());
        let _ = crate::log(text.as_str(), LogLevel::Error);
        core::arch::wasm32::unreachable()
    }
}
