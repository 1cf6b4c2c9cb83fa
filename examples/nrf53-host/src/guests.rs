//! The Wasm side: the embedded guest modules, the host that checks and
//! loads them, and one embassy task per guest.
//!
//! All guests share one executor with the services. A guest runs only
//! inside [`drive`]: blocked in `receive`, its task awaits the input's pipe;
//! out of its fuel slice, its task yields. [`FUEL_PER_SLICE`] therefore
//! bounds how long a guest holds the CPU before timers and the other tasks
//! get their turn.

use defmt::{debug, error, info, intern, trace, unwrap, warn};
use embassy_executor::Spawner;
use embassy_runner::{ChannelEnv, Sink, drive};
use wasm_sdk_host::{Guest, Host, HostConfig, LoadError, LogLevel, Step};

use crate::pipes::{ALARM_PORTS, COUNTER_PORTS, PRIMES_PORTS, Ports};

/// Built by `build.rs` (`cargo build --release --target
/// wasm32-unknown-unknown`, `WASM_SDK_MEMORY=tight`).
macro_rules! guest_wasm {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".wasm"))
    };
}

/// Fuel (about one unit per Wasm instruction) a guest may use before it is
/// preempted, so the longest a guest holds the CPU. At the app core's
/// 64 MHz that is estimated at 1 to 2 ms of interpretation (not measured:
/// no hardware here); the temperature ticker logs the lateness it actually
/// sees, which is what to tune this by.
pub const FUEL_PER_SLICE: u64 = 20_000;

/// Largest linear memory a guest may have. The tight guests have 4.3
/// (counter), 8.4 (alarm) and 4.5 KiB (primes): stack, data, heap arena.
const MEMORY_BUDGET: u64 = 16 * 1024;

/// Largest message a guest may send. Each queued message is a heap
/// allocation, so this bounds what a misbehaving guest can hold in its
/// output pipes (`PIPE_DEPTH` messages each); the examples send at most a
/// few bytes.
const MAX_MESSAGE_LEN: usize = 64;

/// One guest to load: its name (for logs), module and wiring.
struct GuestSpec {
    name: &'static str,
    wasm: &'static [u8],
    ports: &'static Ports,
}

const GUESTS: [GuestSpec; 3] = [
    GuestSpec { name: "counter", wasm: guest_wasm!("counter"), ports: &COUNTER_PORTS },
    GuestSpec { name: "alarm", wasm: guest_wasm!("alarm"), ports: &ALARM_PORTS },
    GuestSpec { name: "primes", wasm: guest_wasm!("primes"), ports: &PRIMES_PORTS },
];

/// Guest logs and error reports to defmt, at the guest's level.
struct DefmtSink;

impl Sink for DefmtSink {
    fn log(&self, guest: &str, level: LogLevel, message: &str) {
        match level {
            LogLevel::Error => error!("[{=str}] {=str}", guest, message),
            LogLevel::Warn => warn!("[{=str}] {=str}", guest, message),
            LogLevel::Info => info!("[{=str}] {=str}", guest, message),
            LogLevel::Debug => debug!("[{=str}] {=str}", guest, message),
            LogLevel::Trace => trace!("[{=str}] {=str}", guest, message),
        }
    }

    fn report_error(&self, guest: &str, message: &str) {
        error!("[{=str}] reported: {=str}", guest, message);
    }
}

static SINK: DefmtSink = DefmtSink;

/// Checks and loads every guest and spawns a task for each one that loads.
/// A guest that fails to load is logged and left out; the others run.
pub fn spawn_all(spawner: Spawner) {
    let host = Host::new(HostConfig {
        fuel_per_slice: Some(FUEL_PER_SLICE),
        total_fuel: None,
        memory_budget: MEMORY_BUDGET,
        max_message_len: MAX_MESSAGE_LEN,
        ..HostConfig::default()
    });
    for spec in &GUESTS {
        if let Some(guest) = load(&host, spec) {
            info!(
                "{=str}: loaded, {=usize} B module, {=usize} B memory",
                spec.name,
                spec.wasm.len(),
                guest.memory_size()
            );
            spawner.spawn(unwrap!(run_guest(guest)));
        }
    }
    // Guests keep their own handle on the engine; the host's linker and
    // config are no longer needed.
}

/// Loads one guest and checks that its manifest declares the ports the
/// firmware wired, in the same order (pipes are matched by index).
fn load(host: &Host<ChannelEnv>, spec: &GuestSpec) -> Option<Guest<ChannelEnv>> {
    let ports = spec.ports;
    let env = ChannelEnv::new(spec.name, ports.inputs, ports.outputs, &SINK);
    let guest = match host.load(spec.wasm, env) {
        Ok(guest) => guest,
        Err(err) => {
            log_load_error(spec.name, &err);
            return None;
        }
    };
    let same = |names: &[alloc::string::String], wired: &[&str]| {
        names.len() == wired.len() && names.iter().zip(wired).all(|(a, b)| a == b)
    };
    if !same(guest.inputs(), ports.input_names) || !same(guest.outputs(), ports.output_names) {
        error!(
            "{=str}: not run: its inputs or outputs differ from the firmware's wiring",
            spec.name
        );
        return None;
    }
    Some(guest)
}

/// Says why a module was refused, without `LoadError`'s `Display` (which
/// costs flash for `core::fmt` formatting): one defmt line with what is
/// wrong (interned: the text stays in the ELF, not in flash) and the
/// offending name or wasmi's own text.
fn log_load_error(guest: &str, err: &LoadError) {
    let (what, detail): (defmt::Str, &str) = match err {
        LoadError::Malformed(text) => (intern!("not a wasm module"), text),
        LoadError::Invalid(text) => (intern!("invalid module"), text),
        LoadError::Instantiate(text) => (intern!("instantiation failed"), text),
        LoadError::UnknownImport { name, .. } => {
            (intern!("import outside the connectors ABI"), name)
        }
        LoadError::ImportSignature { name, .. } => {
            (intern!("import with the wrong signature"), name)
        }
        LoadError::MissingExport(export) => (intern!("missing export"), export),
        LoadError::RunTaskSignature => (intern!("`run_task` is not `() -> i32`"), ""),
        LoadError::StartFunction => (intern!("has a start function"), ""),
        LoadError::UnsupportedMemory => (intern!("not one 32-bit unshared memory"), ""),
        LoadError::MemoryTooLarge { .. } => (intern!("initial memory over MEMORY_BUDGET"), ""),
        LoadError::MissingManifest => (intern!("no `wasm-sdk.manifest` section"), ""),
        LoadError::Manifest(_) => (intern!("malformed `wasm-sdk.manifest` section"), ""),
        LoadError::AbiVersion { .. } => (intern!("unsupported ABI version"), ""),
        _ => (intern!("refused"), ""),
    };
    error!("{=str}: not loaded: {=istr} {=str}", guest, what, detail);
}

/// Runs one guest until it stops, then logs how and what it used.
#[embassy_executor::task(pool_size = 3)]
async fn run_guest(guest: Guest<ChannelEnv>) {
    let mut guest = guest;
    let step = drive(&mut guest).await;
    let name = guest.env().name();
    match &step {
        Step::Finished { exit_code: 0 } => info!("{=str}: finished", name),
        Step::Finished { exit_code } => warn!("{=str}: finished with {=i32}", name, exit_code),
        Step::Trapped(trap) => error!("{=str}: trapped: {=str}", name, trap.message()),
        Step::OutOfFuel => error!("{=str}: out of fuel", name),
        // `drive` returns `Blocked` only for an input without a pipe, which
        // `load` rules out.
        Step::Blocked { input } => error!("{=str}: blocked on unwired input {=u8}", name, input),
        Step::Preempted => {}
    }
    let env = guest.env();
    info!(
        "{=str}: used {=u64} fuel, {=u32} preemptions, {=u32} waits",
        name,
        guest.fuel_consumed(),
        env.preemptions,
        env.waits
    );
}
