//! The `connectors` ABI of wasm-sdk: the one definition guests and hosts
//! both compile.
//!
//! A guest reaches its host only through five imports of the Wasm module
//! `connectors`. This crate is everything both sides must agree on, so the
//! guest SDK (as `wasm_sdk::abi`), its proc macro, `wasm-sdk-host`, the
//! native mock and the firmware use it instead of copies and cannot drift:
//!
//! - [`imports`]: import names and signatures, required exports;
//! - [`status`]: the [`Status`] codes the imports return and the
//!   [`LogLevel`]s of `log`;
//! - [`rules`]: what each import does, implemented once: argument checks in
//!   one documented order, the message size limit, queue, blocking and close
//!   semantics. Hosts supply memory and queues ([`rules::Environment`]);
//! - [`manifest`]: the `wasm-sdk.manifest` custom section (ABI version,
//!   port names and message types) that `#[task_run]` embeds and hosts
//!   check;
//! - [`schema`]: message types of typed ports (schema, [`schema::TypeKey`])
//!   and the one rule that says whether a port and a channel agree;
//! - [`run`] (feature `alloc`): the run-status vocabulary ([`run::Step`])
//!   shared by every host;
//! - [`queue`] (feature `alloc`): the in-memory queues of the desktop hosts.
//!
//! `no_std`; its one dependency is postcard-schema (the data model of
//! message types). `alloc` is opt-in and guests never enable it.
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use wasm_sdk_abi::rules::{Reply, Rules};
//! use wasm_sdk_abi::{Status, queue::QueueEnv};
//!
//! // A guest with one input and one output, 16 bytes of linear memory.
//! let rules = Rules::new(1, 1);
//! let mut memory = [0u8; 16];
//! let mut env = QueueEnv::default();
//! env.push(0, b"hi".to_vec());
//! // receive_input(buf = 4, len = 8, input 0) writes "hi" at offset 4.
//! assert_eq!(rules.receive_input(memory.as_mut_slice(), &mut env, 4, 8, 0), Reply::Return(2));
//! assert_eq!(&memory[4..6], b"hi");
//! // Nothing queued any more: the guest would block.
//! assert_eq!(rules.receive_input(memory.as_mut_slice(), &mut env, 4, 8, 0), Reply::Block { input: 0 });
//! // A bad index is reported before a bad pointer.
//! let code = rules.send_output(memory.as_slice(), &mut env, -1, 99, 5);
//! assert_eq!(code, Reply::Return(Status::UnknownOutput.code()));
//! # }
//! ```

#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(test)]
extern crate std;

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
    REPORT_ERROR, RUN_TASK_EXPORT, SEND_OUTPUT, import_signature,
};
pub use status::{LogLevel, Status};

/// Version of this ABI. Version 2 added message types to the manifest;
/// hosts read versions [`manifest::MIN_ABI_VERSION`] to this one and refuse
/// any other.
pub const ABI_VERSION: u16 = 2;
