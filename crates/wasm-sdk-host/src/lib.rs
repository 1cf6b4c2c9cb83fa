#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod binding;
mod budget;
mod config;
mod error;
mod guest;
mod host;
pub mod inspect;
pub mod shape;
mod stack;
pub mod trust;

pub use budget::{Budget, UnknownBudget};
pub use config::HostConfig;
pub use error::LoadError;
pub use guest::Guest;
pub use host::Host;
pub use inspect::ModuleInfo;
pub use shape::{HeapEstimate, Shape};
pub use trust::Trusted;
pub use wasm_sdk_abi as abi;
pub use wasm_sdk_abi::LogLevel;
pub use wasm_sdk_abi::rules::{Environment, InputSet, InputState, SendError};
pub use wasm_sdk_abi::run::{Step, Trap};
