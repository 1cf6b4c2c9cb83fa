//! Size baseline (`--features no-wasm`): the three guests as native Rust
//! tasks on the same channels, with the same messages.
//!
//! Nothing here is meant to be run in production; it exists so the linker
//! can drop wasmi, `wasm-sdk-host` and the embedded modules while every
//! service, the executor and the drivers stay. `size.sh` compares this
//! build with the real one to measure what the Wasm runtime costs.

use defmt::unwrap;
use embassy_executor::Spawner;
use module_examples_common::{AlarmEvent, Counter, Reading, Thresholds, is_prime, to_message};
use serde::Serialize;
use wasm_sdk::Payload;
use wasm_sdk_embassy::PortChannel;

use crate::channels::{
    ALARM, AVERAGE, COUNT_IN, COUNT_OUT, PRIMES_COUNT, PRIMES_LIMIT, READING, THRESHOLDS,
};

/// Spawns the stand-ins.
pub fn spawn_all(spawner: Spawner) {
    spawner.spawn(unwrap!(counter()));
    spawner.spawn(unwrap!(alarm()));
    spawner.spawn(unwrap!(primes()));
}

/// Sends `value` on an output channel, waiting for room as a guest's `send`
/// does.
async fn send<T: Serialize>(channel: &PortChannel, value: &T) {
    if let Ok(message) = to_message(value) {
        channel.send(message).await;
    }
}

/// The counter guest: count in, count + 1 out.
#[embassy_executor::task]
async fn counter() {
    loop {
        if let Ok(mut counter) = Counter::from_payload(&COUNT_IN.receive().await) {
            counter.increment();
            send(&COUNT_OUT, &counter).await;
        }
    }
}

/// The alarm guest: hysteresis on readings, mean of the last four.
#[embassy_executor::task]
async fn alarm() {
    let mut limits = Thresholds { high: 300, low: 280 };
    let mut raised = false;
    let mut window = [0i16; 4];
    let mut seen = 0usize;
    loop {
        if let Ok(message) = THRESHOLDS.try_receive()
            && let Ok(new) = Thresholds::from_payload(&message)
            && new.low <= new.high
        {
            limits = new;
        }
        let Ok(Reading { deci_celsius: t }) = Reading::from_payload(&READING.receive().await)
        else {
            continue;
        };
        let event = if !raised && t >= limits.high {
            raised = true;
            Some(AlarmEvent::Raised { deci_celsius: t })
        } else if raised && t <= limits.low {
            raised = false;
            Some(AlarmEvent::Cleared { deci_celsius: t })
        } else {
            None
        };
        if let Some(event) = event {
            send(&ALARM, &event).await;
        }
        window[seen % window.len()] = t;
        seen += 1;
        let filled = &window[..seen.min(window.len())];
        let sum: i32 = filled.iter().map(|&v| i32::from(v)).sum();
        let mean = (sum / filled.len() as i32) as i16;
        send(&AVERAGE, &Reading { deci_celsius: mean }).await;
    }
}

/// The primes guest, yielding every few thousand candidates as fuel
/// slices would.
#[embassy_executor::task]
async fn primes() {
    loop {
        let Ok(limit) = u32::from_payload(&PRIMES_LIMIT.receive().await) else { continue };
        let mut count = 0u32;
        for n in 2..limit {
            count += u32::from(is_prime(n));
            if n % 4096 == 0 {
                embassy_futures::yield_now().await;
            }
        }
        send(&PRIMES_COUNT, &count).await;
    }
}
