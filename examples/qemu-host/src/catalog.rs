//! The device's service catalog, declared once: the firmware serves it
//! (`services.rs`) and its build script writes it as a catalog file,
//! `qemu-host.catalog.json` beside the firmware, for `wasm-sdk inspect
//! --catalog`, `new --catalog` and the test host. This file holds only the
//! declarations, so the build script can include it.

use module_examples_common::{AlarmEvent, Reading};
use wasm_sdk_embassy::catalog::{Catalog, Service};

/// The simulated sensor's readings, to every guest with an input
/// `temperature`.
pub static TEMPERATURE: Service = Service::provides::<Reading>("temperature");
/// What guests with an output `alarm` raise and clear.
pub static ALARM: Service = Service::takes::<AlarmEvent>("alarm");
/// The catalog.
pub static CATALOG: Catalog = Catalog::new(&[&TEMPERATURE, &ALARM]).with_timer();
