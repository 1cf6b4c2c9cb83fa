//! The checks, each an `async fn` run by the main task while the guests
//! run in their own tasks. They print what they measured and return it;
//! `main` turns the results into PASS / FAIL lines.

use core::cell::Cell;
use core::ops::Range;

use cortex_m_semihosting::hprintln;
use critical_section::Mutex;
use embassy_executor::Spawner;
use embassy_futures::select::{Either, select};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant, Ticker, Timer, with_timeout};
use module_examples_common::{Counter, count_primes, to_message};
use serde::Serialize;
use wasm_sdk::from_payload;
use wasm_sdk_embassy::{Message, PortChannel};

use crate::clock::{self, Calibration};
use crate::guests::{self, COUNTER, PRIMES};
use crate::{Ms, Percent, Us, fail, trace, unwrap_spawn};

/// How long any single answer may take before a check fails instead of
/// hanging CI.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// Check 1's script: a `Counter` in, the incremented one out. Postcard
/// writes a count as a varint, so the script crosses its length steps.
const COUNTER_SCRIPT: [(u32, u32); 6] = [
    (0, 1),
    (5, 6),
    // The answer grows to two bytes.
    (127, 128),
    (300, 301),
    // Three bytes.
    (16_383, 16_384),
    // Five bytes in, one out: the guest uses `wrapping_add`.
    (u32::MAX, 0),
];

/// Check 1: the counter answers each scripted count with the next one, in
/// the very bytes the firmware's own encoding of that `Counter` gives.
/// Returns the number of right answers, of [`SCRIPT_MESSAGES`].
pub async fn counter_script() -> u32 {
    let mut right = 0;
    for (count, next) in COUNTER_SCRIPT {
        let input = message(&Counter { count });
        let expected = message(&Counter { count: next });
        let answer = ask(&guests::COUNTER_IN, &guests::COUNTER_OUT, input.clone()).await;
        if answer.as_ref() == Some(&expected) {
            right += 1;
        } else {
            hprintln!("    {input:02x?} answered {answer:02x?}, expected {expected:02x?}");
        }
    }
    hprintln!("[1] counter: {right} of {SCRIPT_MESSAGES} scripted answers right");
    right
}

/// Messages check 1 sends.
pub const SCRIPT_MESSAGES: u32 = COUNTER_SCRIPT.len() as u32;

/// How long check 3 leaves the counter without input.
const IDLE_WINDOW: Duration = Duration::from_millis(100);

/// What check 3 measured: the cost of a counter blocked on its input.
pub struct BlockedCounterCost {
    /// Polls of the counter's task while it had no input.
    pub idle_polls: u32,
    /// CPU time of all tasks during the window, in SysTick cycles.
    pub idle_busy_cycles: u64,
    /// The window, in SysTick cycles.
    pub window_cycles: u64,
    /// Polls of the counter's task for the one message after the window.
    pub wake_polls: u32,
    /// Whether that message was answered right.
    pub answered: bool,
}

impl BlockedCounterCost {
    /// The check: not polled while blocked, all tasks together under 1 %
    /// of the window, exactly one poll for the message, right answer.
    pub fn passed(&self) -> bool {
        self.idle_polls == 0
            && self.idle_busy_cycles * 100 < self.window_cycles
            && self.wake_polls == 1
            && self.answered
    }
}

/// Messages check 3 sends.
pub const BLOCKED_MESSAGES: u32 = 1;

/// Check 3: a guest blocked in `receive` costs no CPU.
///
/// For [`IDLE_WINDOW`] the counter has no input. Its task must not be
/// polled at all, and all tasks together must use under 1 % of the window
/// (the main task's own timer wake). A bridge that polled a blocked guest
/// (step, yield, step, ...) would be polled thousands of times and keep
/// the CPU busy. Then one message must cost exactly one poll.
///
/// "Executor loop passes" is printed for information: QEMU 7.2 runs `WFE`
/// as a no-op, so the idle executor spins (a few instructions a pass)
/// where silicon would sleep until the next SysTick interrupt.
pub async fn blocked_counter(calibration: &Calibration) -> BlockedCounterCost {
    let id = COUNTER.task_id();
    let task_before = trace::task(id);
    let all_before = trace::all_tasks();
    let passes_before = trace::executor_passes();
    let start = clock::cycles();
    Timer::after(IDLE_WINDOW).await;
    let window_cycles = clock::cycles() - start;
    let idle = trace::task(id).since(&task_before);
    let all = trace::all_tasks().since(&all_before);
    let passes = trace::executor_passes().wrapping_sub(passes_before);

    let before_message = trace::task(id);
    let answer =
        ask(&guests::COUNTER_IN, &guests::COUNTER_OUT, message(&Counter { count: 41 })).await;
    let woken = trace::task(id).since(&before_message);

    hprintln!(
        "[3] counter blocked for {} ms: its task polled {} times; all tasks busy {} ms ({} %); executor loop passes {passes}",
        IDLE_WINDOW.as_millis(),
        idle.polls,
        Ms(all.busy_cycles),
        Percent(all.busy_cycles, window_cycles),
    );
    hprintln!(
        "    then 1 message: polled {} time(s), {} instructions in the guest task, answer {answer:02x?}",
        woken.polls,
        calibration.instructions(woken.busy_cycles),
    );
    BlockedCounterCost {
        idle_polls: idle.polls,
        idle_busy_cycles: all.busy_cycles,
        window_cycles,
        wake_polls: woken.polls,
        answered: answer.as_deref().and_then(decode_counter) == Some(42),
    }
}

/// Round trips measured for the per-message figure.
pub const ROUND_TRIPS: u32 = 1_000;

/// Figure (check 4): instructions per counter round trip: the service
/// sends a count, the guest receives, increments and sends, the service
/// receives. `None` if an answer was wrong or missing.
///
/// How it is computed: with `-icount shift=0` every instruction advances
/// QEMU's virtual time by 1 ns, and SysTick counts virtual time, so the
/// SysTick cycles spanned by [`ROUND_TRIPS`] back-to-back round trips,
/// times the calibrated instructions per cycle ([`Calibration`]), divided
/// by [`ROUND_TRIPS`], is the instructions one round trip executes:
/// service, guest task, `drive`, wasmi, the allocator, channels, the
/// executor, and the small share of the SysTick interrupt. The
/// task-timing hooks are switched off meanwhile.
pub async fn round_trips(calibration: &Calibration) -> Option<u64> {
    trace::set_enabled(false);
    let start = clock::cycles();
    let wrong = counter_round_trips(0..ROUND_TRIPS, |_| {}).await;
    let cycles = clock::cycles() - start;
    trace::set_enabled(true);
    let per_trip = calibration.instructions(cycles) / u64::from(ROUND_TRIPS);
    hprintln!(
        "[4] counter round trip: {per_trip} instructions ({ROUND_TRIPS} round trips in {} ms emulated, {wrong} wrong)",
        Ms(cycles)
    );
    (wrong == 0).then_some(per_trip)
}

/// Check 4's loop: a round trip for each count in `counts`, back to
/// back, under one timeout for the whole run (not one timer per message);
/// `between` runs before each round trip with its count (the profile build's marker,
/// `src/profile.rs`). Returns the number of wrong or missing answers.
pub async fn counter_round_trips(counts: Range<u32>, mut between: impl FnMut(u32)) -> u32 {
    let len = counts.len() as u32;
    let run = with_timeout(ANSWER_TIMEOUT, async {
        let mut wrong = 0;
        for count in counts {
            between(count);
            guests::COUNTER_IN.send(message(&Counter { count })).await;
            let answer = guests::COUNTER_OUT.receive().await;
            if decode_counter(&answer) != Some(count + 1) {
                wrong += 1;
            }
        }
        wrong
    });
    run.await.unwrap_or(len)
}

/// The primes guest's job in check 2: count the primes below this, long
/// enough to take many fuel slices (the figures page has how many).
pub const PRIMES_LIMIT: u32 = 100_000;

/// π(100,000), the number of primes below [`PRIMES_LIMIT`]; the firmware
/// also counts them natively, with the guest's own [`count_primes`], as a
/// cross-check.
pub const PRIMES_EXPECTED: u32 = 9_592;

/// The ticker's period during check 2.
const TICK: Duration = Duration::from_millis(10);

/// Executor and interrupt work a late tick may include besides slices and
/// wake latency: several times what was measured.
const LATENESS_ALLOWANCE_CYCLES: u64 = clock::SYSTICK_HZ / 50_000;

/// What check 2 measured.
pub struct Preemption {
    /// The guest's answer.
    pub count: Option<u32>,
    /// The same count, computed natively.
    pub native: u32,
    /// The computation, from sending the limit to receiving the answer,
    /// in SysTick cycles.
    pub elapsed_cycles: u64,
    /// The native computation, in SysTick cycles.
    pub native_cycles: u64,
    /// Polls of the guest's task meanwhile: one fuel slice each.
    pub slices: u32,
    /// The longest poll of the guest's task, in SysTick cycles.
    pub max_slice_cycles: u64,
    /// Ticks seen during the computation.
    pub ticks: u32,
    /// Ticks the computation's length calls for.
    pub expected_ticks: u32,
    /// The latest tick, in SysTick cycles after its due time.
    pub worst_late_cycles: u64,
}

impl Preemption {
    /// Whether the guest and the native count are both π(limit).
    pub fn answer_ok(&self) -> bool {
        self.count == Some(PRIMES_EXPECTED) && self.native == PRIMES_EXPECTED
    }

    /// How late a tick may be: two slices (the one running when the tick
    /// falls due, and one more: embassy runs a batch of woken tasks newest
    /// first, and the guest re-woke itself after the ticker), plus the
    /// SysTick period (a timer is woken by the first interrupt after its
    /// deadline), plus [`LATENESS_ALLOWANCE_CYCLES`].
    pub fn lateness_bound_cycles(&self) -> u64 {
        2 * self.max_slice_cycles + clock::PERIOD_CYCLES + LATENESS_ALLOWANCE_CYCLES
    }

    /// Whether the ticker ticked throughout (at least 10 ticks, at most
    /// one short of the computation's length) and within the bound.
    pub fn ticker_ok(&self) -> bool {
        self.expected_ticks >= 10
            && self.ticks + 1 >= self.expected_ticks
            && self.worst_late_cycles < self.lateness_bound_cycles()
    }
}

/// Check 2: primes computes for a few hundred ms of emulated time while a
/// ticker task ticks every [`TICK`] and records its lateness.
pub async fn primes_with_ticker(spawner: &Spawner) -> Preemption {
    spawner.spawn(unwrap_spawn(ticker_task()));
    // Let the ticker settle into its period before the computation.
    Timer::after(TICK * 2).await;
    let id = PRIMES.task_id();
    let before = trace::task(id);
    trace::reset_max();
    TICKER.reset();

    let start = clock::cycles();
    let answer = ask(&guests::PRIMES_IN, &guests::PRIMES_OUT, message(&PRIMES_LIMIT)).await;
    let elapsed_cycles = clock::cycles() - start;
    let ticks = TICKER.counts();
    TICKER.stop.signal(());
    let task = trace::task(id).since(&before);

    let native_start = clock::cycles();
    let native = count_primes(PRIMES_LIMIT);
    let native_cycles = clock::cycles() - native_start;

    let result = Preemption {
        count: answer.as_deref().and_then(|bytes| from_payload::<u32>(bytes).ok()),
        native,
        elapsed_cycles,
        native_cycles,
        slices: task.polls,
        max_slice_cycles: task.max_poll_cycles,
        ticks: ticks.ticks,
        expected_ticks: u32::try_from(elapsed_cycles / clock::ticks_to_cycles(TICK.as_ticks()))
            .unwrap_or(u32::MAX),
        worst_late_cycles: ticks.worst_late_cycles,
    };
    hprintln!(
        "[2] primes below {PRIMES_LIMIT}: {:?} (expected {PRIMES_EXPECTED}, native {native}) in {} ms emulated; {} slices, longest {} us",
        result.count,
        Ms(elapsed_cycles),
        result.slices,
        Us(result.max_slice_cycles),
    );
    hprintln!(
        "    ticker every {} ms: {} ticks (expected {}), worst lateness {} us (bound {} us)",
        TICK.as_millis(),
        result.ticks,
        result.expected_ticks,
        Us(result.worst_late_cycles),
        Us(result.lateness_bound_cycles()),
    );
    result
}

/// The ticker task's stop signal and counters, shared with check 2.
struct TickerState {
    stop: Signal<CriticalSectionRawMutex, ()>,
    counts: Mutex<Cell<TickCounts>>,
}

/// Ticks since the last reset and the worst lateness among them.
#[derive(Clone, Copy, Debug, Default)]
struct TickCounts {
    ticks: u32,
    worst_late_cycles: u64,
}

impl TickerState {
    fn reset(&self) {
        critical_section::with(|cs| self.counts.borrow(cs).set(TickCounts::default()));
    }

    fn counts(&self) -> TickCounts {
        critical_section::with(|cs| self.counts.borrow(cs).get())
    }

    fn record(&self, late_cycles: u64) {
        critical_section::with(|cs| {
            let counts = self.counts.borrow(cs);
            let mut now = counts.get();
            now.ticks += 1;
            now.worst_late_cycles = now.worst_late_cycles.max(late_cycles);
            counts.set(now);
        });
    }
}

static TICKER: TickerState = TickerState {
    stop: Signal::new(),
    counts: Mutex::new(Cell::new(TickCounts { ticks: 0, worst_late_cycles: 0 })),
};

/// Ticks every [`TICK`] with `embassy_time::Ticker` and records how late
/// each tick is seen, until [`TICKER`]`.stop`.
#[embassy_executor::task]
async fn ticker_task() {
    // Taken before the ticker starts, so the expected instants are never
    // later than the ticker's own: lateness is, if anything, overstated.
    let start = Instant::now();
    let mut ticker = Ticker::every(TICK);
    let mut due = start + TICK;
    loop {
        match select(ticker.next(), TICKER.stop.wait()).await {
            Either::First(()) => {
                let late = Instant::now().saturating_duration_since(due);
                TICKER.record(clock::ticks_to_cycles(late.as_ticks()));
                due += TICK;
            }
            Either::Second(()) => return,
        }
    }
}

/// Sends `message` into `input` and waits for the next message on
/// `output`; `None` after [`ANSWER_TIMEOUT`].
async fn ask(input: &PortChannel, output: &PortChannel, message: Message) -> Option<Message> {
    with_timeout(ANSWER_TIMEOUT, async {
        input.send(message).await;
        output.receive().await
    })
    .await
    .ok()
}

/// `value` as the postcard message a guest decodes, or the end of the run
/// (none of the checks' values comes near `to_message`'s capacity).
pub fn message<T: Serialize>(value: &T) -> Message {
    to_message(value)
        .unwrap_or_else(|error| fail(format_args!("encoding a message: {}", error.as_str())))
}

/// The count of a `Counter` message; `None` if it does not decode.
pub fn decode_counter(bytes: &[u8]) -> Option<u32> {
    Counter::from_payload(bytes).ok().map(|counter| counter.count)
}
