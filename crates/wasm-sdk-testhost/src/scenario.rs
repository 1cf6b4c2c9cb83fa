//! One scenario, run natively and on the wasm test host, same transcript.

use std::fmt;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use wasm_sdk::native::{self, Task};
use wasm_sdk_host::abi::manifest::PortKind;
use wasm_sdk_host::abi::schema::PortType;
use wasm_sdk_host::abi::schema::postcard_schema::Schema;
use wasm_sdk_host::abi::schema::postcard_schema::schema::owned::OwnedNamedType;
use wasm_sdk_host::{LoadError, LogLevel, Step};

use crate::error::TestHostError;
use crate::harness::{TestHost, TestHostBuilder};
use crate::transcript::Transcript;
use crate::types::{Channels, PortSchemas};

/// A scripted run of a module: inputs in order, closes, and what must come
/// out. Write it once; [`Scenario::run_both`] runs it on the module's native
/// code (`wasm_sdk::native`) and on its built `.wasm` (the test host), and
/// requires the same [`Transcript::portable`] transcript from both plus
/// every expectation.
///
/// ```no_run
/// use wasm_sdk_testhost::{GuestBuilder, Scenario, Step};
///
/// let wasm = GuestBuilder::new().build("examples/counter").unwrap();
/// Scenario::new("counts")
///     .push("wasm_input", [0x05])
///     .close("wasm_input")
///     .expect_output("wasm_data", [0x06])
///     .expect_status(Step::Finished { exit_code: 0 })
///     .run_both(&counter::TASK, &wasm)
///     .unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    name: String,
    actions: Vec<Action>,
    outputs: Option<Vec<(String, Message)>>,
    /// Message types the typed pushes and expectations declare, checked
    /// against the module's ports at load (as the firmware does).
    channels: Channels,
    logs: Option<Vec<(LogLevel, String)>>,
    errors: Option<Vec<String>>,
    status: Option<Step>,
    /// A message that could not be encoded; reported when the scenario runs.
    invalid: Option<String>,
    /// The host the wasm run loads the module on; `None`: the default.
    host: Option<TestHostBuilder>,
}

#[derive(Clone, Debug)]
enum Action {
    Push(String, Message),
    Close(String),
}

/// A message as the scenario gives it: bytes, JSON encoded with the
/// port's type when the scenario runs, or a typed value's bytes with its
/// JSON (compared as bytes, shown as both).
#[derive(Clone, Debug)]
enum Message {
    Bytes(Vec<u8>),
    Json(Value),
    Typed(Vec<u8>, Value),
}

/// Why a scenario failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The scenario itself is wrong (unknown port, unencodable message).
    Setup(String),
    /// The test host could not load or feed the module.
    Host(TestHostError),
    /// A typed message names a type that is not the port's: the module is
    /// refused before it runs, as a firmware refuses it.
    PortType {
        /// `native` or `wasm`.
        run: &'static str,
        /// What differs.
        message: String,
    },
    /// Native and wasm runs disagree.
    Diverged {
        /// The native transcript (portable form).
        native: Box<Transcript>,
        /// The wasm transcript (portable form).
        wasm: Box<Transcript>,
    },
    /// A run disagrees with an expectation.
    Unexpected {
        /// `native` or `wasm`.
        run: &'static str,
        /// Which part: `outputs`, `logs`, `errors` or `status`.
        what: &'static str,
        /// Expected value, debug-printed.
        expected: String,
        /// Actual value, debug-printed.
        actual: String,
        /// What the values have in common that the texts do not show:
        /// typed messages that decode to equal values but differ in
        /// their bytes (`-0.0` and `0.0`).
        note: Option<String>,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Setup(e) => write!(f, "scenario setup: {e}"),
            ScenarioError::Host(e) => write!(f, "{e}"),
            ScenarioError::PortType { run, message } => write!(f, "{run} run refused: {message}"),
            ScenarioError::Diverged { native, wasm } => write!(
                f,
                "native and wasm runs differ\n--- native\n{}\n--- wasm\n{}",
                native.to_json(),
                wasm.to_json()
            ),
            ScenarioError::Unexpected { run, what, expected, actual, note } => {
                write!(
                    f,
                    "{run} run: {what} differ\n  expected: {expected}\n  actual:   {actual}"
                )?;
                match note {
                    Some(note) => write!(f, "\n  note:     {note}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

impl From<TestHostError> for ScenarioError {
    fn from(e: TestHostError) -> Self {
        ScenarioError::Host(e)
    }
}

impl Scenario {
    /// An empty scenario; `name` appears in failure messages.
    pub fn new(name: impl Into<String>) -> Self {
        Scenario { name: name.into(), ..Scenario::default() }
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues raw bytes on an input (by manifest name).
    pub fn push(mut self, input: &str, message: impl Into<Vec<u8>>) -> Self {
        self.actions.push(Action::Push(input.into(), Message::Bytes(message.into())));
        self
    }

    /// Queues a typed message (postcard) on an input, and declares the
    /// input's type: a module whose input is typed otherwise is refused
    /// ([`ScenarioError::PortType`]).
    pub fn push_message<T: Serialize + Schema + ?Sized>(self, input: &str, message: &T) -> Self {
        match postcard::to_allocvec(message) {
            Ok(bytes) => {
                self.declare(PortKind::Input, input, PortType::of::<T>()).push(input, bytes)
            }
            Err(e) => self.invalid(format!("message for `{input}`: {e}")),
        }
    }

    /// Queues a message given as JSON, encoded with the input's type from
    /// the module (its manifest, or the native task's ports) when the
    /// scenario runs.
    pub fn push_json(mut self, input: &str, value: Value) -> Self {
        self.actions.push(Action::Push(input.into(), Message::Json(value)));
        self
    }

    fn declare(mut self, kind: PortKind, port: &str, ty: PortType) -> Self {
        self.channels.push(kind, port, ty);
        self
    }

    /// Closes an input after the messages queued so far.
    pub fn close(mut self, input: &str) -> Self {
        self.actions.push(Action::Close(input.into()));
        self
    }

    /// Expects this message next on `output`. Once any output is expected,
    /// the outputs must match exactly, in order.
    pub fn expect_output(mut self, output: &str, message: impl Into<Vec<u8>>) -> Self {
        let message = Message::Bytes(message.into());
        self.outputs.get_or_insert_with(Vec::new).push((output.into(), message));
        self
    }

    /// Expects this typed message (postcard) next on `output`, and declares
    /// the output's type.
    pub fn expect_message<T: Serialize + Schema + ?Sized>(self, output: &str, message: &T) -> Self {
        let json = serde_json::to_value(message).map(|mut value| {
            crate::types::narrow(&OwnedNamedType::from(T::SCHEMA).ty, &mut value);
            value
        });
        match (postcard::to_allocvec(message), json) {
            (Ok(bytes), Ok(json)) => {
                let mut scenario = self.declare(PortKind::Output, output, PortType::of::<T>());
                let expected = (output.into(), Message::Typed(bytes, json));
                scenario.outputs.get_or_insert_with(Vec::new).push(expected);
                scenario
            }
            (Err(e), _) => self.invalid(format!("expected message for `{output}`: {e}")),
            (_, Err(e)) => self.invalid(format!("expected message for `{output}`: {e}")),
        }
    }

    /// Expects this message, as JSON, next on `output`: the output's bytes
    /// decoded with its type must equal `value`.
    pub fn expect_json(mut self, output: &str, value: Value) -> Self {
        self.outputs.get_or_insert_with(Vec::new).push((output.into(), Message::Json(value)));
        self
    }

    /// The bytes to queue: raw, or JSON encoded with the input's type.
    fn bytes(
        &self,
        input: &str,
        idx: u8,
        message: &Message,
        schemas: &PortSchemas,
    ) -> Result<Vec<u8>, ScenarioError> {
        match message {
            Message::Bytes(bytes) | Message::Typed(bytes, _) => Ok(bytes.clone()),
            Message::Json(value) => schemas
                .get(PortKind::Input, idx)
                .ok_or_else(|| format!("input `{input}` is untyped; push bytes to it"))
                .and_then(|schema| schema.encode(value))
                .map_err(|e| ScenarioError::Setup(format!("{}: {e}", self.name))),
        }
    }

    /// Expects no output at all.
    pub fn expect_no_output(mut self) -> Self {
        self.outputs = Some(Vec::new());
        self
    }

    /// Expects this log line next. Once any log is expected, logs must
    /// match exactly.
    pub fn expect_log(mut self, level: LogLevel, message: &str) -> Self {
        self.logs.get_or_insert_with(Vec::new).push((level, message.into()));
        self
    }

    /// Expects this reported error next. Once any error is expected, the
    /// reported errors must match exactly.
    pub fn expect_error(mut self, message: &str) -> Self {
        self.errors.get_or_insert_with(Vec::new).push(message.into());
        self
    }

    /// Expects no reported error.
    pub fn expect_no_error(mut self) -> Self {
        self.errors = Some(Vec::new());
        self
    }

    /// Expects the run to end with this step. For `Trapped`, only the kind
    /// is compared (a native panic and a wasm trap describe it
    /// differently).
    pub fn expect_status(mut self, status: Step) -> Self {
        self.status = Some(status);
        self
    }

    fn invalid(mut self, problem: String) -> Self {
        self.invalid.get_or_insert(problem);
        self
    }

    fn setup(&self) -> Result<(), ScenarioError> {
        match &self.invalid {
            Some(problem) => Err(ScenarioError::Setup(format!("{}: {problem}", self.name))),
            None => Ok(()),
        }
    }

    /// Runs the scenario on the module's native code, on this thread's
    /// `wasm_sdk::native` host (reset first). Returns the full transcript.
    ///
    /// # Errors
    ///
    /// [`ScenarioError::Setup`] for an input the task does not have.
    pub fn run_native(&self, task: &Task) -> Result<Transcript, ScenarioError> {
        self.setup()?;
        task.check_channels(&self.channels.borrowed())
            .map_err(|e| ScenarioError::PortType { run: "native", message: e.to_string() })?;
        task.reset();
        let schemas = PortSchemas::from_task(task);
        for action in &self.actions {
            let (Action::Push(name, _) | Action::Close(name)) = action;
            let idx = task.input(name).ok_or_else(|| {
                ScenarioError::Setup(format!("{}: module has no input `{name}`", self.name))
            })?;
            match action {
                Action::Push(_, message) => {
                    native::push_input(idx, &self.bytes(name, idx, message, &schemas)?)
                }
                Action::Close(_) => native::close_input(idx),
            }
        }
        let step = native::run(task);
        Ok(Transcript::from_parts(
            Some(&step),
            task.inputs,
            task.outputs,
            &PortSchemas::from_task(task),
            &native::take_outputs(),
            &native::take_logs(),
            &native::take_errors(),
            0,
        ))
    }

    /// Runs the wasm run on this host instead of the default one: a
    /// device's limits (`TestHost::builder().profile(&device)`), or a
    /// budget of its own (`.budget(Budget::MaxModuleSize, ..)`).
    pub fn host(mut self, host: TestHostBuilder) -> Self {
        self.host = Some(host);
        self
    }

    /// Runs the scenario on a built module with the scenario's host
    /// ([`host`](Self::host); the default [`TestHost`] if none).
    ///
    /// # Errors
    ///
    /// The module cannot be loaded, or the scenario names an unknown input.
    pub fn run_wasm(&self, wasm: impl AsRef<Path>) -> Result<Transcript, ScenarioError> {
        let host = self.host.clone().unwrap_or_else(TestHost::builder).build();
        self.run_on(&host, wasm)
    }

    /// Runs the scenario on a built module with this host.
    ///
    /// # Errors
    ///
    /// The module cannot be loaded, or the scenario names an unknown input.
    pub fn run_on(
        &self,
        host: &TestHost,
        wasm: impl AsRef<Path>,
    ) -> Result<Transcript, ScenarioError> {
        self.setup()?;
        let mut guest = match host.load_file_typed(wasm, &self.channels.borrowed()) {
            Err(TestHostError::Load(e @ LoadError::PortType { .. })) => {
                return Err(ScenarioError::PortType { run: "wasm", message: e.to_string() });
            }
            loaded => loaded?,
        };
        for action in &self.actions {
            match action {
                Action::Push(name, message) => {
                    let idx = guest.input_index(name.as_str())?;
                    let bytes = self.bytes(name, idx, message, guest.schemas())?;
                    guest.push_input(idx, &bytes)?
                }
                Action::Close(name) => guest.close_input(name.as_str())?,
            }
        }
        guest.run_until_idle();
        Ok(guest.transcript())
    }

    /// Checks a transcript against the expectations (`run` names it in the
    /// error).
    ///
    /// # Errors
    ///
    /// [`ScenarioError::Unexpected`] for the first part that differs.
    pub fn check(&self, run: &'static str, t: &Transcript) -> Result<(), ScenarioError> {
        fn differ<T: fmt::Debug + PartialEq>(
            run: &'static str,
            what: &'static str,
            expected: &T,
            actual: &T,
        ) -> Result<(), ScenarioError> {
            if expected == actual {
                return Ok(());
            }
            Err(ScenarioError::Unexpected {
                run,
                what,
                expected: format!("{expected:?}"),
                actual: format!("{actual:?}"),
                note: None,
            })
        }
        if let Some(outputs) = &self.outputs {
            // Each message compared as it is expected: hex, or the value
            // its type decodes to (`null` when it does not decode).
            let compared = |message: &Message| match message {
                Message::Bytes(bytes) | Message::Typed(bytes, _) => hex::encode(bytes),
                Message::Json(value) => value.to_string(),
            };
            let expected: Vec<(&str, String)> =
                outputs.iter().map(|(o, m)| (o.as_str(), compared(m))).collect();
            let actual: Vec<(&str, String)> = t
                .outputs
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let as_json = matches!(outputs.get(i), Some((_, Message::Json(_))));
                    let text = match &o.value {
                        _ if !as_json => o.hex.clone(),
                        Some(value) => value.to_string(),
                        None => "null".into(),
                    };
                    (o.output.as_str(), text)
                })
                .collect();
            if expected != actual {
                return Err(Self::outputs_differ(run, outputs, t));
            }
        }
        if let Some(logs) = &self.logs {
            let expected: Vec<(&str, &str)> =
                logs.iter().map(|(l, m)| (l.as_str(), m.as_str())).collect();
            let actual: Vec<(&str, &str)> =
                t.logs.iter().map(|l| (l.level.as_str(), l.message.as_str())).collect();
            differ(run, "logs", &expected, &actual)?;
        }
        if let Some(errors) = &self.errors {
            differ(run, "errors", errors, &t.errors)?;
        }
        if let Some(status) = &self.status {
            let expected =
                (status.as_str(), status.exit_code(), status.blocked_on(), status.waiting_on());
            let actual = (t.status.as_str(), t.exit_code, t.blocked_index, t.waiting_index);
            differ(run, "status", &expected, &actual)?;
        }
        Ok(())
    }

    /// The failure for outputs that differ: each message as its hex and,
    /// where its type is known, its decoded JSON, and a note when typed
    /// values are equal but their bytes are not.
    fn outputs_differ(
        run: &'static str,
        outputs: &[(String, Message)],
        t: &Transcript,
    ) -> ScenarioError {
        let expected: Vec<String> = outputs
            .iter()
            .map(|(output, message)| match message {
                Message::Bytes(bytes) => format!("{output} {}", hex::encode(bytes)),
                Message::Json(value) => format!("{output} {value}"),
                Message::Typed(bytes, value) => format!("{output} {} {value}", hex::encode(bytes)),
            })
            .collect();
        let actual: Vec<String> = t
            .outputs
            .iter()
            .map(|o| match &o.value {
                Some(value) => format!("{} {} {value}", o.output, o.hex),
                None => format!("{} {}", o.output, o.hex),
            })
            .collect();
        // Equal values in different bytes: `-0.0` and `0.0` compare equal
        // (as the native `assert_eq!` on the struct does) but encode apart.
        let same_value = outputs.iter().zip(&t.outputs).position(|((_, m), o)| {
            matches!((m, &o.value), (Message::Typed(bytes, v), Some(w))
                if v == w && hex::encode(bytes) != o.hex)
        });
        ScenarioError::Unexpected {
            run,
            what: "outputs",
            expected: format!("{expected:?}"),
            actual: format!("{actual:?}"),
            note: same_value.map(|i| {
                format!(
                    "message {i} decodes to the expected value but its bytes differ: a float \
                     that is -0.0 on one side and 0.0 on the other (equal as numbers, not in \
                     their encoding), or another value with two encodings"
                )
            }),
        }
    }

    /// Runs natively and on `wasm`, requires the same portable transcript,
    /// checks the expectations, and returns the wasm run's full transcript.
    ///
    /// # Errors
    ///
    /// The first failure: setup, host, divergence, or an expectation.
    pub fn run_both(
        &self,
        task: &Task,
        wasm: impl AsRef<Path>,
    ) -> Result<Transcript, ScenarioError> {
        let native = self.run_native(task)?;
        let wasm = self.run_wasm(wasm)?;
        if native.clone().portable() != wasm.clone().portable() {
            return Err(ScenarioError::Diverged {
                native: Box::new(native.portable()),
                wasm: Box::new(wasm.portable()),
            });
        }
        self.check("native", &native)?;
        self.check("wasm", &wasm)?;
        Ok(wasm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize, Schema)]
    struct Level {
        gain: f32,
    }

    fn ran(hex: &str, value: Value) -> Transcript {
        serde_json::from_value(json!({
            "status": "finished", "exit_code": 0, "blocked_on": null,
            "outputs": [{"output": "level", "hex": hex, "value": value}],
            "logs": [], "errors": [], "trap": null, "fuel_consumed": 0
        }))
        .expect("a transcript")
    }

    /// A typed expectation that fails shows both sides decoded beside
    /// their hex, and says when the values are equal and only their
    /// encodings differ (`-0.0` against `0.0`).
    #[test]
    fn typed_outputs_that_differ_show_their_values_and_why() {
        let scenario = Scenario::new("zero").expect_message("level", &Level { gain: -0.0 });
        let err = scenario.check("wasm", &ran("00000000", json!({"gain": 0.0}))).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(r#"level 00000080 {\"gain\":-0.0}"#), "{text}");
        assert!(text.contains(r#"level 00000000 {\"gain\":0.0}"#), "{text}");
        assert!(text.contains("note:     message 0 decodes to the expected value"), "{text}");

        let scenario = Scenario::new("gain").expect_message("level", &Level { gain: 6.6 });
        let err = scenario.check("wasm", &ran("00000000", json!({"gain": 0.0}))).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(r#"level 3333d340 {\"gain\":6.6}"#), "{text}");
        assert!(!text.contains("note:"), "{text}");
        scenario.check("wasm", &ran("3333d340", json!({"gain": 6.6}))).expect("equal");
    }
}
