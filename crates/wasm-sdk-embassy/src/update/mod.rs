//! The update path (feature `update`): guests that an SMP client replaces,
//! confirms, rolls back, stops, starts, feeds and reads, shared by both
//! reference firmwares.
//!
//! A firmware declares each updatable guest as a static [`Managed`] (name,
//! image number, wiring, built-in module, sink) and runs two kinds of task:
//!
//! - one per guest: [`run`] drives the guest ([`drive_observed`](crate::drive_observed)) and
//!   publishes its state and counters after each step; when a new module
//!   arrives it brings the guest to a safe point ([`run_to_safe_point`](crate::run_to_safe_point):
//!   waiting in `receive`, never mid-message) and [`swap`](crate::swap)s the module in on
//!   the same channels, keeping what is queued;
//! - one SMP task: [`serve`] feeds the bytes a [`Transport`] receives to a
//!   [`wasm_sdk_smp::SerialServer`] over [`FlashSlots`](wasm_sdk_smp::flash::FlashSlots) and a [`Fleet`] (the
//!   guest group), and after each request and each guest event settles
//!   what changed: a new running module is handed to its guest's task, a
//!   trial that failed is rolled back, a healthy one confirmed.
//!
//! # The health rule
//!
//! A module on trial (uploaded, not confirmed) is confirmed once it has
//! *answered* [`Health::answers`] messages (sent them on its outputs, each
//! decoding as its output's type: [`crate::Wire::decodes`]) and is back
//! waiting in `receive`. Each of these rejects it, and the previous module
//! comes back (the built-in one if there is none):
//!
//! - it stops (a trap, its fuel budget, a return) or cannot start;
//! - it sends an answer that does not decode as its output's type;
//! - it leaves more than [`Health::unanswered`] of the messages it
//!   received without an answer (it swallows its inputs);
//! - it uses more than [`Health::trial_fuel`] (when set);
//! - it is not confirmed within [`Health::deadline`] of being swapped in:
//!   whatever it does (spins, loops on a failing `memory.grow`, answers a
//!   few then spins), no module keeps the update path blocked, as a new
//!   upload is refused while one is on trial.
//!
//! A device reset before confirmation rolls back at the next mount
//! ([`FlashSlots::mount`](wasm_sdk_smp::flash::FlashSlots::mount)). An image state write confirms at once.
//!
//! # After confirmation: restarts, then fallback
//!
//! A confirmed or built-in module that stops by itself is restarted after
//! a backoff ([`Health::backoff`], doubling up to [`Health::max_backoff`]).
//! When it fails [`Health::failures`] times within [`Health::window`], its
//! slot falls back ([`FlashSlots::fall_back`](wasm_sdk_smp::flash::FlashSlots::fall_back)): the uploaded module is
//! rejected for good and the previous confirmed one runs, or the built-in
//! one; the built-in one itself is only ever restarted. So a device never
//! ends with a stopped function and nothing to roll back to. Each step is
//! an [`Event`] on the firmware's [`Sink`](crate::Sink), and the guest group's `list`
//! says which module runs and how often it was restarted.
//!
//! # Poison messages
//!
//! A message a guest stops on (too long for its buffer, or one it trapped
//! on) is dead-lettered: dropped, counted (`list`'s `dead_letters`) and
//! announced ([`Event::DeadLettered`]), and the guest's next module, or the
//! same one restarted, goes on with the next message. Only those are
//! dropped: a swap at a safe point moves what the old guest had taken to
//! the new one ([`swap`](crate::swap)). A stop on a message the guest could not even
//! take (too long for its buffer) is the message's fault: the module is
//! restarted, but that does not count towards its fallback, so oversized
//! inputs cannot make a device drop a good module; a trap on a message it
//! took does count.
//!
//! # Memory
//!
//! What the runner holds for a guest's messages is bounded by the host's
//! message limit ([`crate::held_message_bytes`], with [`TAP_DEPTH`]
//! copies for `outputs`); `guests send` refuses data above that limit.
//! Each guest's log lines pass its [`Health::log`] rate limit.

mod check;
mod fleet;
mod health;
mod managed;
mod server;
mod task;

pub use check::Check;
pub use fleet::Fleet;
pub use health::{Health, Verdict};
pub use managed::{Event, Managed, Source, State};
pub use server::{Server, Transport, serve};
pub use task::run;

/// Messages a module on trial answers, returning to `receive` after the
/// last, before the health rule confirms it ([`Health::DEFAULT`]). At one
/// message a second that is 20 s: longer than an interactive `image
/// state-write --confirm` needs, short enough for a test to wait for.
pub const HEALTHY_AFTER: u32 = 20;

/// Fuel slices a guest may take to reach a safe point before a swap or a
/// stop goes ahead anyway (a spinning guest never gets there): well under
/// a second at 50,000 fuel a slice on the emulated Cortex-M33.
pub const SAFE_POINT_SLICES: u32 = 1_000;

/// Output messages kept per guest for the `outputs` command: the oldest
/// goes when a newer one arrives, so a guest nobody reads costs at most
/// this many copies, each within the host's message limit
/// ([`crate::held_message_bytes`]).
pub const TAP_DEPTH: usize = 4;
