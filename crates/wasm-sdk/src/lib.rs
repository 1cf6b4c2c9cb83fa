//! Write WebAssembly guest modules for microcontroller hosts.
//!
//! A guest is a `#![no_std]` crate compiled to `wasm32-unknown-unknown` (or
//! the MVP-only `wasm32v1-none`). It reaches its host only through the
//! `connectors` imports. [`task_run`] declares its ports, typed or not,
//! and generates the exported entry point and a handle per port:
//! `Input::Sample.receive()` and `Output::Total.send(&total)` move typed
//! messages (postcard bytes, in buffers sized by the type); [`receive`],
//! [`send`], [`log()`] and [`report_error`] are the safe raw calls.
//! [`define_alloc_heap!`] and [`define_panic_handlers!`] supply the
//! allocator and panic handler a `no_std` module needs.
//!
//! # Example: the counter module
//!
//! ```no_run
//! #![no_std] // required for wasm32-unknown-unknown
//! pub const HEAP_SIZE: usize = 8_000;
//! define_alloc_heap!(HEAP_SIZE);
//! define_panic_handlers!();
//!
//! use module_examples_common::Counter;
//! use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers};
//! use wasm_sdk_macros::task_run;
//!
//! #[task_run(inputs(wasm_input: Counter), outputs(wasm_data: Counter))]
//! fn run() -> Result<()> {
//!     loop {
//!         let mut counter = Input::WasmInput.receive()?;
//!         counter.increment();
//!         Output::WasmData.send(&counter)?;
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! `run` loops until the host closes `wasm_input`; `?` turns that into a
//! clean exit (`run_task` returns 0). Any other error is reported to the
//! host as `Task run error: <error>` and `run_task` returns -1.
//!
//! # Typed ports
//!
//! A port's message type derives serde's `Serialize` and `Deserialize`,
//! postcard-schema's `Schema` and postcard's `MaxSize`. Its schema and key
//! go into the module's manifest: hosts refuse a module whose port type is
//! not their channel's (`LoadError::PortType`), and tools encode and decode
//! its messages as JSON without the Rust source. A port declared by name
//! alone (`inputs(raw)`) is untyped: raw bytes with [`receive`] and
//! [`send`], as in the talk's counter:
//!
//! ```no_run
//! # use module_examples_common::Counter;
//! # use wasm_sdk::{Result, receive, send, task_run};
//! #[task_run(inputs(wasm_input), outputs(wasm_data))]
//! fn run() -> Result<()> {
//!     let mut buffer = [0; 50];
//!     loop {
//!         let n_read = receive(&mut buffer, Input::WasmInput)?;
//!         let mut counter = Counter::from_payload(&buffer[..n_read])?;
//!         counter.increment();
//!         let n_write = counter.serialize_into(&mut buffer)?;
//!         send(&buffer[0..n_write], Output::WasmData)?;
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! # Writing a module
//!
//! A guest crate needs four things besides its code:
//!
//! 1. **Crate type.** `crate-type = ["cdylib", "rlib"]` in `[lib]`: `cdylib`
//!    produces the `.wasm`, `rlib` lets `cargo test` link the crate natively.
//! 2. **Stack and memory.** Rust's default wasm stack is 1 MiB, which no
//!    microcontroller can give. Add `wasm-sdk-build` as a build dependency
//!    and a `build.rs` with `wasm_sdk_build::GuestMemory::default().emit();`.
//!    It passes `-zstack-size`, `--initial-memory` and `--max-memory` to the
//!    linker (one 64 KiB page by default) and only for wasm32 targets; it
//!    keeps working when a `RUSTFLAGS` variable replaces config rustflags.
//!    Build with `WASM_SDK_MEMORY=tight` for 1-byte pages (custom page
//!    sizes), so linear memory is exactly stack + data + heap.
//! 3. **Profile.** In the workspace root: `[profile.release]` with
//!    `opt-level = 3`, `lto = true`, `codegen-units = 1`, `panic = "abort"`,
//!    `strip = true`. `opt-level = "z"` measured larger for guests that keep
//!    panicking index paths.
//! 4. **Heap and panic handler.** `define_alloc_heap!(N)` (a fixed arena of
//!    `N` bytes that never grows memory) and `define_panic_handlers!()`.
//!
//! Then `cargo build --release --target wasm32-unknown-unknown -p my-guest`
//! writes `target/wasm32-unknown-unknown/release/my_guest.wasm`.
//!
//! # Size
//!
//! Nothing on the default paths (errors, `run_task`'s error report, panic
//! and out-of-memory reports) uses `core::fmt`, which alone costs ~8 KiB.
//! Opt in with the `fmt` feature (formatted `info!`-style logging) and
//! the `panic-message` feature (panic messages in reports).
//!
//! # Off wasm
//!
//! On other targets the imports are served by an in-process mock host (one
//! per thread, see [`native`]), so guest crates compile and their logic runs
//! under plain `cargo test`.
//!
//! # The ABI
//!
//! [`abi`] is the target-independent definition of the imports, status
//! codes, log levels and manifest that hosts compile too.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Hosted targets (Linux, macOS, Windows) have `std` and get the native mock
// host. Bare-metal targets (`target_os = "none"`: thumbv8m, riscv32imac, ...)
// get everything else, so firmware shares its guests' message crates.
#[cfg(not(any(target_arch = "wasm32", target_os = "none")))]
extern crate std;

#[cfg(any(target_arch = "wasm32", not(target_os = "none")))]
mod connectors;
mod error;
mod heap;
mod panic;
mod payload;
mod ports;
mod text;

#[cfg(feature = "fmt")]
mod fmt;
#[cfg(not(any(target_arch = "wasm32", target_os = "none")))]
pub mod native;

pub use wasm_sdk_abi as abi;
pub use wasm_sdk_macros::task_run;

pub use abi::LogLevel;
#[cfg(any(target_arch = "wasm32", not(target_os = "none")))]
pub use connectors::{input_len, log, receive, report_error, send};
pub use error::{Error, PayloadError, Result};
pub use payload::{Payload, from_payload, serialize_into};
pub use ports::{Bytes, InputIdx, InputPort, MaxSize, Message, OutputIdx, OutputPort};
pub use text::StackStr;

/// Items the macros expand to. Not public API: no stability promise.
#[doc(hidden)]
pub mod __private {
    #[cfg(any(target_arch = "wasm32", not(target_os = "none")))]
    pub use crate::connectors::run_task_result;
    #[cfg(feature = "fmt")]
    pub use crate::fmt::log_fmt;
    #[cfg(target_arch = "wasm32")]
    pub use crate::heap::Heap;
    #[cfg(target_arch = "wasm32")]
    pub use crate::panic::report_panic;
    #[cfg(target_arch = "wasm32")]
    pub use talc;
}
