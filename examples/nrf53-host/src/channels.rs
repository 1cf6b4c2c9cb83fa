//! The channels between services and guests, one per guest input and
//! output. Each carries one `module-examples-common` type as postcard bytes;
//! `guests.rs` wires them to the guests' ports by name.

use wasm_sdk_embassy::PortChannel;

/// `counter`'s `wasm_input`: a `Counter` to increment.
pub static COUNT_IN: PortChannel = PortChannel::new();
/// `counter`'s `wasm_data`: the incremented `Counter`.
pub static COUNT_OUT: PortChannel = PortChannel::new();

/// `alarm`'s `reading`: a `Reading` (tenths of °C).
pub static READING: PortChannel = PortChannel::new();
/// `alarm`'s `thresholds`: new `Thresholds`.
pub static THRESHOLDS: PortChannel = PortChannel::new();
/// `alarm`'s `alarm`: an `AlarmEvent`, when the state changes.
pub static ALARM: PortChannel = PortChannel::new();
/// `alarm`'s `average`: a `Reading`, the mean of the last four readings.
pub static AVERAGE: PortChannel = PortChannel::new();

/// `primes`' `limit`: count the primes below this `u32`.
pub static PRIMES_LIMIT: PortChannel = PortChannel::new();
/// `primes`' `count`: the answer, a `u32`.
pub static PRIMES_COUNT: PortChannel = PortChannel::new();
