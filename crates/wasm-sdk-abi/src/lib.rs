#![doc = include_str!("../README.md")]
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod catalog;
pub mod decimal;
pub mod imports;
pub mod manifest;
#[cfg(feature = "alloc")]
pub mod queue;
pub mod rules;
#[cfg(feature = "alloc")]
pub mod run;
pub mod schema;
pub mod status;

pub use imports::{
    IMPORT_MODULE, IMPORTS, INPUT_LEN, ImportSignature, LOG, MEMORY_EXPORT, RECEIVE_INPUT,
    REPORT_ERROR, RUN_TASK_EXPORT, SEND_OUTPUT, STACK_POINTER_EXPORT, WAIT_INPUT, import_signature,
};
pub use status::{LogLevel, Status};

/// Version of this ABI. Version 2 added message types to the manifest;
/// hosts read versions [`manifest::MIN_ABI_VERSION`] to this one and refuse
/// any other.
pub const ABI_VERSION: u16 = 2;
