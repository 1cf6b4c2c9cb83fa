//! What each import does: the one implementation of the `connectors`
//! rules that every host calls.
//!
//! The wasmi binding of `wasm-sdk-host`, the native mock of `wasm-sdk` and
//! the firmware all serve the imports through [`Rules`]; each supplies only
//! the guest's memory ([`GuestMemory`]) and its queues and sinks
//! ([`Environment`]). So the argument checks, their order, the status codes,
//! the message size limit and the queue and close semantics cannot differ
//! between the desktop and the device.
//!
//! # Checks, in order
//!
//! Every call checks its arguments in this order and answers with the first
//! failure, so a call with several bad arguments gets the same status on
//! every host:
//!
//! 1. the index or level: [`Status::UnknownInput`], [`Status::UnknownOutput`]
//!    (an index is one of the manifest's `0..count`) or
//!    [`Status::InvalidLogLevel`];
//! 2. the length: negative is [`Status::BadPointer`];
//! 3. the memory range `ptr..ptr + len`: outside the guest's memory is
//!    [`Status::BadPointer`] (the whole buffer a guest offers to `receive`
//!    must be its own, whatever the message's length);
//! 4. the content: a sent message longer than [`Rules::max_message_len`] is
//!    [`Status::MessageTooLarge`]; text that is not UTF-8 is
//!    [`Status::InvalidUtf8`];
//! 5. the queue or sink, through the [`Environment`].
//!
//! # Queue semantics
//!
//! - **Blocking receive.** `receive_input` on an open input with nothing
//!   queued answers [`Reply::Block`]: the host suspends the guest and calls
//!   [`Rules::receive_input`] again with the same arguments once the input
//!   has a message or is closed.
//! - **Nothing is lost.** A queued message longer than the guest's buffer is
//!   not written and stays at the head of its queue; the call returns
//!   [`Status::MessageTooLarge`] and `input_len` tells the size needed.
//! - **Close.** Messages queued before a close are still delivered; then
//!   `receive_input` and `input_len` return [`Status::Closed`].
//! - **Output backpressure.** An output that cannot take a message now
//!   answers [`Status::OutputFull`]; the message was not taken and retrying
//!   is safe.

use crate::{LogLevel, Status};

/// Largest message a guest may send unless a host sets another limit.
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 64 * 1024;

/// The state of one input's queue, as [`Environment::input`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputState<'a> {
    /// The next message, still queued.
    Ready(&'a [u8]),
    /// Nothing queued yet; a guest receiving from it blocks.
    Empty,
    /// Closed by the host and drained; the guest gets `Closed`.
    Closed,
}

/// Why an output did not take a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// No room now; the guest may retry ([`Status::OutputFull`]).
    Full,
    /// Larger than this output accepts ([`Status::MessageTooLarge`]).
    TooLarge,
    /// The output is closed ([`Status::Closed`]).
    Closed,
}

/// Queues and sinks behind the `connectors` imports of one guest: what a
/// host plugs in.
///
/// [`Rules`] calls these only after every argument check passed: indices
/// are within the manifest's counts, messages and texts are the guest's own
/// bytes (copy what you keep), texts are UTF-8.
pub trait Environment {
    /// The head of an input's queue, without taking it.
    fn input(&mut self, input: u8) -> InputState<'_>;

    /// Removes the head message of an input, after the guest received it.
    fn pop_input(&mut self, input: u8);

    /// Takes a message the guest sent.
    ///
    /// # Errors
    ///
    /// [`SendError`] when the output cannot take it; the guest sees the
    /// matching status code.
    fn send_output(&mut self, output: u8, message: &[u8]) -> Result<(), SendError>;

    /// Records a log line of the guest.
    fn log(&mut self, level: LogLevel, message: &str);

    /// Records an error the guest reported.
    fn report_error(&mut self, message: &str);
}

/// A guest's memory as the rules see it: byte ranges addressed by the
/// pointers the guest passes.
///
/// A Wasm host's memory is the guest's linear memory (`[u8]`, pointers are
/// unsigned 32-bit offsets). The native mock of `wasm-sdk` implements it on
/// process memory.
pub trait GuestMemory {
    /// How the guest names an address.
    type Ptr: Copy;

    /// The `len` bytes at `ptr`, if they all belong to the guest.
    fn bytes(&self, ptr: Self::Ptr, len: usize) -> Option<&[u8]>;

    /// The `len` bytes at `ptr` for writing, if they all belong to the guest.
    fn bytes_mut(&mut self, ptr: Self::Ptr, len: usize) -> Option<&mut [u8]>;
}

impl GuestMemory for [u8] {
    /// The `i32` a Wasm guest passes, read as an unsigned offset.
    type Ptr = i32;

    fn bytes(&self, ptr: i32, len: usize) -> Option<&[u8]> {
        self.get(offset_range(ptr, len)?)
    }

    fn bytes_mut(&mut self, ptr: i32, len: usize) -> Option<&mut [u8]> {
        self.get_mut(offset_range(ptr, len)?)
    }
}

/// `ptr..ptr + len` with `ptr` as Wasm's unsigned 32-bit address;
/// `None` if the end overflows.
fn offset_range(ptr: i32, len: usize) -> Option<core::ops::Range<usize>> {
    // The bits of an `i32` address are an unsigned offset (`as` keeps them).
    let start = usize::try_from(ptr as u32).ok()?;
    Some(start..start.checked_add(len)?)
}

/// What a host does with an import call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Reply {
    /// Return this value to the guest.
    Return(i32),
    /// Suspend the guest: it waits in `receive_input` on this input, which
    /// is open and empty. Call [`Rules::receive_input`] again with the same
    /// arguments when the input has a message or is closed.
    Block {
        /// The input index.
        input: u8,
    },
}

/// The `connectors` rules for one guest: its port counts (from its
/// manifest) and the host's message size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Number of inputs; indices `0..inputs` are known.
    pub inputs: usize,
    /// Number of outputs; indices `0..outputs` are known.
    pub outputs: usize,
    /// Largest message the guest may send; longer is `MessageTooLarge`.
    pub max_message_len: usize,
}

impl Rules {
    /// Rules for a guest with these port counts and the default message
    /// size limit, [`DEFAULT_MAX_MESSAGE_LEN`].
    pub const fn new(inputs: usize, outputs: usize) -> Self {
        Rules { inputs, outputs, max_message_len: DEFAULT_MAX_MESSAGE_LEN }
    }

    /// `receive_input(buf, len, input_idx)`: copies the input's next message
    /// to `buf` and returns its length, or blocks, or returns a status.
    pub fn receive_input<M, E>(
        &self,
        memory: &mut M,
        env: &mut E,
        buf: M::Ptr,
        len: i32,
        input_idx: i32,
    ) -> Reply
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        let Some(input) = index(input_idx, self.inputs) else {
            return Reply::Return(Status::UnknownInput.code());
        };
        let Some(buf) = length(len).and_then(|len| memory.bytes_mut(buf, len)) else {
            return Reply::Return(Status::BadPointer.code());
        };
        match env.input(input) {
            InputState::Ready(message) => {
                let Some(dst) = buf.get_mut(..message.len()) else {
                    // Stays queued: nothing lost, the guest asks `input_len`.
                    return Reply::Return(Status::MessageTooLarge.code());
                };
                dst.copy_from_slice(message);
                // `message.len() <= len <= i32::MAX`.
                let written = message.len() as i32;
                env.pop_input(input);
                Reply::Return(written)
            }
            InputState::Closed => Reply::Return(Status::Closed.code()),
            InputState::Empty => Reply::Block { input },
        }
    }

    /// `input_len(input_idx)`: the length of the input's next message,
    /// without taking it and without blocking.
    pub fn input_len<E: Environment + ?Sized>(&self, env: &mut E, input_idx: i32) -> i32 {
        let Some(input) = index(input_idx, self.inputs) else {
            return Status::UnknownInput.code();
        };
        match env.input(input) {
            InputState::Ready(message) => i32::try_from(message.len()).unwrap_or(i32::MAX),
            InputState::Empty => Status::Empty.code(),
            InputState::Closed => Status::Closed.code(),
        }
    }

    /// `send_output(buf, len, output_idx)`: hands a copy of the message to
    /// the output.
    pub fn send_output<M, E>(
        &self,
        memory: &M,
        env: &mut E,
        buf: M::Ptr,
        len: i32,
        output_idx: i32,
    ) -> i32
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        let Some(output) = index(output_idx, self.outputs) else {
            return Status::UnknownOutput.code();
        };
        let Some(message) = length(len).and_then(|len| memory.bytes(buf, len)) else {
            return Status::BadPointer.code();
        };
        if message.len() > self.max_message_len {
            return Status::MessageTooLarge.code();
        }
        match env.send_output(output, message) {
            Ok(()) => 0,
            Err(SendError::Full) => Status::OutputFull.code(),
            Err(SendError::TooLarge) => Status::MessageTooLarge.code(),
            Err(SendError::Closed) => Status::Closed.code(),
        }
    }

    /// `log(ptr, len, level)`: one UTF-8 log line at a [`LogLevel`].
    pub fn log<M, E>(&self, memory: &M, env: &mut E, ptr: M::Ptr, len: i32, level: i32) -> i32
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        let Some(level) = LogLevel::from_code(level) else {
            return Status::InvalidLogLevel.code();
        };
        match text(memory, ptr, len) {
            Ok(message) => {
                env.log(level, message);
                0
            }
            Err(status) => status.code(),
        }
    }

    /// `report_error(ptr, len)`: the guest's UTF-8 error report.
    pub fn report_error<M, E>(&self, memory: &M, env: &mut E, ptr: M::Ptr, len: i32) -> i32
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        match text(memory, ptr, len) {
            Ok(message) => {
                env.report_error(message);
                0
            }
            Err(status) => status.code(),
        }
    }
}

/// The port index `idx` if it is one of `0..count`.
fn index(idx: i32, count: usize) -> Option<u8> {
    u8::try_from(idx).ok().filter(|&i| usize::from(i) < count)
}

/// A guest length; negative is no length.
fn length(len: i32) -> Option<usize> {
    usize::try_from(len).ok()
}

/// The UTF-8 text at `ptr..ptr + len` (checks 2 to 4).
fn text<M: GuestMemory + ?Sized>(memory: &M, ptr: M::Ptr, len: i32) -> Result<&str, Status> {
    let bytes = length(len).and_then(|len| memory.bytes(ptr, len)).ok_or(Status::BadPointer)?;
    core::str::from_utf8(bytes).map_err(|_| Status::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment with one queued message on input 0 and one record of
    /// the last call.
    #[derive(Default)]
    struct OneMessage {
        queued: Option<&'static [u8]>,
        closed: bool,
        taken: usize,
        sent: usize,
        texts: usize,
    }

    impl Environment for OneMessage {
        fn input(&mut self, _input: u8) -> InputState<'_> {
            match (self.queued, self.closed) {
                (Some(message), _) => InputState::Ready(message),
                (None, true) => InputState::Closed,
                (None, false) => InputState::Empty,
            }
        }
        fn pop_input(&mut self, _input: u8) {
            self.queued = None;
            self.taken += 1;
        }
        fn send_output(&mut self, _output: u8, _message: &[u8]) -> Result<(), SendError> {
            self.sent += 1;
            Ok(())
        }
        fn log(&mut self, _level: LogLevel, _message: &str) {
            self.texts += 1;
        }
        fn report_error(&mut self, _message: &str) {
            self.texts += 1;
        }
    }

    const RULES: Rules = Rules { inputs: 1, outputs: 1, max_message_len: 4 };

    #[test]
    fn ranges_are_checked_as_unsigned_offsets() {
        let mem = [0u8; 16];
        let mem = mem.as_slice();
        assert_eq!(mem.bytes(0, 16).map(<[u8]>::len), Some(16));
        assert_eq!(mem.bytes(16, 0).map(<[u8]>::len), Some(0));
        assert!(mem.bytes(8, 9).is_none());
        assert!(mem.bytes(-1, 1).is_none());
        assert!(mem.bytes(17, 0).is_none());
        assert!(mem.bytes(i32::MAX, usize::MAX).is_none());
    }

    #[test]
    fn the_index_is_checked_before_the_pointer() {
        let mut mem = [0u8; 8];
        let mut env = OneMessage::default();
        let unknown = Reply::Return(Status::UnknownInput.code());
        assert_eq!(RULES.receive_input(mem.as_mut_slice(), &mut env, -5, -1, 1), unknown);
        let code = RULES.send_output(mem.as_slice(), &mut env, 100, 1, 7);
        assert_eq!(code, Status::UnknownOutput.code());
        let code = RULES.log(mem.as_slice(), &mut env, 100, -1, 9);
        assert_eq!(code, Status::InvalidLogLevel.code());
    }

    #[test]
    fn an_oversized_message_stays_queued() {
        let mut mem = [0u8; 8];
        let mut env = OneMessage { queued: Some(b"hello"), ..OneMessage::default() };
        let reply = RULES.receive_input(mem.as_mut_slice(), &mut env, 0, 4, 0);
        assert_eq!(reply, Reply::Return(Status::MessageTooLarge.code()));
        assert_eq!((env.taken, mem), (0, [0; 8]), "nothing written, nothing taken");
        assert_eq!(RULES.input_len(&mut env, 0), 5);
        let reply = RULES.receive_input(mem.as_mut_slice(), &mut env, 2, 6, 0);
        assert_eq!(reply, Reply::Return(5));
        assert_eq!(&mem[2..7], b"hello");
        assert_eq!(
            RULES.receive_input(mem.as_mut_slice(), &mut env, 0, 8, 0),
            Reply::Block { input: 0 }
        );
        env.closed = true;
        let closed = Reply::Return(Status::Closed.code());
        assert_eq!(RULES.receive_input(mem.as_mut_slice(), &mut env, 0, 8, 0), closed);
        assert_eq!(RULES.input_len(&mut env, 0), Status::Closed.code());
    }

    #[test]
    fn sends_over_the_limit_and_bad_text_are_refused() {
        let mut mem = *b"abcde\xff\0\0";
        let mut env = OneMessage::default();
        let too_large = Status::MessageTooLarge.code();
        assert_eq!(RULES.send_output(mem.as_slice(), &mut env, 0, 5, 0), too_large);
        assert_eq!(RULES.send_output(mem.as_slice(), &mut env, 0, 4, 0), 0);
        let invalid = Status::InvalidUtf8.code();
        assert_eq!(RULES.report_error(mem.as_slice(), &mut env, 0, 6), invalid);
        assert_eq!(RULES.log(mem.as_slice(), &mut env, 0, 5, 2), 0);
        assert_eq!(RULES.log(mem.as_mut_slice(), &mut env, 0, 9, 2), Status::BadPointer.code());
        assert_eq!((env.sent, env.texts), (1, 1));
    }
}
