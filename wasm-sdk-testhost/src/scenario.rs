//! One scenario, run natively and on the wasm test host, same transcript.

use std::fmt;
use std::path::Path;

use serde::Serialize;
use wasm_sdk::native::{self, Task};
use wasm_sdk_host::{LogLevel, Step};

use crate::error::TestHostError;
use crate::harness::TestHost;
use crate::transcript::Transcript;

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
    outputs: Option<Vec<(String, Vec<u8>)>>,
    logs: Option<Vec<(LogLevel, String)>>,
    errors: Option<Vec<String>>,
    status: Option<Step>,
    /// A message that could not be encoded; reported when the scenario runs.
    invalid: Option<String>,
}

#[derive(Clone, Debug)]
enum Action {
    Push(String, Vec<u8>),
    Close(String),
}

/// Why a scenario failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The scenario itself is wrong (unknown port, unencodable message).
    Setup(String),
    /// The test host could not load or feed the module.
    Host(TestHostError),
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
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Setup(e) => write!(f, "scenario setup: {e}"),
            ScenarioError::Host(e) => write!(f, "{e}"),
            ScenarioError::Diverged { native, wasm } => write!(
                f,
                "native and wasm runs differ\n--- native\n{}\n--- wasm\n{}",
                native.to_json(),
                wasm.to_json()
            ),
            ScenarioError::Unexpected { run, what, expected, actual } => {
                write!(f, "{run} run: {what} differ\n  expected: {expected}\n  actual:   {actual}")
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
        self.actions.push(Action::Push(input.into(), message.into()));
        self
    }

    /// Queues a typed message (postcard) on an input.
    pub fn push_message<T: Serialize + ?Sized>(self, input: &str, message: &T) -> Self {
        match postcard::to_allocvec(message) {
            Ok(bytes) => self.push(input, bytes),
            Err(e) => self.invalid(format!("message for `{input}`: {e}")),
        }
    }

    /// Closes an input after the messages queued so far.
    pub fn close(mut self, input: &str) -> Self {
        self.actions.push(Action::Close(input.into()));
        self
    }

    /// Expects this message next on `output`. Once any output is expected,
    /// the outputs must match exactly, in order.
    pub fn expect_output(mut self, output: &str, message: impl Into<Vec<u8>>) -> Self {
        self.outputs.get_or_insert_with(Vec::new).push((output.into(), message.into()));
        self
    }

    /// Expects this typed message (postcard) next on `output`.
    pub fn expect_message<T: Serialize + ?Sized>(self, output: &str, message: &T) -> Self {
        match postcard::to_allocvec(message) {
            Ok(bytes) => self.expect_output(output, bytes),
            Err(e) => self.invalid(format!("expected message for `{output}`: {e}")),
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
        task.reset();
        for action in &self.actions {
            let (Action::Push(name, _) | Action::Close(name)) = action;
            let idx = task.input(name).ok_or_else(|| {
                ScenarioError::Setup(format!("{}: module has no input `{name}`", self.name))
            })?;
            match action {
                Action::Push(_, bytes) => native::push_input(idx, bytes),
                Action::Close(_) => native::close_input(idx),
            }
        }
        let step = native::run(task);
        Ok(Transcript::from_parts(
            Some(&step),
            task.inputs,
            task.outputs,
            &native::take_outputs(),
            &native::take_logs(),
            &native::take_errors(),
            0,
        ))
    }

    /// Runs the scenario on a built module with the default [`TestHost`].
    ///
    /// # Errors
    ///
    /// The module cannot be loaded, or the scenario names an unknown input.
    pub fn run_wasm(&self, wasm: impl AsRef<Path>) -> Result<Transcript, ScenarioError> {
        self.run_on(&TestHost::default(), wasm)
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
        let mut guest = host.load_file(wasm)?;
        for action in &self.actions {
            match action {
                Action::Push(name, bytes) => guest.push_input(name.as_str(), bytes)?,
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
            })
        }
        if let Some(outputs) = &self.outputs {
            let expected: Vec<(String, String)> =
                outputs.iter().map(|(o, b)| (o.clone(), hex::encode(b))).collect();
            let actual: Vec<(String, String)> =
                t.outputs.iter().map(|o| (o.output.clone(), o.hex.clone())).collect();
            differ(run, "outputs", &expected, &actual)?;
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
            let expected = (status.as_str(), status.exit_code(), status.blocked_on());
            let actual = (t.status.as_str(), t.exit_code, t.blocked_index);
            differ(run, "status", &expected, &actual)?;
        }
        Ok(())
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
