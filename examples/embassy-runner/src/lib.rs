//! wasm-sdk guests as embassy tasks: the async bridge of the reference
//! firmware (`examples/nrf53-host`, `examples/qemu-host`).
//!
//! The talk's WAMR host needed a low-priority task parked in WFI to turn a
//! blocking guest call into an async wait. Here a guest is a
//! [`wasm_sdk_host::Guest`] state machine instead:
//!
//! - [`drive`] steps it; when it blocks in `receive` on an input, the task
//!   `.await`s that input's [`Pipe`] (an embassy channel). The executor sleeps
//!   or runs other tasks meanwhile: a blocked guest costs no CPU.
//! - When the guest uses up its fuel slice ([`Step::Preempted`]), the task
//!   yields to the executor before stepping again, so a long computation
//!   cannot starve timers, peripherals or other guests.
//!
//! Services (timers, buttons, UART) talk to guests only through pipes:
//! they `send` messages to a guest's input pipes and `receive` from its
//! output pipes.

#![no_std]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use wasm_sdk_host::{Environment, Guest, InputState, LogLevel, SendError, Step};

pub use wasm_sdk_host;

/// A message between a service and a guest.
pub type Message = Vec<u8>;

/// Messages a pipe holds before senders wait (inputs) or the guest gets
/// `OutputFull` (outputs).
pub const PIPE_DEPTH: usize = 4;

/// A channel feeding a guest input or carrying a guest output.
pub type Pipe = Channel<CriticalSectionRawMutex, Message, PIPE_DEPTH>;

/// Where a guest's logs and error reports go (defmt, semihosting, ...).
pub trait Sink: Sync {
    /// A log line of guest `guest`.
    fn log(&self, guest: &str, level: LogLevel, message: &str);
    /// An error guest `guest` reported.
    fn report_error(&self, guest: &str, message: &str);
}

/// The [`Environment`] of one guest: its input and output pipes, in
/// manifest order.
pub struct ChannelEnv {
    name: &'static str,
    inputs: &'static [&'static Pipe],
    outputs: &'static [&'static Pipe],
    /// Each input's message taken from its pipe but not yet received by
    /// the guest (too large for its buffer, or just peeked).
    heads: Vec<Option<Message>>,
    sink: &'static dyn Sink,
    /// Times [`drive`] yielded because the guest used its fuel slice.
    pub preemptions: u32,
    /// Times [`drive`] started awaiting an input because the guest blocked.
    pub waits: u32,
}

impl ChannelEnv {
    /// An environment for guest `name` with these pipes.
    pub fn new(
        name: &'static str,
        inputs: &'static [&'static Pipe],
        outputs: &'static [&'static Pipe],
        sink: &'static dyn Sink,
    ) -> Self {
        ChannelEnv {
            name,
            inputs,
            outputs,
            heads: vec![None; inputs.len()],
            sink,
            preemptions: 0,
            waits: 0,
        }
    }

    /// The guest's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl Environment for ChannelEnv {
    fn input(&mut self, input: u8) -> InputState<'_> {
        let idx = usize::from(input);
        let (Some(head), Some(pipe)) = (self.heads.get_mut(idx), self.inputs.get(idx)) else {
            // The manifest declared more inputs than the firmware wired:
            // nothing will ever arrive there.
            return InputState::Closed;
        };
        if head.is_none() {
            *head = pipe.try_receive().ok();
        }
        match head {
            Some(message) => InputState::Ready(message),
            None => InputState::Empty,
        }
    }

    fn pop_input(&mut self, input: u8) {
        if let Some(head) = self.heads.get_mut(usize::from(input)) {
            *head = None;
        }
    }

    fn send_output(&mut self, output: u8, message: &[u8]) -> Result<(), SendError> {
        let pipe = self.outputs.get(usize::from(output)).ok_or(SendError::Closed)?;
        pipe.try_send(message.to_vec()).map_err(|_| SendError::Full)
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.sink.log(self.name, level, message);
    }

    fn report_error(&mut self, message: &str) {
        self.sink.report_error(self.name, message);
    }
}

/// Runs a guest on the current task until it finishes, traps or runs out
/// of fuel, and returns how it stopped.
///
/// Blocked on an input: awaits that input's pipe (no CPU). Preempted by its
/// fuel slice: yields to the executor, then continues.
pub async fn drive(guest: &mut Guest<ChannelEnv>) -> Step {
    loop {
        match guest.step() {
            Step::Blocked { input } => {
                let idx = usize::from(input);
                let Some(pipe) = guest.env().inputs.get(idx).copied() else {
                    // `input` returns `Closed` for unwired inputs, so the
                    // guest cannot block on one; stop rather than spin.
                    return Step::Blocked { input };
                };
                let env = guest.env_mut();
                env.waits = env.waits.wrapping_add(1);
                let message = pipe.receive().await;
                if let Some(head) = guest.env_mut().heads.get_mut(idx) {
                    *head = Some(message);
                }
            }
            Step::Preempted => {
                let env = guest.env_mut();
                env.preemptions = env.preemptions.wrapping_add(1);
                embassy_futures::yield_now().await;
            }
            done => return done,
        }
    }
}
