//! Test wasm-sdk guests on the desktop, on the same host runtime as the
//! device.
//!
//! [`TestHost`] loads a built `.wasm` (or builds a guest crate first with
//! [`GuestBuilder`]) into a [`TestGuest`]: push inputs by index, by name or
//! as typed messages, close inputs, [`run_until_idle`](TestGuest::run_until_idle),
//! then read outputs (raw or typed), logs, reported errors, the last
//! [`Step`] and the fuel used, or take the whole serializable
//! [`Transcript`] for golden tests. The guest runs on
//! [`wasm_sdk_host`], exactly as in firmware.
//!
//! ```no_run
//! use wasm_sdk_testhost::{GuestBuilder, Step, TestHost};
//!
//! let wasm = GuestBuilder::new().build("examples/counter").unwrap();
//! let mut guest = TestHost::builder().total_fuel(1_000_000).build().load_file(&wasm).unwrap();
//! guest.push_input("wasm_input", &[0x05]).unwrap();
//! guest.close_input("wasm_input").unwrap();
//! assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
//! assert_eq!(guest.outputs("wasm_data").unwrap(), [vec![0x06]]);
//! ```
//!
//! [`Scenario`] writes a run once and checks it both ways: on the module's
//! native code (`wasm_sdk::native`) and on its `.wasm`, same transcript.
//!
//! The `wasm-sdk` command (crate `wasm-sdk-cli`) wraps this in a CLI: `run`
//! and `inspect` (a `.wasm` or a guest crate directory, built first), `new`,
//! which creates a guest workspace with native and scenario tests, and the
//! device commands. This crate has none of the CLI's dependencies, so a
//! module's `cargo test` builds only what it runs.

mod build;
mod error;
mod harness;
mod scenario;
mod transcript;
mod types;

pub use build::GuestBuilder;
pub use error::TestHostError;
pub use harness::{Port, TestGuest, TestHost, TestHostBuilder};
pub use scenario::{Scenario, ScenarioError};
pub use transcript::{LogRecord, OutputRecord, Transcript};
pub use types::{PortSchema, PortSchemas};
pub use wasm_sdk_host::abi::manifest::PortKind;
pub use wasm_sdk_host::abi::queue::QueueEnv;
pub use wasm_sdk_host::abi::rules::{TextBudget, TextUsage};
pub use wasm_sdk_host::abi::schema::{PortType, TypeKey};
pub use wasm_sdk_host::{HostConfig, LoadError, LogLevel, ModuleInfo, Step, Trap};

/// Default total fuel budget of the CLI and [`TestHostBuilder`]: finite, so
/// an endless loop ends as `out_of_fuel` instead of hanging a test.
pub const DEFAULT_TOTAL_FUEL: u64 = 100_000_000;

/// Text bytes (logs and error reports) a guest may pass in its life on the
/// test host, which keeps them all: 1 MiB, so a guest flooding its log
/// ends with `Closed` from `log` instead of exhausting the desktop's memory.
pub const DEFAULT_TEXT_TOTAL: u64 = 1024 * 1024;
