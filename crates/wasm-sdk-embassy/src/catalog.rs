//! The service catalog: what a firmware offers the guests it did not wire
//! in advance, by name and message type.
//!
//! A firmware declares its services once, as statics:
//!
//! ```
//! use module_examples_common::{AlarmEvent, Reading};
//! use wasm_sdk_embassy::catalog::{Catalog, Service};
//!
//! /// A sensor's readings, fed to every guest with an input `temperature`.
//! static TEMPERATURE: Service = Service::provides::<Reading>("temperature");
//! /// Taken from every guest with an output `alarm`.
//! static ALARM: Service = Service::takes::<AlarmEvent>("alarm");
//!
//! static CATALOG: Catalog = Catalog::new(&[&TEMPERATURE, &ALARM]).with_timer();
//! # assert!(CATALOG.service("temperature").is_some());
//! ```
//!
//! A module installed on a [`Bus`](crate::bus::Bus) over the catalog binds
//! each of its ports by name: a plain port to the service of that name (of
//! its direction and type, or the module is refused), a `#[topic]` port
//! ([`topic_of`]) to the topic of that name, which connects guests with
//! each other.

use serde::de::DeserializeOwned;
use wasm_sdk::timer::{SetTimer, TICK, TIMER, Tick};
pub use wasm_sdk_host::abi::catalog::Direction;
pub use wasm_sdk_host::abi::manifest::topic_of;
use wasm_sdk_host::abi::schema::postcard_schema::Schema;
use wasm_sdk_host::abi::schema::postcard_schema::schema::NamedType;
use wasm_sdk_host::abi::schema::{ChannelType, PortType};

/// Who serves a service's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// The firmware, through the [`Bus`](crate::bus::Bus): it publishes
    /// what it provides, and receives what it takes.
    Firmware,
    /// Each guest's own timer, run beside the guest: `timer` sets it,
    /// `tick` delivers it ([`wasm_sdk::timer`]).
    Timer,
}

/// One named, typed service of a [`Catalog`].
#[derive(Debug)]
pub struct Service {
    /// The name guest ports bind it by.
    pub name: &'static str,
    /// Which way its messages go.
    pub direction: Direction,
    /// Its message type.
    pub ty: PortType,
    /// The message type's schema, for clients that show messages as
    /// values.
    pub schema: &'static NamedType,
    /// Whether a message decodes as the type (postcard, exactly).
    pub decodes: fn(&[u8]) -> bool,
    /// Who serves it.
    pub server: Server,
}

impl Service {
    /// A service the firmware provides: `T` messages to every guest that
    /// has an input `name`.
    pub const fn provides<T: Schema + DeserializeOwned>(name: &'static str) -> Self {
        Self::of::<T>(name, Direction::Provides, Server::Firmware)
    }

    /// A service the firmware takes: `T` messages from every guest that
    /// has an output `name`.
    pub const fn takes<T: Schema + DeserializeOwned>(name: &'static str) -> Self {
        Self::of::<T>(name, Direction::Takes, Server::Firmware)
    }

    const fn of<T: Schema + DeserializeOwned>(
        name: &'static str,
        direction: Direction,
        server: Server,
    ) -> Self {
        Service {
            name,
            direction,
            ty: PortType::of::<T>(),
            schema: T::SCHEMA,
            decodes: crate::decodes::<T>,
            server,
        }
    }

    /// The timer service's output: [`SetTimer`] on an output `timer`.
    pub const TIMER: Service = Service::of::<SetTimer>(TIMER, Direction::Takes, Server::Timer);
    /// The timer service's input: [`Tick`] on an input `tick`.
    pub const TICK: Service = Service::of::<Tick>(TICK, Direction::Provides, Server::Timer);
}

/// Services are one by name and direction: a catalog names each once.
impl PartialEq for Service {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.direction == other.direction
    }
}

impl Eq for Service {}

/// The services a firmware offers guests, by name.
#[derive(Clone, Copy, Debug)]
pub struct Catalog {
    services: &'static [&'static Service],
    timer: bool,
}

static TIMER_SERVICES: [&Service; 2] = [&Service::TIMER, &Service::TICK];

impl Catalog {
    /// A catalog of `services`. Names are unique: a [`Bus`](crate::bus::Bus)
    /// binds a port to the first service of its name.
    pub const fn new(services: &'static [&'static Service]) -> Self {
        Catalog { services, timer: false }
    }

    /// This catalog with the timer service: each guest's own timer
    /// ([`wasm_sdk::timer`]).
    pub const fn with_timer(mut self) -> Self {
        self.timer = true;
        self
    }

    /// Every service, the timer's last.
    pub fn services(&self) -> impl Iterator<Item = &'static Service> + '_ {
        let timer: &'static [&'static Service] = if self.timer { &TIMER_SERVICES } else { &[] };
        self.services.iter().chain(timer).copied()
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&'static Service> {
        self.services().find(|service| service.name == name)
    }

    /// Each service as the host's load check declares a channel: a module
    /// port named as a service of its direction must carry its type
    /// (`LoadError::PortType` otherwise, with both types).
    pub(crate) fn channel_types(&self) -> impl Iterator<Item = ChannelType<'static>> + '_ {
        self.services().map(|service| ChannelType {
            kind: service.direction.port_kind(),
            port: service.name,
            ty: service.ty,
        })
    }
}
