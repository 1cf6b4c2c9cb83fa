//! In-memory queues and records: the [`Environment`] of the desktop hosts.
//!
//! The native mock of `wasm-sdk` and the test host of `wasm-sdk-testhost`
//! both keep a guest's inputs, outputs, logs and errors in a [`QueueEnv`],
//! so the two desktop hosts share one queue model as well as the
//! [`Rules`](crate::rules::Rules).

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use crate::LogLevel;
use crate::rules::{Environment, InputState, SendError};

/// Input queues, captured outputs, logs and errors of one guest.
///
/// Inputs are unbounded queues that can be closed (the test fills them).
/// Outputs are recorded in order, up to [`output_budget`](Self::output_budget)
/// bytes held: past it the output is full and the guest waits (see
/// [`rules`](crate::rules)) until the host takes recorded messages out of
/// [`sent`](Self::sent). Logs and errors are bounded by the guest's text
/// budget ([`TextBudget`](crate::rules::TextBudget)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueEnv {
    inputs: Vec<VecDeque<Vec<u8>>>,
    closed: Vec<bool>,
    /// Most message bytes held in [`sent`](Self::sent); `None`: unbounded.
    pub output_budget: Option<usize>,
    /// Bytes in `sent` when last counted; recounted when a send would
    /// exceed the budget, since the host takes messages out of `sent`
    /// directly.
    held: usize,
    /// Every message sent, as `(output index, bytes)`, in order.
    pub sent: Vec<(u8, Vec<u8>)>,
    /// Every log line, in order.
    pub logs: Vec<(LogLevel, String)>,
    /// Every reported error, in order.
    pub errors: Vec<String>,
}

impl QueueEnv {
    /// No queues, nothing recorded.
    pub const fn new() -> Self {
        QueueEnv {
            inputs: Vec::new(),
            closed: Vec::new(),
            output_budget: None,
            held: 0,
            sent: Vec::new(),
            logs: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// No queues, nothing recorded, and at most `bytes` of sent messages
    /// held before outputs are full.
    pub const fn with_output_budget(bytes: usize) -> Self {
        let mut env = QueueEnv::new();
        env.output_budget = Some(bytes);
        env
    }

    /// Queues a message on an input. Indices are checked against the
    /// module's manifest by the host, not here.
    pub fn push(&mut self, input: u8, message: Vec<u8>) {
        self.slot(input);
        if let Some(queue) = self.inputs.get_mut(usize::from(input)) {
            queue.push_back(message);
        }
    }

    /// Closes an input: queued messages are still delivered, then the guest
    /// gets `Closed`.
    pub fn close(&mut self, input: u8) {
        self.slot(input);
        if let Some(closed) = self.closed.get_mut(usize::from(input)) {
            *closed = true;
        }
    }

    /// Whether an input is closed.
    pub fn is_closed(&self, input: u8) -> bool {
        self.closed.get(usize::from(input)).copied().unwrap_or(false)
    }

    /// Messages still queued on an input.
    pub fn queued(&self, input: u8) -> usize {
        self.inputs.get(usize::from(input)).map_or(0, VecDeque::len)
    }

    fn slot(&mut self, input: u8) {
        let len = usize::from(input) + 1;
        if self.inputs.len() < len {
            self.inputs.resize_with(len, VecDeque::new);
            self.closed.resize(len, false);
        }
    }
}

impl Environment for QueueEnv {
    fn input(&mut self, input: u8) -> InputState<'_> {
        let idx = usize::from(input);
        match self.inputs.get(idx).and_then(VecDeque::front) {
            Some(message) => InputState::Ready(message),
            None if self.is_closed(input) => InputState::Closed,
            None => InputState::Empty,
        }
    }

    fn pop_input(&mut self, input: u8) {
        if let Some(queue) = self.inputs.get_mut(usize::from(input)) {
            queue.pop_front();
        }
    }

    fn send_output(&mut self, output: u8, message: &[u8]) -> Result<(), SendError> {
        if let Some(budget) = self.output_budget {
            if message.len() > budget {
                return Err(SendError::TooLarge);
            }
            if self.held.saturating_add(message.len()) > budget {
                self.held = self.sent.iter().map(|(_, m)| m.len()).sum();
                if self.held + message.len() > budget {
                    return Err(SendError::Full);
                }
            }
        }
        self.held += message.len();
        self.sent.push((output, message.to_vec()));
        Ok(())
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.logs.push((level, message.into()));
    }

    fn report_error(&mut self, message: &str) {
        self.errors.push(message.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn closed_inputs_drain_first() {
        let mut env = QueueEnv::default();
        assert_eq!(env.input(3), InputState::Empty);
        env.push(3, vec![1]);
        env.close(3);
        assert_eq!(env.input(3), InputState::Ready(&[1]));
        env.pop_input(3);
        assert_eq!(env.input(3), InputState::Closed);
        assert_eq!((env.queued(3), env.is_closed(3), env.is_closed(0)), (0, true, false));
    }

    #[test]
    fn outputs_fill_up_to_the_budget_and_drain() {
        let mut env = QueueEnv { output_budget: Some(4), ..QueueEnv::default() };
        assert_eq!(env.send_output(0, b"abc"), Ok(()));
        assert_eq!(env.send_output(1, b"de"), Err(SendError::Full));
        assert_eq!(env.send_output(1, b"abcde"), Err(SendError::TooLarge));
        assert_eq!(env.send_output(1, b"d"), Ok(()));
        env.sent.remove(0);
        assert_eq!(env.send_output(1, b"de"), Ok(()));
        assert_eq!(env.sent, [(1, b"d".to_vec()), (1, b"de".to_vec())]);
    }
}
