//! The harness: load a module, feed it, run it, read what came out.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_sdk_host::abi::queue::QueueEnv;
use wasm_sdk_host::{Guest, Host, HostConfig, LogLevel, Step};

use crate::error::TestHostError;
use crate::transcript::Transcript;

/// Settings for a [`TestHost`]; start from [`TestHost::builder`].
#[derive(Clone, Debug)]
pub struct TestHostBuilder {
    config: HostConfig,
}

impl TestHostBuilder {
    /// Fuel per step before a guest is preempted (the run continues; this
    /// only exercises slicing as a firmware scheduler would).
    pub fn fuel_per_slice(mut self, fuel: u64) -> Self {
        self.config.fuel_per_slice = Some(fuel);
        self
    }

    /// Total fuel budget per guest; default [`DEFAULT_TOTAL_FUEL`](crate::DEFAULT_TOTAL_FUEL).
    pub fn total_fuel(mut self, fuel: u64) -> Self {
        self.config.total_fuel = Some(fuel);
        self
    }

    /// No fuel metering at all (fastest; an endless loop then hangs).
    pub fn unmetered(mut self) -> Self {
        self.config.fuel_per_slice = None;
        self.config.total_fuel = None;
        self
    }

    /// Largest linear memory a guest may have or grow to, in bytes
    /// (default 64 KiB).
    pub fn memory_budget(mut self, bytes: u64) -> Self {
        self.config.memory_budget = bytes;
        self
    }

    /// Largest message a guest may send (default 64 KiB).
    pub fn max_message_len(mut self, bytes: usize) -> Self {
        self.config.max_message_len = bytes;
        self
    }

    /// The host.
    pub fn build(self) -> TestHost {
        TestHost { host: Host::new(self.config) }
    }
}

/// Loads modules for testing; each [`TestGuest`] gets its own queues.
pub struct TestHost {
    host: Host<QueueEnv>,
}

impl Default for TestHost {
    fn default() -> Self {
        TestHost::builder().build()
    }
}

impl TestHost {
    /// Defaults: total fuel [`DEFAULT_TOTAL_FUEL`](crate::DEFAULT_TOTAL_FUEL),
    /// no slicing, 64 KiB memory budget.
    pub fn builder() -> TestHostBuilder {
        let config =
            HostConfig { total_fuel: Some(crate::DEFAULT_TOTAL_FUEL), ..HostConfig::default() };
        TestHostBuilder { config }
    }

    /// The limits guests run under.
    pub fn config(&self) -> &HostConfig {
        self.host.config()
    }

    /// Checks and loads a module.
    ///
    /// # Errors
    ///
    /// [`TestHostError::Load`] with the host's reason.
    pub fn load(&self, wasm: &[u8]) -> Result<TestGuest, TestHostError> {
        let guest = self.host.load(wasm, QueueEnv::default())?;
        Ok(TestGuest { guest, status: None, slices: 0 })
    }

    /// Reads and loads a module file.
    ///
    /// # Errors
    ///
    /// [`TestHostError::Io`] or [`TestHostError::Load`].
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<TestGuest, TestHostError> {
        let path = path.as_ref();
        let wasm = std::fs::read(path)
            .map_err(|error| TestHostError::Io { path: path.to_owned(), error })?;
        self.load(&wasm)
    }
}

/// An input or output, by index or by manifest name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port<'a> {
    /// By index.
    Index(u8),
    /// By name.
    Name(&'a str),
}

impl From<u8> for Port<'_> {
    fn from(idx: u8) -> Self {
        Port::Index(idx)
    }
}

impl<'a> From<&'a str> for Port<'a> {
    fn from(name: &'a str) -> Self {
        Port::Name(name)
    }
}

impl Port<'_> {
    /// The index, given the number of ports and the lookup by name.
    fn resolve(self, count: usize, by_name: impl FnOnce(&str) -> Option<u8>) -> Option<u8> {
        match self {
            Port::Index(i) => (usize::from(i) < count).then_some(i),
            Port::Name(name) => by_name(name),
        }
    }

    fn describe(self) -> String {
        match self {
            Port::Index(i) => i.to_string(),
            Port::Name(name) => name.to_owned(),
        }
    }
}

/// A loaded guest with its queues and records.
pub struct TestGuest {
    guest: Guest<QueueEnv>,
    /// The last step; `None` before the first run.
    status: Option<Step>,
    slices: u64,
}

impl TestGuest {
    fn input(&self, port: Port<'_>) -> Result<u8, TestHostError> {
        port.resolve(self.guest.inputs().len(), |name| self.guest.input_index(name))
            .ok_or_else(|| TestHostError::UnknownInput(port.describe()))
    }

    fn output(&self, port: Port<'_>) -> Result<u8, TestHostError> {
        port.resolve(self.guest.outputs().len(), |name| self.guest.output_index(name))
            .ok_or_else(|| TestHostError::UnknownOutput(port.describe()))
    }

    /// Queues a raw message on an input.
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownInput`].
    pub fn push_input<'a>(
        &mut self,
        input: impl Into<Port<'a>>,
        message: &[u8],
    ) -> Result<(), TestHostError> {
        let idx = self.input(input.into())?;
        self.guest.env_mut().push(idx, message.to_vec());
        Ok(())
    }

    /// Queues a typed message (postcard, as the guest SDK decodes it).
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownInput`] or [`TestHostError::Payload`].
    pub fn push_message<'a, T: Serialize + ?Sized>(
        &mut self,
        input: impl Into<Port<'a>>,
        message: &T,
    ) -> Result<(), TestHostError> {
        let bytes = postcard::to_allocvec(message).map_err(TestHostError::Payload)?;
        self.push_input(input, &bytes)
    }

    /// Closes an input: queued messages are still delivered, then the
    /// guest's `receive` returns `Closed` (the SDK's clean stop).
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownInput`].
    pub fn close_input<'a>(&mut self, input: impl Into<Port<'a>>) -> Result<(), TestHostError> {
        let idx = self.input(input.into())?;
        self.guest.env_mut().close(idx);
        Ok(())
    }

    /// Steps the guest until it blocks on an input with nothing queued,
    /// finishes, traps or runs out of fuel, and returns that step (never
    /// [`Step::Preempted`]: preemptions by fuel slices are stepped through
    /// and counted in [`preemptions`](Self::preemptions)).
    pub fn run_until_idle(&mut self) -> &Step {
        let step = loop {
            match self.guest.step() {
                Step::Preempted => self.slices += 1,
                step => break step,
            }
        };
        self.status.insert(step)
    }

    /// The step the last run ended with; `None` before the first run.
    pub fn status(&self) -> Option<&Step> {
        self.status.as_ref()
    }

    /// The name of the input the guest is blocked on, if it is.
    pub fn blocked_on(&self) -> Option<&str> {
        let input = self.status.as_ref()?.blocked_on()?;
        self.guest.inputs().get(usize::from(input)).map(String::as_str)
    }

    /// Messages sent on one output, in order.
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownOutput`].
    pub fn outputs<'a>(&self, output: impl Into<Port<'a>>) -> Result<Vec<Vec<u8>>, TestHostError> {
        let idx = self.output(output.into())?;
        Ok(self.sent().iter().filter(|(o, _)| *o == idx).map(|(_, m)| m.clone()).collect())
    }

    /// Messages sent on one output, decoded with postcard.
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownOutput`] or [`TestHostError::Payload`].
    pub fn outputs_as<'a, T: DeserializeOwned>(
        &self,
        output: impl Into<Port<'a>>,
    ) -> Result<Vec<T>, TestHostError> {
        self.outputs(output)?
            .iter()
            .map(|m| postcard::from_bytes(m).map_err(TestHostError::Payload))
            .collect()
    }

    /// Every message sent, as `(output index, bytes)`, in order.
    pub fn sent(&self) -> &[(u8, Vec<u8>)] {
        &self.guest.env().sent
    }

    /// Takes the messages sent so far, leaving none recorded (for long
    /// runs that should not accumulate outputs).
    pub fn take_sent(&mut self) -> Vec<(u8, Vec<u8>)> {
        std::mem::take(&mut self.guest.env_mut().sent)
    }

    /// Every log line, in order.
    pub fn logs(&self) -> &[(LogLevel, String)] {
        &self.guest.env().logs
    }

    /// Every error the guest reported (`report_error`), in order.
    pub fn errors(&self) -> &[String] {
        &self.guest.env().errors
    }

    /// Fuel used so far (0 when unmetered).
    pub fn fuel_consumed(&self) -> u64 {
        self.guest.fuel_consumed()
    }

    /// Times the guest was preempted by a fuel slice.
    pub fn preemptions(&self) -> u64 {
        self.slices
    }

    /// Input names, index order.
    pub fn input_names(&self) -> &[String] {
        self.guest.inputs()
    }

    /// Output names, index order.
    pub fn output_names(&self) -> &[String] {
        self.guest.outputs()
    }

    /// Messages still queued on an input.
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownInput`].
    pub fn queued<'a>(&self, input: impl Into<Port<'a>>) -> Result<usize, TestHostError> {
        let idx = self.input(input.into())?;
        Ok(self.guest.env().queued(idx))
    }

    /// The underlying host guest, for what this harness does not wrap.
    pub fn guest(&self) -> &Guest<QueueEnv> {
        &self.guest
    }

    /// Everything observable, serializable for golden tests.
    pub fn transcript(&self) -> Transcript {
        Transcript::new(self)
    }
}
