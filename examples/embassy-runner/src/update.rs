//! The update path (feature `update`): guests that an SMP client replaces,
//! confirms, rolls back, stops, starts, feeds and reads, shared by both
//! reference firmwares.
//!
//! A firmware declares each updatable guest as a static [`Managed`] (name,
//! image number, wiring, built-in module, sink) and runs two kinds of task:
//!
//! - one per guest: [`run`] drives the guest ([`drive_observed`]) and
//!   publishes its state and counters after each step; when a new module
//!   arrives it brings the guest to a safe point ([`run_to_safe_point`]:
//!   waiting in `receive`, never mid-message) and [`swap`]s the module in on
//!   the same pipes, keeping what is queued;
//! - one SMP task: [`serve`] feeds the bytes a [`Transport`] receives to a
//!   [`wasm_sdk_smp::SerialServer`] over [`FlashSlots`] and a [`Fleet`] (the
//!   guest group), and after each request and each guest event settles
//!   what changed: a new running module is handed to its guest's task, a
//!   trial that failed is rolled back, a healthy one confirmed.
//!
//! # The health rule
//!
//! A module on trial (uploaded, not confirmed) is confirmed once it has
//! received [`HEALTHY_AFTER`] messages and is back waiting in `receive`
//! without having stopped: it reached its loop, ran real inputs and did not
//! trap. If it stops before that (a trap, its fuel budget, a return), it is
//! rejected and the previous module comes back (the built-in one if there
//! is none). A device reset before confirmation rolls back at the next
//! mount ([`FlashSlots::mount`]). An image state write confirms at once.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::cell::RefCell;

use core::pin::pin;

use embassy_futures::select::{Either, Either3, select, select_slice, select3};
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embedded_storage::nor_flash::NorFlash;
use wasm_sdk_host::{Guest, Host, Step};
use wasm_sdk_smp::flash::{FlashSlots, Install};
use wasm_sdk_smp::slots::{SlotError, rc};
use wasm_sdk_smp::{Action, GuestInfo, Guests, SerialServer};

use crate::{
    ChannelEnv, Message, OutputTap, SafePoint, Sink, Wiring, drive_observed, run_to_safe_point,
    swap,
};

/// Messages a module on trial receives, returning to `receive` after the
/// last without stopping, before the health rule confirms it. At one
/// message a second that is 20 s: longer than an interactive `image
/// state-write --confirm` needs, short enough for a test to wait for.
pub const HEALTHY_AFTER: u32 = 20;

/// Fuel slices a guest may take to reach a safe point before a swap or a
/// stop goes ahead anyway (a spinning guest never gets there): about 0.3 s
/// at 50,000 fuel a slice on the emulated Cortex-M33.
pub const SAFE_POINT_SLICES: u32 = 1_000;

/// Output messages kept per guest for the `outputs` command: the oldest
/// goes when a newer one arrives, so a guest nobody reads costs at most
/// this many copies (each within the host's message size limit).
pub const TAP_DEPTH: usize = 4;

/// What the update path did, for [`Sink::update`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The guest now runs a module of this many bytes.
    Swapped(usize),
    /// The new module did not start (the reason); the old one keeps running.
    SwapRefused(&'static str),
    /// The guest did not reach a safe point in [`SAFE_POINT_SLICES`]: it was
    /// stopped mid-message.
    Busy,
    /// The guest stopped by itself: trapped, out of fuel or returned.
    Stopped(&'a Step),
    /// Stopped by the `stop` command.
    StoppedByCommand,
    /// The module on trial passed the health rule and is confirmed.
    Confirmed,
    /// The module on trial stopped: rejected, the previous one comes back.
    RolledBack,
}

/// A managed guest's state, as the guest group's `list` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// Waiting in `receive` with nothing queued.
    #[default]
    Waiting,
    /// Running (a message in progress, or preempted by its fuel slice).
    Running,
    /// Stopped by `stop`, or by itself (see the console for why).
    Stopped,
}

impl State {
    /// `"waiting"`, `"running"` or `"stopped"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Running => "running",
            State::Stopped => "stopped",
        }
    }
}

/// What the guest task and the SMP task share about one guest.
struct Control {
    state: State,
    fuel: u64,
    memory: u32,
    received: u32,
    sent: u32,
    /// The guest runs the module the slots say it runs: false from the
    /// hand-over of a new module until it was swapped in, so the health
    /// rule and a failure only count for the module on trial itself.
    current: bool,
    /// The current module stopped by itself; for the SMP task.
    failed: bool,
    /// The current module passed the health rule; for the SMP task.
    healthy: bool,
    /// The current module passed the health rule (reported once).
    proven: bool,
    /// `start` asked for the current module again; for the SMP task.
    restart: bool,
    /// The last outputs, oldest first, for `outputs`.
    tap: VecDeque<(&'static str, Message)>,
}

/// One updatable guest: a firmware declares it as a `static` and shares it
/// between the guest's task ([`run`]) and the SMP task (through a
/// [`Fleet`]).
pub struct Managed {
    name: &'static str,
    image: u32,
    wiring: &'static Wiring,
    builtin: &'static [u8],
    sink: &'static dyn Sink,
    new_module: Signal<CriticalSectionRawMutex, Vec<u8>>,
    stop: Signal<CriticalSectionRawMutex, ()>,
    /// Wakes [`serve`]: the guest failed, became healthy or was asked to
    /// restart.
    wake: Signal<CriticalSectionRawMutex, ()>,
    control: Mutex<CriticalSectionRawMutex, RefCell<Control>>,
}

impl Managed {
    /// Guest `name` in slot `image` (the SMP image number), on `wiring`,
    /// running `builtin` until a module is uploaded; logs and update events
    /// go to `sink`.
    pub const fn new(
        name: &'static str,
        image: u32,
        wiring: &'static Wiring,
        builtin: &'static [u8],
        sink: &'static dyn Sink,
    ) -> Self {
        Managed {
            name,
            image,
            wiring,
            builtin,
            sink,
            new_module: Signal::new(),
            stop: Signal::new(),
            wake: Signal::new(),
            control: Mutex::new(RefCell::new(Control {
                state: State::Waiting,
                fuel: 0,
                memory: 0,
                received: 0,
                sent: 0,
                current: true,
                failed: false,
                healthy: false,
                proven: false,
                restart: false,
                tap: VecDeque::new(),
            })),
        }
    }

    /// The guest's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its image number.
    pub fn image(&self) -> u32 {
        self.image
    }

    /// Its wiring.
    pub fn wiring(&self) -> &'static Wiring {
        self.wiring
    }

    /// Its state now.
    pub fn state(&self) -> State {
        self.with(|c| c.state)
    }

    /// The module slot `image` runs: the uploaded one the slots hold, else
    /// the built-in one.
    pub fn module<F: NorFlash, I: Install>(&self, slots: &mut FlashSlots<'_, F, I>) -> Vec<u8> {
        match slots.active_module(self.image) {
            Ok(Some(module)) => module.to_vec(),
            _ => self.builtin.to_vec(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Control) -> R) -> R {
        self.control.lock(|control| f(&mut control.borrow_mut()))
    }

    /// Publishes the guest's state after `step`, and applies the health
    /// rule.
    fn publish(&self, guest: &Guest<ChannelEnv>, step: &Step) {
        let env = guest.env();
        let state = match step {
            Step::Blocked { .. } => State::Waiting,
            // Mid-message, waiting on its consumer: still running.
            Step::Preempted | Step::Full { .. } => State::Running,
            _ => State::Stopped,
        };
        let wake = self.with(|c| {
            c.state = state;
            c.fuel = guest.fuel_consumed();
            c.memory = u32::try_from(guest.memory_size()).unwrap_or(u32::MAX);
            c.received = env.received;
            c.sent = env.sent;
            let healthy =
                c.current && !c.proven && state == State::Waiting && env.received >= HEALTHY_AFTER;
            if healthy {
                c.proven = true;
                c.healthy = true;
            }
            healthy
        });
        if wake {
            self.wake.signal(());
        }
    }

    /// The guest stopped by itself.
    fn failed(&self, step: &Step) {
        self.sink.update(self.name, &Event::Stopped(step));
        self.with(|c| {
            c.state = State::Stopped;
            c.failed = c.current;
        });
        self.wake.signal(());
    }

    /// Hands `module` to the guest's task, which swaps it in at a safe
    /// point.
    fn hand_over(&self, module: Vec<u8>) {
        self.with(|c| {
            c.current = false;
            c.failed = false;
            c.healthy = false;
        });
        self.new_module.signal(module);
    }

    /// Swaps `module` in; the module now current.
    fn install(
        &'static self,
        host: &Host<ChannelEnv>,
        guest: &mut Guest<ChannelEnv>,
        module: &[u8],
    ) {
        self.stop.reset();
        match swap(host, guest, vouched(module), self.wiring) {
            Ok(()) => {
                self.attach(guest);
                self.sink.update(self.name, &Event::Swapped(module.len()));
            }
            Err(error) => {
                // The install check makes this rare; a module on trial that
                // cannot start fails its trial, and the previous one comes
                // back.
                self.sink.update(self.name, &Event::SwapRefused(error.as_str()));
                self.with(|c| c.failed = true);
                self.wake.signal(());
            }
        }
    }

    /// Taps `guest`'s outputs and marks its module current.
    fn attach(&'static self, guest: &mut Guest<ChannelEnv>) {
        guest.env_mut().set_tap(self);
        self.with(|c| {
            c.state = State::Waiting;
            c.current = true;
            c.failed = false;
            c.healthy = false;
            c.proven = false;
            c.received = 0;
            c.sent = 0;
        });
    }
}

impl OutputTap for Managed {
    fn tap(&self, port: &'static str, message: &[u8]) {
        self.with(|c| {
            if c.tap.len() == TAP_DEPTH {
                c.tap.pop_front();
            }
            c.tap.push_back((port, message.to_vec()));
        });
    }
}

/// Runs guest `managed` (started from its current module with
/// [`crate::start`]) for ever: each module handed over by [`serve`] is
/// swapped in at a safe point, `stop` parks it at one. Call it from the
/// guest's embassy task.
pub async fn run(
    host: &Host<ChannelEnv>,
    managed: &'static Managed,
    mut guest: Guest<ChannelEnv>,
) -> ! {
    managed.attach(&mut guest);
    loop {
        let event = select3(
            drive_observed(&mut guest, |guest, step| managed.publish(guest, step)),
            managed.new_module.wait(),
            managed.stop.wait(),
        )
        .await;
        let module = match event {
            Either3::First(step) => {
                managed.failed(&step);
                managed.new_module.wait().await
            }
            Either3::Second(module) => {
                to_safe_point(managed, &mut guest).await;
                module
            }
            Either3::Third(()) => {
                let stopped = to_safe_point(managed, &mut guest).await;
                if !stopped {
                    managed.sink.update(managed.name, &Event::StoppedByCommand);
                }
                managed.with(|c| c.state = State::Stopped);
                managed.new_module.wait().await
            }
        };
        managed.install(host, &mut guest, &module);
    }
}

/// Brings the guest to a safe point; `true` if it stopped by itself there.
async fn to_safe_point(managed: &Managed, guest: &mut Guest<ChannelEnv>) -> bool {
    match run_to_safe_point(guest, SAFE_POINT_SLICES).await {
        SafePoint::Waiting => false,
        SafePoint::Stopped(step) => {
            managed.failed(&step);
            true
        }
        SafePoint::Busy => {
            managed.sink.update(managed.name, &Event::Busy);
            false
        }
    }
}

/// The managed guests of a firmware: the guest group of its SMP server.
#[derive(Clone, Copy)]
pub struct Fleet {
    guests: &'static [&'static Managed],
}

impl Fleet {
    /// The guest group over `guests`.
    pub const fn new(guests: &'static [&'static Managed]) -> Self {
        Fleet { guests }
    }

    fn named(&self, name: &str) -> Result<&'static Managed, SlotError> {
        self.guests
            .iter()
            .copied()
            .find(|managed| managed.name == name)
            .ok_or(SlotError::new(rc::ENOENT, "no such guest"))
    }

    fn image(&self, image: u32) -> Option<&'static Managed> {
        self.guests.iter().copied().find(|managed| managed.image == image)
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
            });
            each(info);
        }
    }

    fn stop(&mut self, name: &str) -> Result<(), SlotError> {
        let managed = self.named(name)?;
        if managed.state() != State::Stopped {
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
        let wire = managed
            .wiring
            .inputs
            .iter()
            .find(|wire| wire.name == port)
            .ok_or(SlotError::new(rc::ENOENT, "no such input"))?;
        wire.pipe.try_send(data.to_vec()).map_err(|_| SlotError::new(rc::EBADSTATE, "input full"))
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
}

/// A module of the update path (built in, uploaded, or in a slot) as the
/// host loads it.
fn vouched(module: &[u8]) -> crate::Wasm<'_> {
    // SAFETY: without on-device validation every such module is vouched
    // for: a built-in one was stamped by the firmware's build script, and
    // an upload reaches a slot only through `Check`, whose signature check
    // (required then: see `Check::new`) passed before its stamp is read;
    // whoever signs vouches that `Host::stamp` validated it.
    unsafe { crate::Wasm::vouched(module) }
}

/// The install check of a firmware with managed guests, made before
/// anything stops: the upload's image must be a guest of the [`Fleet`];
/// then the firmware's own check of the bytes (a signature, see
/// [`Check::verifying`]); then exactly what [`crate::start`] does against
/// that guest's wiring ([`crate::check`]).
pub struct Check {
    host: &'static Host<ChannelEnv>,
    fleet: Fleet,
    verify: fn(&[u8]) -> Result<(), SlotError>,
}

impl Check {
    /// Checks uploads for `fleet`'s guests, loading them on `host`.
    ///
    /// Without on-device validation (no `validate` feature) it refuses
    /// every upload until [`verifying`](Self::verifying) sets the
    /// signature check that makes uploads trusted.
    pub const fn new(host: &'static Host<ChannelEnv>, fleet: Fleet) -> Self {
        #[cfg(feature = "validate")]
        let verify: fn(&[u8]) -> Result<(), SlotError> = |_| Ok(());
        #[cfg(not(feature = "validate"))]
        let verify: fn(&[u8]) -> Result<(), SlotError> =
            |_| Err(SlotError::new(rc::EACCESSDENIED, "this firmware takes signed modules only"));
        Check { host, fleet, verify }
    }

    /// Runs `verify` on every upload first, before wasmi parses a byte of
    /// it: a firmware built with a public key checks the signature here.
    pub const fn verifying(self, verify: fn(&[u8]) -> Result<(), SlotError>) -> Self {
        Check { verify, ..self }
    }
}

impl Install for Check {
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError> {
        let managed =
            self.fleet.image(image).ok_or(SlotError::new(rc::ENOENT, "no such guest slot"))?;
        (self.verify)(module)?;
        crate::check(self.host, vouched(module), managed.wiring)
            .map_err(|error| SlotError::new(rc::ECORRUPT, error.as_str()))
    }
}

/// Where [`serve`] reads requests and writes responses: a UART.
///
/// `async fn` in a trait without a `Send` bound is what an embassy
/// executor (one thread) needs.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Waits for received bytes and copies some (at least one) to `buf`,
    /// returning how many. Must be cancel-safe: [`serve`] drops the future
    /// when a guest event comes first, and no byte may be lost then.
    async fn read(&mut self, buf: &mut [u8]) -> usize;

    /// Sends the console lines of one response, waiting until they are out
    /// (or queued).
    async fn write(&mut self, bytes: &[u8]);
}

/// Room for the console lines of one framed response: a
/// [`wasm_sdk_smp::RESPONSE_LEN`]-byte message with its length and CRC is
/// 772 bytes, 9 lines of at most 124 base64 characters, a 2-byte marker and
/// `\n` each.
const RESPONSE_LINES: usize = 1088;

/// The SMP server of a firmware with managed guests.
pub type Server<'s, F, I, const N: usize> = SerialServer<FlashSlots<'s, F, I>, Fleet, N>;

/// Serves SMP on `transport` until a client asks for a reset; returns once
/// that reply was written, and the caller resets the device (after letting
/// the UART send the reply).
///
/// Before and after each request, and when a guest wakes it, it settles
/// the guests: a module on trial that stopped is rejected (first, so no
/// request confirms it meanwhile), a healthy one confirmed, a `start`ed
/// guest gets its module again, and each guest whose running module
/// changed (an upload, a rollback) gets the new one.
pub async fn serve<F: NorFlash, I: Install, T: Transport, const N: usize>(
    server: &mut Server<'_, F, I, N>,
    transport: &mut T,
) {
    let mut received = [0u8; 256];
    let mut out = [0u8; RESPONSE_LINES];
    let fleet = *server.server_mut().guests_mut();
    loop {
        settle(server);
        // Futures over the guests' signals: a few bytes each, made anew per
        // wait because a request may take a while to arrive.
        let mut woken: Vec<_> = fleet.guests.iter().map(|managed| managed.wake.wait()).collect();
        let n =
            match select(transport.read(&mut received), select_slice(pin!(&mut woken[..]))).await {
                Either::First(n) => n,
                Either::Second(_) => continue,
            };
        // Piece by piece, each ending at a `\n`: a request is only ever
        // complete at one, so each piece gets at most one response, and
        // `out` holds it.
        let mut rest = &received[..n.min(received.len())];
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |at| at + 1);
            let (piece, tail) = rest.split_at(end);
            rest = tail;
            let mut len = 0;
            let action = server.receive(piece, |line| {
                if let Some(room) = out.get_mut(len..len + line.len()) {
                    room.copy_from_slice(line);
                    len += line.len();
                }
            });
            transport.write(&out[..len]).await;
            settle(server);
            if action == Action::Reset {
                return;
            }
        }
        // A flood of requests must not starve the guests and other tasks.
        embassy_futures::yield_now().await;
    }
}

/// Applies what guests and requests changed; see [`serve`].
fn settle<F: NorFlash, I: Install, const N: usize>(server: &mut Server<'_, F, I, N>) {
    let server = server.server_mut();
    let fleet = *server.guests_mut();
    let slots = server.slots_mut();
    for managed in fleet.guests {
        let (failed, healthy, restart) = managed.with(|c| {
            let flags = (c.failed, c.healthy, c.restart);
            c.failed = false;
            c.healthy = false;
            c.restart = false;
            flags
        });
        if failed && slots.on_trial(managed.image) && slots.reject(managed.image).is_ok() {
            // `take_changed` below hands the previous module over.
            managed.sink.update(managed.name, &Event::RolledBack);
        } else if healthy && slots.on_trial(managed.image) && slots.confirm(managed.image).is_ok() {
            managed.sink.update(managed.name, &Event::Confirmed);
        }
        if restart {
            managed.hand_over(managed.module(slots));
        }
    }
    while let Some(image) = slots.take_changed() {
        if let Some(managed) = fleet.image(image) {
            managed.hand_over(managed.module(slots));
        }
    }
}
