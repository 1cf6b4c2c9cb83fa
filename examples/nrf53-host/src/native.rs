//! Size baseline (`--features no-wasm`): the three guests as native Rust
//! tasks on the same pipes, with the same messages.
//!
//! Nothing here is meant to be run in production; it exists so the linker
//! can drop wasmi, `wasm-sdk-host` and the embedded modules while every
//! service, the executor and the drivers stay. `size.sh` compares this
//! build with the real one to measure what the Wasm runtime costs.

use defmt::unwrap;
use embassy_executor::Spawner;

use crate::pipes::{
    ALARM, AVERAGE, COUNT_IN, COUNT_OUT, PRIMES_COUNT, PRIMES_LIMIT, READING, THRESHOLDS,
};
use crate::wire::{self, AlarmEvent};

/// Spawns the stand-ins.
pub fn spawn_all(spawner: Spawner) {
    spawner.spawn(unwrap!(counter()));
    spawner.spawn(unwrap!(alarm()));
    spawner.spawn(unwrap!(primes()));
}

/// The counter guest: count in, count + 1 out.
#[embassy_executor::task]
async fn counter() {
    loop {
        let message = COUNT_IN.receive().await;
        if let Some(count) = wire::decode_u32(&message) {
            let _ = COUNT_OUT.try_send(wire::u32_message(count.wrapping_add(1)));
        }
    }
}

/// The alarm guest: hysteresis on readings, mean of the last four.
#[embassy_executor::task]
async fn alarm() {
    let (mut high, mut low) = (300i16, 280i16);
    let mut raised = false;
    let mut window = [0i16; 4];
    let mut seen = 0usize;
    loop {
        if let Ok(message) = THRESHOLDS.try_receive()
            && let Some((h, l)) = wire::decode_thresholds(&message)
            && l <= h
        {
            (high, low) = (h, l);
        }
        let Some(t) = wire::decode_reading(&READING.receive().await) else { continue };
        let event = if !raised && t >= high {
            raised = true;
            Some(AlarmEvent::Raised(t))
        } else if raised && t <= low {
            raised = false;
            Some(AlarmEvent::Cleared(t))
        } else {
            None
        };
        if let Some(event) = event {
            let _ = ALARM.try_send(wire::alarm_message(event));
        }
        window[seen % window.len()] = t;
        seen += 1;
        let filled = &window[..seen.min(window.len())];
        let sum: i32 = filled.iter().map(|&v| i32::from(v)).sum();
        let mean = (sum / filled.len() as i32) as i16;
        let _ = AVERAGE.try_send(wire::reading_message(mean));
    }
}

/// The primes guest, yielding every few thousand candidates as fuel
/// slices would.
#[embassy_executor::task]
async fn primes() {
    loop {
        let Some(limit) = wire::decode_u32(&PRIMES_LIMIT.receive().await) else { continue };
        let mut count = 0u32;
        for n in 2..limit {
            count += u32::from((2..).take_while(|d| d * d <= n).all(|d| n % d != 0));
            if n % 4096 == 0 {
                embassy_futures::yield_now().await;
            }
        }
        let _ = PRIMES_COUNT.try_send(wire::u32_message(count));
    }
}
