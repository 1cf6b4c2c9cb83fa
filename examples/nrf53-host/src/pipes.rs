//! The channels between services and guests, one per guest input and
//! output. Each carries one `module-examples-common` type as postcard bytes;
//! `guests.rs` wires them to the guests' ports by name.

use wasm_sdk_embassy::Pipe;

/// `counter`'s `wasm_input`: a `Counter` to increment.
pub static COUNT_IN: Pipe = Pipe::new();
/// `counter`'s `wasm_data`: the incremented `Counter`.
pub static COUNT_OUT: Pipe = Pipe::new();

/// `alarm`'s `reading`: a `Reading` (tenths of °C).
pub static READING: Pipe = Pipe::new();
/// `alarm`'s `thresholds`: new `Thresholds`.
pub static THRESHOLDS: Pipe = Pipe::new();
/// `alarm`'s `alarm`: an `AlarmEvent`, when the state changes.
pub static ALARM: Pipe = Pipe::new();
/// `alarm`'s `average`: a `Reading`, the mean of the last four readings.
pub static AVERAGE: Pipe = Pipe::new();

/// `primes`' `limit`: count the primes below this `u32`.
pub static PRIMES_LIMIT: Pipe = Pipe::new();
/// `primes`' `count`: the answer, a `u32`.
pub static PRIMES_COUNT: Pipe = Pipe::new();
