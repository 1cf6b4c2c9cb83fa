//! The checks' guest tasks: the primes guest's module and channels, and
//! the task that runs a guest with [`wasm_sdk_embassy::drive`] until the
//! main task asks it to stop.
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
use wasm_sdk_embassy::{ChannelEnv, PortChannel, Wire, Wiring, drive_observed};
use wasm_sdk_host::{Guest, Step};

pub use qemu_host::guests::{COUNTER_IN, COUNTER_OUT, COUNTER_WASM, COUNTER_WIRING, SINK};

use crate::trace;

/// `examples/primes`, built by `build.rs` with 1-byte pages.
pub static PRIMES_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/primes.wasm"));

/// The primes guest's input `limit`: a `u32`.
pub static PRIMES_IN: PortChannel = PortChannel::new();
/// The primes guest's output `count`: a `u32`.
pub static PRIMES_OUT: PortChannel = PortChannel::new();
/// `#[task_run(inputs(limit: u32), outputs(count: u32))]`
pub static PRIMES_WIRING: Wiring = Wiring {
    inputs: &[Wire::typed::<u32>("limit", &PRIMES_IN)],
    outputs: &[Wire::typed::<u32>("count", &PRIMES_OUT)],
};

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
