//! Time on QEMU's `mps2-an505`: a SysTick-based `embassy-time` driver, a
//! 64-bit cycle clock, and the calibration of that clock in instructions.
//!
//! No `embassy-time` driver ships for mps2, and SysTick is the one timer
//! every Cortex-M has, so this is the whole driver:
//!
//! - SysTick counts the processor clock ([`SYSTICK_HZ`]) down from
//!   [`RELOAD`] and interrupts every [`PERIOD_CYCLES`] (100 µs). The
//!   interrupt extends the 24-bit counter to 64 bits ([`cycles`]) and wakes
//!   the timers that are due.
//! - `embassy-time` ticks at 1 MHz: [`Driver::now`] is `cycles / 20`.
//! - Timers wait in a small table ([`Alarms`]) keyed by waker. A due timer
//!   is woken by the first interrupt at or after its deadline, so wakes are
//!   up to one period (100 µs) late; a periodic tick needs no reprogramming
//!   of SysTick, which would lose counts.
//!
//! With QEMU's `-icount shift=0`, virtual time advances exactly 1 ns per
//! executed instruction, and SysTick counts virtual time. [`calibrate`]
//! checks that relation with a loop of known length, so [`cycles`] also
//! measures instructions: [`Calibration::instructions`].

use core::arch::asm;
use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::Driver;

/// SysTick's clock on QEMU's `mps2-an505`: the processor clock, 20 MHz
/// (checked by [`calibrate`] against `-icount shift=0`'s 1 ns an
/// instruction).
pub const SYSTICK_HZ: u64 = 20_000_000;

/// SysTick interrupts per second: the resolution of timer wakes.
const INTERRUPT_HZ: u64 = 10_000;

/// Cycles between two SysTick interrupts.
pub const PERIOD_CYCLES: u64 = SYSTICK_HZ / INTERRUPT_HZ;

/// SysTick counts from `RELOAD` down to 0 and reloads: one period.
const RELOAD: u32 = PERIOD_CYCLES as u32 - 1;

/// SysTick cycles per `embassy-time` tick.
const CYCLES_PER_TICK: u64 = SYSTICK_HZ / embassy_time_driver::TICK_HZ;

const _: () = assert!(SYSTICK_HZ.is_multiple_of(embassy_time_driver::TICK_HZ));
/// `embassy-time` ticks per SysTick period.
const PERIOD_TICKS: u64 = PERIOD_CYCLES / CYCLES_PER_TICK;
const _: () = assert!(PERIOD_CYCLES.is_multiple_of(CYCLES_PER_TICK));
const _: () = assert!(PERIOD_CYCLES <= 1 << 24, "SysTick is a 24-bit counter");

/// Completed SysTick periods since [`init`], counted by the interrupt.
static PERIODS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Timers waiting for their deadline.
static ALARMS: Mutex<RefCell<Alarms>> = Mutex::new(RefCell::new(Alarms::new()));

/// Starts SysTick: processor clock, one interrupt per period.
pub fn init(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// SysTick cycles in `ticks` `embassy-time` ticks.
pub const fn ticks_to_cycles(ticks: u64) -> u64 {
    ticks * CYCLES_PER_TICK
}

/// SysTick cycles since [`init`] (monotonic, 64-bit).
pub fn cycles() -> u64 {
    critical_section::with(cycles_in)
}

/// [`cycles`] inside a critical section (the interrupt cannot run).
///
/// The counter's 0 state counts as the start of the next period: the
/// interrupt is pended on the 1 → 0 transition, so from then on
/// `PERIODS + 1` periods have begun. If the interrupt is pending, it has
/// not counted that period yet: add it, and re-read the counter, which is
/// now surely past the wrap.
fn cycles_in(cs: CriticalSection<'_>) -> u64 {
    let (periods, into_period) = position_in(cs);
    periods * PERIOD_CYCLES + u64::from(into_period)
}

/// `cycles_in(cs) / CYCLES_PER_TICK`, without its 64-bit division (a
/// library call on Cortex-M, twice per timer poll):
/// a period is a whole number of ticks.
fn ticks_in(cs: CriticalSection<'_>) -> u64 {
    let (periods, into_period) = position_in(cs);
    periods * PERIOD_TICKS + u64::from(into_period / CYCLES_PER_TICK as u32)
}

/// Whole periods since [`init`] and cycles into the current one.
fn position_in(cs: CriticalSection<'_>) -> (u64, u32) {
    let mut periods = PERIODS.borrow(cs).get();
    let mut current = SYST::get_current();
    if SCB::is_pendst_pending() {
        periods += 1;
        current = SYST::get_current();
    }
    let into_period = if current == 0 { 0 } else { PERIOD_CYCLES as u32 - current };
    (periods, into_period)
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let periods = PERIODS.borrow(cs);
        periods.set(periods.get() + 1);
        ALARMS.borrow_ref_mut(cs).wake_due(ticks_in(cs));
    });
}

/// The `embassy-time` driver: time from [`cycles`], timers in [`ALARMS`].
struct SysTickDriver;

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(ticks_in)
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            if at <= ticks_in(cs) {
                waker.wake_by_ref();
            } else {
                ALARMS.borrow_ref_mut(cs).insert(at, waker);
            }
        });
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver);

/// Timers this firmware can have pending at once (main task, ticker,
/// timeouts); more degrade to polling, see [`Alarms::insert`].
const ALARM_SLOTS: usize = 8;

/// A fixed table of `(deadline, waker)`; scanned by the 10 kHz interrupt
/// only when the earliest deadline has passed.
struct Alarms {
    slots: [Option<(u64, Waker)>; ALARM_SLOTS],
    /// The earliest deadline in `slots` (`u64::MAX`: none).
    next: u64,
}

impl Alarms {
    const fn new() -> Self {
        Alarms { slots: [const { None }; ALARM_SLOTS], next: u64::MAX }
    }

    /// Wakes `waker` at tick `at`. A waker already waiting keeps the
    /// earlier deadline (embassy re-registers on every poll). With the
    /// table full, wakes at once: the task polls and registers again, so
    /// a wake is never lost, it just costs CPU.
    fn insert(&mut self, at: u64, waker: &Waker) {
        if let Some((deadline, _)) =
            self.slots.iter_mut().flatten().find(|(_, queued)| queued.will_wake(waker))
        {
            *deadline = (*deadline).min(at);
        } else if let Some(slot) = self.slots.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some((at, waker.clone()));
        } else {
            waker.wake_by_ref();
            return;
        }
        self.next = self.next.min(at);
    }

    /// Wakes every timer due at tick `now`.
    fn wake_due(&mut self, now: u64) {
        if now < self.next {
            return;
        }
        self.next = u64::MAX;
        for slot in &mut self.slots {
            match slot {
                Some((at, _)) if *at <= now => {
                    if let Some((_, waker)) = slot.take() {
                        waker.wake();
                    }
                }
                Some((at, _)) => self.next = self.next.min(*at),
                None => {}
            }
        }
    }
}

/// How SysTick cycles relate to executed instructions.
#[derive(Clone, Copy, Debug)]
pub struct Calibration {
    /// Instructions executed per 1,000 SysTick cycles, measured.
    pub instructions_per_kilocycle: u64,
}

impl Calibration {
    /// What `-icount shift=0` (1 ns per instruction) predicts.
    pub const EXPECTED_PER_KILOCYCLE: u64 = 1_000 * 1_000_000_000 / SYSTICK_HZ;

    /// Whether the measurement is within 1 % of the prediction.
    pub fn matches_icount(&self) -> bool {
        self.instructions_per_kilocycle.abs_diff(Self::EXPECTED_PER_KILOCYCLE)
            <= Self::EXPECTED_PER_KILOCYCLE / 100
    }

    /// Instructions executed in `cycles` SysTick cycles.
    pub fn instructions(&self, cycles: u64) -> u64 {
        cycles * self.instructions_per_kilocycle / 1_000
    }
}

/// Iterations of the calibration loop: 2 instructions each, 4 M in all
/// (4 ms of virtual time, 80,000 SysTick cycles), long enough that the
/// clock's resolution (one cycle, 50 instructions) is 0.001 %.
const CALIBRATION_LOOPS: u32 = 2_000_000;

/// Measures instructions per SysTick cycle with a loop of known length.
///
/// The loop is `subs` + `bne`: exactly `2 × CALIBRATION_LOOPS`
/// instructions. It runs with interrupts on (a 4 ms critical section would
/// miss 40 SysTick periods), so the ~40 interrupts it spans add their
/// instructions to the cycles but not to the count: the result is low by
/// their share, which is small.
pub fn calibrate() -> Calibration {
    let start = cycles();
    spin(CALIBRATION_LOOPS);
    let elapsed = (cycles() - start).max(1);
    let instructions = 2 * u64::from(CALIBRATION_LOOPS);
    Calibration { instructions_per_kilocycle: instructions * 1_000 / elapsed }
}

/// Executes exactly `2 × loops` instructions (`loops` ≥ 1).
#[inline(never)]
fn spin(loops: u32) {
    // SAFETY: a register-only countdown loop; touches no memory or stack.
    unsafe {
        asm!(
            "2:",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = inout(reg) loops.max(1) => _,
            options(nomem, nostack),
        );
    }
}
