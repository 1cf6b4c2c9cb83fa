#![doc = include_str!("../README.md")]
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
pub mod timer;

#[cfg(feature = "fmt")]
mod fmt;
#[cfg(not(any(target_arch = "wasm32", target_os = "none")))]
pub mod native;

pub use wasm_sdk_abi as abi;
pub use wasm_sdk_macros::task_run;

pub use abi::LogLevel;
#[cfg(any(target_arch = "wasm32", not(target_os = "none")))]
pub use connectors::{input_len, log, receive, report_error, send, wait_input};
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
