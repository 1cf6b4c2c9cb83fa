//! A run's observable result, as JSON for golden tests and the CLI.

use serde::{Deserialize, Serialize};

use crate::harness::{Status, TestGuest};

/// One sent message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Output name.
    pub output: String,
    /// The bytes, lowercase hex.
    pub hex: String,
}

/// One log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// The text.
    pub message: String,
}

/// Everything a run produced. Serializes to the CLI's `--json` object:
/// `status` (`ready` | `blocked` | `finished` | `trapped` | `out_of_fuel`),
/// `exit_code`, `blocked_on`, `outputs`, `logs`, `errors`, `trap`,
/// `fuel_consumed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// How the guest stands.
    pub status: String,
    /// `run_task`'s return value when finished.
    pub exit_code: Option<i32>,
    /// The input it waits on when blocked.
    pub blocked_on: Option<String>,
    /// Sent messages in order.
    pub outputs: Vec<OutputRecord>,
    /// Log lines in order.
    pub logs: Vec<LogRecord>,
    /// Reported errors in order.
    pub errors: Vec<String>,
    /// The trap's description when trapped.
    pub trap: Option<String>,
    /// Fuel used.
    pub fuel_consumed: u64,
}

impl Transcript {
    pub(crate) fn new(guest: &TestGuest) -> Self {
        let status = guest.status();
        let names = guest.output_names();
        Transcript {
            status: status.name().to_owned(),
            exit_code: match status {
                Status::Finished { exit_code } => Some(*exit_code),
                _ => None,
            },
            blocked_on: match status {
                Status::Blocked { input } => Some(input.clone()),
                _ => None,
            },
            outputs: guest
                .sent()
                .iter()
                .map(|(idx, bytes)| OutputRecord {
                    output: names
                        .get(usize::from(*idx))
                        .cloned()
                        .unwrap_or_else(|| idx.to_string()),
                    hex: hex::encode(bytes),
                })
                .collect(),
            logs: guest
                .logs()
                .iter()
                .map(|(level, message)| LogRecord {
                    level: level.as_str().to_owned(),
                    message: message.clone(),
                })
                .collect(),
            errors: guest.errors().to_vec(),
            trap: match status {
                Status::Trapped { trap } => Some(trap.clone()),
                _ => None,
            },
            fuel_consumed: guest.fuel_consumed(),
        }
    }

    /// The transcript as pretty JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings and numbers always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The same transcript with `fuel_consumed` zeroed, for golden files
    /// that should not change whenever code generation does.
    pub fn without_fuel(mut self) -> Self {
        self.fuel_consumed = 0;
        self
    }
}
