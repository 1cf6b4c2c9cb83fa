//! A thermostat's alarm, for a firmware with a service catalog: any such
//! firmware that provides `temperature` and takes `alarm` runs it, with no
//! wiring of its own.
//!
//! Input: `temperature` ([`Reading`], the firmware's sensor). Output:
//! `alarm` ([`AlarmEvent`], to the firmware): raised at or above 25.0 °C,
//! cleared at or below 23.0 °C ([`ROOM_THRESHOLDS`]), sent only when the
//! state changes ([`Hysteresis`]). It stops when `temperature` is closed.
//!
//! It logs nothing and formats nothing, so it does not link `core::fmt`.

#![no_std]

use module_examples_common::{AlarmEvent, Hysteresis, ROOM_THRESHOLDS, Reading};
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, task_run};

// Never used (the linker drops the arena), but the SDK links `alloc`.
define_alloc_heap!(1024);
define_panic_handlers!();

#[task_run(inputs(temperature: Reading), outputs(alarm: AlarmEvent))]
fn run() -> Result<()> {
    let mut alarm = Hysteresis::new(ROOM_THRESHOLDS);
    loop {
        let reading = Input::Temperature.receive()?;
        if let Some(event) = alarm.update(reading.deci_celsius) {
            Output::Alarm.send(&event)?;
        }
    }
}
