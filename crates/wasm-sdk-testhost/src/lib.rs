#![doc = include_str!("../README.md")]

mod build;
mod catalog;
mod error;
mod harness;
mod profile;
mod scenario;
mod sizes;
mod transcript;
mod types;

pub use build::{GuestBuilder, example_wasm, wasm_opt};
pub use catalog::{Binds, CATALOG_FORMAT, CatalogService, DeviceCatalog, PortCheck};
pub use error::TestHostError;
pub use harness::{Port, TestGuest, TestHost, TestHostBuilder};
pub use profile::{DeviceProfile, PROFILE_ENV, PROFILE_FORMAT};
pub use scenario::{Scenario, ScenarioError};
pub use sizes::{FmtUse, FunctionSize, ModuleSizes};
pub use transcript::{LogRecord, OutputRecord, Transcript};
pub use types::{PortSchema, PortSchemas};
pub use wasm_sdk_build::{MEMORY_ENV, MemoryMode};
pub use wasm_sdk_host::abi::manifest::PortKind;
pub use wasm_sdk_host::abi::queue::QueueEnv;
pub use wasm_sdk_host::abi::rules::{InputSet, TextBudget, TextUsage};
pub use wasm_sdk_host::abi::schema::{PortType, TypeKey};
pub use wasm_sdk_host::{Budget, HostConfig, LoadError, LogLevel, ModuleInfo, Step, Trap};

/// Default total fuel budget of the CLI and [`TestHostBuilder`]: finite, so
/// an endless loop ends as `out_of_fuel` instead of hanging a test.
pub const DEFAULT_TOTAL_FUEL: u64 = 100_000_000;

/// Text bytes (logs and error reports) a guest may pass in its life on the
/// test host, which keeps them all: 1 MiB, so a guest flooding its log
/// ends with `Closed` from `log` instead of exhausting the desktop's memory.
pub const DEFAULT_TEXT_TOTAL: u64 = 1024 * 1024;
