//! The channels between services and guests, one per guest input and
//! output. Each carries one `module-examples-common` type as postcard bytes;
//! `guests.rs` wires them to the guests' ports by name, as nrf53-host does.

use wasm_sdk_embassy::Pipe;

/// `counter`'s `wasm_input`: a `Counter` to increment.
pub static COUNT_IN: Pipe = Pipe::new();
/// `counter`'s `wasm_data`: the incremented `Counter`.
pub static COUNT_OUT: Pipe = Pipe::new();

/// `primes`' `limit`: count the primes below this `u32`.
pub static PRIMES_LIMIT: Pipe = Pipe::new();
/// `primes`' `count`: the answer, a `u32`.
pub static PRIMES_COUNT: Pipe = Pipe::new();
