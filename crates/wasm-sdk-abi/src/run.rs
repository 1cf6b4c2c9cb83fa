//! Where a guest stands: the one run-status vocabulary of every host.
//!
//! `wasm-sdk-host` returns a [`Step`] from each `Guest::step`, the test
//! host reports the last one, the native mock's `run` returns one and the
//! firmware's runner ends with one. Transcripts and the CLI print
//! [`Step::as_str`].

use alloc::string::String;
use core::fmt;

use crate::rules::InputSet;

/// How a guest stands after it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Waiting in `receive` for a message on this input, which is open and
    /// empty. Stepping again before a message arrives runs nothing.
    Blocked {
        /// The input index.
        input: u8,
    },
    /// Waiting in `wait_input` for a message on any of these inputs, which
    /// are all open and empty. Stepping again before one has a message (or
    /// is closed) runs nothing.
    Waiting {
        /// The inputs waited on.
        inputs: InputSet,
    },
    /// Waiting in `send` for room on this output, which is full (the
    /// consumer is slower than the guest). Stepping again before there is
    /// room runs nothing; the message is sent when there is.
    Full {
        /// The output index.
        output: u8,
    },
    /// Used up its fuel slice or this step's share of its text budget;
    /// step again to continue.
    Preempted,
    /// `run_task` returned this exit code (0: clean stop).
    Finished {
        /// The exit code.
        exit_code: i32,
    },
    /// Trapped (a guest panic traps after its report); the guest cannot
    /// run again.
    Trapped(Trap),
    /// Used up its total fuel budget; the guest cannot run again.
    OutOfFuel,
}

impl Step {
    /// Whether the guest can never run again.
    pub fn is_final(&self) -> bool {
        matches!(self, Step::Finished { .. } | Step::Trapped(_) | Step::OutOfFuel)
    }

    /// The step's name as transcripts spell it: `blocked`, `waiting`,
    /// `full`, `preempted`, `finished`, `trapped` or `out_of_fuel`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Step::Blocked { .. } => "blocked",
            Step::Waiting { .. } => "waiting",
            Step::Full { .. } => "full",
            Step::Preempted => "preempted",
            Step::Finished { .. } => "finished",
            Step::Trapped(_) => "trapped",
            Step::OutOfFuel => "out_of_fuel",
        }
    }

    /// The exit code, when finished.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Step::Finished { exit_code } => Some(*exit_code),
            _ => None,
        }
    }

    /// The input waited on, when blocked.
    pub fn blocked_on(&self) -> Option<u8> {
        match self {
            Step::Blocked { input } => Some(*input),
            _ => None,
        }
    }

    /// The inputs waited on, when waiting in `wait_input`.
    pub fn waiting_on(&self) -> Option<InputSet> {
        match self {
            Step::Waiting { inputs } => Some(*inputs),
            _ => None,
        }
    }

    /// The output waited on, when full.
    pub fn full_on(&self) -> Option<u8> {
        match self {
            Step::Full { output } => Some(*output),
            _ => None,
        }
    }

    /// The trap, when trapped.
    pub fn trap(&self) -> Option<&Trap> {
        match self {
            Step::Trapped(trap) => Some(trap),
            _ => None,
        }
    }
}

/// Why a guest stopped with a trap: the runtime's description (for a Wasm
/// trap, the specification's message, such as `wasm \`unreachable\`
/// instruction executed` after a guest panic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    message: String,
}

impl Trap {
    /// A trap with this description.
    pub fn new(message: impl Into<String>) -> Self {
        Trap { message: message.into() }
    }

    /// The description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for Trap {}
