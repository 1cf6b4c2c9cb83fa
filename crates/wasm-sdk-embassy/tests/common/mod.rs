//! What the bus tests share: the catalog of the QEMU firmware, a reading as
//! the sensor sends it, and the bus's bindings as text.

use module_examples_common::{AlarmEvent, Reading, to_message};
use wasm_sdk_embassy::PortKind;
use wasm_sdk_embassy::bus::{Bus, Slot, Target};
use wasm_sdk_embassy::catalog::{Catalog, Service};

/// A sensor the firmware provides.
pub static TEMPERATURE: Service = Service::provides::<Reading>("temperature");
/// An actuator the firmware takes.
pub static ALARM: Service = Service::takes::<AlarmEvent>("alarm");
/// Both, and the timer.
pub static CATALOG: Catalog = Catalog::new(&[&TEMPERATURE, &ALARM]).with_timer();

/// A `temperature` message.
pub fn reading(deci_celsius: i16) -> Vec<u8> {
    to_message(&Reading { deci_celsius }).unwrap()
}

/// Every binding of `bus`: slot, kind, port, and `service NAME` or
/// `topic NAME`.
pub fn bindings(bus: &Bus) -> Vec<(Slot, PortKind, String, String)> {
    let mut all = Vec::new();
    bus.bindings(|slot, kind, port, target, _| {
        let target = match target {
            Target::Service(service) => format!("service {}", service.name),
            Target::Topic(topic) => format!("topic {topic}"),
        };
        all.push((slot, kind, port.to_owned(), target));
        true
    });
    all
}
