//! The built-in guest, the counter: its module, its channels wired by port
//! name, and the sink its logs go to.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_semihosting::hprintln;
use module_examples_common::Counter;
use wasm_sdk_embassy::{PortChannel, Sink, Wire, Wiring};
use wasm_sdk_host::LogLevel;
#[cfg(feature = "update")]
use wasm_sdk_host::Step;

/// `examples/counter`, built by `build.rs` with 1-byte pages.
pub static COUNTER_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/counter.wasm"));

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

impl Default for SemihostingSink {
    fn default() -> Self {
        Self::new()
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
                    crate::memory::HEAP.live(),
                    crate::memory::HEAP.peak(),
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
            Event::Removed => {
                hprintln!("serve: {guest} removed; its slot is empty");
                // What an erase gave back.
                hprintln!(
                    "serve: heap {} B in use, {} B at most so far, of {} B",
                    crate::memory::HEAP.live(),
                    crate::memory::HEAP.peak(),
                    crate::memory::HEAP_SIZE,
                );
            }
        }
    }
}

/// Modules swapped in so far (serve mode), for `--measure-update`.
#[cfg(feature = "update")]
pub static SWAPS: AtomicU32 = AtomicU32::new(0);

/// The sink of every guest.
pub static SINK: SemihostingSink = SemihostingSink::new();
