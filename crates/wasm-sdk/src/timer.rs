//! The timer service's messages: a guest that works periodically asks a
//! firmware with a service catalog for its own timer, and gets a [`Tick`]
//! each period, without the firmware author wiring a ticker for it.
//!
//! ```ignore
//! use wasm_sdk::timer::{SetTimer, Tick};
//!
//! #[wasm_sdk::task_run(inputs(tick: Tick), outputs(timer: SetTimer))]
//! fn run() -> wasm_sdk::Result<()> {
//!     Output::Timer.send(&SetTimer { period_ms: 1_000 })?;
//!     loop {
//!         let tick = Input::Tick.receive()?;
//!         // ... once a second
//!     }
//! }
//! ```
//!
//! The port names are the services' names: an output `timer` carrying
//! [`SetTimer`] and an input `tick` carrying [`Tick`]. Each guest has a
//! timer of its own; the period is the module's choice and may change at
//! any time. Ticks are not queued behind a busy guest: one that misses
//! periods gets the next tick with a [`Tick::count`] that skipped them.

use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};

/// The timer service's output port name.
pub const TIMER: &str = "timer";
/// The timer service's input port name.
pub const TICK: &str = "tick";

/// The shortest period a firmware runs a guest's timer at: a shorter one
/// is taken as this. A tick wakes the guest's task, so a module cannot
/// make the firmware wake more often than this for it.
pub const MIN_PERIOD_MS: u32 = 10;

/// Sets the guest's timer: a [`Tick`] every `period_ms` milliseconds from
/// now on (at least [`MIN_PERIOD_MS`]), or no more ticks for 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct SetTimer {
    /// The period in milliseconds; 0 stops the timer.
    pub period_ms: u32,
}

/// One period of the guest's timer passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Tick {
    /// Periods since the timer was last set, this one included: a gap
    /// between two ticks' counts is periods the guest was too busy for.
    pub count: u32,
}
