//! The async services around the guests: they feed guest inputs and
//! consume guest outputs, only through the channels in [`crate::channels`], with
//! the guests' own message types (`module-examples-common`) in postcard.
//!
//! Services never make a guest fail because of their own pace:
//!
//! - Inputs are offered with `try_send`: a full input (the guest is busy,
//!   or has stopped) drops the message with a warning instead of stalling
//!   the service, so a dead guest cannot freeze the UART or the ticker.
//! - Outputs are drained by one task that never waits for the wire: a guest
//!   whose output channel is full waits in `send` (no fuel, no message lost),
//!   so a slow drain would slow the guests. Printing copies into the UART's
//!   transmit ring; a line that does not fit is cut and counted.

use core::cell::RefCell;
use core::sync::atomic::{AtomicU32, Ordering};

use defmt::{debug, info, intern, warn};
use embassy_futures::select::{Either4, select4};
use embassy_nrf::buffered_uarte::{BufferedUarteRx, BufferedUarteTx};
use embassy_nrf::gpio::{Input, Output};
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::{Duration, Instant, Ticker, Timer};
use module_examples_common::{AlarmEvent, Counter, Reading, Thresholds, to_message};
use serde::Serialize;
use wasm_sdk::{Payload, StackStr};
use wasm_sdk_embassy::PortChannel;

use crate::channels::{
    ALARM, AVERAGE, COUNT_IN, COUNT_OUT, PRIMES_COUNT, PRIMES_LIMIT, READING, THRESHOLDS,
};
use crate::text::{Command, HELP, LINE_LEN, Line, PushTenths};

/// The last count the counter guest sent; Button 1 sends it back to be
/// incremented.
static LAST_COUNT: AtomicU32 = AtomicU32::new(0);

/// The primes job queued at boot: 9,592 primes below 100,000 by trial
/// division, tens of millions of fuel (measured on the test host and in
/// QEMU): seconds of CPU on the app core, run in fuel slices. (1,000,000
/// takes over a billion: minutes.)
pub const PRIMES_BOOT_LIMIT: u32 = 100_000;

/// How often the temperature ticker produces a reading.
const READING_PERIOD: Duration = Duration::from_millis(500);
/// The synthetic temperature ramps between these, in tenths of °C
/// (25.0 to 32.0 °C), crossing the alarm's default thresholds (30.0 / 28.0).
const RAMP: (i16, i16) = (250, 320);
/// Ramp step per reading, tenths of °C.
const RAMP_STEP: i16 = 5;
/// Readings between two reports of the ticker's lateness.
const LATENESS_WINDOW: u32 = 20;

/// Offers `value` to a guest input without waiting; `false` (and a
/// warning) when the input is full.
fn offer<T: Serialize>(channel: &PortChannel, value: &T, guest: defmt::Str) -> bool {
    // The guests' types encode in a few bytes, far below `to_message`'s
    // capacity; an error would be a new type that does not fit.
    let Ok(message) = to_message(value) else {
        warn!("{=istr}: message does not encode, dropped", guest);
        return false;
    };
    let sent = channel.try_send(message).is_ok();
    if !sent {
        warn!("{=istr}: input full, message dropped", guest);
    }
    sent
}

/// Queues the boot-time primes job.
pub fn start_primes_job() {
    if offer(&PRIMES_LIMIT, &PRIMES_BOOT_LIMIT, intern!("primes")) {
        info!("primes: counting below {=u32}", PRIMES_BOOT_LIMIT);
    }
}

/// Readings for the alarm guest: a triangle ramp, one per [`READING_PERIOD`].
///
/// Also measures how late each tick is handled. The executor is shared
/// with the guests, so lateness is bounded by the longest step a guest
/// takes, which fuel slices keep short; the worst value per
/// [`LATENESS_WINDOW`] readings is logged, with the heap in use (the
/// figures to check `FUEL_PER_SLICE` and `HEAP_SIZE` against on hardware).
#[embassy_executor::task]
pub async fn temperature() {
    let mut ticker = Ticker::every(READING_PERIOD);
    let mut due = Instant::now() + READING_PERIOD;
    let mut deci_celsius = RAMP.0;
    let mut step = RAMP_STEP;
    let mut worst = Duration::from_ticks(0);
    let mut ticks = 0;
    loop {
        ticker.next().await;
        worst = worst.max(Instant::now().saturating_duration_since(due));
        due += READING_PERIOD;

        offer(&READING, &Reading { deci_celsius }, intern!("alarm"));
        // The same ramp, to the catalog's guests bound to `temperature`.
        #[cfg(feature = "update")]
        crate::slots::offer(&crate::catalog::TEMPERATURE, &Reading { deci_celsius });
        if !(RAMP.0..=RAMP.1).contains(&(deci_celsius + step)) {
            step = -step;
        }
        deci_celsius += step;

        ticks += 1;
        if ticks == LATENESS_WINDOW {
            info!(
                "ticker: worst lateness {=u64} us over {=u32} ticks; heap {=usize} B used",
                worst.as_micros(),
                ticks,
                crate::heap_used()
            );
            worst = Duration::from_ticks(0);
            ticks = 0;
        }
    }
}

/// Button 1: each press sends the last count to the counter guest.
#[embassy_executor::task]
pub async fn button(mut button: Input<'static>) {
    loop {
        button.wait_for_falling_edge().await;
        let count = LAST_COUNT.load(Ordering::Relaxed);
        debug!("button: sending count {=u32}", count);
        offer(&COUNT_IN, &Counter { count }, intern!("counter"));
        // Debounce: ignore the contact's bounces, then wait for release.
        Timer::after_millis(30).await;
        button.wait_for_high().await;
        Timer::after_millis(30).await;
    }
}

/// UART input: one command per line (CR or LF ends it), to the guests.
#[embassy_executor::task]
pub async fn commands(mut rx: BufferedUarteRx<'static>) {
    let mut line = [0u8; 32];
    let mut len = 0;
    let mut chunk = [0u8; 16];
    loop {
        let n = match rx.read(&mut chunk).await {
            Ok(n) => n,
            Err(error) => {
                // An overrun loses bytes of the current line: start over.
                warn!("uart: receive error {}", error);
                len = 0;
                continue;
            }
        };
        for &byte in &chunk[..n] {
            match byte {
                b'\r' | b'\n' => {
                    if len > 0 {
                        run_command(&line[..len]);
                    }
                    len = 0;
                }
                _ if len < line.len() => {
                    line[len] = byte;
                    len += 1;
                }
                // Too long for any command: it is dropped at the line end
                // by failing to parse.
                _ => {}
            }
        }
    }
}

fn run_command(line: &[u8]) {
    match Command::parse(line) {
        Some(Command::Count(count)) => {
            offer(&COUNT_IN, &Counter { count }, intern!("counter"));
        }
        Some(Command::Primes(limit)) => {
            if offer(&PRIMES_LIMIT, &limit, intern!("primes")) {
                info!("primes: counting below {=u32}", limit);
            }
        }
        Some(Command::Thresholds { high, low }) => {
            offer(&THRESHOLDS, &Thresholds { high, low }, intern!("alarm"));
        }
        None => {
            warn!("uart: not a command: {=[u8]:a}", line);
            let mut help = Line::new();
            help.push_str(HELP);
            print(&help);
        }
    }
}

/// Drains every guest output: prints it on the UART and drives LED 1 from
/// the alarm.
#[embassy_executor::task]
pub async fn outputs(mut led: Output<'static>) {
    loop {
        let mut line = Line::new();
        match select4(
            COUNT_OUT.receive(),
            ALARM.receive(),
            AVERAGE.receive(),
            PRIMES_COUNT.receive(),
        )
        .await
        {
            Either4::First(message) => match Counter::from_payload(&message) {
                Ok(Counter { count }) => {
                    LAST_COUNT.store(count, Ordering::Relaxed);
                    line.push_str("count ").push_u32(count);
                }
                Err(_) => {
                    bad(intern!("counter"), &message);
                    continue;
                }
            },
            Either4::Second(message) => match AlarmEvent::from_payload(&message) {
                Ok(AlarmEvent::Raised { deci_celsius }) => {
                    led.set_low(); // active low: on
                    line.push_str("alarm raised at ").push_tenths(deci_celsius).push_str(" C");
                }
                Ok(AlarmEvent::Cleared { deci_celsius }) => {
                    led.set_high();
                    line.push_str("alarm cleared at ").push_tenths(deci_celsius).push_str(" C");
                }
                Err(_) => {
                    bad(intern!("alarm"), &message);
                    continue;
                }
            },
            Either4::Third(message) => match Reading::from_payload(&message) {
                Ok(Reading { deci_celsius }) => {
                    line.push_str("average ").push_tenths(deci_celsius).push_str(" C");
                }
                Err(_) => {
                    bad(intern!("average"), &message);
                    continue;
                }
            },
            Either4::Fourth(message) => match u32::from_payload(&message) {
                Ok(count) => {
                    info!("primes: {=u32}", count);
                    line.push_str("primes ").push_u32(count);
                }
                Err(_) => {
                    bad(intern!("primes"), &message);
                    continue;
                }
            },
        }
        print(&line);
    }
}

/// A message that does not decode as its output's type: logged, not
/// printed (the example guests never send one).
fn bad(output: defmt::Str, message: &[u8]) {
    warn!("{=istr}: undecodable output {=[u8]:x}", output, message);
}

/// The UART transmitter, shared by every task that prints. Printing only
/// copies into the driver's ring buffer, so a blocking mutex (a short
/// critical section) is enough and no task ever awaits the wire.
static CONSOLE: Mutex<CriticalSectionRawMutex, RefCell<Option<BufferedUarteTx<'static>>>> =
    Mutex::new(RefCell::new(None));

/// Lines cut because the transmit ring was full.
static CUT_LINES: AtomicU32 = AtomicU32::new(0);

/// Hands the UART transmitter to [`print`] and prints the command help.
pub fn start_console(tx: BufferedUarteTx<'static>) {
    CONSOLE.lock(|console| *console.borrow_mut() = Some(tx));
    let mut banner = Line::new();
    banner.push_str("nrf53-host: ").push_str(HELP);
    print(&banner);
}

/// Queues a line and its CR LF for the UART without waiting; what does not
/// fit the transmit ring is dropped and counted.
fn print(line: &Line) {
    // A full line still gets its terminator: the frame has room for both.
    let mut framed = StackStr::<{ LINE_LEN + 2 }>::new();
    framed.push_str(line).push_str("\r\n");
    let bytes = framed.as_bytes();
    let written = CONSOLE.lock(|console| match console.borrow_mut().as_mut() {
        Some(tx) => tx.try_write(bytes).unwrap_or(0),
        None => 0,
    });
    if written < bytes.len() {
        let cut = CUT_LINES.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        warn!("uart: transmit ring full, {=u32} lines cut so far", cut);
    }
}
