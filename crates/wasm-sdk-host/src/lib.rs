//! Portable host runtime for wasm-sdk guests, on wasmi.
//!
//! `no_std` + `alloc`, so the same code runs in desktop tests and in
//! firmware. A [`Host`] checks and loads modules; each loaded [`Guest`] is a
//! plain state machine that a scheduler drives with [`Guest::step`]:
//!
//! - a guest calling `receive` on an empty input is suspended with wasmi's
//!   resumable calls and reported as [`Step::Blocked`]; stepping it again
//!   resumes it only once the input has a message (or is closed): no
//!   threads, no polling loop inside the runtime;
//! - with fuel slices on, a long computation returns [`Step::Preempted`]
//!   and continues on the next step, so many guests share one executor;
//! - a total fuel budget stops a runaway guest with [`Step::OutOfFuel`];
//! - a trap (including a guest panic, which reports first and then traps)
//!   is [`Step::Trapped`] and affects only that guest.
//!
//! The `connectors` imports are served by [`wasm_sdk_abi::rules`], the one
//! implementation of the ABI's checks and queue semantics that the native
//! mock uses too; this crate only binds it to wasmi. Every pointer and
//! length a guest passes is checked against its linear memory, so nothing a
//! guest does can panic the host. Queues and sinks are the [`Environment`]
//! trait, which the desktop test host and the firmware implement.
//!
//! ```
//! use wasm_sdk_host::{Environment, Host, HostConfig, InputState, LogLevel, SendError, Step};
//!
//! #[derive(Default)]
//! struct Env { queued: Option<Vec<u8>>, sent: Vec<Vec<u8>> }
//!
//! impl Environment for Env {
//!     fn input(&mut self, _input: u8) -> InputState<'_> {
//!         self.queued.as_deref().map_or(InputState::Empty, InputState::Ready)
//!     }
//!     fn pop_input(&mut self, _input: u8) { self.queued = None; }
//!     fn send_output(&mut self, _output: u8, message: &[u8]) -> Result<(), SendError> {
//!         self.sent.push(message.to_vec());
//!         Ok(())
//!     }
//!     fn log(&mut self, _level: LogLevel, _message: &str) {}
//!     fn report_error(&mut self, _message: &str) {}
//! }
//!
//! // An echo guest, written in WAT here; normally a `#[task_run]` crate.
//! let wasm = wat::parse_str(r#"(module
//!   (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
//!   (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
//!   (memory (export "memory") 1 1)
//!   (func (export "run_task") (result i32) (local $n i32)
//!     (loop $next
//!       (local.set $n (call $recv (i32.const 0) (i32.const 64) (i32.const 0)))
//!       (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
//!       (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))
//!       (br $next))
//!     (unreachable))
//!   (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))"#).unwrap();
//!
//! let host = Host::new(HostConfig::default());
//! let mut guest = host.load(&wasm, Env::default()).unwrap();
//! assert_eq!(guest.step(), Step::Blocked { input: 0 });
//! guest.env_mut().queued = Some(b"hi".to_vec());
//! assert_eq!(guest.step(), Step::Blocked { input: 0 });
//! assert_eq!(guest.env().sent, [b"hi".to_vec()]);
//! ```

#![no_std]

extern crate alloc;

mod binding;
mod config;
mod error;
mod guest;
mod host;
pub mod inspect;
pub mod shape;
pub mod trust;

pub use config::HostConfig;
pub use error::LoadError;
pub use guest::Guest;
pub use host::Host;
pub use inspect::ModuleInfo;
pub use shape::{HeapEstimate, Shape};
pub use trust::Trusted;
pub use wasm_sdk_abi as abi;
pub use wasm_sdk_abi::LogLevel;
pub use wasm_sdk_abi::rules::{Environment, InputState, SendError};
pub use wasm_sdk_abi::run::{Step, Trap};
