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
        #[cfg(not(thermostat_hand_form))]
        {
            let reading = Input::Temperature.receive()?;
            if let Some(event) = alarm.update(reading.deci_celsius) {
                Output::Alarm.send(&event)?;
            }
        }
        #[cfg(thermostat_hand_form)]
        hand::step(&mut alarm)?;
    }
}

/// `THERMOSTAT_FORM=hand`: the same loop through the raw calls, with
/// panic-free `.get(..)` slices and buffers of the types' sizes, to measure
/// what the typed ports cost against it (the same ports, so the same
/// manifest).
#[cfg(thermostat_hand_form)]
mod hand {
    use super::{Input, Output};
    use module_examples_common::{AlarmEvent, Hysteresis, Reading};
    use wasm_sdk::{MaxSize, Result, from_payload, receive, send, serialize_into};

    pub(super) fn step(alarm: &mut Hysteresis) -> Result<()> {
        let mut buf = [0u8; <Reading as MaxSize>::MAX_SIZE];
        let n = receive(&mut buf, Input::Temperature)?;
        let reading: Reading = from_payload(buf.get(..n).unwrap_or_default())?;
        if let Some(event) = alarm.update(reading.deci_celsius) {
            let mut out = [0u8; <AlarmEvent as MaxSize>::MAX_SIZE];
            let n = serialize_into(&event, &mut out)?;
            send(out.get(..n).unwrap_or_default(), Output::Alarm.index())?;
        }
        Ok(())
    }
}
