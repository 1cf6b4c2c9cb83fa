//! The harness: load a module, feed it, run it, read what came out.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_sdk_host::abi::manifest::{Manifest, PortKind};
use wasm_sdk_host::abi::queue::QueueEnv;
use wasm_sdk_host::abi::rules::TextUsage;
use wasm_sdk_host::abi::schema::postcard_schema::Schema;
use wasm_sdk_host::abi::schema::{ChannelType, PortType};
use wasm_sdk_host::{Budget, Guest, Host, HostConfig, LoadError, LogLevel, ModuleInfo, Step};

use crate::catalog::DeviceCatalog;
use crate::error::TestHostError;
use crate::profile::DeviceProfile;
use crate::transcript::Transcript;
use crate::types::{Channels, PortSchemas};

/// Settings for a [`TestHost`]; start from [`TestHost::builder`].
#[derive(Clone, Debug)]
pub struct TestHostBuilder {
    config: HostConfig,
    channels: Channels,
    catalog: Option<DeviceCatalog>,
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

    /// Most bytes of sent messages a guest's record holds before its
    /// output is full and it waits ([`Step::Full`]) until the test takes
    /// them ([`TestGuest::take_sent`]); default 256 KiB.
    pub fn output_budget(mut self, bytes: usize) -> Self {
        self.config.output_budget = bytes;
        self
    }

    /// Most text bytes (logs and error reports) a guest may pass in its
    /// life, all kept in its record; past it `log` and `report_error`
    /// answer `Closed`. Default [`DEFAULT_TEXT_TOTAL`](crate::DEFAULT_TEXT_TOTAL).
    pub fn text_total(mut self, bytes: u64) -> Self {
        self.config.text.total = Some(bytes);
        self
    }

    /// One budget by name ([`Budget`]); `None` lifts a budget that may be
    /// absent (the fuel budgets, `text.total`).
    pub fn budget(mut self, budget: Budget, value: Option<u64>) -> Self {
        budget.set(&mut self.config, value);
        self
    }

    /// Runs guests as the device of `profile` does: its budgets, its
    /// engine settings and its load costs, so a module this host loads is
    /// one the device loads. Where the device has no total fuel or text
    /// limit, the test host keeps its own
    /// ([`DEFAULT_TOTAL_FUEL`](crate::DEFAULT_TOTAL_FUEL),
    /// [`DEFAULT_TEXT_TOTAL`](crate::DEFAULT_TEXT_TOTAL)): a desktop run
    /// must end, and the test host keeps every text.
    pub fn profile(mut self, profile: &DeviceProfile) -> Self {
        let own = (self.config.total_fuel, self.config.text.total);
        self.config = profile.config().clone();
        self.config.total_fuel = self.config.total_fuel.or(own.0);
        self.config.text.total = self.config.text.total.or(own.1);
        self
    }

    /// Every limit at once, for what the other methods do not set.
    pub fn config(mut self, config: HostConfig) -> Self {
        self.config = config;
        self
    }

    /// Declares that the firmware feeds input `name` with `T` messages: a
    /// module whose `name` is typed otherwise is refused at load, as the
    /// firmware refuses it ([`LoadError::PortType`](crate::LoadError::PortType)).
    pub fn expect_input<T: Schema + ?Sized>(self, name: &str) -> Self {
        self.channel(PortKind::Input, name, PortType::of::<T>())
    }

    /// Declares that the firmware reads `T` messages from output `name`.
    pub fn expect_output<T: Schema + ?Sized>(self, name: &str) -> Self {
        self.channel(PortKind::Output, name, PortType::of::<T>())
    }

    /// Declares the message type of one port's channel.
    pub fn channel(mut self, kind: PortKind, name: &str, ty: PortType) -> Self {
        self.channels.push(kind, name, ty);
        self
    }

    /// Loads modules as a device with this catalog installs them into a
    /// free slot: a port typed otherwise than its service is
    /// [`LoadError::PortType`](crate::LoadError::PortType), and a port that
    /// binds no service nor topic is [`TestHostError::Bind`].
    pub fn catalog(mut self, catalog: &DeviceCatalog) -> Self {
        for (kind, name, ty) in catalog.channel_types() {
            self.channels.push(kind, &name, ty);
        }
        self.catalog = Some(catalog.clone());
        self
    }

    /// The host.
    pub fn build(self) -> TestHost {
        TestHost { host: Host::new(self.config), channels: self.channels, catalog: self.catalog }
    }
}

/// Loads modules for testing; each [`TestGuest`] gets its own queues.
pub struct TestHost {
    host: Host<QueueEnv>,
    channels: Channels,
    catalog: Option<DeviceCatalog>,
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
        let mut config =
            HostConfig { total_fuel: Some(crate::DEFAULT_TOTAL_FUEL), ..HostConfig::default() };
        // The test host keeps every text; the firmware streams them out.
        config.text.total = Some(crate::DEFAULT_TEXT_TOTAL);
        TestHostBuilder { config, channels: Channels::default(), catalog: None }
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
        self.load_typed(wasm, &[])
    }

    /// [`load`](Self::load), with more channel types to check than the
    /// builder declared.
    ///
    /// # Errors
    ///
    /// [`TestHostError::Load`], with [`LoadError::PortType`](crate::LoadError::PortType)
    /// for a port whose type differs.
    pub fn load_typed(
        &self,
        wasm: &[u8],
        channels: &[ChannelType<'_>],
    ) -> Result<TestGuest, TestHostError> {
        let mut all = self.channels.borrowed();
        all.extend_from_slice(channels);
        let channels = all;
        let env = QueueEnv::with_output_budget(self.config().output_budget);
        // A project building this crate with debug assertions also builds
        // wasmi with them, and one of its translator's assertions panics on
        // a malformed module that release builds refuse (`fuzz/`): a
        // module must not crash the test host, so that panic is a refusal.
        let load = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.host.load_typed(wasm, env, &channels)
        }));
        let guest = load.unwrap_or_else(|_| {
            Err(LoadError::Invalid("the runtime panicked translating the module".into()))
        })?;
        if let Some(catalog) = &self.catalog
            && let Some(Err(reason)) =
                catalog.check(wasm)?.into_iter().map(|port| port.outcome).find(Result::is_err)
        {
            return Err(TestHostError::Bind(reason));
        }
        // `load` parsed and checked the manifest; this reads its schemas.
        let schemas = ModuleInfo::parse(wasm)
            .ok()
            .and_then(|info| info.manifest)
            .and_then(|m| Manifest::parse(&m).ok().map(|m| PortSchemas::from_manifest(&m)))
            .unwrap_or_default();
        Ok(TestGuest { guest, status: None, slices: 0, schemas })
    }

    /// Reads and loads a module file.
    ///
    /// # Errors
    ///
    /// [`TestHostError::Io`] or [`TestHostError::Load`].
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<TestGuest, TestHostError> {
        self.load_file_typed(path, &[])
    }

    /// [`load_file`](Self::load_file) with [`load_typed`](Self::load_typed)'s
    /// checks.
    ///
    /// # Errors
    ///
    /// [`TestHostError::Io`] or [`TestHostError::Load`].
    pub fn load_file_typed(
        &self,
        path: impl AsRef<Path>,
        channels: &[ChannelType<'_>],
    ) -> Result<TestGuest, TestHostError> {
        let path = path.as_ref();
        let wasm = std::fs::read(path)
            .map_err(|error| TestHostError::Io { path: path.to_owned(), error })?;
        self.load_typed(&wasm, channels)
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
    schemas: PortSchemas,
}

impl TestGuest {
    /// The index of an input given by index or name.
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownInput`].
    pub fn input_index<'a>(&self, port: impl Into<Port<'a>>) -> Result<u8, TestHostError> {
        self.input(port.into())
    }

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

    /// Queues a message given as JSON, encoded with the input's message
    /// type from the module's manifest (`{"count": 5}` for a `Counter`).
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownInput`]; [`TestHostError::Json`] when the
    /// input is untyped or the value does not fit its type.
    pub fn push_json<'a>(
        &mut self,
        input: impl Into<Port<'a>>,
        value: &Value,
    ) -> Result<(), TestHostError> {
        let port = input.into();
        let idx = self.input(port)?;
        let schema = self.schemas.get(PortKind::Input, idx).ok_or_else(|| {
            TestHostError::Json(format!("input `{}` is untyped (raw bytes)", port.describe()))
        })?;
        let bytes = schema.encode(value).map_err(TestHostError::Json)?;
        self.guest.env_mut().push(idx, bytes);
        Ok(())
    }

    /// Each port's message type, from the module's manifest.
    pub fn schemas(&self) -> &PortSchemas {
        &self.schemas
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

    /// Steps the guest until it blocks on an input with nothing queued (or
    /// waits on several, all empty), waits on a full output, finishes,
    /// traps or runs out of fuel, and returns that step (never
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

    /// One step, as a firmware scheduler takes them: runs until the guest
    /// blocks, waits, finishes, or uses its slice ([`Step::Preempted`]).
    pub fn step(&mut self) -> &Step {
        let step = self.guest.step();
        if step == Step::Preempted {
            self.slices += 1;
        }
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

    /// The names of the inputs the guest waits on in `wait_input`, in
    /// index order, if it does.
    pub fn waiting_on(&self) -> Option<Vec<&str>> {
        let inputs = self.status.as_ref()?.waiting_on()?;
        let names = self.guest.inputs();
        Some(inputs.iter().filter_map(|i| names.get(usize::from(i))).map(String::as_str).collect())
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

    /// Messages sent on one typed output, decoded as JSON with its type
    /// from the module's manifest.
    ///
    /// # Errors
    ///
    /// [`TestHostError::UnknownOutput`]; [`TestHostError::Json`] when the
    /// output is untyped or a message does not decode.
    pub fn outputs_json<'a>(
        &self,
        output: impl Into<Port<'a>>,
    ) -> Result<Vec<Value>, TestHostError> {
        let port = output.into();
        let idx = self.output(port)?;
        let schema = self.schemas.get(PortKind::Output, idx).ok_or_else(|| {
            TestHostError::Json(format!("output `{}` is untyped (raw bytes)", port.describe()))
        })?;
        self.outputs(port)?.iter().map(|m| schema.decode(m).map_err(TestHostError::Json)).collect()
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

    /// Most bytes of sent messages held before the guest waits
    /// ([`TestHostBuilder::output_budget`]).
    pub fn output_budget(&self) -> usize {
        self.guest.env().output_budget.unwrap_or(usize::MAX)
    }

    /// The text bytes the guest passed, and texts refused past its total.
    pub fn text_usage(&self) -> TextUsage {
        self.guest.text_usage()
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
