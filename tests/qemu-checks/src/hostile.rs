//! Check 6: the repository's hostile set (`tests/fixtures/hostile`) beside the
//! counter, with the nRF5340's 128 KiB heap.
//!
//! The counter is the latency-sensitive guest: it runs on a second
//! executor, an [`InterruptExecutor`] at interrupt priority, with its own
//! [`Host`] (so the two priorities share no wasmi engine), and a probe task
//! on the same executor measures its round trips. Each hostile module is
//! loaded on the thread-mode executor, as the other guests are, with the
//! firmware's usual fuel slices. Interrupt priority preempts thread mode
//! between any two instructions, so a hostile guest in the middle of a
//! 50,000-fuel slice delays the counter by an interrupt entry, not by the
//! slice (which alone is many idle round trips long).
//!
//! For each module: it ends with the outcome its header names for the
//! firmware; the counter's worst round trip meanwhile stays within 2x of
//! its idle worst; the heap is back where it was once the guest is gone;
//! nothing faults (a fault ends the run).

use alloc::format;
use alloc::string::{String, ToString};
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::interrupt::InterruptNumber;
use cortex_m_semihosting::hprintln;
use embassy_executor::{InterruptExecutor, Spawner};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Timer, with_timeout};
use module_examples_common::Counter;
use wasm_sdk_embassy::{ChannelEnv, PortChannel, Sink, Wire, Wiring, drive};
use wasm_sdk_host::{Guest, Host, HostConfig, LogLevel, Step};

use crate::checks::{decode_counter, message};
use crate::clock::{self, Calibration};
use crate::guests::{self, GuestControl, GuestReport};
use crate::{memory, unwrap_spawn};

/// One module of the hostile set, as `build.rs` embeds it.
pub struct HostileModule {
    /// The file's stem.
    pub name: &'static str,
    /// The module.
    pub wasm: &'static [u8],
    /// The outcome its header names for the firmware: `refused`,
    /// `trapped`, `finished`, `out-of-fuel`, `full`, `running` or
    /// `blocked`...
    pub kind: &'static str,
    /// ...and a text the outcome's description contains.
    pub text: &'static str,
}

/// The hostile set, in file name order.
pub static HOSTILE_SET: &[HostileModule] = include!(concat!(env!("OUT_DIR"), "/hostile.rs"));

/// The executor of the latency-sensitive guest and its probe.
static HIGH: InterruptExecutor = InterruptExecutor::new();

/// The interrupt that runs [`HIGH`]: one the mps2-an505 leaves unused,
/// pended by the executor whenever one of its tasks is woken.
#[derive(Clone, Copy)]
struct SoftIrq;

/// [`SoftIrq`]'s number.
const SOFT_IRQ: u16 = 30;

// SAFETY: 30 is a valid external interrupt number of the mps2-an505's NVIC
// and nothing else uses it.
unsafe impl InterruptNumber for SoftIrq {
    fn number(self) -> u16 {
        SOFT_IRQ
    }
}

/// Called by the firmware's `DefaultHandler`: runs [`HIGH`] if `irq` is
/// its interrupt; `false` for any other.
pub fn on_interrupt(irq: i16) -> bool {
    if irq != SOFT_IRQ as i16 {
        return false;
    }
    // SAFETY: called from the interrupt that `HIGH.start` was given.
    unsafe { HIGH.on_interrupt() };
    true
}

/// The hostile guest's input `in` (nothing is ever sent to it).
static HOSTILE_IN: PortChannel = PortChannel::new();
/// The hostile guest's output `out`, never read while the guest runs.
static HOSTILE_OUT: PortChannel = PortChannel::new();
/// The hostile modules' untyped ports.
static HOSTILE_WIRING: Wiring =
    Wiring { inputs: &[Wire::raw("in", &HOSTILE_IN)], outputs: &[Wire::raw("out", &HOSTILE_OUT)] };
/// The handle on the hostile guest's task.
static HOSTILE: GuestControl = GuestControl::quiet();

/// Hostile guests' texts: counted, not printed (a flood over semihosting
/// would take minutes).
struct CountingSink {
    texts: AtomicU32,
    bytes: AtomicU32,
}

impl Sink for CountingSink {
    fn log(&self, _guest: &str, _level: LogLevel, message: &str) {
        self.count(message);
    }

    fn report_error(&self, _guest: &str, message: &str) {
        self.count(message);
    }
}

impl CountingSink {
    fn count(&self, message: &str) {
        self.texts.fetch_add(1, Ordering::Relaxed);
        let len = u32::try_from(message.len()).unwrap_or(u32::MAX);
        self.bytes.fetch_add(len, Ordering::Relaxed);
    }

    /// Texts and bytes since the last call.
    fn take(&self) -> (u32, u32) {
        (self.texts.swap(0, Ordering::Relaxed), self.bytes.swap(0, Ordering::Relaxed))
    }
}

static TEXTS: CountingSink = CountingSink { texts: AtomicU32::new(0), bytes: AtomicU32::new(0) };

/// Round trips the probe measured.
#[derive(Clone, Copy, Debug, Default)]
struct Probe {
    trips: u32,
    wrong: u32,
    /// The slowest round trip, in SysTick cycles.
    max_cycles: u64,
    total_cycles: u64,
}

/// Asks the probe for a number of round trips.
static PROBE_ASK: Signal<CriticalSectionRawMutex, u32> = Signal::new();
/// What the probe measured.
static PROBE_DONE: Signal<CriticalSectionRawMutex, Probe> = Signal::new();

/// Pause between two round trips, so a hostile guest runs in between.
const PROBE_GAP: Duration = Duration::from_micros(500);

/// Round trips per probe round.
const TRIPS: u32 = 10;

/// The probe, on [`HIGH`]: sends counts to the counter and times each
/// answer, as a latency-sensitive service would.
#[embassy_executor::task]
async fn probe() {
    let mut count = 0u32;
    loop {
        let trips = PROBE_ASK.wait().await;
        let mut probe = Probe::default();
        for _ in 0..trips {
            let start = clock::cycles();
            guests::COUNTER_IN.send(message(&Counter { count })).await;
            let answer = guests::COUNTER_OUT.receive().await;
            let cycles = clock::cycles() - start;
            probe.trips += 1;
            probe.wrong += u32::from(decode_counter(&answer) != Some(count.wrapping_add(1)));
            probe.max_cycles = probe.max_cycles.max(cycles);
            probe.total_cycles += cycles;
            count = count.wrapping_add(1);
            Timer::after(PROBE_GAP).await;
        }
        PROBE_DONE.signal(probe);
    }
}

/// Runs a round of `trips` round trips on the probe.
async fn probe_round(trips: u32) -> Probe {
    PROBE_ASK.signal(trips);
    PROBE_DONE.wait().await
}

/// The counter on [`HIGH`], until the run ends.
#[embassy_executor::task]
async fn priority_counter(mut guest: Guest<ChannelEnv>) {
    let step = drive(&mut guest).await;
    hprintln!("[6] the priority counter stopped: {step:?}");
}

/// What check 6 found.
pub struct HostileResult {
    /// Modules that ended as their header says.
    pub as_expected: usize,
    /// Modules during which the counter kept its latency bound.
    pub on_time: usize,
    /// Modules after which the heap was back where it was.
    pub no_leak: usize,
    /// Modules in the set.
    pub modules: usize,
    /// The counter's worst round trip with no hostile guest, instructions.
    pub idle_max: u64,
    /// Its worst round trip beside any hostile guest, instructions.
    pub loaded_max: u64,
    /// Whether every probe answer was right.
    pub answers_right: bool,
}

/// How long a guest expected to stop by itself may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Check 6. `config` is the thread-mode guests' configuration; the
/// counter's host uses the same.
pub async fn hostile_set(
    spawner: &Spawner,
    config: &HostConfig,
    calibration: &Calibration,
) -> HostileResult {
    let high = HIGH.start(SoftIrq);
    let counter_host = Host::<ChannelEnv>::new(config.clone());
    let counter =
        crate::start(&counter_host, "counter", guests::COUNTER_WASM, &guests::COUNTER_WIRING);
    drop(counter_host);
    high.spawn(unwrap_spawn(priority_counter(counter)));
    high.spawn(unwrap_spawn(probe()));
    let instructions = |cycles| calibration.instructions(cycles);

    let idle = probe_round(5 * TRIPS).await;
    let idle_max = instructions(idle.max_cycles);
    hprintln!(
        "[6] counter on the interrupt executor, idle: worst round trip {idle_max} instructions, mean {}",
        instructions(idle.total_cycles / u64::from(idle.trips.max(1)))
    );
    let mut result = HostileResult {
        as_expected: 0,
        on_time: 0,
        no_leak: 0,
        modules: HOSTILE_SET.len(),
        idle_max,
        loaded_max: 0,
        answers_right: idle.wrong == 0,
    };
    for module in HOSTILE_SET {
        let heap_before = memory::HEAP.live();
        let run = run_one(spawner, config, module).await;
        // Measured once the guest, its engine and every text about it are
        // dropped, and the probe and counter are idle.
        let leaked = memory::HEAP.live().saturating_sub(heap_before);
        let loaded_max = instructions(run.probe.max_cycles);
        let on_time = loaded_max <= 2 * idle_max && run.probe.wrong == 0;
        result.as_expected += usize::from(run.expected);
        result.on_time += usize::from(on_time);
        result.no_leak += usize::from(leaked == 0);
        result.loaded_max = result.loaded_max.max(loaded_max);
        result.answers_right &= run.probe.wrong == 0;
        hprintln!(
            "      counter worst {loaded_max} instructions over {} round trips{}; heap {} B left behind",
            run.probe.trips,
            if on_time { "" } else { "  <- over 2x idle" },
            leaked,
        );
    }
    result
}

/// One hostile module's run beside the counter.
struct ModuleRun {
    /// Whether it ended as its header says.
    expected: bool,
    /// The counter's round trips meanwhile.
    probe: Probe,
}

/// Loads `module` on an engine of its own, runs it beside the counter and
/// prints its outcome.
async fn run_one(spawner: &Spawner, config: &HostConfig, module: &HostileModule) -> ModuleRun {
    // An engine per guest: wasmi keeps a module's compiled code in its
    // engine until the engine is dropped, so guests loaded one after
    // another on one engine grew the heap with each.
    let host = Host::<ChannelEnv>::new(config.clone());
    let (kind, description, probe) = match wasm_sdk_embassy::start(
        &host,
        module.name,
        crate::vouched(module.wasm),
        &HOSTILE_WIRING,
        &TEXTS,
    ) {
        Err(error) => ("refused", error.to_string(), probe_round(TRIPS).await),
        Ok(guest) => {
            spawner.spawn(unwrap_spawn(guests::guest_task(guest, &HOSTILE)));
            let probe = run_beside(module).await;
            let report = HOSTILE.stop().await;
            // What the guest left in its channels goes with it.
            while HOSTILE_OUT.try_receive().is_ok() {}
            let (kind, description) = outcome(&report);
            (kind, description, probe)
        }
    };
    let (texts, bytes) = TEXTS.take();
    let expected = kind == module.kind && description.contains(module.text);
    hprintln!(
        "    {:<18} {kind} {description}{}; {texts} texts ({bytes} B)",
        module.name,
        if expected { "" } else { "  <- expected another outcome" },
    );
    ModuleRun { expected, probe }
}

/// Probes the counter while the hostile guest runs: until it stops by
/// itself when its expected outcome is final, else for two rounds.
async fn run_beside(module: &HostileModule) -> Probe {
    let expect_stop = matches!(module.kind, "finished" | "trapped" | "out-of-fuel");
    let mut all = Probe::default();
    let rounds = async {
        loop {
            let round = probe_round(TRIPS).await;
            all.trips += round.trips;
            all.wrong += round.wrong;
            all.max_cycles = all.max_cycles.max(round.max_cycles);
            all.total_cycles += round.total_cycles;
            if HOSTILE.has_stopped() || (!expect_stop && all.trips >= 2 * TRIPS) {
                break;
            }
        }
    };
    // A guest that should stop and does not is reported by its outcome.
    let _ = with_timeout(STOP_TIMEOUT, rounds).await;
    all
}

/// The outcome kind and description of a stopped hostile guest, in the
/// hostile set's terms.
fn outcome(report: &GuestReport) -> (&'static str, String) {
    match (&report.stopped, &report.last) {
        (Some(Step::Finished { exit_code }), _) => ("finished", format!("{exit_code}")),
        (Some(Step::Trapped(trap)), _) => ("trapped", trap.message().into()),
        (Some(Step::OutOfFuel), _) => ("out-of-fuel", String::new()),
        (_, Some(Step::Full { output })) => ("full", format!("{output}")),
        (_, Some(Step::Blocked { input })) => ("blocked", format!("{input}")),
        (_, Some(Step::Waiting { inputs })) => {
            let mut text = String::new();
            for input in inputs.iter() {
                if !text.is_empty() {
                    text.push(' ');
                }
                text += &input.to_string();
            }
            ("waiting", text)
        }
        _ => ("running", format!("{} slices", report.preemptions)),
    }
}
