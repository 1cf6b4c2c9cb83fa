//! A run's observable result, as JSON for golden tests and the CLI.

use serde::{Deserialize, Serialize};

use wasm_sdk_host::abi::rules::InputSet;
use wasm_sdk_host::{LogLevel, Step};

use crate::harness::TestGuest;
use crate::types::PortSchemas;
use wasm_sdk_host::abi::manifest::PortKind;

/// One sent message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Output name.
    pub output: String,
    /// The bytes, lowercase hex.
    pub hex: String,
    /// The message decoded with the output's type (typed outputs whose
    /// bytes decode); absent from the JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
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
/// `status` (`ready` before any run, then [`Step::as_str`]: `blocked` |
/// `waiting` | `full` | `finished` | `trapped` | `out_of_fuel`),
/// `exit_code`, `blocked_on`, `waiting_on` (only when waiting),
/// `outputs` (each `output`, `hex` and, for a typed output, the decoded
/// `value`), `logs`, `errors`, `trap`, `fuel_consumed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// How the guest stands.
    pub status: String,
    /// `run_task`'s return value when finished.
    pub exit_code: Option<i32>,
    /// The input it waits on when blocked.
    pub blocked_on: Option<String>,
    /// The inputs it waits on when waiting in `wait_input`, in index
    /// order; absent from the JSON otherwise (so transcripts of guests
    /// that never wait on several inputs read as before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
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
    /// The index of `blocked_on`, for comparing with a [`Step`]; not
    /// serialized (the name is).
    #[serde(skip)]
    pub(crate) blocked_index: Option<u8>,
    /// The indices of `waiting_on`, for the same comparison.
    #[serde(skip)]
    pub(crate) waiting_index: Option<InputSet>,
}

impl Transcript {
    pub(crate) fn new(guest: &TestGuest) -> Self {
        Transcript::from_parts(
            guest.status(),
            guest.input_names(),
            guest.output_names(),
            guest.schemas(),
            guest.sent(),
            guest.logs(),
            guest.errors(),
            guest.fuel_consumed(),
        )
    }

    /// Builds a transcript from a run's records (`status`: the last step,
    /// `None` before any run); the port names turn indices into names, and
    /// the port types decode typed outputs.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts<S: AsRef<str>>(
        status: Option<&Step>,
        input_names: &[S],
        output_names: &[S],
        schemas: &PortSchemas,
        sent: &[(u8, Vec<u8>)],
        logs: &[(LogLevel, String)],
        errors: &[String],
        fuel_consumed: u64,
    ) -> Self {
        let name = |names: &[S], idx: u8| {
            names.get(usize::from(idx)).map_or_else(|| idx.to_string(), |n| n.as_ref().to_owned())
        };
        let blocked_index = status.and_then(Step::blocked_on);
        let waiting_index = status.and_then(Step::waiting_on);
        Transcript {
            status: status.map_or("ready", Step::as_str).to_owned(),
            exit_code: status.and_then(Step::exit_code),
            blocked_on: blocked_index.map(|idx| name(input_names, idx)),
            waiting_on: waiting_index
                .into_iter()
                .flatten()
                .map(|idx| name(input_names, idx))
                .collect(),
            outputs: sent
                .iter()
                .map(|(idx, bytes)| OutputRecord {
                    output: name(output_names, *idx),
                    hex: hex::encode(bytes),
                    value: schemas
                        .get(PortKind::Output, *idx)
                        .and_then(|schema| schema.decode(bytes).ok()),
                })
                .collect(),
            logs: logs
                .iter()
                .map(|(level, message)| LogRecord {
                    level: level.as_str().to_owned(),
                    message: message.clone(),
                })
                .collect(),
            errors: errors.to_vec(),
            trap: status.and_then(Step::trap).map(|trap| trap.message().to_owned()),
            fuel_consumed,
            blocked_index,
            waiting_index,
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

    /// What a native run and a wasm run can both promise: fuel zeroed (only
    /// wasm meters it) and the trap text replaced by `"trapped"` (a wasm
    /// trap and a native panic describe the same stop differently; the
    /// guest's own report is in `errors` either way).
    pub fn portable(mut self) -> Self {
        self.fuel_consumed = 0;
        if self.trap.is_some() {
            self.trap = Some("trapped".into());
        }
        self
    }
}
