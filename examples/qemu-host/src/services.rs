//! The device's service catalog: what a module uploaded into slots 1 to 3
//! may bind to, with no wiring in this firmware for it.
//!
//! - `temperature` (provided, `Reading`): a simulated sensor, 20.0 °C at
//!   start, rising 0.5 °C a second and wrapping from 40.0 back to 20.0,
//!   read twice a second ([`sensor_task`]);
//! - `alarm` (taken, `AlarmEvent`): each message printed on the console,
//!   `alarm: Raised { deci_celsius: 250 } (slot 1)` ([`alarm_task`]);
//! - the timer: each guest's own, at the period it sets.
//!
//! Slots 1 to 3 start empty; `image upload --image N` installs a module
//! whose ports bind, `image erase 2N` removes it. Modules in them are
//! confirmed by [`Health::LISTENER`] (messages received, not answers).

use embassy_time::{Duration, Ticker};
use module_examples_common::{AlarmEvent, Reading};

use crate::catalog::{ALARM, CATALOG, TEMPERATURE};
use wasm_sdk_embassy::bus::Bus;
use wasm_sdk_embassy::update::{self, Health, Managed};
use wasm_sdk_embassy::{ChannelEnv, LogBucket, LogLimit};
use wasm_sdk_host::{Guest, Host};

use cortex_m_semihosting::hprintln;
use qemu_host::guests::SINK;

use crate::serve::{TICK_MS, at_tick};

/// The guests of slots 1 to 3, bound on it.
pub static BUS: Bus = Bus::new(&CATALOG);

/// [`Health::LISTENER`], its times scaled to the tick ([`at_tick`]).
const SLOT_HEALTH: Health = Health {
    deadline: at_tick(Health::LISTENER.deadline),
    backoff: at_tick(Health::LISTENER.backoff),
    max_backoff: at_tick(Health::LISTENER.max_backoff),
    window: at_tick(Health::LISTENER.window),
    ..Health::LISTENER
};

static SLOT1: Managed = Managed::on_bus("slot1", 1, &BUS, &SINK).with_health(SLOT_HEALTH);
static SLOT2: Managed = Managed::on_bus("slot2", 2, &BUS, &SINK).with_health(SLOT_HEALTH);
static SLOT3: Managed = Managed::on_bus("slot3", 3, &BUS, &SINK).with_health(SLOT_HEALTH);

/// The catalog's slots, images 1 to 3.
pub static SLOTS: [&Managed; 3] = [&SLOT1, &SLOT2, &SLOT3];

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

/// The simulated temperature of reading `n` (two a second), in 0.1 °C:
/// from 20.0 °C, 0.5 °C a second, wrapping at 40.0 °C.
fn deci_celsius(n: u64) -> i16 {
    // Below 200 by the modulo: fits.
    200 + (n * 5 / 2 % 200) as i16
}

/// The sensor: a reading to every guest bound to `temperature`, twice a
/// second (a second being [`TICK_MS`]), on a schedule that does not drift.
/// A guest whose input is full misses it (the next reading supersedes
/// it): the sensor waits on no guest.
#[embassy_executor::task]
pub async fn sensor_task() {
    let mut ticker = Ticker::every(Duration::from_millis(TICK_MS / 2));
    for n in 0.. {
        ticker.next().await;
        let reading = Reading { deci_celsius: deci_celsius(n) };
        if let Ok(message) = module_examples_common::to_message(&reading) {
            let _ = BUS.offer(&TEMPERATURE, &message);
        }
    }
}

/// The console's share for alarms: as for the counter's answers, so a
/// guest sending alarms in a loop cannot keep semihosting (which stops the
/// machine while it writes) busy.
const ALARM_LIMIT: LogLimit = LogLimit { burst: 40, every: at_tick(Duration::from_millis(500)) };

/// The actuator: prints each alarm a guest sends, decoded, with its slot.
#[embassy_executor::task]
pub async fn alarm_task() {
    let mut lines = LogBucket::new(ALARM_LIMIT);
    loop {
        let Ok((slot, message)) = BUS.receive(&ALARM).await else { return };
        let Some(left_out) = lines.admit() else { continue };
        if left_out > 0 {
            hprintln!("serve: {} alarms not printed (the console's rate limit)", left_out);
        }
        match wasm_sdk::from_payload::<AlarmEvent>(&message) {
            Ok(event) => hprintln!("alarm: {:?} (slot {})", event, slot),
            Err(_) => hprintln!("alarm: {} undecodable bytes (slot {})", message.len(), slot),
        }
    }
}
