//! The second stage of a two-module pipeline on a catalog firmware: an
//! alarm on the topic `smoothed`, which `examples/smoother` publishes.
//!
//! Input: `#[topic] smoothed` ([`Reading`], from another guest). Output:
//! `alarm` ([`AlarmEvent`], the firmware's service): the thermostat's
//! alarm ([`Hysteresis`] with [`ROOM_THRESHOLDS`]: raised at or above
//! 25.0 °C, cleared at or below 23.0 °C, sent on changes only) on the
//! smoothed temperature, so a single noisy reading does not raise it. It
//! stops when `smoothed` is closed; on a bus a topic is not closed, and
//! before a publisher is installed the module simply waits.

#![no_std]

use module_examples_common::{AlarmEvent, Hysteresis, ROOM_THRESHOLDS, Reading};
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, task_run};

// Never used (the linker drops the arena), but the SDK links `alloc`.
define_alloc_heap!(1024);
define_panic_handlers!();

#[task_run(inputs(#[topic] smoothed: Reading), outputs(alarm: AlarmEvent))]
fn run() -> Result<()> {
    let mut alarm = Hysteresis::new(ROOM_THRESHOLDS);
    loop {
        let reading = Input::Smoothed.receive()?;
        if let Some(event) = alarm.update(reading.deci_celsius) {
            Output::Alarm.send(&event)?;
        }
    }
}
