//! The test host's [`Environment`]: in-memory queues and records.

use std::collections::VecDeque;

use wasm_sdk_host::{Environment, InputState, LogLevel, SendError};

/// Input queues, captured outputs, logs and errors of one guest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueEnv {
    inputs: Vec<VecDeque<Vec<u8>>>,
    closed: Vec<bool>,
    /// Every message sent, as `(output index, bytes)`, in order.
    pub sent: Vec<(u8, Vec<u8>)>,
    /// Every log line, in order.
    pub logs: Vec<(LogLevel, String)>,
    /// Every reported error, in order.
    pub errors: Vec<String>,
}

impl QueueEnv {
    /// Queues a message on an input. Indices are checked against the
    /// module's manifest by the host, not here.
    pub fn push(&mut self, input: u8, message: Vec<u8>) {
        self.slot(input);
        self.inputs[usize::from(input)].push_back(message);
    }

    /// Closes an input: queued messages are still delivered, then the guest
    /// gets `Closed`.
    pub fn close(&mut self, input: u8) {
        self.slot(input);
        self.closed[usize::from(input)] = true;
    }

    /// Whether an input is closed.
    pub fn is_closed(&self, input: u8) -> bool {
        self.closed.get(usize::from(input)).copied().unwrap_or(false)
    }

    fn slot(&mut self, input: u8) {
        let len = usize::from(input) + 1;
        if self.inputs.len() < len {
            self.inputs.resize_with(len, VecDeque::new);
            self.closed.resize(len, false);
        }
    }

    /// Messages still queued on an input.
    pub fn queued(&self, input: u8) -> usize {
        self.inputs.get(usize::from(input)).map_or(0, VecDeque::len)
    }
}

impl Environment for QueueEnv {
    fn input(&mut self, input: u8) -> InputState<'_> {
        let idx = usize::from(input);
        match self.inputs.get(idx).and_then(VecDeque::front) {
            Some(message) => InputState::Ready(message),
            None if self.closed.get(idx).copied().unwrap_or(false) => InputState::Closed,
            None => InputState::Empty,
        }
    }

    fn pop_input(&mut self, input: u8) {
        if let Some(queue) = self.inputs.get_mut(usize::from(input)) {
            queue.pop_front();
        }
    }

    fn send_output(&mut self, output: u8, message: &[u8]) -> Result<(), SendError> {
        self.sent.push((output, message.to_vec()));
        Ok(())
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.logs.push((level, message.to_owned()));
    }

    fn report_error(&mut self, message: &str) {
        self.errors.push(message.to_owned());
    }
}
