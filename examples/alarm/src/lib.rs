//! A temperature alarm with hysteresis.
//!
//! Inputs: `reading` ([`Reading`]) and `thresholds` ([`Thresholds`]).
//! Outputs: `alarm` ([`AlarmEvent`] when the state changes) and `average`
//! (a [`Reading`] with the mean of the last four readings, after each one).
//!
//! The module blocks on `reading`. Before each reading it checks, without
//! blocking, whether new thresholds are queued: `input_len` says so without
//! taking the message. It logs threshold changes and alarm transitions,
//! building the texts with [`StackStr`] so it does not link `core::fmt`.

#![no_std]

use module_examples_common::{AlarmEvent, Reading, Thresholds};
use wasm_sdk::{
    Error, LogLevel, Payload, Result, StackStr, define_alloc_heap, define_panic_handlers,
    input_len, log, receive, send, task_run,
};

define_alloc_heap!(1024);
define_panic_handlers!();

/// Thresholds until the host sends others: raise at 30.0 °C, clear at 28.0 °C.
pub const DEFAULT_THRESHOLDS: Thresholds = Thresholds { high: 300, low: 280 };

/// Readings averaged for the `average` output.
const WINDOW: usize = 4;

#[task_run(inputs(reading, thresholds), outputs(alarm, average))]
fn run() -> Result<()> {
    let mut buf = [0u8; 16];
    let mut limits = DEFAULT_THRESHOLDS;
    let mut raised = false;
    let mut window = [0i16; WINDOW];
    let mut seen = 0usize;
    loop {
        if let Some(new) = pending_thresholds(&mut buf)? {
            limits = new;
            let mut text = StackStr::<64>::new();
            text.push_str("thresholds high=")
                .push_i32(new.high.into())
                .push_str(" low=")
                .push_i32(new.low.into());
            log(&text, LogLevel::Info)?;
        }

        receive(&mut buf, Input::Reading)?;
        let reading = Reading::from_payload(&buf)?;
        let t = reading.deci_celsius;

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
            let n = event.serialize_into(&mut buf)?;
            send(&buf[..n], Output::Alarm)?;
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
        let n = Reading { deci_celsius: mean }.serialize_into(&mut buf)?;
        send(&buf[..n], Output::Average)?;
    }
}

/// New thresholds, if a message is queued on `thresholds`; never blocks.
/// A closed `thresholds` input just means no more updates.
fn pending_thresholds(buf: &mut [u8]) -> Result<Option<Thresholds>> {
    match input_len(Input::Thresholds) {
        Ok(_) => {
            receive(buf, Input::Thresholds)?;
            let limits = Thresholds::from_payload(buf)?;
            if limits.low > limits.high {
                log("ignored thresholds with low > high", LogLevel::Warn)?;
                return Ok(None);
            }
            Ok(Some(limits))
        }
        Err(Error::Empty | Error::InputClosed) => Ok(None),
        Err(err) => Err(err),
    }
}
