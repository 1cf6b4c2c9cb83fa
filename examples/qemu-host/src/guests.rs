//! The guests: their modules, their channels wired by port name, and the task
//! that runs each one with [`wasm_sdk_embassy::drive`].
//!
//! The guest crates never finish on their own (their inputs are never
//! closed), so a guest task runs until the main task asks it to stop, then
//! hands back the guest's counters ([`GuestReport`]) and ends, dropping the
//! guest.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_semihosting::hprintln;
use embassy_futures::select::{Either, select};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use module_examples_common::Counter;
use wasm_sdk_embassy::{ChannelEnv, PortChannel, Sink, Wire, Wiring, drive_observed};
use wasm_sdk_host::{Guest, LogLevel, Step};

use crate::trace;

/// `examples/counter`, built by `build.rs` with 1-byte pages.
pub static COUNTER_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/counter.wasm"));
/// `examples/primes`, built by `build.rs` with 1-byte pages.
pub static PRIMES_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/primes.wasm"));

/// The counter's input `wasm_input`: `Counter`s.
pub static COUNTER_IN: PortChannel = PortChannel::new();
/// The counter's output `wasm_data`: the incremented `Counter`s.
pub static COUNTER_OUT: PortChannel = PortChannel::new();
/// `#[task_run(inputs(wasm_input: Counter), outputs(wasm_data: Counter))]`:
/// a module whose ports carry another type is refused at load.
pub static COUNTER_WIRING: Wiring = Wiring {
    inputs: &[Wire::typed::<Counter>("wasm_input", &COUNTER_IN)],
    outputs: &[Wire::typed::<Counter>("wasm_data", &COUNTER_OUT)],
};

/// The primes guest's input `limit`: a `u32`.
pub static PRIMES_IN: PortChannel = PortChannel::new();
/// The primes guest's output `count`: a `u32`.
pub static PRIMES_OUT: PortChannel = PortChannel::new();
/// `#[task_run(inputs(limit: u32), outputs(count: u32))]`
pub static PRIMES_WIRING: Wiring = Wiring {
    inputs: &[Wire::typed::<u32>("limit", &PRIMES_IN)],
    outputs: &[Wire::typed::<u32>("count", &PRIMES_OUT)],
};

/// Guest logs and error reports go to semihosting stdout, and are counted:
/// the checks expect none.
pub struct SemihostingSink {
    reports: AtomicU32,
}

impl SemihostingSink {
    /// A sink with no reports yet.
    pub const fn new() -> Self {
        SemihostingSink { reports: AtomicU32::new(0) }
    }

    /// Logs and error reports received so far.
    pub fn reports(&self) -> u32 {
        self.reports.load(Ordering::Relaxed)
    }
}

impl Sink for SemihostingSink {
    fn log(&self, guest: &str, level: LogLevel, message: &str) {
        self.reports.fetch_add(1, Ordering::Relaxed);
        hprintln!("[{guest}] {level:?}: {message}");
    }

    fn report_error(&self, guest: &str, message: &str) {
        self.reports.fetch_add(1, Ordering::Relaxed);
        hprintln!("[{guest}] error: {message}");
    }

    fn dropped_lines(&self, guest: &str, lines: u32) {
        self.reports.fetch_add(1, Ordering::Relaxed);
        hprintln!("[{guest}] {lines} log lines dropped (rate limit)");
    }

    #[cfg(feature = "update")]
    fn update(&self, guest: &str, event: &wasm_sdk_embassy::update::Event<'_>) {
        use wasm_sdk_embassy::update::{Event, Source};
        match event {
            Event::Swapped(len) => {
                SWAPS.fetch_add(1, Ordering::Relaxed);
                hprintln!("serve: {guest} now runs a {len} B module");
                // What the firmware holds after each swap: a leak shows as
                // a rising figure across updates.
                hprintln!(
                    "serve: heap {} B in use, {} B at most so far, of {} B",
                    crate::memory::heap_live(),
                    crate::memory::heap_peak(),
                    crate::memory::HEAP_SIZE,
                );
            }
            Event::SwapRefused(why) => hprintln!("serve: {guest}: swap refused: {why}"),
            Event::Busy => hprintln!("serve: {guest} busy; stopped mid-message"),
            Event::Stopped(Step::Trapped(trap)) => {
                hprintln!("serve: {guest} trapped: {}", trap.message());
            }
            Event::Stopped(step) => hprintln!("serve: {guest} stopped: {}", step.as_str()),
            Event::StoppedByCommand => hprintln!("serve: {guest} stopped by command"),
            Event::Confirmed(answers) => hprintln!(
                "serve: {guest}: module confirmed by the health rule ({answers} messages answered)"
            ),
            Event::RolledBack(verdict) => {
                hprintln!("serve: {guest}: the module on trial {}; rolled back", verdict.as_str());
            }
            Event::Restarted { restart, after } => {
                hprintln!(
                    "serve: {guest} restarted after {} ms (restart {restart})",
                    after.as_millis()
                );
            }
            Event::FellBack { failures, to } => {
                let to = if *to == Source::Fallback { "the previous" } else { "the built-in" };
                hprintln!("serve: {guest}: failed {failures} times; fell back to {to} module");
            }
            Event::DeadLettered(count) => {
                hprintln!("serve: {guest}: dead-lettered {count} message(s) it stopped on");
            }
        }
    }
}

/// Modules swapped in so far (serve mode), for `--measure-update`.
#[cfg(feature = "update")]
pub static SWAPS: AtomicU32 = AtomicU32::new(0);

/// The sink of every guest.
pub static SINK: SemihostingSink = SemihostingSink::new();

/// What a guest task hands back when it stops.
#[derive(Debug)]
pub struct GuestReport {
    /// How the guest stopped by itself, or `None`: it was still running
    /// (blocked or preempted) when asked to stop.
    pub stopped: Option<Step>,
    /// The last step it took (`Blocked`, `Full` or `Preempted` when it was
    /// still running).
    pub last: Option<Step>,
    /// `ChannelEnv::waits`: times the guest blocked and its task awaited
    /// an input channel.
    pub waits: u32,
    /// `ChannelEnv::preemptions`: fuel slices used up.
    pub preemptions: u32,
    /// Fuel the guest used in all.
    pub fuel: u64,
    /// The guest's linear memory, in bytes.
    pub memory: usize,
}

/// The main task's handle on one guest task.
pub struct GuestControl {
    stop: Signal<CriticalSectionRawMutex, ()>,
    report: Signal<CriticalSectionRawMutex, GuestReport>,
    task_id: AtomicU32,
    /// Whether a guest stopping by itself goes unannounced (the hostile
    /// set's check prints its own line).
    quiet: bool,
}

impl GuestControl {
    /// A handle for a guest task not spawned yet.
    pub const fn new() -> Self {
        Self::with_quiet(false)
    }

    /// [`new`](Self::new), for guests whose stop the caller reports.
    pub const fn quiet() -> Self {
        Self::with_quiet(true)
    }

    const fn with_quiet(quiet: bool) -> Self {
        GuestControl {
            stop: Signal::new(),
            report: Signal::new(),
            task_id: AtomicU32::new(0),
            quiet,
        }
    }

    /// The guest task's id in [`trace`] (0 until it first ran).
    pub fn task_id(&self) -> u32 {
        self.task_id.load(Ordering::Relaxed)
    }

    /// Stops the guest task and returns the guest's counters.
    pub async fn stop(&self) -> GuestReport {
        self.stop.signal(());
        let report = self.report.wait().await;
        // A guest that had stopped by itself left the request unread; the
        // next guest on this handle must not see it.
        self.stop.reset();
        report
    }

    /// Whether the guest stopped by itself (its report is waiting).
    pub fn has_stopped(&self) -> bool {
        self.report.signaled()
    }
}

/// The counter guest's handle.
pub static COUNTER: GuestControl = GuestControl::new();
/// The primes guest's handle.
pub static PRIMES: GuestControl = GuestControl::new();

/// Runs `guest` with [`drive`](wasm_sdk_embassy::drive) until it stops by
/// itself or `control` asks it to stop, then reports on `control`.
///
/// Stopping drops `drive`'s future, which is safe at any `.await`: a
/// message the guest was waiting for stays in its channel.
#[embassy_executor::task(pool_size = 2)]
pub async fn guest_task(mut guest: Guest<ChannelEnv>, control: &'static GuestControl) {
    control.task_id.store(trace::watch_current_task(), Ordering::Relaxed);
    let mut last = None;
    let run = drive_observed(&mut guest, |_, step| last = Some(step.clone()));
    let stopped = match select(run, control.stop.wait()).await {
        Either::First(step) => Some(step),
        Either::Second(()) => None,
    };
    if let Some(step) = stopped.as_ref().filter(|_| !control.quiet) {
        hprintln!("[{}] stopped: {step:?}", guest.env().name());
    }
    control.report.signal(GuestReport {
        stopped,
        last,
        waits: guest.env().waits,
        preemptions: guest.env().preemptions,
        fuel: guest.fuel_consumed(),
        memory: guest.memory_size(),
    });
}
