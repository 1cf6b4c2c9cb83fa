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
//! 4. the content: a sent message longer than [`Rules::max_message_len`],
//!    or a text longer than [`TextBudget::max_len`], is
//!    [`Status::MessageTooLarge`]; text that is not UTF-8 is
//!    [`Status::InvalidUtf8`];
//! 5. the budgets of texts ([`TextBudget`]): past the guest's total,
//!    [`Status::Closed`] (the host's log is closed to it); past this
//!    step's share, [`Reply::Throttle`];
//! 6. the queue or sink, through the [`Environment`].
//!
//! `wait_input` takes its indices from guest memory, so it reads them
//! first: a negative length or a list outside memory is
//! [`Status::BadPointer`], then an empty list or an index that is not one
//! of the inputs is [`Status::UnknownInput`], then the queues.
//!
//! # Queue semantics
//!
//! - **Blocking receive.** `receive_input` on an open input with nothing
//!   queued answers [`Reply::Block`]: the host suspends the guest and calls
//!   [`Rules::receive_input`] again with the same arguments once the input
//!   has a message or is closed.
//! - **Waiting on several inputs.** `wait_input` answers the index of a
//!   listed input whose `receive_input` would not block: it has a message
//!   queued, or it is closed and drained (the guest's `receive` then gets
//!   [`Status::Closed`], which is how it learns of the close). Among those,
//!   the first in list order after the input the guest's previous
//!   `wait_input` answered ([`WaitCursor`]), so an input that is never
//!   empty cannot starve the others. When every listed input is open and
//!   empty it answers [`Reply::Wait`]: the host suspends the guest and
//!   calls [`Rules::wait_input`] again with the same arguments once one of
//!   them has a message or is closed.
//! - **Nothing is lost.** A queued message longer than the guest's buffer is
//!   not written and stays at the head of its queue; the call returns
//!   [`Status::MessageTooLarge`] and `input_len` tells the size needed.
//! - **Close.** Messages queued before a close are still delivered; then
//!   `receive_input` and `input_len` return [`Status::Closed`].
//! - **Output backpressure.** `send_output` to an output that cannot take
//!   the message now answers [`Reply::Full`]: the host suspends the guest,
//!   as it does on an empty input, and calls [`Rules::send_output`] again
//!   with the same arguments once the output has room. Nothing is dropped
//!   and a waiting guest burns no fuel. ([`Status::OutputFull`] remains in
//!   the ABI for hosts that cannot suspend a guest.)
//! - **Text budgets.** Logs and error reports are bounded per call, per
//!   step and in total ([`TextBudget`], counted in a [`TextUsage`]): a
//!   guest flooding its log cannot make one step take unbounded time, nor
//!   make a host that keeps texts keep unbounded memory.

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
    /// Suspend the guest: it waits in `wait_input` on these inputs, which
    /// are all open and empty. Call [`Rules::wait_input`] again with the
    /// same arguments when one of them has a message or is closed.
    Wait {
        /// The inputs listed.
        inputs: InputSet,
    },
    /// Suspend the guest: it waits in `send_output` for room on this
    /// output. Call [`Rules::send_output`] again with the same arguments
    /// when the output has room (or is closed).
    Full {
        /// The output index.
        output: u8,
    },
    /// Suspend the guest until its next step: this text would take the
    /// step past [`TextBudget::per_step`]. Call the same import again with
    /// the same arguments after [`TextUsage::next_step`].
    Throttle,
}

/// A set of input indices: every index a manifest can name (`0..=255`),
/// one bit each, so it is `Copy` and allocates nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InputSet {
    bits: [u64; 4],
}

impl InputSet {
    /// No inputs.
    pub const EMPTY: InputSet = InputSet { bits: [0; 4] };

    /// Adds an input.
    pub const fn insert(&mut self, input: u8) {
        self.bits[(input >> 6) as usize] |= 1 << (input & 63);
    }

    /// Whether an input is in the set.
    pub const fn contains(&self, input: u8) -> bool {
        self.bits[(input >> 6) as usize] & (1 << (input & 63)) != 0
    }

    /// How many inputs are in the set.
    pub const fn len(&self) -> usize {
        let [a, b, c, d] = self.bits;
        (a.count_ones() + b.count_ones() + c.count_ones() + d.count_ones()) as usize
    }

    /// Whether the set has no inputs.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The inputs in the set, in index order.
    pub const fn iter(&self) -> InputSetIter {
        InputSetIter { set: *self }
    }
}

impl FromIterator<u8> for InputSet {
    fn from_iter<I: IntoIterator<Item = u8>>(inputs: I) -> Self {
        let mut set = InputSet::EMPTY;
        for input in inputs {
            set.insert(input);
        }
        set
    }
}

impl IntoIterator for InputSet {
    type Item = u8;
    type IntoIter = InputSetIter;

    fn into_iter(self) -> InputSetIter {
        self.iter()
    }
}

/// The inputs of an [`InputSet`], in index order.
#[derive(Clone, Copy, Debug)]
pub struct InputSetIter {
    /// What is left to yield.
    set: InputSet,
}

impl Iterator for InputSetIter {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        // Only set bits are visited, so a firmware polling the channels of
        // a set pays per input waited on, not per index a set can hold.
        let (word, bits) = self.set.bits.iter_mut().enumerate().find(|(_, bits)| **bits != 0)?;
        let bit = bits.trailing_zeros();
        *bits &= *bits - 1;
        // `word < 4` and `bit < 64`: the index fits `u8`.
        Some((word as u32 * 64 + bit) as u8)
    }
}

/// Where a guest's next `wait_input` starts looking: after the input its
/// previous one answered. The host keeps one per guest, as it keeps a
/// [`TextUsage`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitCursor {
    /// The input the last `wait_input` answered; `None` before the first.
    pub last: Option<u8>,
}

/// How many text bytes (`log` and `report_error` together) a guest may
/// pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextBudget {
    /// Longest single text; longer is [`Status::MessageTooLarge`].
    pub max_len: usize,
    /// Text bytes per step: a text that would exceed it waits for the next
    /// step ([`Reply::Throttle`]). The first text of a step always passes,
    /// so a guest always progresses.
    pub per_step: usize,
    /// Text bytes over the guest's life; past it, `log` and `report_error`
    /// answer [`Status::Closed`] and the text is not passed on. `None`:
    /// unlimited (a host whose sink streams texts out and keeps none).
    pub total: Option<u64>,
}

impl TextBudget {
    /// 1 KiB per text, 4 KiB per step, no total: what the SDK's panic
    /// report and formatted errors need, a few lines per step.
    pub const DEFAULT: TextBudget = TextBudget { max_len: 1024, per_step: 4096, total: None };
}

/// The text bytes one guest has passed, checked against its
/// [`TextBudget`]. The host keeps one per guest and calls
/// [`next_step`](Self::next_step) when it steps the guest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextUsage {
    /// Bytes passed in this step.
    pub step: usize,
    /// Bytes passed over the guest's life.
    pub total: u64,
    /// Texts refused because the total was used up.
    pub refused: u32,
}

impl TextUsage {
    /// A new step begins: its share of the budget is unused.
    pub fn next_step(&mut self) {
        self.step = 0;
    }
}

/// The `connectors` rules for one guest: its port counts (from its
/// manifest) and the host's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Number of inputs; indices `0..inputs` are known.
    pub inputs: usize,
    /// Number of outputs; indices `0..outputs` are known.
    pub outputs: usize,
    /// Largest message the guest may send; longer is `MessageTooLarge`.
    pub max_message_len: usize,
    /// What the guest may log and report.
    pub text: TextBudget,
}

impl Rules {
    /// Rules for a guest with these port counts, the default message size
    /// limit ([`DEFAULT_MAX_MESSAGE_LEN`]) and text budget
    /// ([`TextBudget::DEFAULT`]).
    pub const fn new(inputs: usize, outputs: usize) -> Self {
        Rules {
            inputs,
            outputs,
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
            text: TextBudget::DEFAULT,
        }
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

    /// `wait_input(list, len)`: the index of one of the `len` inputs listed
    /// (one byte each) at `list` whose `receive_input` would not block, or
    /// [`Reply::Wait`] while all of them are open and empty.
    ///
    /// Never answers [`Status::Closed`]: a closed, drained input is
    /// answered like one with a message, so the guest's `receive` tells it
    /// of the close. A guest that carries on after one input closed lists
    /// the others only; otherwise each wait answers at once.
    pub fn wait_input<M, E>(
        &self,
        memory: &M,
        env: &mut E,
        cursor: &mut WaitCursor,
        list: M::Ptr,
        len: i32,
    ) -> Reply
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        let Some(list) = length(len).and_then(|len| memory.bytes(list, len)) else {
            return Reply::Return(Status::BadPointer.code());
        };
        if list.is_empty() || list.iter().any(|&i| usize::from(i) >= self.inputs) {
            return Reply::Return(Status::UnknownInput.code());
        }
        // Round robin: start after the input answered last, if listed.
        let start = cursor
            .last
            .and_then(|last| list.iter().position(|&i| i == last))
            .map_or(0, |at| at + 1);
        let (before, after) = list.split_at(start.min(list.len()));
        let mut waiting = InputSet::EMPTY;
        for &input in after.iter().chain(before) {
            match env.input(input) {
                InputState::Ready(_) | InputState::Closed => {
                    cursor.last = Some(input);
                    return Reply::Return(i32::from(input));
                }
                InputState::Empty => waiting.insert(input),
            }
        }
        Reply::Wait { inputs: waiting }
    }

    /// `send_output(buf, len, output_idx)`: hands a copy of the message to
    /// the output, or suspends the guest while the output is full.
    pub fn send_output<M, E>(
        &self,
        memory: &M,
        env: &mut E,
        buf: M::Ptr,
        len: i32,
        output_idx: i32,
    ) -> Reply
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        let Some(output) = index(output_idx, self.outputs) else {
            return Reply::Return(Status::UnknownOutput.code());
        };
        let Some(message) = length(len).and_then(|len| memory.bytes(buf, len)) else {
            return Reply::Return(Status::BadPointer.code());
        };
        if message.len() > self.max_message_len {
            return Reply::Return(Status::MessageTooLarge.code());
        }
        match env.send_output(output, message) {
            Ok(()) => Reply::Return(0),
            Err(SendError::Full) => Reply::Full { output },
            Err(SendError::TooLarge) => Reply::Return(Status::MessageTooLarge.code()),
            Err(SendError::Closed) => Reply::Return(Status::Closed.code()),
        }
    }

    /// `log(ptr, len, level)`: one UTF-8 log line at a [`LogLevel`],
    /// counted in `usage`.
    pub fn log<M, E>(
        &self,
        memory: &M,
        env: &mut E,
        usage: &mut TextUsage,
        ptr: M::Ptr,
        len: i32,
        level: i32,
    ) -> Reply
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        let Some(level) = LogLevel::from_code(level) else {
            return Reply::Return(Status::InvalidLogLevel.code());
        };
        self.pass_text(memory, usage, ptr, len, |message| env.log(level, message))
    }

    /// `report_error(ptr, len)`: the guest's UTF-8 error report, counted
    /// in `usage`.
    pub fn report_error<M, E>(
        &self,
        memory: &M,
        env: &mut E,
        usage: &mut TextUsage,
        ptr: M::Ptr,
        len: i32,
    ) -> Reply
    where
        M: GuestMemory + ?Sized,
        E: Environment + ?Sized,
    {
        self.pass_text(memory, usage, ptr, len, |message| env.report_error(message))
    }

    /// Checks 2 to 5 of a text, then hands it to `sink` and counts it.
    fn pass_text<M: GuestMemory + ?Sized>(
        &self,
        memory: &M,
        usage: &mut TextUsage,
        ptr: M::Ptr,
        len: i32,
        sink: impl FnOnce(&str),
    ) -> Reply {
        let message = match text(memory, ptr, len, self.text.max_len) {
            Ok(message) => message,
            Err(status) => return Reply::Return(status.code()),
        };
        let bytes = message.len();
        // `usize` to `u64` is lossless on every target Rust supports.
        let total = usage.total.saturating_add(bytes as u64);
        if self.text.total.is_some_and(|max| total > max) {
            usage.refused = usage.refused.saturating_add(1);
            return Reply::Return(Status::Closed.code());
        }
        if usage.step > 0 && usage.step.saturating_add(bytes) > self.text.per_step {
            return Reply::Throttle;
        }
        sink(message);
        usage.step = usage.step.saturating_add(bytes);
        usage.total = total;
        Reply::Return(0)
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

/// The UTF-8 text at `ptr..ptr + len`, at most `max_len` bytes (checks 2
/// to 4).
fn text<M: GuestMemory + ?Sized>(
    memory: &M,
    ptr: M::Ptr,
    len: i32,
    max_len: usize,
) -> Result<&str, Status> {
    let bytes = length(len).and_then(|len| memory.bytes(ptr, len)).ok_or(Status::BadPointer)?;
    if bytes.len() > max_len {
        return Err(Status::MessageTooLarge);
    }
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

    const RULES: Rules = Rules {
        max_message_len: 4,
        text: TextBudget { max_len: 5, per_step: 8, total: Some(12) },
        ..Rules::new(1, 1)
    };

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
        assert_eq!(code, Reply::Return(Status::UnknownOutput.code()));
        let code = RULES.log(mem.as_slice(), &mut env, &mut TextUsage::default(), 100, -1, 9);
        assert_eq!(code, Reply::Return(Status::InvalidLogLevel.code()));
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
        let mem = *b"abcde\xff\0\0";
        let mem = mem.as_slice();
        let mut env = OneMessage::default();
        let mut usage = TextUsage::default();
        let code = |status: Status| Reply::Return(status.code());
        assert_eq!(RULES.send_output(mem, &mut env, 0, 5, 0), code(Status::MessageTooLarge));
        assert_eq!(RULES.send_output(mem, &mut env, 0, 4, 0), Reply::Return(0));
        assert_eq!(RULES.report_error(mem, &mut env, &mut usage, 1, 5), code(Status::InvalidUtf8));
        assert_eq!(RULES.log(mem, &mut env, &mut usage, 0, 5, 2), Reply::Return(0));
        assert_eq!(RULES.log(mem, &mut env, &mut usage, 0, 9, 2), code(Status::BadPointer));
        assert_eq!((env.sent, env.texts), (1, 1));
    }

    #[test]
    fn a_full_output_suspends_the_sender() {
        struct Full;
        impl Environment for Full {
            fn input(&mut self, _: u8) -> InputState<'_> {
                InputState::Empty
            }
            fn pop_input(&mut self, _: u8) {}
            fn send_output(&mut self, _: u8, _: &[u8]) -> Result<(), SendError> {
                Err(SendError::Full)
            }
            fn log(&mut self, _: LogLevel, _: &str) {}
            fn report_error(&mut self, _: &str) {}
        }
        let mem = [0u8; 8];
        assert_eq!(
            RULES.send_output(mem.as_slice(), &mut Full, 0, 4, 0),
            Reply::Full { output: 0 }
        );
    }

    /// Four inputs of a [`QueueEnv`](crate::queue::QueueEnv)-like model
    /// without `alloc`: a count of queued messages and a closed flag each.
    #[derive(Default)]
    struct Counts {
        queued: [u8; 4],
        closed: [bool; 4],
        looked: usize,
    }

    impl Counts {
        /// `wait_input` on the list `inputs` (at offset 0 of a memory),
        /// and a receive of what it answered.
        fn wait(&mut self, rules: &Rules, cursor: &mut WaitCursor, inputs: &[u8]) -> Reply {
            let reply = rules.wait_input(inputs, self, cursor, 0, inputs.len() as i32);
            if let Reply::Return(input @ 0..) = reply {
                self.pop_input(input as u8);
            }
            reply
        }
    }

    impl Environment for Counts {
        fn input(&mut self, input: u8) -> InputState<'_> {
            self.looked += 1;
            let i = usize::from(input);
            match (self.queued[i], self.closed[i]) {
                (1.., _) => InputState::Ready(b"m"),
                (0, true) => InputState::Closed,
                (0, false) => InputState::Empty,
            }
        }
        fn pop_input(&mut self, input: u8) {
            let queued = &mut self.queued[usize::from(input)];
            *queued = queued.saturating_sub(1);
        }
        fn send_output(&mut self, _: u8, _: &[u8]) -> Result<(), SendError> {
            Ok(())
        }
        fn log(&mut self, _: LogLevel, _: &str) {}
        fn report_error(&mut self, _: &str) {}
    }

    const FOUR: Rules = Rules::new(4, 0);

    #[test]
    fn wait_checks_the_list_then_its_indices() {
        let mut env = Counts { queued: [1; 4], ..Counts::default() };
        let mut cursor = WaitCursor::default();
        let mem = [0u8, 1, 9, 2];
        let mem = mem.as_slice();
        let code = |status: Status| Reply::Return(status.code());
        // The pointer first: a bad range hides the bad index 9 in it.
        assert_eq!(FOUR.wait_input(mem, &mut env, &mut cursor, 0, -1), code(Status::BadPointer));
        assert_eq!(FOUR.wait_input(mem, &mut env, &mut cursor, 2, 3), code(Status::BadPointer));
        assert_eq!(FOUR.wait_input(mem, &mut env, &mut cursor, -1, 1), code(Status::BadPointer));
        // Then the indices, every one of them, before any queue is looked at.
        assert_eq!(FOUR.wait_input(mem, &mut env, &mut cursor, 0, 3), code(Status::UnknownInput));
        assert_eq!(FOUR.wait_input(mem, &mut env, &mut cursor, 4, 0), code(Status::UnknownInput));
        assert_eq!((env.looked, cursor.last), (0, None));
        assert_eq!(FOUR.wait_input(mem, &mut env, &mut cursor, 3, 1), Reply::Return(2));
        assert_eq!(cursor.last, Some(2));
    }

    #[test]
    fn wait_takes_turns_so_a_flood_does_not_starve() {
        let mut env = Counts { queued: [u8::MAX, 0, 0, 0], ..Counts::default() };
        let mut cursor = WaitCursor::default();
        let list = [0, 1, 3];
        assert_eq!(env.wait(&FOUR, &mut cursor, &list), Reply::Return(0));
        assert_eq!(env.wait(&FOUR, &mut cursor, &list), Reply::Return(0), "alone: again");
        env.queued[3] = 2;
        env.queued[1] = 1;
        let answers: [Reply; 6] = core::array::from_fn(|_| env.wait(&FOUR, &mut cursor, &list));
        let turns = [1, 3, 0, 3, 0, 0].map(Reply::Return);
        assert_eq!(answers, turns, "after 0 comes 1, then 3, then 0 again");
        // The order is the list's, not the indices'.
        env.queued[1] = 1;
        assert_eq!(env.wait(&FOUR, &mut cursor, &[1, 0]), Reply::Return(1));
        env.queued[1] = 1;
        assert_eq!(env.wait(&FOUR, &mut cursor, &[1, 0]), Reply::Return(0));
        assert_eq!(env.wait(&FOUR, &mut cursor, &[1, 0]), Reply::Return(1));
    }

    #[test]
    fn wait_answers_a_close_and_waits_on_the_open_and_empty() {
        let mut env = Counts::default();
        let mut cursor = WaitCursor::default();
        let wait = Reply::Wait { inputs: [1, 2].into_iter().collect() };
        assert_eq!(env.wait(&FOUR, &mut cursor, &[2, 1, 2]), wait);
        assert_eq!(cursor.last, None, "a wait answers nothing");
        // Messages queued before a close still come first, then the close.
        env.queued[1] = 1;
        env.closed[1] = true;
        assert_eq!(env.wait(&FOUR, &mut cursor, &[2, 1]), Reply::Return(1));
        assert_eq!(env.wait(&FOUR, &mut cursor, &[2, 1]), Reply::Return(1), "closed, drained");
        assert_eq!(env.wait(&FOUR, &mut cursor, &[2]), Reply::Wait { inputs: wait_on(2) });
        env.closed[2] = true;
        assert_eq!(env.wait(&FOUR, &mut cursor, &[1, 2]), Reply::Return(2));
        assert_eq!(env.wait(&FOUR, &mut cursor, &[1, 2]), Reply::Return(1));
    }

    fn wait_on(input: u8) -> InputSet {
        let mut set = InputSet::EMPTY;
        set.insert(input);
        set
    }

    #[test]
    fn input_sets_hold_every_index() {
        let set: InputSet = [255, 0, 64, 63, 64].into_iter().collect();
        assert_eq!((set.len(), set.is_empty()), (4, false));
        assert!(set.contains(255) && set.contains(63) && !set.contains(1) && !set.contains(128));
        let mut inputs = [0u8; 4];
        for (slot, input) in inputs.iter_mut().zip(set) {
            *slot = input;
        }
        assert_eq!(inputs, [0, 63, 64, 255]);
        assert_eq!(set.iter().count(), 4);
        assert!(InputSet::EMPTY.is_empty() && InputSet::EMPTY.iter().next().is_none());
    }

    #[test]
    fn texts_are_bounded_per_call_per_step_and_in_total() {
        let mem = *b"abcdefgh";
        let mem = mem.as_slice();
        let mut env = OneMessage::default();
        let mut usage = TextUsage::default();
        let too_large = Reply::Return(Status::MessageTooLarge.code());
        assert_eq!(RULES.log(mem, &mut env, &mut usage, 0, 6, 2), too_large, "over max_len");
        assert_eq!(RULES.log(mem, &mut env, &mut usage, 0, 5, 2), Reply::Return(0));
        // 5 + 4 > 8 per step: wait for the next step, nothing passed on.
        assert_eq!(RULES.report_error(mem, &mut env, &mut usage, 0, 4), Reply::Throttle);
        assert_eq!((env.texts, usage.step, usage.total), (1, 5, 5));
        usage.next_step();
        assert_eq!(RULES.report_error(mem, &mut env, &mut usage, 0, 4), Reply::Return(0));
        assert_eq!(RULES.log(mem, &mut env, &mut usage, 0, 3, 2), Reply::Return(0));
        // 12 bytes in total: the log is closed to this guest from now on.
        let closed = Reply::Return(Status::Closed.code());
        usage.next_step();
        assert_eq!(RULES.log(mem, &mut env, &mut usage, 0, 1, 2), closed);
        assert_eq!(RULES.log(mem, &mut env, &mut usage, 0, 0, 2), Reply::Return(0));
        assert_eq!((env.texts, usage.total, usage.refused), (4, 12, 1));
    }
}
