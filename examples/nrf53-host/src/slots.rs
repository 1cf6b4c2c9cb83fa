//! The catalog's guests and services (`--features update`): slots 1 to 3
//! start empty, and a module uploaded into one (`image upload --image N`,
//! `wasm-sdk deploy --slot N`) binds its ports to the services of
//! [`CATALOG`] and to topics, with nothing wired for it here. `image erase
//! 2N` (`wasm-sdk guests remove slotN`) removes it.
//!
//! The services, each a task on the [`BUS`]:
//!
//! - `temperature`: the ramp `services::temperature` feeds the wired
//!   `alarm` guest with, offered to the bus too;
//! - `alarm`: each event logged with its slot, and LED 2 on while raised
//!   ([`alarm_task`]);
//! - `button`: Buttons 2 to 4, pressed and released ([`buttons_task`]);
//! - `led`: LEDs 3 and 4 ([`leds_task`]);
//! - `supply`: VDD in mV once a second ([`supply_task`]);
//! - the timer: each guest's own.
//!
//! Modules in these slots are confirmed by [`Health::LISTENER`] (messages
//! received, not answers).

use defmt::{info, warn};
use embassy_futures::select::{Either3, select3};
use embassy_nrf::gpio::{Input, Level, Output};
use embassy_nrf::saadc::Saadc;
use embassy_time::{Duration, Ticker, Timer};
use module_examples_common::{AlarmEvent, ButtonEvent, LedCommand, Millivolts, to_message};
use serde::Serialize;
use wasm_sdk_embassy::ChannelEnv;
use wasm_sdk_embassy::bus::Bus;
use wasm_sdk_embassy::catalog::Service;
use wasm_sdk_embassy::update::{self, Health, Managed};
use wasm_sdk_host::{Guest, Host};

use crate::catalog::{ALARM, BUTTON, CATALOG, LED, SUPPLY};
use crate::guests::SINK;

/// The guests of slots 1 to 3, bound on it.
pub static BUS: Bus = Bus::new(&CATALOG);

static SLOT1: Managed = Managed::on_bus("slot1", 1, &BUS, &SINK).with_health(Health::LISTENER);
static SLOT2: Managed = Managed::on_bus("slot2", 2, &BUS, &SINK).with_health(Health::LISTENER);
static SLOT3: Managed = Managed::on_bus("slot3", 3, &BUS, &SINK).with_health(Health::LISTENER);

/// The catalog's slots, images 1 to 3.
pub static SLOTS: [&Managed; 3] = [&SLOT1, &SLOT2, &SLOT3];

/// Offers `value` on `service` to every guest bound to it; a guest whose
/// input is full misses it (the next message supersedes it).
pub fn offer<T: Serialize>(service: &Service, value: &T) {
    // The catalog's types encode in a few bytes, far below `to_message`'s
    // capacity.
    if let Ok(message) = to_message(value) {
        let _ = BUS.offer(service, &message);
    }
}

/// Runs a catalog slot's guest (`None`: empty) for ever under the update
/// path.
#[embassy_executor::task(pool_size = 3)]
pub async fn slot_task(
    host: &'static Host<ChannelEnv>,
    managed: &'static Managed,
    guest: Option<Guest<ChannelEnv>>,
) {
    update::run(host, managed, guest).await
}

/// The actuator: logs each alarm a guest sends, with its slot, and keeps
/// LED 2 (active low) on while the last event is `Raised`.
#[embassy_executor::task]
pub async fn alarm_task(mut led: Output<'static>) {
    loop {
        let Ok((slot, message)) = BUS.receive(&ALARM).await else { return };
        match wasm_sdk::from_payload::<AlarmEvent>(&message) {
            Ok(AlarmEvent::Raised { deci_celsius }) => {
                info!("alarm: raised at {=i16} (slot {=u32})", deci_celsius, slot);
                led.set_low();
            }
            Ok(AlarmEvent::Cleared { deci_celsius }) => {
                info!("alarm: cleared at {=i16} (slot {=u32})", deci_celsius, slot);
                led.set_high();
            }
            Err(_) => warn!("alarm: {=usize} undecodable bytes (slot {=u32})", message.len(), slot),
        }
    }
}

/// Buttons 2 to 4 (active low, pulled up): each press and release, to
/// every guest bound to `button`.
#[embassy_executor::task]
pub async fn buttons_task(mut buttons: [Input<'static>; 3]) {
    /// The numbers printed on the DK beside them.
    const NUMBERS: [u8; 3] = [2, 3, 4];
    loop {
        let [b2, b3, b4] = &mut buttons;
        let index =
            match select3(b2.wait_for_any_edge(), b3.wait_for_any_edge(), b4.wait_for_any_edge())
                .await
            {
                Either3::First(()) => 0,
                Either3::Second(()) => 1,
                Either3::Third(()) => 2,
            };
        // Debounce: the contact settles within this.
        Timer::after_millis(20).await;
        let pressed = buttons[index].is_low();
        offer(&BUTTON, &ButtonEvent { button: NUMBERS[index], pressed });
    }
}

/// LEDs 3 and 4 (active low), as guests bound to `led` switch them; a
/// command for another LED is logged and dropped.
#[embassy_executor::task]
pub async fn leds_task(mut leds: [Output<'static>; 2]) {
    loop {
        let Ok((slot, message)) = BUS.receive(&LED).await else { return };
        match wasm_sdk::from_payload::<LedCommand>(&message) {
            Ok(LedCommand { led: number @ 3..=4, on }) => {
                let level = if on { Level::Low } else { Level::High };
                leds[usize::from(number - 3)].set_level(level);
            }
            Ok(LedCommand { led, .. }) => warn!("led: no LED {=u8} (slot {=u32})", led, slot),
            Err(_) => warn!("led: {=usize} undecodable bytes (slot {=u32})", message.len(), slot),
        }
    }
}

/// The SAADC's full scale in mV with its defaults (internal 0.6 V
/// reference, gain 1/6), over 12 bits.
const FULL_SCALE_MV: i32 = 3600;

/// VDD once a second, in mV, to every guest bound to `supply`.
#[embassy_executor::task]
pub async fn supply_task(mut saadc: Saadc<'static, 1>) {
    saadc.calibrate().await;
    let mut ticker = Ticker::every(Duration::from_secs(1));
    loop {
        ticker.next().await;
        let mut sample = [0i16; 1];
        saadc.sample(&mut sample).await;
        // A negative sample (noise around 0 V) reads as 0.
        let millivolts = (i32::from(sample[0]).max(0) * FULL_SCALE_MV / 4096) as u16;
        offer(&SUPPLY, &Millivolts { millivolts });
    }
}
