//! The in-process mock host that serves the imports off wasm32.
//!
//! Each thread has its own host, so `cargo test` runs tests in parallel
//! without them seeing each other's messages. It follows the ABI's rules and
//! status codes (oversized message stays queued, closed input, unknown
//! index) with one difference a single thread forces: it cannot block, so
//! receiving from an empty input reports it closed. A guest's `run` loop
//! therefore returns once the scripted inputs are used up.
//!
//! ```
//! use wasm_sdk::{native, receive, send, Error};
//!
//! native::reset(1, 1);
//! native::push_input(0, &[5]);
//! let mut buf = [0u8; 4];
//! assert_eq!(receive(&mut buf, 0), Ok(1));
//! send(&buf[..1], 0).unwrap();
//! assert_eq!(receive(&mut buf, 0), Err(Error::InputClosed));
//! assert_eq!(native::take_outputs(), vec![(0, vec![5])]);
//! ```

use crate::abi::{LogLevel, Status};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::string::String;
use std::vec::Vec;

#[derive(Default)]
struct Host {
    /// `None` accepts any index; `Some(n)` makes indices `>= n` unknown.
    inputs: Option<usize>,
    outputs: Option<usize>,
    queues: Vec<VecDeque<Vec<u8>>>,
    sent: Vec<(u8, Vec<u8>)>,
    logs: Vec<(LogLevel, String)>,
    errors: Vec<String>,
}

std::thread_local! {
    static HOST: RefCell<Host> = RefCell::new(Host::default());
}

fn with_host<R>(f: impl FnOnce(&mut Host) -> R) -> R {
    HOST.with(|host| f(&mut host.borrow_mut()))
}

/// Clears this thread's host and declares the module's input and output
/// counts; indices past them are unknown.
pub fn reset(inputs: usize, outputs: usize) {
    with_host(|h| *h = Host { inputs: Some(inputs), outputs: Some(outputs), ..Host::default() });
}

/// Queues a message on an input of this thread's host.
pub fn push_input(input: u8, message: &[u8]) {
    with_host(|h| {
        let idx = usize::from(input);
        if h.queues.len() <= idx {
            h.queues.resize_with(idx + 1, VecDeque::new);
        }
        h.queues[idx].push_back(message.to_vec());
    });
}

/// Takes the messages sent so far, as `(output index, bytes)` in order.
pub fn take_outputs() -> Vec<(u8, Vec<u8>)> {
    with_host(|h| core::mem::take(&mut h.sent))
}

/// Takes the log records so far.
pub fn take_logs() -> Vec<(LogLevel, String)> {
    with_host(|h| core::mem::take(&mut h.logs))
}

/// Takes the reported errors so far.
pub fn take_errors() -> Vec<String> {
    with_host(|h| core::mem::take(&mut h.errors))
}

fn known(count: Option<usize>, idx: i32) -> Option<usize> {
    let idx = usize::try_from(idx).ok()?;
    match count {
        Some(n) if idx >= n => None,
        _ => Some(idx),
    }
}

/// Views a guest pointer and length as a slice, as a host would check them.
///
/// # Safety
///
/// A non-null `ptr` with non-negative `len` must be valid for `len` bytes.
unsafe fn guest_bytes<'a>(ptr: *const u8, len: i32) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&[]);
    }
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-null and valid for `len` bytes per the caller.
    Some(unsafe { core::slice::from_raw_parts(ptr, len) })
}

fn guest_text(bytes: Option<&[u8]>) -> Result<&str, i32> {
    let bytes = bytes.ok_or(Status::BadPointer.code())?;
    core::str::from_utf8(bytes).map_err(|_| Status::InvalidUtf8.code())
}

/// Mock of the `receive_input` import.
///
/// # Safety
///
/// A non-null `buf` with non-negative `len` must be valid for `len` writes.
pub(crate) unsafe fn receive_input(buf: *mut u8, len: i32, input_idx: i32) -> i32 {
    let Ok(cap) = usize::try_from(len) else { return Status::BadPointer.code() };
    if buf.is_null() && cap > 0 {
        return Status::BadPointer.code();
    }
    with_host(|h| {
        let Some(idx) = known(h.inputs, input_idx) else { return Status::UnknownInput.code() };
        let Some(queue) = h.queues.get_mut(idx) else { return Status::Closed.code() };
        let Some(message) = queue.front() else { return Status::Closed.code() };
        if message.len() > cap {
            return Status::MessageTooLarge.code();
        }
        let Ok(written) = i32::try_from(message.len()) else {
            return Status::MessageTooLarge.code();
        };
        if !message.is_empty() {
            // SAFETY: `buf` is valid for `cap >= message.len()` writes per
            // the caller, and cannot alias the host's own queue.
            unsafe { core::ptr::copy_nonoverlapping(message.as_ptr(), buf, message.len()) };
        }
        queue.pop_front();
        written
    })
}

/// Mock of the `input_len` import.
///
/// # Safety
///
/// None needed; `unsafe` to match the import.
pub(crate) unsafe fn input_len(input_idx: i32) -> i32 {
    with_host(|h| {
        let Some(idx) = known(h.inputs, input_idx) else { return Status::UnknownInput.code() };
        match h.queues.get(idx).and_then(VecDeque::front) {
            Some(message) => i32::try_from(message.len()).unwrap_or(i32::MAX),
            // Nothing will ever arrive on a thread that cannot block.
            None => Status::Closed.code(),
        }
    })
}

/// Mock of the `send_output` import.
///
/// # Safety
///
/// A non-null `buf` with non-negative `len` must be valid for `len` reads.
pub(crate) unsafe fn send_output(buf: *const u8, len: i32, output_idx: i32) -> i32 {
    // SAFETY: forwarded from the caller.
    let Some(bytes) = (unsafe { guest_bytes(buf, len) }) else {
        return Status::BadPointer.code();
    };
    with_host(|h| {
        let Some(idx) = known(h.outputs, output_idx).and_then(|i| u8::try_from(i).ok()) else {
            return Status::UnknownOutput.code();
        };
        h.sent.push((idx, bytes.to_vec()));
        0
    })
}

/// Mock of the `log` import.
///
/// # Safety
///
/// A non-null `ptr` with non-negative `len` must be valid for `len` reads.
pub(crate) unsafe fn log(ptr: *const u8, len: i32, level: i32) -> i32 {
    let Some(level) = LogLevel::from_code(level) else { return Status::InvalidLogLevel.code() };
    // SAFETY: forwarded from the caller.
    match guest_text(unsafe { guest_bytes(ptr, len) }) {
        Ok(text) => with_host(|h| h.logs.push((level, text.into()))),
        Err(code) => return code,
    }
    0
}

/// Mock of the `report_error` import.
///
/// # Safety
///
/// A non-null `ptr` with non-negative `len` must be valid for `len` reads.
pub(crate) unsafe fn report_error(ptr: *const u8, len: i32) -> i32 {
    // SAFETY: forwarded from the caller.
    match guest_text(unsafe { guest_bytes(ptr, len) }) {
        Ok(text) => with_host(|h| h.errors.push(text.into())),
        Err(code) => return code,
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::run_task_result;
    use crate::{Error, LogLevel, input_len, receive, send};
    use std::vec;

    #[test]
    fn oversized_message_stays_queued() {
        reset(1, 1);
        push_input(0, &[1, 2, 3, 4]);
        let mut small = [0u8; 2];
        assert_eq!(receive(&mut small, 0), Err(Error::BufferTooSmall { needed: 4 }));
        assert_eq!(input_len(0), Ok(4));
        let mut big = [0u8; 8];
        assert_eq!(receive(&mut big, 0), Ok(4));
        assert_eq!(&big[..4], &[1, 2, 3, 4]);
        assert_eq!(receive(&mut big, 0), Err(Error::InputClosed));
    }

    #[test]
    fn unknown_indices() {
        reset(1, 1);
        let mut buf = [0u8; 2];
        assert_eq!(receive(&mut buf, 1), Err(Error::UnknownInput));
        assert_eq!(input_len(7), Err(Error::UnknownInput));
        assert_eq!(send(&buf, 1), Err(Error::UnknownOutput));
    }

    #[test]
    fn bad_pointers_are_rejected() {
        reset(1, 1);
        push_input(0, &[1]);
        // SAFETY: the mock checks before touching memory; these calls are
        // what a hostile guest could pass.
        unsafe {
            assert_eq!(receive_input(core::ptr::null_mut(), 4, 0), Status::BadPointer.code());
            assert_eq!(receive_input([0u8; 1].as_mut_ptr(), -1, 0), Status::BadPointer.code());
            assert_eq!(send_output(core::ptr::null(), 1, 0), Status::BadPointer.code());
            assert_eq!(log(b"x".as_ptr(), 1, 9), Status::InvalidLogLevel.code());
            assert_eq!(report_error([0xffu8].as_ptr(), 1), Status::InvalidUtf8.code());
        }
    }

    #[test]
    fn run_task_reports_errors_and_treats_closed_as_clean() {
        reset(0, 0);
        assert_eq!(run_task_result(Ok(())), 0);
        assert_eq!(run_task_result(Err(Error::InputClosed)), 0);
        assert!(take_errors().is_empty());
        assert_eq!(run_task_result(Err(Error::BufferTooSmall { needed: 70 })), -1);
        let expected = "Task run error: receive buffer too small";
        assert_eq!(take_errors(), vec![String::from(expected)]);
        assert_eq!(take_logs(), vec![(LogLevel::Error, String::from(expected))]);
    }

    #[test]
    fn logs_are_captured() {
        reset(0, 0);
        crate::log("hello", LogLevel::Warn).unwrap();
        crate::report_error("bad").unwrap();
        assert_eq!(take_logs(), vec![(LogLevel::Warn, String::from("hello"))]);
        assert_eq!(take_errors(), vec![String::from("bad")]);
    }
}
