//! A stale-sensor watchdog, on a catalog firmware's timer service: the
//! module asks for its own timer and, each period, checks that the
//! temperature sensor spoke since the last one.
//!
//! Inputs: `tick` ([`Tick`], the timer service) and `temperature`
//! ([`Reading`], the firmware's sensor). Outputs: `timer` ([`SetTimer`],
//! sent once at the start: a tick every [`PERIOD_MS`]) and `alarm`
//! ([`AlarmEvent`], the firmware's service).
//!
//! It waits on both inputs at once (`Input::wait`). A tick with no reading
//! since the previous tick (or since the start) raises the alarm; the next
//! reading clears it. [`AlarmEvent`] has no variant for a silent sensor,
//! and one added would change the type the firmware's `alarm` service and
//! every alarm guest share, so this module says it with the two there
//! are: `Raised` carries the last reading heard ([`NEVER`] if none was),
//! `Cleared` the reading that ended the silence. A firmware that takes
//! `alarm` from several guests tells them apart by slot. Only changes are
//! sent. It stops when either input is closed.
//!
//! The sensor must report more often than once a [`PERIOD_MS`]: with
//! readings exactly as often as ticks, a late reading leaves a period
//! empty and the alarm flaps.

#![no_std]

use module_examples_common::{AlarmEvent, Reading};
use wasm_sdk::timer::{SetTimer, Tick};
use wasm_sdk::{InputIdx, Result, define_alloc_heap, define_panic_handlers, task_run};

// Never used (the linker drops the arena), but the SDK links `alloc`.
define_alloc_heap!(1024);
define_panic_handlers!();

/// The timer's period: each must see a reading.
pub const PERIOD_MS: u32 = 1_000;

/// The reading a `Raised` alarm carries when the sensor was never heard.
pub const NEVER: i16 = i16::MIN;

/// Whether a reading came in each period, and the alarm's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watchdog {
    /// The last reading, or [`NEVER`].
    last: i16,
    /// A reading came since the last tick.
    fresh: bool,
    /// The alarm is raised.
    raised: bool,
}

impl Default for Watchdog {
    fn default() -> Self {
        Watchdog { last: NEVER, fresh: false, raised: false }
    }
}

impl Watchdog {
    /// A reading came: `Cleared` with it if the alarm was raised.
    pub fn reading(&mut self, deci_celsius: i16) -> Option<AlarmEvent> {
        self.last = deci_celsius;
        self.fresh = true;
        if self.raised {
            self.raised = false;
            return Some(AlarmEvent::Cleared { deci_celsius });
        }
        None
    }

    /// A period passed: `Raised` with the last reading if none came in it
    /// and the alarm is not raised already.
    pub fn tick(&mut self) -> Option<AlarmEvent> {
        let silent = !self.fresh;
        self.fresh = false;
        if silent && !self.raised {
            self.raised = true;
            return Some(AlarmEvent::Raised { deci_celsius: self.last });
        }
        None
    }
}

#[task_run(
    inputs(tick: Tick, temperature: Reading),
    outputs(timer: SetTimer, alarm: AlarmEvent)
)]
fn run() -> Result<()> {
    Output::Timer.send(&SetTimer { period_ms: PERIOD_MS })?;
    let mut watchdog = Watchdog::default();
    // Readings first: with both ready, the reading that waited beside a
    // tick came in the period that tick ends.
    let both: [InputIdx; 2] = [Input::Temperature.into(), Input::Tick.into()];
    loop {
        let event = if Input::wait(&both)? == Input::Temperature {
            watchdog.reading(Input::Temperature.receive()?.deci_celsius)
        } else {
            Input::Tick.receive()?;
            watchdog.tick()
        };
        if let Some(event) = event {
            Output::Alarm.send(&event)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_period_raises_and_the_next_reading_clears() {
        let mut dog = Watchdog::default();
        // Never heard: the first tick raises, with `NEVER`; once only.
        assert_eq!(dog.tick(), Some(AlarmEvent::Raised { deci_celsius: NEVER }));
        assert_eq!(dog.tick(), None);
        assert_eq!(dog.reading(245), Some(AlarmEvent::Cleared { deci_celsius: 245 }));
        // A reading in each period keeps it quiet, however many.
        assert_eq!(dog.tick(), None);
        assert_eq!(dog.reading(250), None);
        assert_eq!(dog.reading(255), None);
        assert_eq!(dog.tick(), None);
        // Then silence: raised with the last reading heard.
        assert_eq!(dog.tick(), Some(AlarmEvent::Raised { deci_celsius: 255 }));
        assert_eq!(dog.tick(), None);
        assert_eq!(dog.reading(260), Some(AlarmEvent::Cleared { deci_celsius: 260 }));
    }
}
