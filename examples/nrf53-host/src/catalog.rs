//! The device's service catalog, declared once: the firmware serves it
//! (`slots.rs`, with `--features update`) and its build script writes it
//! as a catalog file, `nrf53-host.catalog.json` beside the firmware, for
//! `wasm-sdk inspect --catalog`, `new --catalog`, the test host and the
//! device check (`./device-check --catalog`). This file holds only the
//! declarations, so the build script can include it.

use module_examples_common::{AlarmEvent, ButtonEvent, LedCommand, Millivolts, Reading};
use wasm_sdk_embassy::catalog::{Catalog, Service};

/// The temperature ramp the wired `alarm` guest also gets (25.0 to
/// 32.0 °C and back, twice a second), to every guest with an input
/// `temperature`.
pub static TEMPERATURE: Service = Service::provides::<Reading>("temperature");
/// What guests with an output `alarm` raise and clear: logged, and shown
/// on LED 2.
pub static ALARM: Service = Service::takes::<AlarmEvent>("alarm");
/// Buttons 2 to 4 of the DK, pressed and released.
pub static BUTTON: Service = Service::provides::<ButtonEvent>("button");
/// LEDs 3 and 4 of the DK, switched by guests.
pub static LED: Service = Service::takes::<LedCommand>("led");
/// The app core's supply voltage (VDD), measured by its SAADC once a
/// second.
pub static SUPPLY: Service = Service::provides::<Millivolts>("supply");
/// The catalog.
pub static CATALOG: Catalog =
    Catalog::new(&[&TEMPERATURE, &ALARM, &BUTTON, &LED, &SUPPLY]).with_timer();
