//! The imports a guest may use and the exports it must have.
//!
//! Every import lives in the Wasm module [`IMPORT_MODULE`] (`connectors`);
//! every parameter and result is an `i32`, and pointers are unsigned 32-bit
//! offsets into the guest's exported linear memory.
//!
//! | import | signature | returns |
//! |---|---|---|
//! | [`RECEIVE_INPUT`] | `(buf: *mut u8, len: i32, input_idx: i32) -> i32` | length written, or a [`Status`](crate::Status) |
//! | [`SEND_OUTPUT`] | `(buf: *const u8, len: i32, output_idx: i32) -> i32` | `0` or a status |
//! | [`LOG`] | `(ptr: *const u8, len: i32, level: i32) -> i32` | `0` or a status |
//! | [`REPORT_ERROR`] | `(ptr: *const u8, len: i32) -> i32` | `0` or a status |
//! | [`INPUT_LEN`] | `(input_idx: i32) -> i32` | length of the next message, or a status |
//! | [`WAIT_INPUT`] | `(list: *const u8, len: i32) -> i32` | a listed input that will not block `receive`, or a status |
//!
//! A guest exports [`RUN_TASK_EXPORT`] (`run_task: () -> i32`, `0` is a
//! clean stop, anything else a failure) and [`MEMORY_EXPORT`] (`memory`).
//! What each import does, and in which order it checks its arguments, is
//! [`rules`](crate::rules).

/// The Wasm import module every host function lives in.
pub const IMPORT_MODULE: &str = "connectors";

/// `receive_input(buf: *mut u8, len: i32, input_idx: i32) -> i32`.
pub const RECEIVE_INPUT: &str = "receive_input";
/// `send_output(buf: *const u8, len: i32, output_idx: i32) -> i32`.
pub const SEND_OUTPUT: &str = "send_output";
/// `log(ptr: *const u8, len: i32, level: i32) -> i32`.
pub const LOG: &str = "log";
/// `report_error(ptr: *const u8, len: i32) -> i32`.
pub const REPORT_ERROR: &str = "report_error";
/// `input_len(input_idx: i32) -> i32`: length of the next queued message.
pub const INPUT_LEN: &str = "input_len";
/// `wait_input(list: *const u8, len: i32) -> i32`: blocks until one of the
/// `len` inputs listed at `list` (one index a byte) has a message or is
/// closed, and returns its index.
pub const WAIT_INPUT: &str = "wait_input";

/// The exported entry point: `run_task() -> i32`.
pub const RUN_TASK_EXPORT: &str = "run_task";
/// The exported linear memory.
pub const MEMORY_EXPORT: &str = "memory";
/// The guest's stack pointer, a mutable `i32` global the SDK's guest
/// build exports (optional): with it a host tells a guest stack overflow
/// from another out-of-bounds access. The stack is first in memory and
/// grows down to 0, so an overflow wraps the pointer past its start.
pub const STACK_POINTER_EXPORT: &str = "__stack_pointer";

/// An import's signature: the number of `i32` parameters; every import
/// returns exactly one `i32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportSignature {
    /// Import name within [`IMPORT_MODULE`].
    pub name: &'static str,
    /// Number of `i32` parameters.
    pub params: usize,
}

/// Every import a guest may use, with its signature.
pub const IMPORTS: [ImportSignature; 6] = [
    ImportSignature { name: RECEIVE_INPUT, params: 3 },
    ImportSignature { name: SEND_OUTPUT, params: 3 },
    ImportSignature { name: LOG, params: 3 },
    ImportSignature { name: REPORT_ERROR, params: 2 },
    ImportSignature { name: INPUT_LEN, params: 1 },
    ImportSignature { name: WAIT_INPUT, params: 2 },
];

/// Looks up an import of [`IMPORT_MODULE`] by name.
pub fn import_signature(name: &str) -> Option<ImportSignature> {
    IMPORTS.iter().copied().find(|sig| sig.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_unique_and_found() {
        for (i, sig) in IMPORTS.iter().enumerate() {
            assert_eq!(import_signature(sig.name), Some(*sig));
            assert!(IMPORTS[..i].iter().all(|other| other.name != sig.name));
        }
        assert_eq!(import_signature("fd_write"), None);
    }
}
