//! The guest group (SMP group 64) over a firmware's managed guests.

use wasm_sdk_host::abi::schema::write_schema;
use wasm_sdk_smp::slots::{SlotError, rc};
use wasm_sdk_smp::{BindingInfo, GuestInfo, Guests, ServiceInfo};

use super::managed::{Managed, State};
use crate::bus::{Bus, Target};
use crate::{Connect, PortKind};

/// The managed guests of a firmware: the guest group of its SMP server.
#[derive(Clone, Copy)]
pub struct Fleet {
    pub(super) guests: &'static [&'static Managed],
}

impl Fleet {
    /// The guest group over `guests`.
    pub const fn new(guests: &'static [&'static Managed]) -> Self {
        Fleet { guests }
    }

    pub(super) fn named(&self, name: &str) -> Result<&'static Managed, SlotError> {
        self.guests
            .iter()
            .copied()
            .find(|managed| managed.name == name)
            .ok_or(SlotError::new(rc::ENOENT, "no such guest"))
    }

    pub(super) fn image(&self, image: u32) -> Option<&'static Managed> {
        self.guests.iter().copied().find(|managed| managed.image == image)
    }

    /// The bus of the guests on one (a firmware keeps one).
    fn bus(&self) -> Option<&'static Bus> {
        self.guests.iter().find_map(|managed| match managed.connect {
            Connect::Bus { bus, .. } => Some(bus),
            Connect::Wiring(_) => None,
        })
    }
}

impl Guests for Fleet {
    fn list(&self, each: &mut dyn FnMut(GuestInfo<'_>)) {
        for managed in self.guests {
            let info = managed.with(|c| GuestInfo {
                name: managed.name,
                image: managed.image,
                state: c.state.as_str(),
                fuel: c.fuel,
                memory: c.memory,
                received: c.received,
                sent: c.sent,
                module: c.source.as_str(),
                restarts: c.restarts,
                dead_letters: c.dead_letters,
                dropped_lines: c.dropped_lines,
            });
            each(info);
        }
    }

    fn stop(&mut self, name: &str) -> Result<(), SlotError> {
        let managed = self.named(name)?;
        if !matches!(managed.state(), State::Stopped | State::Empty) {
            managed.stop.signal(());
        }
        Ok(())
    }

    fn start(&mut self, name: &str) -> Result<(), SlotError> {
        let managed = self.named(name)?;
        managed.with(|c| {
            if c.state != State::Stopped || c.restart {
                return Err(SlotError::new(rc::EBADSTATE, "guest is not stopped"));
            }
            c.restart = true;
            Ok(())
        })?;
        managed.wake.signal(());
        Ok(())
    }

    fn send(&mut self, name: &str, port: &str, data: &[u8]) -> Result<(), SlotError> {
        let managed = self.named(name)?;
        if data.len() > managed.with(|c| c.max_message_len) {
            return Err(SlotError::new(
                rc::ENOMEM,
                "longer than the firmware's message limit (its HostConfig::max_message_len)",
            ));
        }
        let no_input = || SlotError::new(rc::ENOENT, "no such input");
        let full = |_| SlotError::new(rc::EBADSTATE, "input full");
        match managed.connect {
            Connect::Wiring(wiring) => {
                let wire =
                    wiring.inputs.iter().find(|wire| wire.name == port).ok_or_else(no_input)?;
                wire.channel.try_send(data.to_vec()).map_err(full)
            }
            Connect::Bus { bus, slot } => {
                bus.feed(slot, port, data.to_vec()).ok_or_else(no_input)?.map_err(full)
            }
        }
    }

    fn outputs(
        &mut self,
        name: &str,
        each: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<(), SlotError> {
        let managed = self.named(name)?;
        managed.with(|c| {
            while let Some((port, message)) = c.tap.front() {
                if !each(port, message) {
                    break;
                }
                c.tap.pop_front();
            }
        });
        Ok(())
    }

    fn services(&self, each: &mut dyn FnMut(&ServiceInfo<'_>) -> bool) {
        let Some(bus) = self.bus() else { return };
        for service in bus.catalog().services() {
            let info = ServiceInfo {
                name: service.name,
                direction: service.direction.as_str(),
                ty: service.ty.name,
                key: service.ty.key.0,
                schema: &|out| write_schema(service.schema, out),
            };
            if !each(&info) {
                return;
            }
        }
    }

    fn bindings(&self, each: &mut dyn FnMut(&BindingInfo<'_>) -> bool) {
        // Wired guests first, in the fleet's order, then the bus's, in the
        // order bound: a stable order for paging while nothing changes.
        for managed in self.guests {
            let Connect::Wiring(wiring) = managed.connect else { continue };
            let inputs = wiring.inputs.iter().map(|wire| (PortKind::Input, wire));
            let outputs = wiring.outputs.iter().map(|wire| (PortKind::Output, wire));
            for (kind, wire) in inputs.chain(outputs) {
                let info = BindingInfo {
                    guest: managed.name,
                    image: managed.image,
                    kind: kind.as_str(),
                    port: wire.name,
                    to: "wired",
                    target: wire.name,
                    ty: wire.ty.map(|ty| (ty.name, ty.key.0)),
                };
                if !each(&info) {
                    return;
                }
            }
        }
        let Some(bus) = self.bus() else { return };
        bus.bindings(|slot, kind, port, target, ty| {
            let (to, target) = match target {
                Target::Service(service) => ("service", service.name),
                Target::Topic(topic) => ("topic", topic),
            };
            let guest = self.image(slot).map_or("", |managed| managed.name);
            let ty = ty.map(|(name, key)| (name, key.0));
            each(&BindingInfo { guest, image: slot, kind: kind.as_str(), port, to, target, ty })
        });
    }
}
