//! What a host plugs in: input queues, output sink, log and error sinks.

use crate::LogLevel;

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
    /// No room now; the guest may retry (`OutputFull`).
    Full,
    /// Larger than this output accepts (`MessageTooLarge`).
    TooLarge,
    /// The output is closed (`Closed`).
    Closed,
}

/// Queues and sinks behind the `connectors` imports of one guest.
///
/// Input and output indices are already checked against the module's
/// manifest when these are called; messages and texts are copies the host
/// made from guest memory.
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
