//! The in-process mock host that serves the imports on hosted targets
//! (Linux, macOS, Windows): `cargo test` of a guest crate, without wasm.
//!
//! Each thread has its own host, so `cargo test` runs tests in parallel
//! without them seeing each other's messages. Every import is served by
//! [`abi::rules::Rules`](crate::abi::rules::Rules), the same implementation
//! the wasm host runs, on the same queues
//! ([`abi::queue::QueueEnv`](crate::abi::queue::QueueEnv)) as the test host:
//! the same argument checks in the same order, the same status codes and
//! message size limit ([`set_max_message_len`]), the same close semantics.
//!
//! One difference a single thread forces: it cannot suspend. A `receive` on
//! an open input with nothing queued returns `Closed` (so the guest's `run`
//! loop returns, as it does when scripted inputs are used up) and records
//! that the guest *would have blocked* there; [`run`] reports that as
//! [`Step::Blocked`], the same status the wasm host gives. A `wait_input`
//! on inputs all open and empty does the same: `Closed`, recorded
//! ([`take_waiting`]), reported as [`Step::Waiting`]. Outputs are
//! unbounded here, so a send never waits for room, and a run is one step
//! without a per-step share of the text budget (per-text and total limits
//! apply as on every host).
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
//! `#[task_run]` also generates a [`Task`] constant, `TASK`, on hosted
//! targets, so a test can run the whole module: [`Task::reset`], queue
//! inputs, [`run`].
//!
//! [`raw`] serves the imports on an explicit linear memory, for tests that
//! compare this mock with a Wasm host call by call.

use crate::abi::LogLevel;
use crate::abi::manifest::{PortKind, TypeDecl};
use crate::abi::queue::QueueEnv;
use crate::abi::rules::{GuestMemory, InputSet, Reply, Rules, TextUsage, WaitCursor};
use crate::abi::schema::{ChannelType, Mismatch, PortType, check_channels};
use std::cell::{Cell, RefCell};
use std::string::String;
use std::vec::Vec;

pub use crate::abi::rules::DEFAULT_MAX_MESSAGE_LEN;
pub use crate::abi::run::{Step, Trap};

struct Host {
    rules: Rules,
    env: QueueEnv,
    text: TextUsage,
    /// Where the next `wait_input` starts looking.
    wait: WaitCursor,
    /// The first input a `receive` would have blocked on, if the guest
    /// would have suspended there first.
    blocked: Option<u8>,
    /// The inputs of the first `wait_input` that would have waited, if the
    /// guest would have suspended there first.
    waiting: Option<InputSet>,
}

impl Host {
    /// Before any [`reset`], every index a manifest can name is known.
    const fn new(inputs: usize, outputs: usize) -> Self {
        let mut rules = Rules::new(inputs, outputs);
        // A native run cannot be suspended until a next step.
        rules.text.per_step = usize::MAX;
        Host {
            rules,
            env: QueueEnv::new(),
            text: TextUsage { step: 0, total: 0, refused: 0 },
            wait: WaitCursor { last: None },
            blocked: None,
            waiting: None,
        }
    }

    /// Whether the guest already would have suspended in this run: only
    /// the first place counts, where a wasm host would have stopped it.
    fn suspended(&self) -> bool {
        self.blocked.is_some() || self.waiting.is_some()
    }
}

std::thread_local! {
    static HOST: RefCell<Host> = const {
        RefCell::new(Host::new(crate::abi::manifest::MAX_PORTS, crate::abi::manifest::MAX_PORTS))
    };
    /// Whether [`run`] is running a task on this thread.
    static IN_RUN: Cell<bool> = const { Cell::new(false) };
}

fn with_host<R>(f: impl FnOnce(&mut Host) -> R) -> R {
    HOST.with(|host| f(&mut host.borrow_mut()))
}

/// Clears this thread's host and declares the module's input and output
/// counts; indices past them are unknown. The message size limit goes back
/// to [`DEFAULT_MAX_MESSAGE_LEN`].
pub fn reset(inputs: usize, outputs: usize) {
    with_host(|h| *h = Host::new(inputs, outputs));
}

/// Sets the largest message the guest may send (as a host's
/// `max_message_len`); longer ones get `MessageTooLarge`.
pub fn set_max_message_len(len: usize) {
    with_host(|h| h.rules.max_message_len = len);
}

/// Queues a message on an input of this thread's host.
pub fn push_input(input: u8, message: &[u8]) {
    with_host(|h| h.env.push(input, message.to_vec()));
}

/// Closes an input: queued messages are still delivered, then `receive`
/// returns `Closed` without counting as a would-block.
pub fn close_input(input: u8) {
    with_host(|h| h.env.close(input));
}

/// Messages still queued on an input.
pub fn queued(input: u8) -> usize {
    with_host(|h| h.env.queued(input))
}

/// Takes the messages sent so far, as `(output index, bytes)` in order.
pub fn take_outputs() -> Vec<(u8, Vec<u8>)> {
    with_host(|h| core::mem::take(&mut h.env.sent))
}

/// Takes the log records so far.
pub fn take_logs() -> Vec<(LogLevel, String)> {
    with_host(|h| core::mem::take(&mut h.env.logs))
}

/// Takes the reported errors so far.
pub fn take_errors() -> Vec<String> {
    with_host(|h| core::mem::take(&mut h.env.errors))
}

/// Takes the input a `receive` would have blocked on (open and empty), if
/// any since the last reset or take, and the guest would have suspended
/// there before any `wait_input` did.
pub fn take_blocked() -> Option<u8> {
    with_host(|h| h.blocked.take())
}

/// Takes the inputs a `wait_input` would have waited on (all open and
/// empty), if any since the last reset or take, and the guest would have
/// suspended there before any `receive` did.
pub fn take_waiting() -> Option<InputSet> {
    with_host(|h| h.waiting.take())
}

/// Queues a typed message on a typed input, encoded as the module's
/// typed `receive` decodes it.
///
/// # Panics
///
/// If `message` does not encode (a serde impl that fails): a test bug.
pub fn push<T: serde::Serialize, const N: usize>(input: crate::InputPort<T, N>, message: &T) {
    let mut buffer = std::vec![0u8; DEFAULT_MAX_MESSAGE_LEN];
    let n = crate::serialize_into(message, &mut buffer).expect("the message encodes with postcard");
    push_input(input.index(), &buffer[..n]);
}

/// Takes the messages sent so far on one typed output, decoded; the other
/// outputs' messages stay queued for [`take_outputs`].
///
/// # Errors
///
/// A message on that output that does not decode as `T`.
pub fn take<T: serde::de::DeserializeOwned, const N: usize>(
    output: crate::OutputPort<T, N>,
) -> crate::Result<Vec<T>> {
    let index = output.index();
    let mine: Vec<(u8, Vec<u8>)> = with_host(|h| {
        let (mine, others) =
            core::mem::take(&mut h.env.sent).into_iter().partition(|(port, _)| *port == index);
        h.env.sent = others;
        mine
    });
    mine.iter().map(|(_, bytes)| crate::from_payload(bytes)).collect()
}

/// A `#[task_run]` module as native code: its ports and entry point.
/// The macro generates one as `TASK` on hosted targets.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    /// Input names, index order.
    pub inputs: &'static [&'static str],
    /// Output names, index order.
    pub outputs: &'static [&'static str],
    /// Each input's message type, index order (`None`: untyped).
    pub input_types: &'static [Option<TypeDecl>],
    /// Each output's message type, index order (`None`: untyped).
    pub output_types: &'static [Option<TypeDecl>],
    /// The generated `run_task` (a plain Rust function here, so a panic
    /// unwinds to [`run`] instead of aborting at an `extern "C"` edge).
    pub run_task: fn() -> i32,
}

impl Task {
    /// [`reset`]s this thread's host for this task's ports.
    pub fn reset(&self) {
        reset(self.inputs.len(), self.outputs.len());
    }

    /// The index of the input `name`.
    pub fn input(&self, name: &str) -> Option<u8> {
        crate::abi::manifest::position(self.inputs, name)
    }

    /// The index of the output `name`.
    pub fn output(&self, name: &str) -> Option<u8> {
        crate::abi::manifest::position(self.outputs, name)
    }

    /// The message type of port `name` of `kind` (`None`: untyped, or no
    /// such port).
    pub fn type_of(&self, kind: PortKind, name: &str) -> Option<PortType> {
        let (names, types) = match kind {
            PortKind::Input => (self.inputs, self.input_types),
            PortKind::Output => (self.outputs, self.output_types),
        };
        let index = crate::abi::manifest::position(names, name)?;
        Some(types.get(usize::from(index))?.as_ref()?.port_type())
    }

    /// Checks the channels a test declares against this task's port types,
    /// with the rule every host applies at load
    /// ([`check_channels`]).
    ///
    /// # Errors
    ///
    /// The first channel whose type differs from the port's.
    pub fn check_channels<'a>(&self, declared: &[ChannelType<'a>]) -> Result<(), Mismatch<'a>> {
        check_channels(declared, |kind, port| self.type_of(kind, port).map(|t| (t.key, t.name)))
    }
}

/// What a native run reports when the task panicked, in place of the
/// wasm runtime's trap text.
pub const PANIC_TRAP: &str = "panicked";

/// Runs a task's `run_task` on this thread's host, with the inputs queued
/// so far, and says how it ended, in the wasm host's terms:
/// [`Step::Finished`], [`Step::Blocked`] or [`Step::Waiting`] (it would be
/// waiting there now), or [`Step::Trapped`] for a panic ([`PANIC_TRAP`]). The panic is reported
/// first, as `panicked at <file>:<line>:<col>` through `report_error` and
/// `log`, like the SDK's wasm panic handler does before it traps.
pub fn run(task: &Task) -> Step {
    install_panic_reporter();
    IN_RUN.with(|f| f.set(true));
    let result = std::panic::catch_unwind(|| (task.run_task)());
    IN_RUN.with(|f| f.set(false));
    match (result, take_blocked(), take_waiting()) {
        (Err(_), _, _) => Step::Trapped(Trap::new(PANIC_TRAP)),
        (Ok(_), Some(input), _) => Step::Blocked { input },
        (Ok(_), None, Some(inputs)) => Step::Waiting { inputs },
        (Ok(exit_code), None, None) => Step::Finished { exit_code },
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
                    h.env.errors.push(text.clone());
                    h.env.logs.push((LogLevel::Error, text));
                }
            });
        }));
    });
}

/// This process's memory, as the rules see a native guest's pointers: a
/// null pointer owns no bytes, any other pointer the bytes the SDK's safe
/// wrappers passed with it.
struct ProcessMemory(());

impl ProcessMemory {
    /// # Safety
    ///
    /// Every non-null pointer given to this memory with a length must be
    /// valid for that many reads, and for writes through `bytes_mut`, for
    /// as long as the returned slice lives. The SDK's wrappers pass the
    /// pointer and length of a slice they borrow for the call.
    unsafe fn new() -> Self {
        ProcessMemory(())
    }
}

impl GuestMemory for ProcessMemory {
    type Ptr = *mut u8;

    fn bytes(&self, ptr: *mut u8, len: usize) -> Option<&[u8]> {
        match (ptr.is_null(), len) {
            (_, 0) => Some(&[]),
            (true, _) => None,
            // SAFETY: non-null and valid for `len` reads per `new`'s contract.
            (false, _) => Some(unsafe { core::slice::from_raw_parts(ptr, len) }),
        }
    }

    fn bytes_mut(&mut self, ptr: *mut u8, len: usize) -> Option<&mut [u8]> {
        match (ptr.is_null(), len) {
            (_, 0) => Some(&mut []),
            (true, _) => None,
            // SAFETY: non-null and valid for `len` writes per `new`'s
            // contract; the guest's buffer cannot alias the host's queues.
            (false, _) => Some(unsafe { core::slice::from_raw_parts_mut(ptr, len) }),
        }
    }
}

/// Mock of the `receive_input` import. A would-block is recorded and
/// answered `Closed` (a thread cannot suspend).
///
/// # Safety
///
/// A non-null `buf` must be valid for `len` writes.
pub(crate) unsafe fn receive_input(buf: *mut u8, len: i32, input_idx: i32) -> i32 {
    // SAFETY: forwarded from the caller.
    let mut mem = unsafe { ProcessMemory::new() };
    with_host(|h| match h.rules.receive_input(&mut mem, &mut h.env, buf, len, input_idx) {
        Reply::Return(code) => code,
        Reply::Block { input } => {
            if !h.suspended() {
                h.blocked = Some(input);
            }
            crate::abi::Status::Closed.code()
        }
        other => code(other),
    })
}

/// Mock of the `wait_input` import. A would-wait is recorded and answered
/// `Closed` (a thread cannot suspend).
///
/// # Safety
///
/// A non-null `list` must be valid for `len` reads.
pub(crate) unsafe fn wait_input(list: *const u8, len: i32) -> i32 {
    // SAFETY: forwarded from the caller; `wait_input` only reads.
    let mem = unsafe { ProcessMemory::new() };
    with_host(|h| match h.rules.wait_input(&mem, &mut h.env, &mut h.wait, list.cast_mut(), len) {
        Reply::Wait { inputs } => {
            if !h.suspended() {
                h.waiting = Some(inputs);
            }
            crate::abi::Status::Closed.code()
        }
        other => code(other),
    })
}

/// Mock of the `input_len` import.
///
/// # Safety
///
/// None needed; `unsafe` to match the import.
pub(crate) unsafe fn input_len(input_idx: i32) -> i32 {
    with_host(|h| h.rules.input_len(&mut h.env, input_idx))
}

/// Mock of the `send_output` import.
///
/// # Safety
///
/// A non-null `buf` must be valid for `len` reads.
pub(crate) unsafe fn send_output(buf: *const u8, len: i32, output_idx: i32) -> i32 {
    // SAFETY: forwarded from the caller; `send_output` only reads.
    let mem = unsafe { ProcessMemory::new() };
    with_host(|h| code(h.rules.send_output(&mem, &mut h.env, buf.cast_mut(), len, output_idx)))
}

/// The return value of a call that cannot suspend here: outputs are
/// unbounded and a run has no per-step text share, so it never waits.
fn code(reply: Reply) -> i32 {
    match reply {
        Reply::Return(code) => code,
        Reply::Block { .. } | Reply::Wait { .. } | Reply::Throttle => {
            crate::abi::Status::Closed.code()
        }
        Reply::Full { .. } => crate::abi::Status::OutputFull.code(),
    }
}

/// Mock of the `log` import.
///
/// # Safety
///
/// A non-null `ptr` must be valid for `len` reads.
pub(crate) unsafe fn log(ptr: *const u8, len: i32, level: i32) -> i32 {
    // SAFETY: forwarded from the caller; `log` only reads.
    let mem = unsafe { ProcessMemory::new() };
    with_host(|h| code(h.rules.log(&mem, &mut h.env, &mut h.text, ptr.cast_mut(), len, level)))
}

/// Mock of the `report_error` import.
///
/// # Safety
///
/// A non-null `ptr` must be valid for `len` reads.
pub(crate) unsafe fn report_error(ptr: *const u8, len: i32) -> i32 {
    // SAFETY: forwarded from the caller; `report_error` only reads.
    let mem = unsafe { ProcessMemory::new() };
    with_host(|h| code(h.rules.report_error(&mem, &mut h.env, &mut h.text, ptr.cast_mut(), len)))
}

pub mod raw {
    //! The imports of this thread's mock on an explicit linear memory, with
    //! Wasm's `i32` pointers: what a Wasm guest would see, call by call.
    //!
    //! For tests that compare the mock with a Wasm host (the workspace's
    //! differential test feeds both the same random raw calls). Unlike the
    //! guest-facing mock, a would-block is returned as [`Reply::Block`]
    //! (a would-wait as [`Reply::Wait`]) rather than answered `Closed`.

    use super::with_host;
    pub use crate::abi::rules::Reply;

    /// `receive_input(buf, len, input_idx)` on `memory`.
    pub fn receive_input(memory: &mut [u8], buf: i32, len: i32, input_idx: i32) -> Reply {
        with_host(|h| h.rules.receive_input(memory, &mut h.env, buf, len, input_idx))
    }

    /// `wait_input(list, len)` on `memory`.
    pub fn wait_input(memory: &[u8], list: i32, len: i32) -> Reply {
        with_host(|h| h.rules.wait_input(memory, &mut h.env, &mut h.wait, list, len))
    }

    /// `input_len(input_idx)`.
    pub fn input_len(input_idx: i32) -> i32 {
        with_host(|h| h.rules.input_len(&mut h.env, input_idx))
    }

    /// `send_output(buf, len, output_idx)` on `memory`.
    pub fn send_output(memory: &[u8], buf: i32, len: i32, output_idx: i32) -> Reply {
        with_host(|h| h.rules.send_output(memory, &mut h.env, buf, len, output_idx))
    }

    /// `log(ptr, len, level)` on `memory`.
    pub fn log(memory: &[u8], ptr: i32, len: i32, level: i32) -> Reply {
        with_host(|h| h.rules.log(memory, &mut h.env, &mut h.text, ptr, len, level))
    }

    /// `report_error(ptr, len)` on `memory`.
    pub fn report_error(memory: &[u8], ptr: i32, len: i32) -> Reply {
        with_host(|h| h.rules.report_error(memory, &mut h.env, &mut h.text, ptr, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::Status;
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
        let task = Task {
            inputs: &[],
            outputs: &[],
            input_types: &[],
            output_types: &[],
            run_task: panicking_task,
        };
        task.reset();
        assert_eq!(run(&task), Step::Trapped(Trap::new(PANIC_TRAP)));
        let errors = take_errors();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("panicked at crates/wasm-sdk/src/native.rs:"),
            "{}",
            errors[0]
        );
        assert_eq!(take_logs(), vec![(LogLevel::Error, errors[0].clone())]);
    }

    #[test]
    fn wait_answers_in_turns_and_records_a_would_wait() {
        use crate::{InputIdx, wait_input};
        reset(3, 0);
        let (a, b, c) = (InputIdx(0), InputIdx(1), InputIdx(2));
        for _ in 0..3 {
            push_input(0, &[0]);
        }
        push_input(2, &[2]);
        let mut buf = [0u8; 1];
        let mut order = vec![];
        for _ in 0..4 {
            let ready = wait_input(&[a, b, c]).unwrap();
            assert_eq!(receive(&mut buf, ready), Ok(1));
            order.push(buf[0]);
        }
        assert_eq!(order, [0, 2, 0, 0], "input 2 gets its turn despite input 0's queue");
        assert_eq!(take_waiting(), None);
        assert_eq!(wait_input(&[]), Err(Error::UnknownInput));
        assert_eq!(wait_input(&[a, InputIdx(3)]), Err(Error::UnknownInput));
        // Open and empty: `Closed` here, recorded as the wasm host's wait.
        assert_eq!(wait_input(&[c, b]), Err(Error::InputClosed));
        assert_eq!(receive(&mut buf, a), Err(Error::InputClosed), "not the first suspension");
        assert_eq!(take_blocked(), None);
        assert_eq!(take_waiting(), Some([1, 2].into_iter().collect()));
        // A closed input is answered, so the guest learns of the close.
        close_input(1);
        assert_eq!(wait_input(&[c, b]), Ok(b));
        assert_eq!(take_waiting(), None);
    }

    fn waiting_task() -> i32 {
        use crate::{InputIdx, wait_input};
        let mut buf = [0u8; 4];
        loop {
            let ready = match wait_input(&[InputIdx(1), InputIdx(0)]) {
                Ok(ready) => ready,
                Err(_) => return 0,
            };
            match receive(&mut buf, ready) {
                Ok(n) => send(&buf[..n], 0).unwrap(),
                Err(_) => return 0,
            }
        }
    }

    #[test]
    fn run_reports_a_would_wait_as_waiting() {
        let task = Task {
            inputs: &["a", "b"],
            outputs: &["out"],
            input_types: &[None, None],
            output_types: &[None],
            run_task: waiting_task,
        };
        task.reset();
        push_input(0, &[7]);
        assert_eq!(run(&task), Step::Waiting { inputs: [0, 1].into_iter().collect() });
        assert_eq!(take_outputs(), vec![(0, vec![7])]);
        close_input(0);
        close_input(1);
        assert_eq!(run(&task), Step::Finished { exit_code: 0 });
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
            // The rules' order: the index before the pointer.
            assert_eq!(receive_input(core::ptr::null_mut(), 4, 7), Status::UnknownInput.code());
        }
    }

    #[test]
    fn the_message_size_limit_applies() {
        reset(0, 1);
        set_max_message_len(2);
        assert_eq!(send(&[1, 2, 3], 0), Err(Error::MessageTooLarge));
        assert_eq!(send(&[1, 2], 0), Ok(()));
        assert_eq!(take_outputs(), vec![(0, vec![1, 2])]);
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
