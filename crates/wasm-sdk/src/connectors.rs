//! The `connectors` imports, each directly above its safe wrapper.
//!
//! Nothing raw leaves this module. On wasm32 the raw functions are Wasm
//! imports; on hosted targets they are the in-process mock in
//! [`crate::native`], which serves them with the ABI's own rules. On
//! bare-metal targets (firmware) `lib.rs` leaves this module out: firmware
//! shares the SDK's message types and payloads, never its imports.

use core::mem::MaybeUninit;

use crate::abi::{LogLevel, Status};
use crate::error::{Error, MAX_TEXT_LEN, Result};
use crate::ports::{InputIdx, OutputIdx};

/// A slice's length as the ABI's `i32`. Linear memory is at most 4 GiB and
/// guests are 32-bit, but a length past `i32::MAX` is clamped rather than
/// wrapped so the host never sees a negative length from safe code.
fn abi_len(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Maps a negative import result to an error; [`Status::Closed`] means a
/// closed input for `receive` and `input_len` and a closed output elsewhere.
/// Kept out of line: one copy serves every call site in a module.
#[inline(never)]
fn status_error(code: i32, input: bool) -> Error {
    Error::from_code(code, input)
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "connectors")]
unsafe extern "C" {
    /// Blocks until a message for `input_idx` is queued or the input is
    /// closed; writes it to `buf` if it fits and returns its length.
    #[link_name = "receive_input"]
    fn receive_input(buf: *mut u8, len: i32, input_idx: i32) -> i32;
}
#[cfg(not(target_arch = "wasm32"))]
use crate::native::receive_input;

/// Receives the next message of an input into `buffer`, blocking until one
/// is available, and returns its length.
///
/// # Errors
///
/// - [`Error::InputClosed`] when the host closed the input and every queued
///   message was received: the normal way for a module to stop.
/// - [`Error::BufferTooSmall`] when the message is longer than `buffer`.
///   The message stays queued; call again with at least `needed` bytes.
/// - [`Error::UnknownInput`] when the index is not one of the module's inputs.
pub fn receive(buffer: &mut [u8], input_idx: impl Into<InputIdx>) -> Result<usize> {
    let input_idx = input_idx.into();
    // SAFETY: the pointer and length describe `buffer`, which is exclusively
    // borrowed for the call; the host writes at most `len` bytes into it.
    let code = unsafe {
        receive_input(buffer.as_mut_ptr(), abi_len(buffer.len()), i32::from(input_idx.0))
    };
    match usize::try_from(code) {
        // A host never reports more than `len`; clamping anyway lets the
        // optimizer prove the caller's `&buffer[..n]` in bounds, which keeps
        // the slice-index panic and the `core::fmt` it links out of modules.
        Ok(written) => Ok(written.min(buffer.len())),
        Err(_) => Err(receive_error(code, input_idx)),
    }
}

/// The error for a negative `receive_input` result, built inline from
/// constants. Any `Error` from an out-of-line call could, for all the
/// optimizer knows, carry the tag `Result<usize, Error>` uses for `Ok`, and
/// then the caller's `&buf[..n]` keeps its bounds check and the `core::fmt`
/// the panic links (an echo guest several times larger: the figures page
/// of the book, "Guest size levers").
#[inline(always)]
fn receive_error(code: i32, input_idx: InputIdx) -> Error {
    // Too large: the message stays queued, so its length is there to ask
    // for. A length (`>= 0`) is `BufferTooSmall`; any other code, from
    // either call, is its status. One mapping keeps this path short.
    let code = if code == Status::MessageTooLarge.code() {
        // SAFETY: the import takes no pointers.
        unsafe { input_len_raw(i32::from(input_idx.0)) }
    } else {
        code
    };
    match usize::try_from(code) {
        Ok(needed) => Error::BufferTooSmall { needed },
        Err(_) => Error::from_code(code, true),
    }
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "connectors")]
unsafe extern "C" {
    /// Blocks until one of the `len` inputs listed at `list` has a message
    /// queued or is closed, and returns its index.
    #[link_name = "wait_input"]
    fn wait_input_raw(list: *const u8, len: i32) -> i32;
}
#[cfg(not(target_arch = "wasm32"))]
use crate::native::wait_input as wait_input_raw;

/// Blocks until one of `inputs` has a message queued, or is closed, and
/// returns which: [`receive`] from it then does not block. The guest burns
/// no fuel while it waits.
///
/// When several are ready, the host answers them in turns (the first in
/// `inputs` after the one it answered last), so an input that always has a
/// message cannot starve the others. A closed input is answered too, once
/// its queued messages are received, and its `receive` returns
/// [`Error::InputClosed`]: a guest that carries on without it leaves it out
/// of the next list, or each wait answers it at once.
///
/// # Errors
///
/// [`Error::UnknownInput`] when `inputs` is empty or lists an index that is
/// not one of the module's inputs. The native mock, which cannot suspend,
/// answers [`Error::InputClosed`] where the guest would wait, and records
/// it (`native::take_waiting`).
pub fn wait_input(inputs: &[InputIdx]) -> Result<InputIdx> {
    // `InputIdx` is a transparent `u8`: the slice is the ABI's byte list.
    let list = inputs.as_ptr().cast::<u8>();
    // SAFETY: the pointer and length describe `inputs`, borrowed for the
    // call; the host only reads it.
    let code = unsafe { wait_input_raw(list, abi_len(inputs.len())) };
    match u8::try_from(code) {
        Ok(input) => Ok(InputIdx(input)),
        Err(_) => Err(status_error(code, true)),
    }
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "connectors")]
unsafe extern "C" {
    /// Length of the next queued message of `input_idx`, without blocking.
    #[link_name = "input_len"]
    fn input_len_raw(input_idx: i32) -> i32;
}
#[cfg(not(target_arch = "wasm32"))]
use crate::native::input_len as input_len_raw;

/// Length of the next message queued on an input, without blocking and
/// without taking it.
///
/// # Errors
///
/// [`Error::Empty`] when nothing is queued yet, [`Error::InputClosed`] when
/// the input is closed and drained, [`Error::UnknownInput`] for a bad index.
pub fn input_len(input_idx: impl Into<InputIdx>) -> Result<usize> {
    // SAFETY: the import takes no pointers.
    let code = unsafe { input_len_raw(i32::from(input_idx.into().0)) };
    usize::try_from(code).map_err(|_| status_error(code, true))
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "connectors")]
unsafe extern "C" {
    /// Hands `len` bytes at `buf` to the host for `output_idx`.
    #[link_name = "send_output"]
    fn send_output(buf: *const u8, len: i32, output_idx: i32) -> i32;
}
#[cfg(not(target_arch = "wasm32"))]
use crate::native::send_output;

/// Sends `message` on an output. The host copies it before returning.
///
/// # Errors
///
/// [`Error::OutputClosed`], [`Error::OutputFull`] (not taken; retrying is
/// safe), [`Error::MessageTooLarge`] (over the host's limit),
/// [`Error::UnknownOutput`].
pub fn send(message: &[u8], output_idx: impl Into<OutputIdx>) -> Result<()> {
    let idx = i32::from(output_idx.into().0);
    // SAFETY: the pointer and length describe `message`, which is borrowed
    // for the call; the host only reads it.
    let code = unsafe { send_output(message.as_ptr(), abi_len(message.len()), idx) };
    if code >= 0 { Ok(()) } else { Err(status_error(code, false)) }
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "connectors")]
unsafe extern "C" {
    /// Logs `len` bytes of UTF-8 at `ptr` at `level`.
    #[link_name = "log"]
    fn log_raw(ptr: *const u8, len: i32, level: i32) -> i32;
}
#[cfg(not(target_arch = "wasm32"))]
use crate::native::log as log_raw;

/// Logs a message at a level. Does not use `core::fmt`; for formatted
/// messages see [`StackStr`](crate::StackStr) or the `fmt` feature's `info!`.
///
/// # Errors
///
/// Only what the host reports; a host may drop logs silently.
pub fn log(message: &str, level: LogLevel) -> Result<()> {
    // SAFETY: the pointer and length describe `message`, borrowed for the call.
    let code = unsafe { log_raw(message.as_ptr(), abi_len(message.len()), level.code()) };
    if code >= 0 { Ok(()) } else { Err(status_error(code, false)) }
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "connectors")]
unsafe extern "C" {
    /// Reports `len` bytes of UTF-8 at `ptr` as the module's error.
    #[link_name = "report_error"]
    fn report_error_raw(ptr: *const u8, len: i32) -> i32;
}
#[cfg(not(target_arch = "wasm32"))]
use crate::native::report_error as report_error_raw;

/// Reports an error to the host: the host records it as this module's
/// failure (separately from logs). The generated `run_task` and the panic
/// handler call this; modules may too.
///
/// # Errors
///
/// Only what the host reports.
pub fn report_error(message: &str) -> Result<()> {
    // SAFETY: the pointer and length describe `message`, borrowed for the call.
    let code = unsafe { report_error_raw(message.as_ptr(), abi_len(message.len())) };
    if code >= 0 { Ok(()) } else { Err(status_error(code, false)) }
}

/// What `#[task_run]`'s `run_task` returns for `run`'s result: 0 for `Ok`
/// and for a closed input (clean stop); otherwise reports
/// `Task run error: <error>` through [`report_error`] and [`log()`] and
/// returns -1. Joins two static strings on the stack: no `core::fmt`, and
/// not even [`StackStr`](crate::StackStr)'s general append.
pub fn run_task_result(result: Result<()>) -> i32 {
    const PREFIX: &str = "Task run error: ";
    let err = match result {
        Ok(()) | Err(Error::InputClosed) => return 0,
        Err(err) => err,
    };
    let text = err.as_str().as_bytes();
    // Every text fits the buffer; the `min` lets the optimizer see it.
    let len = text.len().min(MAX_TEXT_LEN);
    let mut buf = [MaybeUninit::<u8>::uninit(); PREFIX.len() + MAX_TEXT_LEN];
    let (head, tail) = buf.split_at_mut(PREFIX.len());
    head.write_copy_of_slice(PREFIX.as_bytes());
    tail[..len].write_copy_of_slice(&text[..len]);
    // SAFETY: the first `PREFIX.len() + len` bytes were written just above:
    // the prefix followed by a whole `str` (ASCII, so any prefix of it too).
    let message = unsafe {
        core::str::from_utf8_unchecked(core::slice::from_raw_parts(
            buf.as_ptr().cast::<u8>(),
            PREFIX.len() + len,
        ))
    };
    // Nothing better can be done if the host refuses the report: the exit
    // code still says the task failed.
    let _ = report_error(message);
    let _ = log(message, LogLevel::Error);
    -1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping_matches_from_status() {
        for status in Status::ALL {
            assert_eq!(status_error(status.code(), true), Error::from(status));
        }
        assert_eq!(status_error(Status::Closed.code(), true), Error::InputClosed);
        assert_eq!(status_error(Status::Closed.code(), false), Error::OutputClosed);
        for code in [-10, -1000, i32::MIN, 0, 5] {
            assert_eq!(status_error(code, true), Error::UnknownStatus(code));
        }
    }
}
