//! The async services around the guests: they feed guest inputs and
//! consume guest outputs, only through the channels in [`crate::channels`], with
//! the guests' own message types (`module-examples-common`) in postcard,
//! as nrf53-host's do.
//!
//! - Inputs are offered with `try_send`: a full input (the guest is busy,
//!   or has stopped) drops the message with a warning instead of stalling
//!   the service.
//! - Outputs are drained by one task, [`outputs`], which prints them.

use core::sync::atomic::{AtomicU32, Ordering};

use embassy_futures::select::{Either, select};
use embassy_time::{Duration, Instant, Ticker};
use module_examples_common::{Counter, to_message};
use serde::Serialize;
use wasm_sdk::Payload;
use wasm_sdk_embassy::PortChannel;

use crate::channels::{COUNT_IN, COUNT_OUT, PRIMES_COUNT, PRIMES_LIMIT};
use crate::console::{Line, print, say};

/// The last count the counter guest sent; the ticker sends it back to be
/// incremented.
static LAST_COUNT: AtomicU32 = AtomicU32::new(0);

/// The primes job queued at boot, nrf53-host's: 9,592 primes below 100,000
/// by trial division, tens of millions of fuel (measured on the test host
/// and in QEMU), seconds of CPU run in fuel slices beside the counter.
pub const PRIMES_BOOT_LIMIT: u32 = 100_000;

/// How often the ticker feeds the counter (nrf53-host's Button 1).
const COUNT_PERIOD: Duration = Duration::from_millis(1000);
/// Ticks between two reports of the ticker's lateness.
const LATENESS_WINDOW: u32 = 10;

/// Offers `value` to a guest input without waiting; `false` (and a
/// warning) when the input is full.
fn offer<T: Serialize>(channel: &PortChannel, value: &T, guest: &str) -> bool {
    // The guests' types encode in a few bytes, far below `to_message`'s
    // capacity; an error would be a new type that does not fit.
    let Ok(message) = to_message(value) else {
        say(&[guest, ": message does not encode, dropped"]);
        return false;
    };
    let sent = channel.try_send(message).is_ok();
    if !sent {
        say(&[guest, ": input full, message dropped"]);
    }
    sent
}

/// Queues the boot-time primes job.
pub fn start_primes_job() {
    if offer(&PRIMES_LIMIT, &PRIMES_BOOT_LIMIT, "primes") {
        let mut line = Line::new();
        line.push_str("primes: counting below ").push_u32(PRIMES_BOOT_LIMIT);
        print(&line);
    }
}

/// Feeds the counter guest: one [`COUNT_PERIOD`] tick sends the last count,
/// which the guest answers with count + 1.
///
/// Also measures how late each tick is handled. The executor is shared
/// with the guests, so lateness is bounded by the longest step a guest
/// takes, which fuel slices keep short; the worst value per
/// [`LATENESS_WINDOW`] ticks is printed with the heap in use (the figures
/// to check `FUEL_PER_SLICE` and `HEAP_SIZE` against on a board).
#[embassy_executor::task]
pub async fn counter_ticker() {
    let mut ticker = Ticker::every(COUNT_PERIOD);
    let mut due = Instant::now() + COUNT_PERIOD;
    let mut worst = Duration::from_ticks(0);
    let mut ticks = 0;
    loop {
        ticker.next().await;
        worst = worst.max(Instant::now().saturating_duration_since(due));
        due += COUNT_PERIOD;

        let count = LAST_COUNT.load(Ordering::Relaxed);
        offer(&COUNT_IN, &Counter { count }, "counter");

        ticks += 1;
        if ticks == LATENESS_WINDOW {
            let mut line = Line::new();
            line.push_str("ticker: worst lateness ")
                .push_u64(worst.as_micros())
                .push_str(" us over ")
                .push_u32(ticks)
                .push_str(" ticks; heap ")
                .push_usize(crate::heap_used())
                .push_str(" B used");
            print(&line);
            worst = Duration::from_ticks(0);
            ticks = 0;
        }
    }
}

/// Drains every guest output and prints it: `count N`, `primes N`.
#[embassy_executor::task]
pub async fn outputs() {
    loop {
        let mut line = Line::new();
        match select(COUNT_OUT.receive(), PRIMES_COUNT.receive()).await {
            Either::First(message) => match Counter::from_payload(&message) {
                Ok(Counter { count }) => {
                    LAST_COUNT.store(count, Ordering::Relaxed);
                    line.push_str("count ").push_u32(count);
                }
                Err(_) => {
                    line.push_str("counter: undecodable output");
                }
            },
            Either::Second(message) => match u32::from_payload(&message) {
                Ok(count) => {
                    line.push_str("primes ").push_u32(count);
                }
                Err(_) => {
                    line.push_str("primes: undecodable output");
                }
            },
        }
        print(&line);
    }
}
