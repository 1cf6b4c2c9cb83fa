//! The Wasm side: the embedded guest modules, their wiring to the channels by
//! port name, the host that checks and starts them, and one embassy task per
//! guest.
//!
//! All guests share one executor with the services. A guest runs only
//! inside [`drive`]: blocked in `receive`, its task awaits the input's channel;
//! out of its fuel slice, its task yields. [`FUEL_PER_SLICE`](crate::config::FUEL_PER_SLICE) therefore
//! bounds how long a guest holds the CPU before timers and the other tasks
//! get their turn.

use alloc::boxed::Box;
use defmt::{debug, error, info, trace, unwrap, warn};
use embassy_executor::Spawner;
use module_examples_common::{AlarmEvent, Counter, Reading, Thresholds};
use wasm_sdk_embassy::{ChannelEnv, Sink, Wasm, Wire, Wiring, drive, start};
use wasm_sdk_host::{Guest, Host, LogLevel, Step};

use crate::config::host_config;

use crate::channels::{
    ALARM, AVERAGE, COUNT_IN, COUNT_OUT, PRIMES_COUNT, PRIMES_LIMIT, READING, THRESHOLDS,
};

/// Built by `build.rs` (`cargo build --release --target
/// wasm32-unknown-unknown`, `WASM_SDK_MEMORY=tight`).
macro_rules! guest_wasm {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".wasm"))
    };
}

/// One guest to start: its name (for logs), module and wiring.
struct GuestSpec {
    name: &'static str,
    wasm: &'static [u8],
    wiring: &'static Wiring,
}

/// `counter`'s ports and channels: what [`start`] wires it by, and what the
/// SMP install check checks an upload for its slot (image 0) against.
pub static COUNTER_WIRING: Wiring = Wiring {
    inputs: &[Wire::typed::<Counter>("wasm_input", &COUNT_IN)],
    outputs: &[Wire::typed::<Counter>("wasm_data", &COUNT_OUT)],
};

/// `counter`'s built-in module (the one it runs until an upload is
/// confirmed).
pub static COUNTER_WASM: &[u8] = guest_wasm!("counter");

/// The guests and the channel of each port, by the names of their
/// `#[task_run(inputs(..), outputs(..))]`; [`start`] refuses a guest whose
/// manifest does not declare exactly these ports.
static GUESTS: [GuestSpec; 3] = [
    GuestSpec { name: "counter", wasm: COUNTER_WASM, wiring: &COUNTER_WIRING },
    GuestSpec {
        name: "alarm",
        wasm: guest_wasm!("alarm"),
        wiring: &Wiring {
            inputs: &[
                Wire::typed::<Reading>("reading", &READING),
                Wire::typed::<Thresholds>("thresholds", &THRESHOLDS),
            ],
            outputs: &[
                Wire::typed::<AlarmEvent>("alarm", &ALARM),
                Wire::typed::<Reading>("average", &AVERAGE),
            ],
        },
    },
    GuestSpec {
        name: "primes",
        wasm: guest_wasm!("primes"),
        wiring: &Wiring {
            inputs: &[Wire::typed::<u32>("limit", &PRIMES_LIMIT)],
            outputs: &[Wire::typed::<u32>("count", &PRIMES_COUNT)],
        },
    },
];

/// Guest logs and error reports to defmt, at the guest's level.
pub struct DefmtSink;

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

    fn dropped_lines(&self, guest: &str, lines: u32) {
        warn!("[{=str}] {=u32} log lines dropped (rate limit)", guest, lines);
    }

    #[cfg(feature = "update")]
    fn update(&self, guest: &str, event: &wasm_sdk_embassy::update::Event<'_>) {
        use wasm_sdk_embassy::update::Event;
        match event {
            Event::Swapped(len) => info!("{=str}: now runs a {=usize} B module", guest, len),
            Event::SwapRefused(why) => error!("{=str}: swap refused: {=str}", guest, why),
            Event::Busy => warn!("{=str}: busy; stopped mid-message", guest),
            Event::Stopped(step) => error!("{=str}: stopped: {=str}", guest, step.as_str()),
            Event::StoppedByCommand => info!("{=str}: stopped by command", guest),
            Event::Confirmed(answers) => {
                info!(
                    "{=str}: module confirmed by the health rule ({=u32} messages answered)",
                    guest, answers
                )
            }
            Event::RolledBack(verdict) => {
                warn!("{=str}: the module on trial {=str}; rolled back", guest, verdict.as_str())
            }
            Event::Restarted { restart, after } => {
                warn!(
                    "{=str} restarted after {=u64} ms (restart {=u32})",
                    guest,
                    after.as_millis(),
                    restart
                )
            }
            Event::FellBack { failures, to } => warn!(
                "{=str}: failed {=u32} times; fell back to the {=str} module",
                guest,
                failures,
                to.as_str()
            ),
            Event::DeadLettered(count) => {
                warn!("{=str}: dead-lettered {=u32} message(s) it stopped on", guest, count)
            }
            Event::Removed => info!("{=str}: removed; its slot is empty", guest),
        }
    }
}

/// The sink of every guest.
pub static SINK: DefmtSink = DefmtSink;

/// The host of every guest, and of the SMP install check: created once,
/// kept for the firmware's lifetime (a swap loads on it too).
pub fn host() -> &'static Host<ChannelEnv> {
    let before = crate::heap_used();
    let host = Box::leak(Box::new(Host::new(host_config())));
    info!("engine: {=usize} B heap", crate::heap_used().saturating_sub(before));
    host
}

/// Checks, loads and wires every guest and spawns a task for each one that
/// starts. A guest that fails to start is logged and left out; the others
/// run.
///
/// `counter` runs `uploaded_counter` when there is one (the confirmed
/// module of SMP slot 0), else its built-in module; the built-in one also
/// when the uploaded one does not start.
pub fn spawn_all(
    spawner: Spawner,
    host: &'static Host<ChannelEnv>,
    uploaded_counter: Option<&[u8]>,
) {
    let budget = host.config();
    info!(
        "budget per guest: {=u64} fuel a slice, {=u64} B memory, {=usize} B modules, {=u32} functions, {=u32} locals a function, {=usize} table elements, {=usize} B value stack, {=usize} calls deep, texts {=usize} B each and {=usize} B a step, {=usize} B messages",
        budget.fuel_per_slice.unwrap_or(0),
        budget.memory_budget,
        budget.max_module_size,
        budget.max_functions,
        budget.max_locals,
        budget.max_table_elements,
        budget.max_value_stack,
        budget.max_call_depth,
        budget.text.max_len,
        budget.text.per_step,
        budget.max_message_len
    );
    for (index, spec) in GUESTS.iter().enumerate() {
        let uploaded = uploaded_counter.filter(|_| index == 0);
        // The uploaded module first, then the built-in one: one `start`
        // call site (it is large, and the install check calls it too).
        for wasm in [uploaded, Some(spec.wasm)].into_iter().flatten() {
            let origin = if uploaded.is_some_and(|u| u.as_ptr() == wasm.as_ptr()) {
                "uploaded"
            } else {
                "built-in"
            };
            // SAFETY: without on-device validation, the built-in modules
            // were validated and stamped by `build.rs`, and an uploaded one
            // reached its slot through the install check, which verified
            // its signature first (`smp.rs`; without a key it refuses
            // every upload).
            let module = unsafe { Wasm::vouched(wasm) };
            let before = crate::heap_used();
            match start(host, spec.name, module, spec.wiring, &SINK) {
                Ok(guest) => {
                    // The heap the guest took, by part: its stacks come
                    // with its first step (the counter's: QEMU check 7).
                    // The first guest's figure includes the
                    // compiler buffers and code slots wasmi keeps in the
                    // shared engine.
                    let heap = crate::heap_used().saturating_sub(before);
                    let memory = guest.memory_size();
                    info!(
                        "{=str}: loaded, {=usize} B {=str} module, {=usize} B memory; heap {=usize} B: module and instance {=usize} B, linear memory {=usize} B",
                        spec.name,
                        wasm.len(),
                        origin,
                        memory,
                        heap,
                        heap.saturating_sub(memory),
                        memory
                    );
                    // With SMP, the counter is updatable: its task swaps
                    // uploaded modules in.
                    #[cfg(feature = "update")]
                    if index == 0 {
                        spawner.spawn(unwrap!(crate::smp::counter_task(host, guest)));
                        break;
                    }
                    spawner.spawn(unwrap!(run_guest(guest)));
                    break;
                }
                // `as_str` and `detail` rather than `StartError`'s
                // `Display`, which would link `core::fmt` formatting (flash).
                Err(error) => error!(
                    "{=str}: {=str} module not started: {=str} {=str}",
                    spec.name,
                    origin,
                    error.as_str(),
                    error.detail()
                ),
            }
        }
    }
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
        // `drive` returns final steps only.
        Step::Blocked { .. } | Step::Waiting { .. } | Step::Full { .. } | Step::Preempted => {}
    }
    let env = guest.env();
    let text = guest.text_usage();
    info!(
        "{=str}: used {=u64} fuel, {=u32} preemptions, {=u32} waits, {=usize} B memory, {=u64} B of texts ({=u32} refused)",
        name,
        guest.fuel_consumed(),
        env.preemptions,
        env.waits,
        guest.memory_size(),
        text.total,
        text.refused
    );
}
