//! Size baseline (`--features no-wasm`): the two guests as native Rust
//! tasks on the same channels, with the same messages.
//!
//! Nothing here is meant to be run in production; it exists so the linker
//! can drop wasmi, `wasm-sdk-host` and the embedded modules while every
//! service, the executor and the drivers stay. `size.sh` compares this
//! build with the real one to measure what the Wasm runtime costs.

use embassy_executor::Spawner;
use module_examples_common::{Counter, is_prime, to_message};
use wasm_sdk::Payload;

use crate::channels::{COUNT_IN, COUNT_OUT, PRIMES_COUNT, PRIMES_LIMIT};

/// Spawns the stand-ins.
pub fn spawn_all(spawner: Spawner) {
    if let (Ok(counter), Ok(primes)) = (counter(), primes()) {
        spawner.spawn(counter);
        spawner.spawn(primes);
    }
}

/// The counter guest: count in, count + 1 out.
#[embassy_executor::task]
async fn counter() {
    loop {
        let Ok(mut counter) = Counter::from_payload(&COUNT_IN.receive().await) else { continue };
        counter.increment();
        if let Ok(message) = to_message(&counter) {
            COUNT_OUT.send(message).await;
        }
    }
}

/// The primes guest, yielding every few thousand candidates as fuel slices
/// would.
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
        if let Ok(message) = to_message(&count) {
            PRIMES_COUNT.send(message).await;
        }
    }
}
