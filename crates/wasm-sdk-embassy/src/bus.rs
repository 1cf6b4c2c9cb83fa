//! The bus: each installed guest's ports bound to the [`Catalog`]'s
//! services and to topics, and the messages between them.
//!
//! A firmware keeps one `static` bus over its catalog and starts guests on
//! it ([`crate::start`] with [`Connect::Bus`](crate::Connect::Bus)); each
//! guest is known by its slot (the SMP image number). Binding a module:
//!
//! - a plain port binds the service of its name: of the port's direction
//!   (an input binds a service the firmware [provides](Direction::Provides),
//!   an output one it [takes](Direction::Takes)) and of its type (the
//!   host's load check, with the catalog's services as its channels:
//!   `LoadError::PortType`). Otherwise the module is refused, naming the
//!   port: [`BindError`].
//! - a `#[topic]` port ([`topic_of`]) binds the topic of its name. A
//!   topic has one type (the first guest bound to it sets it, while any
//!   is bound) and at most one publishing guest, so a topic's order is
//!   its publisher's and no two publishers contend for a subscriber.
//!
//! Messages:
//!
//! - what the firmware provides goes to every guest bound to the service,
//!   each its own copy in its own input channel: [`Bus::offer`] skips a
//!   guest whose channel is full (a sensor's next reading supersedes
//!   it), [`Bus::publish`] waits for room in all;
//! - what the firmware takes comes from every bound guest's own outbox
//!   ([`Bus::receive`], in turn, so a flooding guest does not starve the
//!   others);
//! - a guest's topic output goes to every guest bound to the topic's
//!   input: its send completes when all of them have room (it waits in
//!   `send`, burning no fuel, while one is full), so a topic loses
//!   nothing between running guests. With no subscriber, a topic message
//!   is dropped: a subscriber gets what is sent after it is bound.
//! - an input with no producer yet (a topic nobody publishes, a service
//!   the firmware does not feed) simply has no message: a guest waiting
//!   on it waits, burning no fuel, until one comes.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;
use core::task::{Context, Poll};

use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::waitqueue::MultiWakerRegistration;
use wasm_sdk_host::abi::catalog::{Bind, Refusal, bind};
use wasm_sdk_host::abi::schema::{TypeKey, compatible};
use wasm_sdk_host::{Guest, SendError};

use crate::catalog::{Catalog, Direction, Server, Service, topic_of};
use crate::{ChannelEnv, Message, PortChannel, PortKind};

/// A guest on the bus: its slot (the SMP image number).
pub type Slot = u32;

/// What a port of a guest is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// A service of the catalog.
    Service(&'a Service),
    /// A topic, by name (the port's name without [`TOPIC_PREFIX`](wasm_sdk_host::abi::manifest::TOPIC_PREFIX)).
    Topic(&'a str),
}

/// Why a module's ports do not bind on a [`Bus`]: the port, and what it
/// declares against what the bus offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindError {
    /// A plain port binds no service: the catalog's rule
    /// ([`bind`]) refused it.
    Service {
        /// Input or output.
        kind: PortKind,
        /// The port.
        port: String,
        /// Why: no such service, or one of the other direction.
        refusal: Refusal,
    },
    /// A topic port's type is not the type the topic carries now.
    TopicType {
        /// Input or output.
        kind: PortKind,
        /// The port.
        port: String,
        /// The type the module declares: its name and key.
        declared: (String, TypeKey),
        /// The type of the topic's bound ports: its name and key.
        offered: (String, TypeKey),
        /// The slot of the guest bound with that type.
        by: Slot,
    },
    /// Another guest publishes the topic already.
    TopicPublished {
        /// The port.
        port: String,
        /// The publishing guest's slot.
        by: Slot,
    },
}

impl BindError {
    /// What is wrong, as a static text (no `core::fmt`): firmware logs it
    /// with [`port`](Self::port).
    pub fn as_str(&self) -> &'static str {
        match self {
            BindError::Service { kind, refusal, .. } => refusal.as_str(*kind),
            BindError::TopicType { .. } => "a topic port's type is not the topic's",
            BindError::TopicPublished { .. } => "another guest publishes the topic",
        }
    }

    /// The port the error is about.
    pub fn port(&self) -> &str {
        match self {
            BindError::Service { port, .. }
            | BindError::TopicType { port, .. }
            | BindError::TopicPublished { port, .. } => port,
        }
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::Service { kind, port, refusal } => refusal.write(f, *kind, port),
            BindError::TopicType { kind, port, declared, offered, by } => write!(
                f,
                "{} `{port}` declares `{}` (key {}) but the topic carries `{}` (key {}), as bound by slot {by}",
                kind.as_str(),
                declared.0,
                declared.1,
                offered.0,
                offered.1
            ),
            BindError::TopicPublished { port, by } => {
                write!(f, "output `{port}`: slot {by} publishes this topic already")
            }
        }
    }
}

impl core::error::Error for BindError {}

/// One bound port of a guest.
struct Binding {
    slot: Slot,
    kind: PortKind,
    /// The port's name in the module.
    port: String,
    /// A service, or `None` for a topic (named by `port`).
    service: Option<&'static Service>,
    /// The port's type as the module declares it.
    ty: Option<(TypeKey, String)>,
    /// An input's channel, or an output's outbox (a service the firmware
    /// takes); `None` for a topic output and the timer's ports.
    channel: Option<Arc<PortChannel>>,
}

impl Binding {
    fn target(&self) -> Target<'_> {
        match self.service {
            Some(service) => Target::Service(service),
            None => Target::Topic(topic_of(&self.port).unwrap_or(&self.port)),
        }
    }
}

/// Where a bound guest's ports lead, for [`ChannelEnv`].
pub(crate) struct Bound {
    pub(crate) inputs: Vec<Arc<PortChannel>>,
    pub(crate) outputs: Vec<crate::Route>,
    /// The index of the input bound to the timer's `tick`.
    pub(crate) tick: Option<u8>,
}

/// What [`Bus::offer`] did with a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offered {
    /// Guests given a copy.
    pub delivered: u32,
    /// Guests skipped: their channel was full, or the heap had no room for
    /// their copy.
    pub skipped: u32,
}

/// Why the firmware could not publish or receive on a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceError {
    /// The service is not in the bus's catalog, or is the timer's (which
    /// each guest's runner serves).
    NotInCatalog,
    /// Publishing on a service the firmware takes, or receiving from one
    /// it provides.
    Direction,
}

/// The bound ports of every guest on a [`Catalog`]; see the [module
/// docs](self).
pub struct Bus {
    catalog: &'static Catalog,
    routes: Mutex<CriticalSectionRawMutex, RefCell<Routes>>,
}

struct Routes {
    bindings: Vec<Binding>,
    /// Where [`Bus::receive`] looks first, so each guest has its turn.
    turn: usize,
    /// The tasks waiting on the bus (a firmware's `receive` or `publish`, a
    /// guest's topic send): a guest bound or removed changes what they wait
    /// on, so each is woken to look again. Past its capacity it wakes all, which is only a
    /// spurious poll.
    waiting: MultiWakerRegistration<WAITERS>,
}

/// Tasks [`Routes::waiting`] holds before it wakes them all: a receiving
/// task per taken service, a publishing one per provided service, and each
/// guest waiting for room on a topic, for a small catalog and a few slots.
const WAITERS: usize = 16;

impl Bus {
    /// A bus over `catalog` with no guest bound.
    pub const fn new(catalog: &'static Catalog) -> Self {
        let routes =
            Routes { bindings: Vec::new(), turn: 0, waiting: MultiWakerRegistration::new() };
        Bus { catalog, routes: Mutex::new(RefCell::new(routes)) }
    }

    /// The catalog.
    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    fn with<R>(&self, f: impl FnOnce(&mut Routes) -> R) -> R {
        self.routes.lock(|routes| f(&mut routes.borrow_mut()))
    }

    /// Checks that `guest`'s ports bind in `slot`, as if the guest there
    /// now were replaced: nothing changes. Its ports' service types were
    /// checked when it was loaded ([`crate::check`]).
    ///
    /// # Errors
    ///
    /// The first port (inputs first, in manifest order) that does not bind.
    pub(crate) fn check(&self, slot: Slot, guest: &Guest<ChannelEnv>) -> Result<(), BindError> {
        self.with(|routes| self.plan(routes, slot, guest)).map(drop)
    }

    /// Each port of `guest` with its service (`None`: a topic), after every
    /// check.
    fn plan(
        &self,
        routes: &Routes,
        slot: Slot,
        guest: &Guest<ChannelEnv>,
    ) -> Result<Vec<(PortKind, Option<&'static Service>)>, BindError> {
        let mut plan = Vec::new();
        for kind in [PortKind::Input, PortKind::Output] {
            let names = match kind {
                PortKind::Input => guest.inputs(),
                PortKind::Output => guest.outputs(),
            };
            for (index, port) in names.iter().enumerate() {
                let find = |name: &str| {
                    let service = self.catalog.service(name)?;
                    Some((service, service.direction))
                };
                // A service port's type was checked by the host's load
                // check, which `start` and `check` run with the catalog's
                // services as its channels (`LoadError::PortType`).
                let service = match bind(kind, port, find) {
                    Ok(Bind::Service(service)) => Some(service),
                    Ok(Bind::Topic(topic)) => {
                        let ty = guest.port_type(kind, index);
                        self.check_topic(routes, slot, kind, port, topic, ty)?;
                        None
                    }
                    Err(refusal) => {
                        return Err(BindError::Service { kind, port: port.clone(), refusal });
                    }
                };
                plan.push((kind, service));
            }
        }
        Ok(plan)
    }

    /// The topic rules for port `port` of `slot`: one type, one publisher.
    fn check_topic(
        &self,
        routes: &Routes,
        slot: Slot,
        kind: PortKind,
        port: &str,
        topic: &str,
        declared: Option<(TypeKey, &str)>,
    ) -> Result<(), BindError> {
        let others = routes.bindings.iter().filter(|b| b.slot != slot);
        for other in others.filter(|b| b.target() == Target::Topic(topic)) {
            if kind == PortKind::Output && other.kind == PortKind::Output {
                return Err(BindError::TopicPublished { port: port.into(), by: other.slot });
            }
            if let (Some((key, name)), Some((other_key, other_name))) = (declared, &other.ty)
                && !compatible(Some(key), Some(*other_key))
            {
                return Err(BindError::TopicType {
                    kind,
                    port: port.into(),
                    declared: (name.into(), key),
                    offered: (other_name.clone(), *other_key),
                    by: other.slot,
                });
            }
        }
        Ok(())
    }

    /// Binds `guest`'s ports in `slot`, replacing the bindings of the guest
    /// there before: an input bound to the same service or topic with the
    /// same name keeps its channel, and what is queued in it.
    pub(crate) fn bind(
        &'static self,
        slot: Slot,
        guest: &Guest<ChannelEnv>,
    ) -> Result<Bound, BindError> {
        self.with(|routes| {
            let plan = self.plan(routes, slot, guest)?;
            let mut old: Vec<Binding> = Vec::new();
            routes.bindings.retain_mut(|b| {
                if b.slot != slot {
                    return true;
                }
                old.push(Binding {
                    port: core::mem::take(&mut b.port),
                    channel: b.channel.take(),
                    ty: b.ty.take(),
                    ..*b
                });
                false
            });
            let mut bound = Bound { inputs: Vec::new(), outputs: Vec::new(), tick: None };
            let ports = guest.inputs().iter().chain(guest.outputs());
            for (index, (port, (kind, service))) in ports.zip(plan).enumerate() {
                let index = match kind {
                    PortKind::Input => index,
                    PortKind::Output => index - guest.inputs().len(),
                };
                let ty = guest.port_type(kind, index).map(|(key, name)| (key, String::from(name)));
                let timer = service.is_some_and(|s| s.server == Server::Timer);
                let channel = match kind {
                    PortKind::Input => {
                        let reused = old
                            .iter_mut()
                            .find(|b| b.kind == kind && b.port == *port && b.service == service);
                        let channel = reused
                            .and_then(|b| b.channel.take())
                            .unwrap_or_else(|| Arc::new(PortChannel::new()));
                        if timer {
                            bound.tick = u8::try_from(index).ok();
                        }
                        bound.inputs.push(channel.clone());
                        (!timer).then_some(channel)
                    }
                    PortKind::Output => {
                        let (route, outbox) = match service {
                            Some(_) if timer => (crate::Route::Timer, None),
                            Some(service) => {
                                // The same output bound again keeps its
                                // outbox, and what the firmware has not
                                // taken from it yet.
                                let reused = old.iter_mut().find(|b| {
                                    b.kind == kind && b.port == *port && b.service == Some(service)
                                });
                                let outbox = reused
                                    .and_then(|b| b.channel.take())
                                    .unwrap_or_else(|| Arc::new(PortChannel::new()));
                                let route = crate::Route::Outbox {
                                    service: service.name,
                                    channel: outbox.clone(),
                                    decodes: service.decodes,
                                };
                                (route, Some(outbox))
                            }
                            None => (crate::Route::Topic { bus: self, port: port.clone() }, None),
                        };
                        bound.outputs.push(route);
                        outbox
                    }
                };
                routes.bindings.push(Binding {
                    slot,
                    kind,
                    port: port.clone(),
                    service,
                    ty,
                    channel,
                });
            }
            routes.waiting.wake();
            Ok(bound)
        })
    }

    /// Removes the bindings of the guest in `slot` (erased, or no longer
    /// run): what is queued for it is dropped with its channels.
    pub fn unbind(&self, slot: Slot) {
        self.with(|routes| {
            routes.bindings.retain(|b| b.slot != slot);
            routes.waiting.wake();
        });
    }

    /// Calls `each` with every bound port, in the order bound: its slot,
    /// input or output, the port's name, its service or topic, and its type
    /// as the module declares it (name and key). Stops when `each` returns
    /// `false`.
    pub fn bindings(
        &self,
        mut each: impl FnMut(Slot, PortKind, &str, Target<'_>, Option<(&str, TypeKey)>) -> bool,
    ) {
        self.with(|routes| {
            for b in &routes.bindings {
                let ty = b.ty.as_ref().map(|(key, name)| (name.as_str(), *key));
                if !each(b.slot, b.kind, &b.port, b.target(), ty) {
                    return;
                }
            }
        });
    }

    /// Queues `message` on input `port` of the guest in `slot` (the update
    /// path's `guests send`): `None` if it has no such bound input, else
    /// whether its channel took it.
    pub fn feed(
        &self,
        slot: Slot,
        port: &str,
        message: Message,
    ) -> Option<Result<(), embassy_sync::channel::TrySendError<Message>>> {
        self.with(|routes| {
            let binding = routes
                .bindings
                .iter()
                .find(|b| b.slot == slot && b.kind == PortKind::Input && b.port == port)?;
            Some(binding.channel.as_ref()?.try_send(message))
        })
    }

    /// Whether the firmware serves `service` on this bus in `direction`.
    fn served(&self, service: &Service, direction: Direction) -> Result<(), ServiceError> {
        if service.server != Server::Firmware || self.catalog.service(service.name).is_none() {
            return Err(ServiceError::NotInCatalog);
        }
        if service.direction != direction {
            return Err(ServiceError::Direction);
        }
        Ok(())
    }

    /// Gives `message` to every guest bound to `service` (one the firmware
    /// provides) whose input channel has room, without waiting: a guest
    /// with a full channel misses it, and is counted.
    ///
    /// # Errors
    ///
    /// [`ServiceError`] if the firmware does not provide `service` here.
    pub fn offer(&self, service: &Service, message: &[u8]) -> Result<Offered, ServiceError> {
        self.served(service, Direction::Provides)?;
        Ok(self.with(|routes| {
            let mut offered = Offered::default();
            for channel in routes.inputs_of(Target::Service(service)) {
                match crate::try_copy(message).map(|copy| channel.try_send(copy)) {
                    Some(Ok(())) => offered.delivered += 1,
                    _ => offered.skipped += 1,
                }
            }
            offered
        }))
    }

    /// Gives `message` to every guest bound to `service` (one the firmware
    /// provides), waiting until each has room: a guest that does not
    /// receive holds the service back.
    ///
    /// # Errors
    ///
    /// [`ServiceError`] if the firmware does not provide `service` here.
    pub async fn publish(&self, service: &Service, message: &[u8]) -> Result<u32, ServiceError> {
        self.served(service, Direction::Provides)?;
        let delivered = core::future::poll_fn(|cx| {
            let polled = self.with(|routes| {
                routes.waiting.register(cx.waker());
                routes.deliver(Target::Service(service), message, Some(cx))
            });
            match polled {
                Poll::Ready(Ok(delivered)) => Poll::Ready(delivered),
                // The heap had no room for the copies: the next poll tries
                // again, after the executor ran the others (guests taking
                // messages free it).
                Poll::Ready(Err(())) => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        Ok(delivered)
    }

    /// The next message a guest sent on `service` (one the firmware
    /// takes), and the guest's slot: each bound guest's outbox in turn.
    ///
    /// # Errors
    ///
    /// [`ServiceError`] if the firmware does not take `service` here.
    pub async fn receive(&self, service: &Service) -> Result<(Slot, Message), ServiceError> {
        self.served(service, Direction::Takes)?;
        Ok(core::future::poll_fn(|cx| {
            self.with(|routes| {
                routes.waiting.register(cx.waker());
                let count = routes.bindings.len();
                for step in 0..count {
                    let at = (routes.turn + step) % count;
                    let b = &routes.bindings[at];
                    if b.kind != PortKind::Output
                        || b.service.is_none_or(|s| s.name != service.name)
                    {
                        continue;
                    }
                    let Some(outbox) = &b.channel else { continue };
                    // Registers `cx` with each empty outbox: a send to any
                    // wakes this task.
                    if let Poll::Ready(message) = outbox.poll_receive(cx) {
                        routes.turn = at + 1;
                        return Poll::Ready((b.slot, message));
                    }
                }
                Poll::Pending
            })
        })
        .await)
    }

    /// A guest's send on topic output `port`: a copy to every guest bound
    /// to the topic's input, or none if one has no room.
    pub(crate) fn send_topic(&self, port: &str, message: &[u8]) -> Result<(), SendError> {
        let topic = topic_of(port).unwrap_or(port);
        self.with(|routes| match routes.deliver(Target::Topic(topic), message, None) {
            Poll::Ready(Ok(_)) => Ok(()),
            Poll::Ready(Err(())) => Err(SendError::TooLarge),
            Poll::Pending => Err(SendError::Full),
        })
    }

    /// Ready when every guest bound to the input of topic output `port`
    /// has room (registering `cx` with each that has none).
    pub(crate) fn poll_topic_room(&self, port: &str, cx: &mut Context<'_>) -> Poll<()> {
        let topic = topic_of(port).unwrap_or(port);
        self.with(|routes| {
            // A subscriber erased or replaced drops its channel with this
            // waker in it: the bus wakes its waiters when bindings change.
            routes.waiting.register(cx.waker());
            let mut ready = true;
            for channel in routes.inputs_of(Target::Topic(topic)) {
                ready &= channel.poll_ready_to_send(cx).is_ready();
            }
            if ready { Poll::Ready(()) } else { Poll::Pending }
        })
    }
}

impl Routes {
    /// The input channels bound to `target`.
    fn inputs_of<'a>(&'a self, target: Target<'a>) -> impl Iterator<Item = &'a PortChannel> + 'a {
        self.bindings
            .iter()
            .filter(move |b| b.kind == PortKind::Input && b.target() == target)
            .filter_map(|b| b.channel.as_deref())
    }

    /// A copy of `message` to every input bound to `target` if all have
    /// room (else `Pending`, `cx`, if given, registered with those that
    /// have none), with how many; `Err` if the heap has no room for the
    /// copies (none is sent).
    fn deliver(
        &self,
        target: Target<'_>,
        message: &[u8],
        mut cx: Option<&mut Context<'_>>,
    ) -> Poll<Result<u32, ()>> {
        let mut ready = true;
        let mut count = 0;
        for channel in self.inputs_of(target) {
            ready &= match cx.as_deref_mut() {
                Some(cx) => channel.poll_ready_to_send(cx).is_ready(),
                None => !channel.is_full(),
            };
            count += 1;
        }
        if !ready {
            return Poll::Pending;
        }
        let mut copies = Vec::new();
        if copies.try_reserve_exact(count).is_err() {
            return Poll::Ready(Err(()));
        }
        for _ in 0..count {
            match crate::try_copy(message) {
                Some(copy) => copies.push(copy),
                None => return Poll::Ready(Err(())),
            }
        }
        // Every channel had room, and nothing ran since: each send fits
        // (the bus's lock is a critical section).
        for (channel, copy) in self.inputs_of(target).zip(copies) {
            let _ = channel.try_send(copy);
        }
        Poll::Ready(Ok(count as u32))
    }
}
