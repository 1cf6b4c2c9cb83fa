//! The in-process mock host that serves the imports off wasm32.
//!
//! Each thread has its own host, so `cargo test` runs tests in parallel
//! without them seeing each other's messages. It follows the ABI's rules and
//! status codes: an oversized message stays queued (`BufferTooSmall`, then
//! `input_len` tells the size), a closed and drained input is `Closed`,
//! unknown indices are `UnknownInput` / `UnknownOutput`, `input_len` on an
//! open, empty input is `Empty`.
//!
//! One difference a single thread forces: it cannot block. A `receive` on an
//! open input with nothing queued returns `Closed` (so the guest's `run`
//! loop returns, as it does when scripted inputs are used up) and records
//! that the guest *would have blocked* there; [`run`] reports that as
//! [`Outcome::Blocked`], the same status the wasm test host gives.
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
//! assert_eq!(native::take_blocked(), Some(0));
//! ```
//!
//! `#[task_run]` also generates a [`Task`] constant, `TASK`, off wasm32, so
//! a test can run the whole module: [`Task::reset`], queue inputs, [`run`].

use crate::abi::{LogLevel, Status};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::string::String;
use std::vec::Vec;

#[derive(Default)]
struct Host {
    /// `None` accepts any index; `Some(n)` makes indices `>= n` unknown.
    inputs: Option<usize>,
    outputs: Option<usize>,
    queues: Vec<VecDeque<Vec<u8>>>,
    closed: Vec<bool>,
    /// The first input a `receive` would have blocked on.
    blocked: Option<u8>,
    sent: Vec<(u8, Vec<u8>)>,
    logs: Vec<(LogLevel, String)>,
    errors: Vec<String>,
}

impl Host {
    fn slot(&mut self, input: u8) -> usize {
        let idx = usize::from(input);
        if self.queues.len() <= idx {
            self.queues.resize_with(idx + 1, VecDeque::new);
            self.closed.resize(idx + 1, false);
        }
        idx
    }

    fn is_closed(&self, idx: usize) -> bool {
        self.closed.get(idx).copied().unwrap_or(false)
    }
}

std::thread_local! {
    static HOST: RefCell<Host> = RefCell::new(Host::default());
    /// Whether [`run`] is running a task on this thread.
    static IN_RUN: Cell<bool> = const { Cell::new(false) };
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
        let idx = h.slot(input);
        h.queues[idx].push_back(message.to_vec());
    });
}

/// Closes an input: queued messages are still delivered, then `receive`
/// returns `Closed` without counting as a would-block.
pub fn close_input(input: u8) {
    with_host(|h| {
        let idx = h.slot(input);
        h.closed[idx] = true;
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

/// Takes the input a `receive` would have blocked on (open and empty), if
/// any since the last reset or take.
pub fn take_blocked() -> Option<u8> {
    with_host(|h| h.blocked.take())
}

/// A `#[task_run]` module as native code: its ports and entry point.
/// The macro generates one as `TASK` off wasm32.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    /// Input names, index order.
    pub inputs: &'static [&'static str],
    /// Output names, index order.
    pub outputs: &'static [&'static str],
    /// The generated `run_task` (a plain Rust function off wasm32, so a
    /// panic unwinds to [`run`] instead of aborting at an `extern "C"` edge).
    pub run_task: fn() -> i32,
}

impl Task {
    /// [`reset`]s this thread's host for this task's ports.
    pub fn reset(&self) {
        reset(self.inputs.len(), self.outputs.len());
    }

    /// The index of the input `name`.
    pub fn input(&self, name: &str) -> Option<u8> {
        self.inputs.iter().position(|n| *n == name).and_then(|i| u8::try_from(i).ok())
    }

    /// The index of the output `name`.
    pub fn output(&self, name: &str) -> Option<u8> {
        self.outputs.iter().position(|n| *n == name).and_then(|i| u8::try_from(i).ok())
    }
}

/// How a native [`run`] ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `run_task` returned this exit code.
    Finished(i32),
    /// The guest would have blocked on this input (open, nothing queued);
    /// on a real host it would be waiting there now.
    Blocked(u8),
    /// The guest panicked; like the wasm panic handler, the panic was
    /// reported as `panicked at <file>:<line>:<col>` through `report_error`
    /// and `log`. On wasm the guest then traps.
    Panicked,
}

/// Runs a task's `run_task` on this thread's host, with the inputs queued
/// so far, and says how it ended. Panics are caught and reported the way
/// the SDK's wasm panic handler reports them.
pub fn run(task: &Task) -> Outcome {
    install_panic_reporter();
    IN_RUN.with(|f| f.set(true));
    let result = std::panic::catch_unwind(|| (task.run_task)());
    IN_RUN.with(|f| f.set(false));
    match (result, take_blocked()) {
        (Err(_), _) => Outcome::Panicked,
        (Ok(_), Some(input)) => Outcome::Blocked(input),
        (Ok(code), None) => Outcome::Finished(code),
    }
}

/// A panic hook that, on threads inside [`run`], reports like the wasm
/// handler (and stays quiet); elsewhere it defers to the previous hook.
fn install_panic_reporter() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(std::boxed::Box::new(move |info| {
            if !IN_RUN.with(Cell::get) {
                return previous(info);
            }
            let text = match info.location() {
                Some(at) => std::format!("panicked at {}:{}:{}", at.file(), at.line(), at.column()),
                None => String::from("panicked at an unknown location"),
            };
            // `try_borrow_mut`: a panic inside the mock itself must not
            // panic again here.
            HOST.with(|host| {
                if let Ok(mut h) = host.try_borrow_mut() {
                    h.errors.push(text.clone());
                    h.logs.push((LogLevel::Error, text));
                }
            });
        }));
    });
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
        let closed = h.is_closed(idx);
        let Some(message) = h.queues.get(idx).and_then(VecDeque::front) else {
            if !closed {
                // A real host would suspend the guest here; this thread
                // cannot, so the guest sees a closed input and stops.
                h.blocked.get_or_insert(idx as u8);
            }
            return Status::Closed.code();
        };
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
        h.queues[idx].pop_front();
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
            None if h.is_closed(idx) => Status::Closed.code(),
            None => Status::Empty.code(),
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
        assert_eq!(input_len(0), Err(Error::Empty), "open and empty");
        assert_eq!(receive(&mut big, 0), Err(Error::InputClosed));
        assert_eq!(take_blocked(), Some(0), "would have blocked");
    }

    #[test]
    fn closed_inputs_drain_then_close() {
        reset(2, 0);
        push_input(1, &[9]);
        close_input(1);
        let mut buf = [0u8; 4];
        assert_eq!(input_len(1), Ok(1));
        assert_eq!(receive(&mut buf, 1), Ok(1));
        assert_eq!(input_len(1), Err(Error::InputClosed));
        assert_eq!(receive(&mut buf, 1), Err(Error::InputClosed));
        assert_eq!(take_blocked(), None, "a closed input is not a would-block");
    }

    fn panicking_task() -> i32 {
        let v: std::vec::Vec<u8> = std::vec::Vec::new();
        i32::from(v[std::hint::black_box(3)])
    }

    #[test]
    fn run_reports_panics_like_the_wasm_handler() {
        let task = Task { inputs: &[], outputs: &[], run_task: panicking_task };
        task.reset();
        assert_eq!(run(&task), Outcome::Panicked);
        let errors = take_errors();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("panicked at wasm-sdk/src/native.rs:"), "{}", errors[0]);
        assert_eq!(take_logs(), vec![(LogLevel::Error, errors[0].clone())]);
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
