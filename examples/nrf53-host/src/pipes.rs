//! The channels between services and guests, one per guest input and
//! output.
//!
//! The port lists are in manifest order (the order of the guest's
//! `#[task_run(inputs(..), outputs(..))]`), which is the index order
//! `ChannelEnv` uses; `guests.rs` checks the names against each module's
//! manifest before running it.

// The port tables are the Wasm build's wiring; the native stand-ins
// (`no-wasm`) use the pipes directly.
#![cfg_attr(feature = "no-wasm", allow(dead_code))]

use embassy_runner::Pipe;

/// `counter`'s `wasm_input`: a count (`u32`) to increment.
pub static COUNT_IN: Pipe = Pipe::new();
/// `counter`'s `wasm_data`: the incremented count.
pub static COUNT_OUT: Pipe = Pipe::new();

/// `alarm`'s `reading`: a temperature (`i16`, tenths of °C).
pub static READING: Pipe = Pipe::new();
/// `alarm`'s `thresholds`: new high and low thresholds.
pub static THRESHOLDS: Pipe = Pipe::new();
/// `alarm`'s `alarm`: an alarm event, when the state changes.
pub static ALARM: Pipe = Pipe::new();
/// `alarm`'s `average`: the mean of the last four readings.
pub static AVERAGE: Pipe = Pipe::new();

/// `primes`' `limit`: count the primes below this `u32`.
pub static PRIMES_LIMIT: Pipe = Pipe::new();
/// `primes`' `count`: the answer, a `u32`.
pub static PRIMES_COUNT: Pipe = Pipe::new();

/// A guest's ports: names as in its manifest, and the pipes wired to them.
pub struct Ports {
    /// Input names, manifest order.
    pub input_names: &'static [&'static str],
    /// The pipe of each input.
    pub inputs: &'static [&'static Pipe],
    /// Output names, manifest order.
    pub output_names: &'static [&'static str],
    /// The pipe of each output.
    pub outputs: &'static [&'static Pipe],
}

/// `#[task_run(inputs(wasm_input), outputs(wasm_data))]`
pub static COUNTER_PORTS: Ports = Ports {
    input_names: &["wasm_input"],
    inputs: &[&COUNT_IN],
    output_names: &["wasm_data"],
    outputs: &[&COUNT_OUT],
};

/// `#[task_run(inputs(reading, thresholds), outputs(alarm, average))]`
pub static ALARM_PORTS: Ports = Ports {
    input_names: &["reading", "thresholds"],
    inputs: &[&READING, &THRESHOLDS],
    output_names: &["alarm", "average"],
    outputs: &[&ALARM, &AVERAGE],
};

/// `#[task_run(inputs(limit), outputs(count))]`
pub static PRIMES_PORTS: Ports = Ports {
    input_names: &["limit"],
    inputs: &[&PRIMES_LIMIT],
    output_names: &["count"],
    outputs: &[&PRIMES_COUNT],
};
