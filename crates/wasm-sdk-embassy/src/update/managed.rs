//! One updatable guest, shared by its task and the SMP task: its state,
//! counters, signals and what it does on each event.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant};
use embedded_storage::nor_flash::NorFlash;
use wasm_sdk_host::{Guest, Host, Step};
use wasm_sdk_smp::flash::{FlashSlots, Install};

use super::TAP_DEPTH;
use super::check::vouched;
use super::health::{Health, Verdict};
use crate::{ChannelEnv, Connect, Message, OutputTap, Sink, Wiring, swap};

/// Which module a managed guest runs, as `list` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// The firmware's own module.
    #[default]
    BuiltIn,
    /// An upload on trial.
    Trial,
    /// A confirmed upload.
    Uploaded,
    /// The previous confirmed upload, after a newer one kept failing.
    Fallback,
    /// Nothing: a slot with no built-in module and no upload (or one
    /// erased).
    Empty,
}

impl Source {
    /// `"built-in"`, `"trial"`, `"uploaded"`, `"fallback"` or `"empty"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::BuiltIn => "built-in",
            Source::Trial => "trial",
            Source::Uploaded => "uploaded",
            Source::Fallback => "fallback",
            Source::Empty => "empty",
        }
    }
}

/// What the update path did, for [`Sink::update`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The guest now runs a module of this many bytes.
    Swapped(usize),
    /// The new module did not start (the reason); the old one keeps running.
    SwapRefused(&'static str),
    /// The guest did not reach a safe point in [`SAFE_POINT_SLICES`](super::SAFE_POINT_SLICES): it was
    /// stopped mid-message.
    Busy,
    /// The guest stopped by itself: trapped, out of fuel or returned.
    Stopped(&'a Step),
    /// Stopped by the `stop` command.
    StoppedByCommand,
    /// The module on trial passed the health rule with this many answers
    /// and is confirmed.
    Confirmed(u32),
    /// The module on trial was rejected: the previous one comes back.
    RolledBack(Verdict),
    /// The module (confirmed or built-in) stopped by itself and is started
    /// again after `after`; its `restart`th restart.
    Restarted {
        /// Restarts of this guest so far, this one included.
        restart: u32,
        /// The backoff before it runs again.
        after: Duration,
    },
    /// The confirmed module failed `failures` times within
    /// [`Health::window`]: it is rejected and the slot runs `to`
    /// ([`Source::Fallback`] or [`Source::BuiltIn`]).
    FellBack {
        /// Failures within the window.
        failures: u32,
        /// What runs now.
        to: Source,
    },
    /// Messages the guest stopped on were dropped (dead-lettered): this
    /// many now.
    DeadLettered(u32),
    /// The slot's module was erased: the guest is gone, its bindings and
    /// memory freed.
    Removed,
}

/// A managed guest's state, as the guest group's `list` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// Waiting in `receive` (or `wait_input`) with nothing queued.
    #[default]
    Waiting,
    /// Running (a message in progress, or preempted by its fuel slice).
    Running,
    /// Stopped by `stop`, or by itself (see the console for why).
    Stopped,
    /// No guest: the slot has no module.
    Empty,
}

impl State {
    /// `"waiting"`, `"running"`, `"stopped"` or `"empty"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Running => "running",
            State::Stopped => "stopped",
            State::Empty => "empty",
        }
    }
}

/// What the guest task and the SMP task share about one guest.
pub(super) struct Control {
    pub(super) state: State,
    pub(super) fuel: u64,
    pub(super) memory: u32,
    pub(super) received: u32,
    pub(super) sent: u32,
    /// The guest runs the module the slots say it runs: false from the
    /// hand-over of a new module until it was swapped in, so the health
    /// rule and a failure only count for the module on trial itself.
    pub(super) current: bool,
    /// The module handed over or running is on trial.
    pub(super) trial: bool,
    /// When the current module's trial ends, if it is on trial.
    pub(super) deadline: Option<Instant>,
    /// Why the current module on trial failed, once it did.
    pub(super) verdict: Option<Verdict>,
    /// The current module stopped by itself or failed its trial; for the
    /// SMP task.
    pub(super) failed: bool,
    /// The current module passed the health rule; for the SMP task.
    pub(super) healthy: bool,
    /// The current module passed the health rule (reported once).
    pub(super) proven: bool,
    /// `start` asked for the current module again; for the SMP task.
    pub(super) restart: bool,
    /// `received` when the guest last waited in `receive`: more now means
    /// it is in the middle of a message.
    pub(super) received_at_wait: u32,
    /// Which module runs.
    pub(super) source: Source,
    /// The slot fell back and runs the previous confirmed module.
    pub(super) fell_back: bool,
    /// Failures since `window_start`.
    pub(super) failures: u32,
    pub(super) window_start: Option<Instant>,
    /// When the next module may start (a restart's backoff).
    pub(super) resume_at: Option<Instant>,
    pub(super) restarts: u32,
    pub(super) dead_letters: u32,
    /// The guest last stopped on a message it had not received (too long
    /// for its buffer): the message's fault, not the module's.
    pub(super) poisoned: bool,
    /// Lines dropped by the modules before the current one.
    pub(super) dropped_before: u32,
    pub(super) dropped_lines: u32,
    /// The host's message limit: the most `guests send` queues.
    pub(super) max_message_len: usize,
    /// What the running module is charged against the firmware's RAM for
    /// guests ([`charge`]); 0 with no guest.
    pub(super) charge: usize,
    /// The last outputs, oldest first, for `outputs`.
    pub(super) tap: VecDeque<(String, Message)>,
}

/// One updatable guest: a firmware declares it as a `static` and shares it
/// between the guest's task ([`run`](super::run)) and the SMP task (through a
/// [`Fleet`](super::Fleet)).
pub struct Managed {
    pub(super) name: &'static str,
    pub(super) image: u32,
    pub(super) connect: Connect,
    /// The firmware's own module; `None`: the slot is empty until an
    /// upload, and `image erase` of its running slot removes the guest.
    pub(super) builtin: Option<&'static [u8]>,
    pub(super) sink: &'static dyn Sink,
    pub(super) health: Health,
    /// The module to run next; `None`: no module (the slot was erased).
    pub(super) new_module: Signal<CriticalSectionRawMutex, Option<Vec<u8>>>,
    pub(super) stop: Signal<CriticalSectionRawMutex, ()>,
    /// Wakes [`run`]: the module on trial failed the health rule.
    pub(super) halt: Signal<CriticalSectionRawMutex, ()>,
    /// Wakes [`serve`]: the guest failed, became healthy or was asked to
    /// restart.
    pub(super) wake: Signal<CriticalSectionRawMutex, ()>,
    pub(super) control: Mutex<CriticalSectionRawMutex, RefCell<Control>>,
}

impl Managed {
    /// Guest `name` in slot `image` (the SMP image number), on `wiring`,
    /// running `builtin` until a module is uploaded; logs and update events
    /// go to `sink`. Its modules are held to [`Health::DEFAULT`]; see
    /// [`with_health`](Self::with_health).
    pub const fn new(
        name: &'static str,
        image: u32,
        wiring: &'static Wiring,
        builtin: &'static [u8],
        sink: &'static dyn Sink,
    ) -> Self {
        Self::build(name, image, Connect::Wiring(*wiring), Some(builtin), sink)
    }

    /// Guest `name` in slot `image` of `bus`: empty until a module is
    /// uploaded, whose ports bind to the bus's services and topics
    /// ([`Connect::Bus`]); an `image erase` of its running slot removes
    /// it. Logs and update events go to `sink`; see
    /// [`with_health`](Self::with_health).
    pub const fn on_bus(
        name: &'static str,
        image: u32,
        bus: &'static crate::bus::Bus,
        sink: &'static dyn Sink,
    ) -> Self {
        Self::build(name, image, Connect::Bus { bus, slot: image }, None, sink)
    }

    const fn build(
        name: &'static str,
        image: u32,
        connect: Connect,
        builtin: Option<&'static [u8]>,
        sink: &'static dyn Sink,
    ) -> Self {
        Managed {
            name,
            image,
            connect,
            builtin,
            sink,
            health: Health::DEFAULT,
            new_module: Signal::new(),
            stop: Signal::new(),
            halt: Signal::new(),
            wake: Signal::new(),
            control: Mutex::new(RefCell::new(Control {
                state: State::Waiting,
                fuel: 0,
                memory: 0,
                received: 0,
                sent: 0,
                current: true,
                trial: false,
                deadline: None,
                verdict: None,
                failed: false,
                healthy: false,
                proven: false,
                restart: false,
                received_at_wait: 0,
                source: Source::BuiltIn,
                fell_back: false,
                failures: 0,
                window_start: None,
                resume_at: None,
                restarts: 0,
                dead_letters: 0,
                poisoned: false,
                dropped_before: 0,
                dropped_lines: 0,
                max_message_len: 0,
                charge: 0,
                tap: VecDeque::new(),
            })),
        }
    }

    /// This guest with `health` instead of [`Health::DEFAULT`].
    pub const fn with_health(mut self, health: Health) -> Self {
        self.health = health;
        self
    }

    /// The guest's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its image number.
    pub fn image(&self) -> u32 {
        self.image
    }

    /// How its ports get their channels: its wiring, or its bus slot.
    pub fn connect(&self) -> Connect {
        self.connect
    }

    /// What its modules are held to.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Starts this guest at boot from its slot's confirmed `module`, on an
    /// engine of its own with `shared`'s configuration (dropped with the
    /// guest: wasmi keeps a module's code in its engine, so a later erase
    /// gives it back), and charges it against the firmware's RAM for
    /// guests ([`charge_for`](Self::charge_for), on `shared`). Hand the
    /// guest to [`run`](super::run) with `shared`.
    ///
    /// # Errors
    ///
    /// The module no longer starts (the firmware changed since it was
    /// confirmed): the slot stays as if empty until the next upload.
    pub fn boot(
        &'static self,
        shared: &Host<ChannelEnv>,
        module: crate::Wasm<'_>,
    ) -> Result<Guest<ChannelEnv>, crate::StartError> {
        let engine = Host::new(shared.config().clone());
        let guest = crate::start(&engine, self.name, module, self.connect, self.sink)?;
        self.charge_for(shared, module.bytes());
        Ok(guest)
    }

    /// Records what the guest running `module` is charged against the
    /// firmware's RAM for guests ([`Check::admitting`](super::Check::admitting)).
    /// The update path does it at each install; a firmware that admits
    /// guests calls it for the module it starts each guest with at boot, so
    /// that uploads after a reset are admitted against what already runs.
    pub fn charge_for(&self, host: &Host<ChannelEnv>, module: &[u8]) {
        let charged = charge(host, module);
        self.with(|c| c.charge = charged);
    }

    /// Its state now.
    pub fn state(&self) -> State {
        self.with(|c| c.state)
    }

    /// Which module it runs now.
    pub fn source(&self) -> Source {
        self.with(|c| c.source)
    }

    /// Messages dropped because it stopped on them.
    pub fn dead_letters(&self) -> u32 {
        self.with(|c| c.dead_letters)
    }

    /// Times it was restarted after it stopped by itself.
    pub fn restarts(&self) -> u32 {
        self.with(|c| c.restarts)
    }

    /// Log lines and error reports dropped by its rate limit.
    pub fn dropped_lines(&self) -> u32 {
        self.with(|c| c.dropped_lines)
    }

    /// The module slot `image` runs: the uploaded one the slots hold, else
    /// the built-in one; `None` for an empty slot.
    pub fn module<F: NorFlash, I: Install>(
        &self,
        slots: &mut FlashSlots<'_, F, I>,
    ) -> Option<Vec<u8>> {
        let trial = slots.on_trial(self.image);
        let (module, source) = match slots.active_module(self.image) {
            Ok(Some(module)) => {
                let fell_back = self.with(|c| c.fell_back);
                let source = match (trial, fell_back) {
                    (true, _) => Source::Trial,
                    (false, true) => Source::Fallback,
                    (false, false) => Source::Uploaded,
                };
                (Some(module.to_vec()), source)
            }
            _ => match self.builtin {
                Some(builtin) => (Some(builtin.to_vec()), Source::BuiltIn),
                None => (None, Source::Empty),
            },
        };
        self.with(|c| {
            c.source = source;
            c.trial = trial;
            if trial {
                c.fell_back = false;
            }
        });
        module
    }

    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Control) -> R) -> R {
        self.control.lock(|control| f(&mut control.borrow_mut()))
    }

    /// Publishes the guest's state after `step`, and applies the health
    /// rule.
    pub(super) fn publish(&self, guest: &Guest<ChannelEnv>, step: &Step) {
        let env = guest.env();
        let state = match step {
            // Idle between messages, on one input or on several.
            Step::Blocked { .. } | Step::Waiting { .. } => State::Waiting,
            // Mid-message, waiting on its consumer: still running.
            Step::Preempted | Step::Full { .. } => State::Running,
            _ => State::Stopped,
        };
        let health = &self.health;
        let (healthy, failed) = self.with(|c| {
            c.state = state;
            c.fuel = guest.fuel_consumed();
            c.memory = u32::try_from(guest.memory_size()).unwrap_or(u32::MAX);
            c.received = env.received;
            c.sent = env.sent;
            c.dropped_lines = c.dropped_before.wrapping_add(env.dropped_lines);
            if state == State::Waiting {
                c.received_at_wait = env.received;
            }
            if !c.current || !c.trial || c.proven || c.verdict.is_some() {
                return (false, false);
            }
            let answers = env.sent.saturating_sub(env.undecodable);
            let verdict = if env.undecodable > 0 {
                Some(Verdict::Undecodable)
            } else if env.received.wrapping_sub(env.ticks).saturating_sub(answers)
                > health.unanswered
            {
                Some(Verdict::Silent)
            } else if health.trial_fuel.is_some_and(|fuel| guest.fuel_consumed() > fuel) {
                Some(Verdict::Fuel)
            } else {
                None
            };
            if verdict.is_some() {
                c.verdict = verdict;
                return (false, true);
            }
            // Ticks of its own timer prove nothing of the module.
            let healthy = state == State::Waiting
                && answers >= health.answers
                && env.received.wrapping_sub(env.ticks) >= health.received;
            if healthy {
                c.proven = true;
                c.healthy = true;
            }
            (healthy, false)
        });
        if healthy {
            self.wake.signal(());
        }
        if failed {
            self.halt.signal(());
        }
    }

    /// The guest stopped by itself.
    pub(super) fn failed(&self, step: &Step) {
        self.sink.update(self.name, &Event::Stopped(step));
        self.with(|c| {
            c.state = State::Stopped;
            c.failed = c.current;
            c.verdict.get_or_insert(Verdict::Stopped);
        });
        self.wake.signal(());
    }

    /// The module on trial failed the health rule or its deadline: it is
    /// not run any further. `false` if it is no longer on trial (an image
    /// state write confirmed it meanwhile): it runs on.
    pub(super) fn trial_over(&self) -> bool {
        let over = self.with(|c| {
            if !c.trial {
                // Confirmed meanwhile, or a module that is not on trial
                // runs: its deadline is past and must not fire again.
                c.deadline = None;
                return false;
            }
            c.state = State::Stopped;
            c.failed = c.current;
            c.verdict.get_or_insert(Verdict::Deadline);
            true
        });
        if over {
            self.wake.signal(());
        }
        over
    }

    /// Drops what the guest stopped on: the messages it took from its
    /// channels but did not receive, and the one it was in the middle of.
    pub(super) fn dead_letter(&self, guest: &mut Guest<ChannelEnv>) {
        let env = guest.env_mut();
        let taken = env.drop_heads();
        let received = env.received;
        let dropped = self.with(|c| {
            let dropped = taken + u32::from(received > c.received_at_wait);
            c.dead_letters = c.dead_letters.wrapping_add(dropped);
            c.poisoned = taken > 0;
            // Counted once: the same guest is not dead-lettered again.
            c.received_at_wait = received;
            dropped
        });
        if dropped > 0 {
            self.sink.update(self.name, &Event::DeadLettered(dropped));
        }
    }

    /// Hands `module` to the guest's task, which swaps it in at a safe
    /// point (`None`: removes the guest).
    pub(super) fn hand_over(&self, module: Option<Vec<u8>>) {
        self.with(|c| {
            c.current = false;
            c.failed = false;
            c.healthy = false;
            c.verdict = None;
        });
        self.new_module.signal(module);
    }

    /// Swaps `module` in (starts it in an empty slot); the module now
    /// current. `None` removes the guest: dropped with its channels, its
    /// bus bindings freed.
    pub(super) fn install(
        &'static self,
        host: &Host<ChannelEnv>,
        guest: &mut Option<Guest<ChannelEnv>>,
        module: Option<&[u8]>,
    ) {
        self.stop.reset();
        let Some(module) = module else {
            self.take_down(guest, State::Empty);
            self.with(|c| {
                c.current = true;
                c.trial = false;
                c.deadline = None;
            });
            self.sink.update(self.name, &Event::Removed);
            return;
        };
        let result = match guest {
            Some(running) => {
                let dropped = running.env().dropped_lines;
                swap(host, running, vouched(module), self.connect).map(|()| {
                    self.with(|c| c.dropped_before = c.dropped_before.wrapping_add(dropped));
                })
            }
            None => crate::start(
                &crate::fresh(host),
                self.name,
                vouched(module),
                self.connect,
                self.sink,
            )
            .map(|started| *guest = Some(started)),
        };
        match (result, guest.as_mut()) {
            (Ok(()), Some(running)) => {
                self.with(|c| c.charge = charge(host, module));
                self.attach(running);
                self.sink.update(self.name, &Event::Swapped(module.len()));
            }
            (Err(error), _) => {
                // The install check makes this rare; a module on trial that
                // cannot start fails its trial, and the previous one comes
                // back.
                self.sink.update(self.name, &Event::SwapRefused(error.as_str()));
                if !self.with(|c| c.trial) {
                    // A rollback, restart or fall-back that cannot start
                    // (a bus slot whose topic another slot took meanwhile):
                    // what runs was rejected or failed, so it stops here;
                    // the failure below restarts or falls back.
                    self.take_down(guest, State::Stopped);
                }
                self.with(|c| {
                    c.failed = true;
                    c.verdict = Some(Verdict::Stopped);
                });
                self.wake.signal(());
            }
            (Ok(()), None) => {}
        }
    }

    /// Drops the guest, if any, with its channels; frees its bus bindings
    /// and its charge; leaves the slot in `state`.
    fn take_down(&self, guest: &mut Option<Guest<ChannelEnv>>, state: State) {
        let dropped = guest.take().map_or(0, |old| old.env().dropped_lines);
        if let Connect::Bus { bus, slot } = self.connect {
            bus.unbind(slot);
        }
        self.with(|c| {
            c.dropped_before = c.dropped_before.wrapping_add(dropped);
            c.state = state;
            c.fuel = 0;
            c.memory = 0;
            c.charge = 0;
        });
    }

    /// Taps `guest`'s outputs and marks its module current; a module on
    /// trial gets its deadline.
    pub(super) fn attach(&'static self, guest: &mut Guest<ChannelEnv>) {
        guest.env_mut().set_tap(self);
        guest.env_mut().set_log_limit(self.health.log);
        self.halt.reset();
        let deadline = Instant::now().checked_add(self.health.deadline);
        self.with(|c| {
            c.state = State::Waiting;
            c.current = true;
            c.failed = false;
            c.healthy = false;
            c.proven = false;
            c.verdict = None;
            c.received = 0;
            c.sent = 0;
            c.received_at_wait = 0;
            // Read by `recover` before this module came; a stop on a swap
            // must not excuse a later failure.
            c.poisoned = false;
            // A deadline past the clock's end is no deadline; a trial is
            // still bounded by the health rule's other checks.
            c.deadline = if c.trial { deadline } else { None };
        });
    }

    /// The confirmed or built-in module stopped by itself: restart it after
    /// a backoff, or fall back after too many failures. A change of module
    /// is handed over by [`settle`] (`take_changed`).
    pub(super) fn recover<F: NorFlash, I: Install>(&self, slots: &mut FlashSlots<'_, F, I>) {
        let now = Instant::now();
        let health = &self.health;
        let failures = self.with(|c| {
            if core::mem::take(&mut c.poisoned) {
                // A message it could not take stopped it, and is dropped:
                // restarted without counting against the module.
                return 0;
            }
            let expired = c
                .window_start
                .is_none_or(|start| now.saturating_duration_since(start) > health.window);
            if expired {
                c.window_start = Some(now);
                c.failures = 0;
            }
            c.failures = c.failures.saturating_add(1);
            c.failures
        });
        if failures > 0 && failures >= health.failures {
            // The built-in module has nothing to fall back to: it is
            // restarted, as below.
            if let Ok(previous) = slots.fall_back(self.image) {
                self.with(|c| {
                    c.fell_back = previous;
                    c.failures = 0;
                    c.window_start = None;
                });
                let to = if previous { Source::Fallback } else { Source::BuiltIn };
                self.sink.update(self.name, &Event::FellBack { failures, to });
                return;
            }
        }
        let after = health.backoff_after(failures);
        let restart = self.with(|c| {
            c.restarts = c.restarts.wrapping_add(1);
            c.resume_at = now.checked_add(after);
            c.restarts
        });
        self.sink.update(self.name, &Event::Restarted { restart, after });
        self.hand_over(self.module(slots));
    }
}

/// What a guest running `module` may hold of the heap, for admission
/// control ([`Check::admitting`](super::Check::admitting)): the host's
/// estimate of its load (the bound `HostConfig::module_heap` checks), its
/// linear memory at the most it may grow to (its declared maximum, within
/// `HostConfig::memory_budget`), and its ports: a channel each, the
/// messages they and the tap may hold ([`crate::held_message_bytes`]) and
/// their names. A module chooses its ports on a bus, up to the manifest's
/// 255 a kind, so they are charged too. An upper bound, so an admitted
/// set of guests cannot run the heap out later.
pub(super) fn charge(host: &Host<ChannelEnv>, module: &[u8]) -> usize {
    let config = host.config();
    let load = wasm_sdk_host::Shape::scan(module)
        .map(|shape| shape.heap(&config.module_costs).total())
        .unwrap_or(u64::MAX);
    let info = wasm_sdk_host::inspect::ModuleInfo::parse(module).ok();
    let memory = (info.as_ref())
        .and_then(|info| info.memories.first().and_then(|memory| memory.maximum_bytes()))
        .unwrap_or(config.memory_budget)
        .min(config.memory_budget);
    let manifest = info.as_ref().and_then(|info| info.manifest.as_deref());
    let ports =
        manifest.and_then(|bytes| wasm_sdk_host::abi::manifest::Manifest::parse(bytes).ok());
    let ports = ports.map_or(0, |manifest| {
        let (inputs, outputs) = (manifest.inputs(), manifest.outputs());
        let names: usize = inputs.iter().chain(outputs.iter()).map(str::len).sum();
        let channels = (inputs.len() + outputs.len()) * core::mem::size_of::<crate::PortChannel>();
        let held = crate::held_message_bytes(
            config.max_message_len,
            inputs.len(),
            outputs.len(),
            super::TAP_DEPTH,
        );
        // Each name is kept by the host, the bus and the tap.
        channels.saturating_add(held).saturating_add(names.saturating_mul(3))
    });
    let total =
        load.saturating_add(memory).saturating_add(u64::try_from(ports).unwrap_or(u64::MAX));
    usize::try_from(total).unwrap_or(usize::MAX)
}

impl OutputTap for Managed {
    fn tap(&self, port: &str, message: &[u8]) {
        // Within the host's message limit (the rules refused longer ones);
        // a copy the heap cannot take now is skipped, not a failure.
        let Some(copy) = crate::try_copy(message) else { return };
        let mut name = String::new();
        if name.try_reserve_exact(port.len()).is_err() {
            return;
        }
        name.push_str(port);
        self.with(|c| {
            if c.tap.len() == TAP_DEPTH {
                c.tap.pop_front();
            }
            c.tap.push_back((name, copy));
        });
    }
}
