//! A temperature alarm with hysteresis.
//!
//! Inputs: `reading` ([`Reading`]) and `thresholds` ([`Thresholds`]).
//! Outputs: `alarm` ([`AlarmEvent`] when the state changes) and `average`
//! (a [`Reading`] with the mean of the last four readings, after each one).
//!
//! The module waits on both inputs at once (`Input::wait`) and handles
//! whichever has a message: new thresholds apply from the next reading
//! on, without waiting for one. The host answers ready inputs in turns, so
//! a stream of readings cannot hold back a thresholds update. It stops
//! when `reading` is closed; a closed `thresholds` input only means no
//! more updates. It logs threshold changes and alarm transitions,
//! building the texts with [`StackStr`] so it does not link `core::fmt`.

#![no_std]

use module_examples_common::{AlarmEvent, Reading, Thresholds};
use wasm_sdk::{
    Error, InputIdx, LogLevel, Result, StackStr, define_alloc_heap, define_panic_handlers, log,
    task_run,
};

define_alloc_heap!(1024);
define_panic_handlers!();

/// Thresholds until the host sends others: raise at 30.0 °C, clear at 28.0 °C.
pub const DEFAULT_THRESHOLDS: Thresholds = Thresholds { high: 300, low: 280 };

/// Readings averaged for the `average` output.
const WINDOW: usize = 4;

#[task_run(
    inputs(reading: Reading, thresholds: Thresholds),
    outputs(alarm: AlarmEvent, average: Reading)
)]
fn run() -> Result<()> {
    let mut limits = DEFAULT_THRESHOLDS;
    let mut raised = false;
    let mut window = [0i16; WINDOW];
    let mut seen = 0usize;
    // Thresholds first: with both ready, an update is applied before the
    // reading that waited beside it, as a check before each reading would.
    let both: [InputIdx; 2] = [Input::Thresholds.into(), Input::Reading.into()];
    let mut listen: &[InputIdx] = &both;
    loop {
        if Input::wait(listen)? == Input::Thresholds {
            match Input::Thresholds.receive() {
                Ok(new) => {
                    if let Some(new) = checked(new)? {
                        limits = new;
                    }
                }
                // No more updates: wait on readings only, or every wait
                // would answer the closed input at once.
                Err(Error::InputClosed) => listen = &both[1..],
                Err(err) => return Err(err),
            }
            continue;
        }

        let t = Input::Reading.receive()?.deci_celsius;

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
            Output::Alarm.send(&event)?;
            let (level, what) = match event {
                AlarmEvent::Raised { .. } => (LogLevel::Warn, "alarm raised at "),
                AlarmEvent::Cleared { .. } => (LogLevel::Info, "alarm cleared at "),
            };
            let mut text = StackStr::<48>::new();
            text.push_str(what).push_i32(t.into()).push_str(" dC");
            log(&text, level)?;
        }

        window[seen % WINDOW] = t;
        seen += 1;
        let filled = &window[..seen.min(WINDOW)];
        let sum: i32 = filled.iter().map(|&v| i32::from(v)).sum();
        // `filled` holds 1 to 4 readings; `max(1)` says so to the optimizer,
        // which then drops the division-by-zero panic. The mean of i16
        // values is an i16.
        let mean = (sum / filled.len().max(1) as i32) as i16;
        Output::Average.send(&Reading { deci_celsius: mean })?;
    }
}

/// `new`, logged, if its limits are in order; `None` (and a warning)
/// otherwise.
fn checked(new: Thresholds) -> Result<Option<Thresholds>> {
    if new.low > new.high {
        log("ignored thresholds with low > high", LogLevel::Warn)?;
        return Ok(None);
    }
    let mut text = StackStr::<64>::new();
    text.push_str("thresholds high=")
        .push_i32(new.high.into())
        .push_str(" low=")
        .push_i32(new.low.into());
    log(&text, LogLevel::Info)?;
    Ok(Some(new))
}
