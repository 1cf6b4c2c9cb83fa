#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

pub mod bus;
pub mod catalog;
#[cfg(feature = "heap")]
pub mod heap;
#[cfg(feature = "update")]
pub mod update;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::task::Poll;

use embassy_futures::select::{Either, select};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::{Channel, TrySendError};
use embassy_time::{Duration, Instant};
use serde::de::DeserializeOwned;
pub use wasm_sdk_host::abi::manifest::PortKind;
use wasm_sdk_host::abi::manifest::position;
use wasm_sdk_host::abi::schema::postcard_schema::Schema;
use wasm_sdk_host::abi::schema::{ChannelType, PortType};
use wasm_sdk_host::{
    Environment, Guest, Host, InputState, LoadError, LogLevel, SendError, Step, Trusted,
};

pub use wasm_sdk_host;

/// A message between a service and a guest.
pub type Message = Vec<u8>;

/// Messages a channel holds before senders wait: a service sending to a
/// guest's input, or the guest sending to an output (it is suspended in
/// `send` until the consumer takes one; see [`drive`]).
pub const PORT_DEPTH: usize = 4;

/// The most message bytes the runner holds for one guest, whatever the
/// guest asks for: what a firmware sizes its heap with.
///
/// A guest's sends are refused above the host's limit
/// ([`HostConfig::max_message_len`](wasm_sdk_host::HostConfig::max_message_len):
/// the ABI answers `MessageTooLarge`), and every message the runner keeps
/// is a copy of one sent or fed within it, so what it holds is that limit
/// times the copies it keeps:
///
/// ```text
/// max_message_len × (outputs × PORT_DEPTH        output channels
///                   + inputs × (PORT_DEPTH + 1)  input channels, and the
///                                                message taken, not received
///                   + tap)                       `update::TAP_DEPTH` copies
///                                                with the update path, else 0
/// ```
///
/// Why it matters: a firmware's heap holds the guests' linear memories
/// too, and a copy that does not fit is not an error a guest can get but
/// an allocation failure that stops the firmware (five guests sending
/// 32 KiB messages did, with the ABI's 64 KiB default). A firmware sets a
/// limit its services need (a few bytes for the examples) and budgets
/// this much per guest. Input channels are fed by the firmware's own
/// services and by the update path's `guests send`, which refuses data
/// above the same limit.
pub const fn held_message_bytes(
    max_message_len: usize,
    inputs: usize,
    outputs: usize,
    tap: usize,
) -> usize {
    max_message_len * (outputs * PORT_DEPTH + inputs * (PORT_DEPTH + 1) + tap)
}

/// A channel feeding a guest input or carrying a guest output.
pub type PortChannel = Channel<CriticalSectionRawMutex, Message, PORT_DEPTH>;

/// Where a guest's logs and error reports go (defmt, semihosting, ...).
pub trait Sink: Sync {
    /// A log line of guest `guest`.
    fn log(&self, guest: &str, level: LogLevel, message: &str);
    /// An error guest `guest` reported.
    fn report_error(&self, guest: &str, message: &str);
    /// `lines` log lines and error reports of guest `guest` were dropped
    /// by its [`LogLimit`] since the last line it passed; said before the
    /// next line that passes. By default a warning without the count (the
    /// count formatted costs `core::fmt`); a firmware prints the count.
    fn dropped_lines(&self, guest: &str, lines: u32) {
        let _ = lines;
        self.log(guest, LogLevel::Warn, "log lines dropped: rate limit");
    }
    /// What the update path did to guest `guest` (swapped a module in,
    /// confirmed or rolled one back, ...); nothing by default.
    #[cfg(feature = "update")]
    fn update(&self, guest: &str, event: &update::Event<'_>) {
        let _ = (guest, event);
    }
}

/// A copy of every message a guest sends, besides its channel: the update
/// path's `outputs` command reads guest outputs without taking them from
/// the services that consume them.
pub trait OutputTap: Sync {
    /// Guest output `port` sent `message` (it is in the channel already).
    fn tap(&self, port: &str, message: &[u8]);
}

/// The channel of each port a firmware gives a guest, by port name: the names
/// of the guest's `#[task_run(inputs(..), outputs(..))]`, in any order,
/// each with the message type its channel carries.
///
/// ```
/// use wasm_sdk_embassy::{PortChannel, Wire, Wiring};
/// use module_examples_common::{AlarmEvent, Reading, Thresholds};
///
/// static READINGS: PortChannel = PortChannel::new();
/// static THRESHOLDS: PortChannel = PortChannel::new();
/// static ALARMS: PortChannel = PortChannel::new();
/// static AVERAGES: PortChannel = PortChannel::new();
///
/// /// `#[task_run(inputs(reading: Reading, thresholds: Thresholds),
/// ///             outputs(alarm: AlarmEvent, average: Reading))]`
/// static ALARM: Wiring = Wiring {
///     inputs: &[
///         Wire::typed::<Thresholds>("thresholds", &THRESHOLDS),
///         Wire::typed::<Reading>("reading", &READINGS),
///     ],
///     outputs: &[
///         Wire::typed::<AlarmEvent>("alarm", &ALARMS),
///         Wire::typed::<Reading>("average", &AVERAGES),
///     ],
/// };
/// # let _ = &ALARM;
/// ```
#[derive(Clone, Copy)]
pub struct Wiring {
    /// Each input's name and the channel that feeds it.
    pub inputs: &'static [Wire],
    /// Each output's name and the channel that carries it.
    pub outputs: &'static [Wire],
}

/// One port of a [`Wiring`]: the port's name, its channel, and the message
/// type the channel carries. [`start`] refuses a module whose port of that
/// name declares another type ([`LoadError::PortType`]).
#[derive(Clone, Copy)]
pub struct Wire {
    /// The port's name.
    pub name: &'static str,
    /// The channel.
    pub channel: &'static PortChannel,
    /// The message type; `None`: raw bytes, checked against nothing.
    pub ty: Option<PortType>,
    /// Whether a message decodes as the port's type (postcard, exactly:
    /// trailing bytes do not); `None`: raw bytes, any message does. On an
    /// output, what the update path's health rule counts as an answer
    /// ([`ChannelEnv::undecodable`]).
    pub decodes: Option<fn(&[u8]) -> bool>,
}

impl Wire {
    /// A channel of `T` messages (encoded with postcard) for port `name`.
    pub const fn typed<T: Schema + DeserializeOwned>(
        name: &'static str,
        channel: &'static PortChannel,
    ) -> Self {
        Wire { name, channel, ty: Some(PortType::of::<T>()), decodes: Some(decodes::<T>) }
    }

    /// A channel of raw bytes for port `name`: a module may type that port as
    /// it likes.
    pub const fn raw(name: &'static str, channel: &'static PortChannel) -> Self {
        Wire { name, channel, ty: None, decodes: None }
    }
}

/// A copy of `bytes`, or `None` if the heap has no room for it: a guest's
/// or a service's message is never an allocation failure of the firmware.
pub(crate) fn try_copy(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len()).ok()?;
    copy.extend_from_slice(bytes);
    Some(copy)
}

/// Whether `message` is exactly one postcard-encoded `T`.
fn decodes<T: DeserializeOwned>(message: &[u8]) -> bool {
    matches!(postcard::take_from_bytes::<T>(message), Ok((_, rest)) if rest.is_empty())
}

/// How many log lines and error reports a guest passes to its [`Sink`]:
/// `burst` at once, then one every `every`; the rest are dropped and
/// counted ([`ChannelEnv::dropped_lines`], and [`Sink::dropped_lines`]
/// before the next line that passes).
///
/// The ABI's text budget bounds the bytes of one step; this bounds the
/// lines in time, so a guest logging in a loop cannot fill the console
/// (semihosting or a UART writes slowly: the SMP task and other guests
/// would wait behind it) nor a flash-backed log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLimit {
    /// Lines passed at once after a quiet period.
    pub burst: u32,
    /// One more line may pass every this long.
    pub every: Duration,
}

impl LogLimit {
    /// 20 lines at once, then 10 a second: a guest's start-up and its
    /// errors show, a loop's flood does not.
    pub const DEFAULT: LogLimit = LogLimit { burst: 20, every: Duration::from_millis(100) };
}

/// A [`LogLimit`] applied: the lines that may pass now. Each guest's log
/// has one; a firmware that prints what guests send (an output consumer
/// on a console) applies one too, so a guest answering in a loop cannot
/// flood the console through it either.
#[derive(Clone, Debug)]
pub struct LogBucket {
    limit: LogLimit,
    tokens: u32,
    since: Instant,
    /// Dropped since the last line passed.
    unreported: u32,
}

impl LogBucket {
    /// A full bucket: `limit.burst` lines may pass at once.
    pub fn new(limit: LogLimit) -> Self {
        LogBucket { limit, tokens: limit.burst, since: Instant::now(), unreported: 0 }
    }

    /// Whether one more line may pass now: `Some(n)` if it does, `n` the
    /// lines dropped since the last one passed (to be said before it);
    /// `None` if it is dropped, and counted.
    pub fn admit(&mut self) -> Option<u32> {
        if !self.take() {
            self.unreported = self.unreported.saturating_add(1);
            return None;
        }
        Some(core::mem::take(&mut self.unreported))
    }

    /// Whether one more line may pass now (taking it).
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let every = self.limit.every.as_ticks().max(1);
        let gained = now.as_ticks().saturating_sub(self.since.as_ticks()) / every;
        if gained > 0 {
            let tokens = u64::from(self.tokens).saturating_add(gained);
            self.tokens = u32::try_from(tokens).unwrap_or(u32::MAX).min(self.limit.burst);
            self.since = if self.tokens == self.limit.burst {
                now
            } else {
                self.since + Duration::from_ticks(gained * every)
            };
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

/// Why [`start`] did not start a guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// The host refused the module.
    Load(LoadError),
    /// The module declares a port the [`Wiring`] has no channel for.
    UnwiredPort {
        /// Input or output.
        kind: PortKind,
        /// The port's name in the module's manifest.
        name: String,
    },
    /// The [`Wiring`] has a channel for a port the module does not declare.
    UnusedWire {
        /// Input or output.
        kind: PortKind,
        /// The name the wiring gives.
        name: &'static str,
    },
    /// The [`Wiring`] names the same port twice.
    DuplicateWire {
        /// Input or output.
        kind: PortKind,
        /// The name given twice.
        name: &'static str,
    },
    /// A port does not bind on the [`Bus`](bus::Bus): no such service, one
    /// of another direction or type, or a topic's rules.
    Bind(bus::BindError),
}

impl StartError {
    /// What is wrong, as a static text: firmware can log it (with
    /// [`detail`](Self::detail)) without `core::fmt`, whose formatting
    /// machinery costs flash on a microcontroller.
    pub fn as_str(&self) -> &'static str {
        match self {
            StartError::Load(error) => error.as_str(),
            StartError::UnwiredPort { kind: PortKind::Input, .. } => {
                "the module declares an input the firmware does not wire"
            }
            StartError::UnwiredPort { kind: PortKind::Output, .. } => {
                "the module declares an output the firmware does not wire"
            }
            StartError::UnusedWire { kind: PortKind::Input, .. } => {
                "the firmware wires an input the module does not declare"
            }
            StartError::UnusedWire { kind: PortKind::Output, .. } => {
                "the firmware wires an output the module does not declare"
            }
            StartError::DuplicateWire { kind: PortKind::Input, .. } => {
                "the firmware wires an input twice"
            }
            StartError::DuplicateWire { kind: PortKind::Output, .. } => {
                "the firmware wires an output twice"
            }
            StartError::Bind(error) => error.as_str(),
        }
    }

    /// What [`as_str`](Self::as_str) is about: the port's name, the
    /// offending import, or the engine's own description; empty when there
    /// is nothing more to say.
    pub fn detail(&self) -> &str {
        match self {
            StartError::Load(error) => match error {
                LoadError::Malformed(text)
                | LoadError::Invalid(text)
                | LoadError::Instantiate(text)
                | LoadError::UnknownImport { name: text, .. }
                | LoadError::ImportSignature { name: text, .. } => text,
                LoadError::MissingExport(export) => export,
                LoadError::PortType { port, .. } => port,
                LoadError::Manifest(error) => error.as_str(),
                _ => "",
            },
            StartError::UnwiredPort { name, .. } => name,
            StartError::UnusedWire { name, .. } | StartError::DuplicateWire { name, .. } => name,
            StartError::Bind(error) => error.port(),
        }
    }
}

impl fmt::Display for StartError {
    /// The full text, with the numbers a [`LoadError`] carries; firmware
    /// that avoids `core::fmt` uses [`StartError::as_str`] instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Load(error) => error.fmt(f),
            StartError::Bind(error) => error.fmt(f),
            _ => write!(f, "{}: `{}`", self.as_str(), self.detail()),
        }
    }
}

impl core::error::Error for StartError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            StartError::Load(error) => Some(error),
            StartError::Bind(error) => Some(error),
            _ => None,
        }
    }
}

/// A module as a firmware hands it to [`start`], [`check`] and [`swap`].
///
/// With this crate's `validate` feature (the default) a plain `&[u8]` is
/// one, and the host validates it on load. A firmware built without it
/// has no validator: it passes [`Trusted`] modules, validated and stamped
/// off the device ([`wasm_sdk_host::trust`]).
#[derive(Clone, Copy, Debug)]
pub enum Wasm<'a> {
    /// Bytes the host validates as it loads them.
    #[cfg(feature = "validate")]
    Checked(&'a [u8]),
    /// Bytes validated off the device, loaded with
    /// [`Host::load_trusted`] (validated again when the `validate` feature
    /// is on).
    Trusted(Trusted<'a>),
}

impl<'a> Wasm<'a> {
    /// A module this firmware vouches for: [`Wasm::Checked`] with
    /// validation on, else [`Wasm::Trusted`]. One call site for both
    /// builds.
    ///
    /// # Safety
    ///
    /// Without the `validate` feature, that of [`Trusted::new`]: the
    /// module was stamped by [`Host::stamp`] for this host's configuration
    /// (a built-in module, by the firmware's build script) and is
    /// authentic (an upload, by its verified signature). With validation
    /// on, none: the host validates it.
    pub unsafe fn vouched(bytes: &'a [u8]) -> Self {
        #[cfg(feature = "validate")]
        return Wasm::Checked(bytes);
        // SAFETY: the caller's, above.
        #[cfg(not(feature = "validate"))]
        Wasm::Trusted(unsafe { Trusted::new(bytes) })
    }

    /// The module's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        match self {
            #[cfg(feature = "validate")]
            Wasm::Checked(bytes) => bytes,
            Wasm::Trusted(trusted) => trusted.bytes(),
        }
    }
}

#[cfg(feature = "validate")]
impl<'a> From<&'a [u8]> for Wasm<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Wasm::Checked(bytes)
    }
}

#[cfg(feature = "validate")]
impl<'a> From<&'a Vec<u8>> for Wasm<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Wasm::Checked(bytes)
    }
}

#[cfg(feature = "validate")]
impl<'a, const N: usize> From<&'a [u8; N]> for Wasm<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Wasm::Checked(bytes)
    }
}

impl<'a> From<Trusted<'a>> for Wasm<'a> {
    fn from(trusted: Trusted<'a>) -> Self {
        Wasm::Trusted(trusted)
    }
}

/// How a guest's ports get their channels.
#[derive(Clone, Copy)]
pub enum Connect {
    /// A fixed wiring: the channel of each port, by name; the module's
    /// ports and the wiring's must match exactly.
    Wiring(Wiring),
    /// A bus: each port bound by name to a service of its catalog or to a
    /// topic, as the guest in `slot` (its bindings replace those of the
    /// guest there before).
    Bus {
        /// The bus.
        bus: &'static bus::Bus,
        /// The guest's slot.
        slot: bus::Slot,
    },
}

impl From<&Wiring> for Connect {
    fn from(wiring: &Wiring) -> Self {
        Connect::Wiring(*wiring)
    }
}

/// Loads `wasm` as guest `name` with `host`, gives each port its manifest
/// declares its channel ([`Connect`]: the [`Wiring`]'s channel of that
/// name, or its binding on a [`Bus`](bus::Bus)), and returns the guest,
/// ready for [`drive`].
///
/// # Errors
///
/// [`StartError::Load`] if the host refuses the module (on a bus, a port
/// named as a service of its direction but of another type is
/// [`LoadError::PortType`], with both types). With a wiring, on the first
/// port (inputs first, in manifest order) that has no channel,
/// [`StartError::UnwiredPort`]; then, on the first wire (in wiring order)
/// whose name the module does not declare or that repeats a name,
/// [`StartError::UnusedWire`] or [`StartError::DuplicateWire`]. On a bus,
/// [`StartError::Bind`] for the first port that does not bind.
pub fn start<'a>(
    host: &Host<ChannelEnv>,
    name: &'static str,
    wasm: impl Into<Wasm<'a>>,
    connect: impl Into<Connect>,
    sink: &'static dyn Sink,
) -> Result<Guest<ChannelEnv>, StartError> {
    load_connected(host, name, wasm.into(), connect.into(), sink, true)
}

/// [`start`]; with `bind` false, a bus's bindings are checked and left as
/// they are (for [`check`]).
fn load_connected(
    host: &Host<ChannelEnv>,
    name: &'static str,
    wasm: Wasm<'_>,
    connect: Connect,
    sink: &'static dyn Sink,
    bind: bool,
) -> Result<Guest<ChannelEnv>, StartError> {
    // The manifest is read by `load`; the channels are put in its index order
    // once it is known. The guest runs nothing before its first step.
    let env = ChannelEnv {
        name,
        inputs: Vec::new(),
        outputs: Vec::new(),
        timer: None,
        sink,
        tap: None,
        preemptions: 0,
        waits: 0,
        received: 0,
        ticks: 0,
        sent: 0,
        undecodable: 0,
        dropped_lines: 0,
        logs: LogBucket::new(LogLimit::DEFAULT),
        spare: Vec::new(),
    };
    let channels: Vec<ChannelType<'_>> = match &connect {
        Connect::Wiring(wiring) => (wiring.inputs.iter().map(|w| (PortKind::Input, w)))
            .chain(wiring.outputs.iter().map(|w| (PortKind::Output, w)))
            .filter_map(|(kind, wire)| Some(ChannelType { kind, port: wire.name, ty: wire.ty? }))
            .collect(),
        Connect::Bus { bus, .. } => bus.catalog().channel_types().collect(),
    };
    // With validation on, trusted modules are validated too: one load
    // path, and `load_trusted` is not linked (flash saved).
    #[cfg(feature = "validate")]
    let loaded = host.load_typed(wasm.bytes(), env, &channels);
    #[cfg(not(feature = "validate"))]
    let loaded = match wasm {
        Wasm::Trusted(trusted) => host.load_trusted(trusted, env, &channels),
    };
    let mut guest = loaded.map_err(StartError::Load)?;
    match connect {
        Connect::Wiring(wiring) => {
            let inputs = in_manifest_order(PortKind::Input, guest.inputs(), wiring.inputs)?;
            let outputs = in_manifest_order(PortKind::Output, guest.outputs(), wiring.outputs)?;
            let env = guest.env_mut();
            env.inputs = inputs
                .into_iter()
                .map(|wire| InputPort { channel: Feed::Wired(wire.channel), head: None })
                .collect();
            env.outputs = outputs.into_iter().map(Route::Wired).collect();
        }
        Connect::Bus { bus, slot } if !bind => bus.check(slot, &guest).map_err(StartError::Bind)?,
        Connect::Bus { bus, slot } => {
            let bound = bus.bind(slot, &guest).map_err(StartError::Bind)?;
            let env = guest.env_mut();
            env.inputs = bound
                .inputs
                .into_iter()
                .map(|channel| InputPort { channel: Feed::Bound(channel), head: None })
                .collect();
            env.outputs = bound.outputs;
            env.timer = bound.tick.map(TimerState::new);
        }
    }
    Ok(guest)
}

/// Checks an uploaded module against the firmware's wiring or bus without
/// stopping anything: exactly what [`start`] does (the host's load checks,
/// instantiation, so data and element segments and the memory and table
/// limits are checked too, then each port by name), with a guest that
/// never runs and is dropped at once, and a bus's bindings left as they
/// are. A firmware calls this before it replaces a running guest, so a
/// module it accepts will start.
///
/// # Errors
///
/// The [`StartError`] that [`start`] would return.
pub fn check<'a>(
    host: &Host<ChannelEnv>,
    wasm: impl Into<Wasm<'a>>,
    connect: impl Into<Connect>,
) -> Result<(), StartError> {
    struct Silent;
    impl Sink for Silent {
        fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
        fn report_error(&self, _guest: &str, _message: &str) {}
    }
    static SILENT: Silent = Silent;
    load_connected(&fresh(host), "check", wasm.into(), connect.into(), &SILENT, false).map(drop)
}

/// A host with `host`'s configuration and an engine of its own: wasmi keeps
/// a module's compiled code in its engine until the engine is dropped, so
/// loading module after module on one engine grew the heap with each
/// (QEMU check 6; the book's figures page, "Heap and RAM per guest"). A module loaded on a fresh engine frees all of it with
/// its guest.
pub(crate) fn fresh(host: &Host<ChannelEnv>) -> Host<ChannelEnv> {
    Host::new(host.config().clone())
}

/// Where [`run_to_safe_point`] left a guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SafePoint {
    /// Waiting in `receive` or `wait_input` with nothing queued: safe to
    /// stop or swap.
    Waiting,
    /// It stopped by itself (its final step).
    Stopped(Step),
    /// Still computing after the slices allowed: stopping it now loses the
    /// message it is processing (a guest that spins never gets to a safe
    /// point; the caller decides).
    Busy,
}

/// Runs `guest` to a safe point to stop or [`swap`] it: until it waits in
/// `receive` or `wait_input` on inputs with nothing queued, or stops, or
/// `max_slices` fuel slices are used. Unlike [`drive`] it never awaits a channel, so a
/// message is never half processed when it returns [`SafePoint::Waiting`];
/// it yields after each fuel slice.
pub async fn run_to_safe_point(guest: &mut Guest<ChannelEnv>, max_slices: u32) -> SafePoint {
    for _ in 0..=max_slices {
        match guest.step() {
            Step::Blocked { .. } | Step::Waiting { .. } => return SafePoint::Waiting,
            // Waiting for room mid-message is not a safe point: let the
            // consumer drain, as after a slice.
            Step::Preempted | Step::Full { .. } => {
                let env = guest.env_mut();
                env.preemptions = env.preemptions.wrapping_add(1);
                embassy_futures::yield_now().await;
            }
            done => return SafePoint::Stopped(done),
        }
    }
    SafePoint::Busy
}

/// Replaces the module `guest` runs by `wasm`, on `connect` (the same
/// wiring, or the same slot of a bus), with the same name and sink: the
/// update path's swap. The new module is loaded with
/// `host`'s configuration on an engine of its own, freed with it.
///
/// The new module gets every check of [`start`] first; if one fails,
/// `guest` is left as it was and the error returned. Otherwise the old
/// guest is dropped, and the messages it had taken from a channel but not
/// received (a message peeked with `input_len`, or one too large for its
/// buffer) move to the new guest's same-named inputs, ahead of what is
/// still in the channels: nothing queued for the slot is lost. Bring the old
/// guest to a safe point first ([`run_to_safe_point`]), so that no message
/// is half processed when it is dropped.
///
/// # Errors
///
/// The new module's [`StartError`]; `guest` is unchanged.
pub fn swap<'a>(
    host: &Host<ChannelEnv>,
    guest: &mut Guest<ChannelEnv>,
    wasm: impl Into<Wasm<'a>>,
    connect: impl Into<Connect>,
) -> Result<(), StartError> {
    let (name, sink, limit) = (guest.env().name, guest.env().sink, guest.env().logs.limit);
    let mut new = start(&fresh(host), name, wasm, connect, sink)?;
    new.env_mut().set_log_limit(limit);
    let names: Vec<String> = guest.inputs().to_vec();
    for (name, port) in names.iter().zip(&mut guest.env_mut().inputs) {
        let Some(head) = port.head.take() else { continue };
        if let Some(index) = new.input_index(name) {
            new.env_mut().port(index).head = Some(head);
        }
    }
    *guest = new;
    Ok(())
}

/// The wire (name, channel) of each of `declared` (a manifest's port names, index order)
/// from `wires`, which must name each of them exactly once and nothing else.
fn in_manifest_order(
    kind: PortKind,
    declared: &[String],
    wires: &'static [Wire],
) -> Result<Vec<Wire>, StartError> {
    let mut channels = Vec::with_capacity(declared.len());
    for name in declared {
        let Some(&wire) = wires.iter().find(|wire| wire.name == name) else {
            return Err(StartError::UnwiredPort { kind, name: name.clone() });
        };
        channels.push(wire);
    }
    for (at, wire) in wires.iter().enumerate() {
        let name = wire.name;
        if position(declared, name).is_none() {
            return Err(StartError::UnusedWire { kind, name });
        }
        if wires[..at].iter().any(|earlier| earlier.name == name) {
            return Err(StartError::DuplicateWire { kind, name });
        }
    }
    Ok(channels)
}

/// One input of a guest: its channel, and the message taken from the channel but
/// not yet received by the guest (too large for its buffer, or just
/// peeked by `input_len`).
struct InputPort {
    channel: Feed,
    head: Option<Message>,
}

/// An input's channel: the firmware's, or the guest's own on a bus (fed by
/// the services and topics it is bound to).
enum Feed {
    Wired(&'static PortChannel),
    Bound(Arc<PortChannel>),
}

impl core::ops::Deref for Feed {
    type Target = PortChannel;

    fn deref(&self) -> &PortChannel {
        match self {
            Feed::Wired(channel) => channel,
            Feed::Bound(channel) => channel,
        }
    }
}

/// Where an output's messages go.
pub(crate) enum Route {
    /// The firmware's channel.
    Wired(Wire),
    /// The guest's outbox for a service the firmware takes
    /// ([`bus::Bus::receive`]).
    Outbox { service: &'static str, channel: Arc<PortChannel>, decodes: fn(&[u8]) -> bool },
    /// Every guest bound to the topic's input ([`bus::Bus`]).
    Topic { bus: &'static bus::Bus, port: String },
    /// The guest's own timer ([`wasm_sdk::timer::SetTimer`]).
    Timer,
}

impl Route {
    /// The port's name.
    fn name(&self) -> &str {
        match self {
            Route::Wired(wire) => wire.name,
            Route::Outbox { service, .. } => service,
            Route::Topic { port, .. } => port,
            Route::Timer => wasm_sdk::timer::TIMER,
        }
    }

    /// Whether a message decodes as the port's type; `None`: not checked.
    fn decodes(&self) -> Option<fn(&[u8]) -> bool> {
        match self {
            Route::Wired(wire) => wire.decodes,
            Route::Outbox { decodes, .. } => Some(*decodes),
            Route::Topic { .. } => None,
            Route::Timer => Some(catalog::Service::TIMER.decodes),
        }
    }

    /// Ready when a send would find room (registering `cx` otherwise).
    fn poll_room(&self, cx: &mut core::task::Context<'_>) -> Poll<()> {
        match self {
            Route::Wired(wire) => wire.channel.poll_ready_to_send(cx),
            Route::Outbox { channel, .. } => channel.poll_ready_to_send(cx),
            Route::Topic { bus, port } => bus.poll_topic_room(port, cx),
            Route::Timer => Poll::Ready(()),
        }
    }
}

/// A guest's own timer (the timer service): a [`wasm_sdk::timer::Tick`]
/// into its `tick` input every period it set with `timer`.
struct TimerState {
    /// The `tick` input's index.
    tick: u8,
    period: Option<Duration>,
    /// When the next tick is due.
    next: Instant,
    /// Periods since the timer was set.
    count: u32,
}

impl TimerState {
    fn new(tick: u8) -> Self {
        TimerState { tick, period: None, next: Instant::MAX, count: 0 }
    }
}

/// The [`Environment`] of one guest started with [`start`]: one channel per
/// port of its manifest, in index order.
pub struct ChannelEnv {
    name: &'static str,
    inputs: Vec<InputPort>,
    /// Where each output goes.
    outputs: Vec<Route>,
    /// The timer service, when the guest is bound to its `tick`.
    timer: Option<TimerState>,
    sink: &'static dyn Sink,
    tap: Option<&'static dyn OutputTap>,
    /// Times [`drive`] yielded because the guest used its fuel slice.
    pub preemptions: u32,
    /// Times [`drive`] started awaiting a channel because the guest blocked on
    /// an empty input or a full output.
    pub waits: u32,
    /// Messages the guest received.
    pub received: u32,
    /// Of [`received`](Self::received), the ticks of its own timer: what
    /// the update path's health rule leaves out of the messages a module
    /// must receive (`update::Health::received`), so a module is not
    /// confirmed by ticks it asked for.
    pub ticks: u32,
    /// Messages the guest sent.
    pub sent: u32,
    /// Messages the guest sent that do not decode as their output's type
    /// ([`Wire::decodes`]); counted in [`sent`](Self::sent) too.
    pub undecodable: u32,
    /// Log lines and error reports its [`LogLimit`] dropped.
    pub dropped_lines: u32,
    logs: LogBucket,
    /// The buffer of the last message the guest received, emptied, for its
    /// next output: a guest that answers each message sends without a heap
    /// allocation of its own (at most [`SPARE_CAPACITY`] bytes are kept).
    spare: Message,
}

/// The largest buffer [`ChannelEnv`] keeps for the guest's next output.
const SPARE_CAPACITY: usize = 64;

impl ChannelEnv {
    /// The guest's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Copies every message the guest sends from now on to `tap`.
    pub fn set_tap(&mut self, tap: &'static dyn OutputTap) {
        self.tap = Some(tap);
    }

    /// Limits the guest's log lines and error reports from now on
    /// ([`LogLimit::DEFAULT`] until then); [`swap`] keeps it.
    pub fn set_log_limit(&mut self, limit: LogLimit) {
        // Lines dropped so far are still said before the next that passes.
        let unreported = self.logs.unreported;
        self.logs = LogBucket { unreported, ..LogBucket::new(limit) };
    }

    /// Drops the messages taken from the input channels but not received (one
    /// too large for the guest's buffer, or peeked): the update path
    /// dead-letters them when the guest stopped on them, so that the next
    /// module does not. Returns how many.
    pub fn drop_heads(&mut self) -> u32 {
        let mut dropped = 0;
        for port in &mut self.inputs {
            if port.head.take().is_some() {
                dropped += 1;
            }
        }
        dropped
    }

    /// Whether a log line may pass its [`LogLimit`] now; says how many
    /// were dropped before it.
    fn admit_line(&mut self) -> bool {
        match self.logs.admit() {
            None => {
                self.dropped_lines = self.dropped_lines.wrapping_add(1);
                false
            }
            Some(dropped) => {
                if dropped > 0 {
                    self.sink.dropped_lines(self.name, dropped);
                }
                true
            }
        }
    }

    /// Keeps `buffer`, emptied, for the guest's next output, unless it is
    /// larger than [`SPARE_CAPACITY`].
    fn keep_spare(&mut self, mut buffer: Message) {
        if buffer.capacity() <= SPARE_CAPACITY {
            buffer.clear();
            self.spare = buffer;
        }
    }

    /// Sets the guest's timer from a `SetTimer` message (one that does not
    /// decode is counted in `undecodable` and changes nothing).
    fn set_timer(&mut self, message: &[u8]) {
        let Some(timer) = &mut self.timer else { return };
        let Ok(set) = postcard::from_bytes::<wasm_sdk::timer::SetTimer>(message) else { return };
        timer.count = 0;
        let period_ms = set.period_ms.max(wasm_sdk::timer::MIN_PERIOD_MS);
        timer.period = (set.period_ms > 0).then(|| Duration::from_millis(period_ms.into()));
        timer.next = match timer.period {
            Some(period) => Instant::now().checked_add(period).unwrap_or(Instant::MAX),
            None => Instant::MAX,
        };
    }

    /// When the guest's timer next ticks, if it is set.
    fn timer_due(&self) -> Option<Instant> {
        self.timer.as_ref().filter(|timer| timer.period.is_some()).map(|timer| timer.next)
    }

    /// Puts a tick into the `tick` input if one is due. Periods the guest
    /// missed (its last tick still queued, or it was busy) are not queued:
    /// the next tick's count skips them.
    fn fire_timer(&mut self) {
        let Some(timer) = &mut self.timer else { return };
        let Some(period) = timer.period else { return };
        let now = Instant::now();
        if now < timer.next {
            return;
        }
        let period_ticks = period.as_ticks().max(1);
        let periods = (now.as_ticks() - timer.next.as_ticks()) / period_ticks + 1;
        timer.count = timer.count.wrapping_add(u32::try_from(periods).unwrap_or(u32::MAX));
        timer.next = timer
            .next
            .checked_add(Duration::from_ticks(periods.saturating_mul(period_ticks)))
            .unwrap_or(Instant::MAX);
        let tick = wasm_sdk::timer::Tick { count: timer.count };
        let mut buffer = [0u8; 8];
        let Ok(encoded) = postcard::to_slice(&tick, &mut buffer) else { return };
        if let Some(port) = self.inputs.get(usize::from(timer.tick)) {
            // A tick not yet received makes this one a gap in the counts,
            // not a queue behind a busy guest.
            if port.head.is_none() && port.channel.is_empty() {
                let _ = port.channel.try_send(encoded.to_vec());
            }
        }
    }

    /// The input at a manifest index.
    ///
    /// The rules of `wasm_sdk_host` answer `UnknownInput` for an index past
    /// the manifest's inputs before they reach the environment, and
    /// [`start`] gave every manifest input a channel, so `input` is always in
    /// range: indexing cannot panic.
    fn port(&mut self, input: u8) -> &mut InputPort {
        &mut self.inputs[usize::from(input)]
    }
}

impl Environment for ChannelEnv {
    fn input(&mut self, input: u8) -> InputState<'_> {
        let port = self.port(input);
        if port.head.is_none() {
            port.head = port.channel.try_receive().ok();
        }
        match &port.head {
            Some(message) => InputState::Ready(message),
            None => InputState::Empty,
        }
    }

    fn pop_input(&mut self, input: u8) {
        if let Some(head) = self.port(input).head.take() {
            self.keep_spare(head);
        }
        self.received = self.received.wrapping_add(1);
        if self.timer.as_ref().is_some_and(|timer| timer.tick == input) {
            self.ticks = self.ticks.wrapping_add(1);
        }
    }

    fn send_output(&mut self, output: u8, message: &[u8]) -> Result<(), SendError> {
        // In range for the same reason as `port`'s index.
        let route = &self.outputs[usize::from(output)];
        let channel = match route {
            Route::Wired(wire) => Some(wire.channel),
            Route::Outbox { channel, .. } => Some(&**channel),
            Route::Topic { bus, port } => {
                bus.send_topic(port, message)?;
                None
            }
            Route::Timer => None,
        };
        if let Some(channel) = channel {
            let mut copy = core::mem::take(&mut self.spare);
            // The rules refused a message above the host's limit already; a
            // heap too full for this one is a status for the guest, never an
            // allocation failure of the firmware.
            if copy.try_reserve_exact(message.len()).is_err() {
                self.keep_spare(copy);
                return Err(SendError::TooLarge);
            }
            copy.extend_from_slice(message);
            if let Err(TrySendError::Full(copy)) = channel.try_send(copy) {
                self.keep_spare(copy);
                return Err(SendError::Full);
            }
        }
        let route = &self.outputs[usize::from(output)];
        self.sent = self.sent.wrapping_add(1);
        if route.decodes().is_some_and(|decodes| !decodes(message)) {
            self.undecodable = self.undecodable.wrapping_add(1);
        }
        if let Some(tap) = self.tap {
            tap.tap(route.name(), message);
        }
        if matches!(route, Route::Timer) {
            self.set_timer(message);
        }
        Ok(())
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        if self.admit_line() {
            self.sink.log(self.name, level, message);
        }
    }

    fn report_error(&mut self, message: &str) {
        if self.admit_line() {
            self.sink.report_error(self.name, message);
        }
    }
}

/// Completes when the guest's timer is due (`None`: never).
async fn timer_alarm(due: Option<Instant>) {
    match due {
        Some(at) => embassy_time::Timer::at(at).await,
        None => core::future::pending().await,
    }
}

/// Runs a guest on the current task until it finishes, traps or runs out
/// of fuel, and returns that final step ([`Step::is_final`]).
///
/// Blocked on an input: awaits that input's channel (no CPU). Waiting on
/// several inputs: awaits whichever of their channels has a message first
/// (no CPU). Waiting on a full output: awaits room in that output's
/// channel (no CPU, no fuel).
/// Preempted by its fuel slice: yields to the executor, then continues.
///
/// Dropping the future at an `.await` (to stop the guest from a `select`)
/// loses nothing: a message not yet taken stays in its channel.
pub async fn drive(guest: &mut Guest<ChannelEnv>) -> Step {
    drive_observed(guest, |_, _| {}).await
}

/// [`drive`], calling `observe` with the guest and each step it takes
/// (before awaiting an input or yielding): the update path publishes each
/// guest's state and counters from here.
pub async fn drive_observed(
    guest: &mut Guest<ChannelEnv>,
    mut observe: impl FnMut(&Guest<ChannelEnv>, &Step),
) -> Step {
    loop {
        guest.env_mut().fire_timer();
        let step = guest.step();
        observe(guest, &step);
        match step {
            Step::Blocked { input } => {
                let env = guest.env_mut();
                env.waits = env.waits.wrapping_add(1);
                let alarm = timer_alarm(env.timer_due());
                // The guest blocks only on an input that answered `Empty`,
                // so the port exists and holds no message.
                let port = env.port(input);
                // The guest's own timer ticks meanwhile (into its `tick`
                // input, which may be another one).
                if let Either::First(message) = select(port.channel.receive(), alarm).await {
                    port.head = Some(message);
                }
            }
            Step::Waiting { inputs } => {
                let env = guest.env_mut();
                env.waits = env.waits.wrapping_add(1);
                // As for `Blocked`: each listed input answered `Empty`, so
                // its port exists and holds no message. Nothing is taken
                // here: the next step's `wait_input` takes the message from
                // the channel that has one, in its turn.
                let alarm = timer_alarm(env.timer_due());
                let ports = &env.inputs;
                let ready = core::future::poll_fn(|cx| {
                    // Each channel registers `cx`'s waker: a message on any
                    // of them wakes this task once, no polling loop.
                    let mut ready = false;
                    for input in inputs.iter() {
                        if let Some(port) = ports.get(usize::from(input)) {
                            ready |= port.channel.poll_ready_to_receive(cx).is_ready();
                        }
                    }
                    if ready { Poll::Ready(()) } else { Poll::Pending }
                });
                select(ready, alarm).await;
            }
            Step::Full { output } => {
                let env = guest.env_mut();
                env.waits = env.waits.wrapping_add(1);
                // The guest waits only on an output of its manifest, which
                // `start` connected. No fuel burns meanwhile: the guest is
                // suspended in `send` and resumes when the output has room
                // (every subscriber's, for a topic).
                let route = &env.outputs[usize::from(output)];
                core::future::poll_fn(|cx| route.poll_room(cx)).await;
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
