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
//! *answered* [`Health::answers`] messages (sent them on its outputs, each
//! decoding as its output's type: [`crate::Wire::decodes`]) and is back
//! waiting in `receive`. Each of these rejects it, and the previous module
//! comes back (the built-in one if there is none):
//!
//! - it stops (a trap, its fuel budget, a return) or cannot start;
//! - it sends an answer that does not decode as its output's type;
//! - it leaves more than [`Health::unanswered`] of the messages it
//!   received without an answer (it swallows its inputs);
//! - it uses more than [`Health::trial_fuel`] (when set);
//! - it is not confirmed within [`Health::deadline`] of being swapped in:
//!   whatever it does (spins, loops on a failing `memory.grow`, answers a
//!   few then spins), no module keeps the update path blocked, as a new
//!   upload is refused while one is on trial.
//!
//! A device reset before confirmation rolls back at the next mount
//! ([`FlashSlots::mount`]). An image state write confirms at once.
//!
//! # After confirmation: restarts, then fallback
//!
//! A confirmed or built-in module that stops by itself is restarted after
//! a backoff ([`Health::backoff`], doubling up to [`Health::max_backoff`]).
//! When it fails [`Health::failures`] times within [`Health::window`], its
//! slot falls back ([`FlashSlots::fall_back`]): the uploaded module is
//! rejected for good and the previous confirmed one runs, or the built-in
//! one; the built-in one itself is only ever restarted. So a device never
//! ends with a stopped function and nothing to roll back to. Each step is
//! an [`Event`] on the firmware's [`Sink`], and the guest group's `list`
//! says which module runs and how often it was restarted.
//!
//! # Poison messages
//!
//! A message a guest stops on (too long for its buffer, or one it trapped
//! on) is dead-lettered: dropped, counted (`list`'s `dead_letters`) and
//! announced ([`Event::DeadLettered`]), and the guest's next module, or the
//! same one restarted, goes on with the next message. Only those are
//! dropped: a swap at a safe point moves what the old guest had taken to
//! the new one ([`swap`]). A stop on a message the guest could not even
//! take (too long for its buffer) is the message's fault: the module is
//! restarted, but that does not count towards its fallback, so oversized
//! inputs cannot make a device drop a good module; a trap on a message it
//! took does count.
//!
//! # Memory
//!
//! What the runner holds for a guest's messages is bounded by the host's
//! message limit ([`crate::held_message_bytes`], with [`TAP_DEPTH`]
//! copies for `outputs`); `guests send` refuses data above that limit.
//! Each guest's log lines pass its [`Health::log`] rate limit.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::cell::RefCell;

use core::pin::pin;

use embassy_futures::select::{Either, Either4, select, select_slice, select4};
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant, Timer};
use embedded_storage::nor_flash::NorFlash;
use wasm_sdk_host::{Guest, Host, Step};
use wasm_sdk_smp::flash::{FlashSlots, Install};
use wasm_sdk_smp::slots::{SlotError, rc};
use wasm_sdk_smp::{Action, GuestInfo, Guests, SerialServer};

use crate::{
    ChannelEnv, LogLimit, Message, OutputTap, SafePoint, Sink, Wiring, drive_observed,
    run_to_safe_point, swap,
};

/// Messages a module on trial answers, returning to `receive` after the
/// last, before the health rule confirms it ([`Health::DEFAULT`]). At one
/// message a second that is 20 s: longer than an interactive `image
/// state-write --confirm` needs, short enough for a test to wait for.
pub const HEALTHY_AFTER: u32 = 20;

/// Fuel slices a guest may take to reach a safe point before a swap or a
/// stop goes ahead anyway (a spinning guest never gets there): about 0.3 s
/// at 50,000 fuel a slice on the emulated Cortex-M33.
pub const SAFE_POINT_SLICES: u32 = 1_000;

/// Output messages kept per guest for the `outputs` command: the oldest
/// goes when a newer one arrives, so a guest nobody reads costs at most
/// this many copies, each within the host's message limit
/// ([`crate::held_message_bytes`]).
pub const TAP_DEPTH: usize = 4;

/// What the update path asks of a managed guest's modules: the health
/// rule, the trial deadline, restarts and fallback, and its log rate (see
/// the [module docs](self)). Per guest: [`Managed::with_health`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    /// Answers (decoding as their output's type) that confirm a module on
    /// trial.
    pub answers: u32,
    /// Messages a module on trial may leave without an answer (received
    /// minus answered); one more rejects it as silent.
    pub unanswered: u32,
    /// How long a module may stay on trial after it was swapped in.
    pub deadline: Duration,
    /// Fuel a module on trial may use; `None`: only the deadline bounds it.
    pub trial_fuel: Option<u64>,
    /// The wait before the first restart of a failed confirmed module;
    /// each further failure within [`window`](Self::window) doubles it.
    pub backoff: Duration,
    /// The longest wait before a restart.
    pub max_backoff: Duration,
    /// Failures within [`window`](Self::window) after which the slot falls
    /// back to the previous confirmed module, or the built-in one.
    pub failures: u32,
    /// The window failures are counted in.
    pub window: Duration,
    /// The guest's log rate.
    pub log: LogLimit,
}

impl Health {
    /// [`HEALTHY_AFTER`] answers with at most 10 left unanswered, within
    /// 60 s of the swap (three times what one message a second needs);
    /// restarts after 1 s, 2 s, 4 s ... up to 60 s, and a fallback at the
    /// third failure within 5 minutes; [`LogLimit::DEFAULT`].
    pub const DEFAULT: Health = Health {
        answers: HEALTHY_AFTER,
        unanswered: 10,
        deadline: Duration::from_secs(60),
        trial_fuel: None,
        backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(60),
        failures: 3,
        window: Duration::from_secs(300),
        log: LogLimit::DEFAULT,
    };

    /// The wait before restart number `failures` within the window (1 for
    /// the first; 0, after a poison message, waits as the first).
    fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        let ticks = self.backoff.as_ticks().saturating_mul(1 << doublings);
        Duration::from_ticks(ticks.min(self.max_backoff.as_ticks()))
    }
}

/// Why a module on trial was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It stopped by itself (trapped, out of fuel, returned) or did not
    /// start.
    Stopped,
    /// It was not confirmed within [`Health::deadline`].
    Deadline,
    /// It used more than [`Health::trial_fuel`].
    Fuel,
    /// It sent an answer that does not decode as its output's type.
    Undecodable,
    /// It left more than [`Health::unanswered`] messages without an answer.
    Silent,
}

impl Verdict {
    /// What the module on trial did, e.g. `"missed its trial deadline"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Stopped => "stopped",
            Verdict::Deadline => "missed its trial deadline",
            Verdict::Fuel => "used its trial fuel",
            Verdict::Undecodable => "answered with bytes that do not decode as its output's type",
            Verdict::Silent => "left its inputs unanswered",
        }
    }
}

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
}

impl Source {
    /// `"built-in"`, `"trial"`, `"uploaded"` or `"fallback"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::BuiltIn => "built-in",
            Source::Trial => "trial",
            Source::Uploaded => "uploaded",
            Source::Fallback => "fallback",
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
    /// The guest did not reach a safe point in [`SAFE_POINT_SLICES`]: it was
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
    /// The module handed over or running is on trial.
    trial: bool,
    /// When the current module's trial ends, if it is on trial.
    deadline: Option<Instant>,
    /// Why the current module on trial failed, once it did.
    verdict: Option<Verdict>,
    /// The current module stopped by itself or failed its trial; for the
    /// SMP task.
    failed: bool,
    /// The current module passed the health rule; for the SMP task.
    healthy: bool,
    /// The current module passed the health rule (reported once).
    proven: bool,
    /// `start` asked for the current module again; for the SMP task.
    restart: bool,
    /// `received` when the guest last waited in `receive`: more now means
    /// it is in the middle of a message.
    received_at_wait: u32,
    /// Which module runs.
    source: Source,
    /// The slot fell back and runs the previous confirmed module.
    fell_back: bool,
    /// Failures since `window_start`.
    failures: u32,
    window_start: Option<Instant>,
    /// When the next module may start (a restart's backoff).
    resume_at: Option<Instant>,
    restarts: u32,
    dead_letters: u32,
    /// The guest last stopped on a message it had not received (too long
    /// for its buffer): the message's fault, not the module's.
    poisoned: bool,
    /// Lines dropped by the modules before the current one.
    dropped_before: u32,
    dropped_lines: u32,
    /// The host's message limit: the most `guests send` queues.
    max_message_len: usize,
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
    health: Health,
    new_module: Signal<CriticalSectionRawMutex, Vec<u8>>,
    stop: Signal<CriticalSectionRawMutex, ()>,
    /// Wakes [`run`]: the module on trial failed the health rule.
    halt: Signal<CriticalSectionRawMutex, ()>,
    /// Wakes [`serve`]: the guest failed, became healthy or was asked to
    /// restart.
    wake: Signal<CriticalSectionRawMutex, ()>,
    control: Mutex<CriticalSectionRawMutex, RefCell<Control>>,
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
        Managed {
            name,
            image,
            wiring,
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

    /// Its wiring.
    pub fn wiring(&self) -> &'static Wiring {
        self.wiring
    }

    /// What its modules are held to.
    pub fn health(&self) -> &Health {
        &self.health
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
    /// the built-in one.
    pub fn module<F: NorFlash, I: Install>(&self, slots: &mut FlashSlots<'_, F, I>) -> Vec<u8> {
        let trial = slots.on_trial(self.image);
        let (module, source) = match slots.active_module(self.image) {
            Ok(Some(module)) => {
                let fell_back = self.with(|c| c.fell_back);
                let source = match (trial, fell_back) {
                    (true, _) => Source::Trial,
                    (false, true) => Source::Fallback,
                    (false, false) => Source::Uploaded,
                };
                (module.to_vec(), source)
            }
            _ => (self.builtin.to_vec(), Source::BuiltIn),
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
            } else if env.received.saturating_sub(answers) > health.unanswered {
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
            let healthy = state == State::Waiting && answers >= health.answers;
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
    fn failed(&self, step: &Step) {
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
    fn trial_over(&self) -> bool {
        let over = self.with(|c| {
            if !c.trial {
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
    /// pipes but did not receive, and the one it was in the middle of.
    fn dead_letter(&self, guest: &mut Guest<ChannelEnv>) {
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
    /// point.
    fn hand_over(&self, module: Vec<u8>) {
        self.with(|c| {
            c.current = false;
            c.failed = false;
            c.healthy = false;
            c.verdict = None;
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
        let dropped = guest.env().dropped_lines;
        match swap(host, guest, vouched(module), self.wiring) {
            Ok(()) => {
                self.with(|c| c.dropped_before = c.dropped_before.wrapping_add(dropped));
                self.attach(guest);
                self.sink.update(self.name, &Event::Swapped(module.len()));
            }
            Err(error) => {
                // The install check makes this rare; a module on trial that
                // cannot start fails its trial, and the previous one comes
                // back.
                self.sink.update(self.name, &Event::SwapRefused(error.as_str()));
                self.with(|c| {
                    c.failed = true;
                    c.verdict = Some(Verdict::Stopped);
                });
                self.wake.signal(());
            }
        }
    }

    /// Taps `guest`'s outputs and marks its module current; a module on
    /// trial gets its deadline.
    fn attach(&'static self, guest: &mut Guest<ChannelEnv>) {
        guest.env_mut().set_tap(self);
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
    fn recover<F: NorFlash, I: Install>(&self, slots: &mut FlashSlots<'_, F, I>) {
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
        let after = health.backoff(failures);
        let restart = self.with(|c| {
            c.restarts = c.restarts.wrapping_add(1);
            c.resume_at = now.checked_add(after);
            c.restarts
        });
        self.sink.update(self.name, &Event::Restarted { restart, after });
        self.hand_over(self.module(slots));
    }
}

impl OutputTap for Managed {
    fn tap(&self, port: &'static str, message: &[u8]) {
        // Within the host's message limit (the rules refused longer ones);
        // a copy the heap cannot take now is skipped, not a failure.
        let mut copy = Vec::new();
        if copy.try_reserve_exact(message.len()).is_err() {
            return;
        }
        copy.extend_from_slice(message);
        self.with(|c| {
            if c.tap.len() == TAP_DEPTH {
                c.tap.pop_front();
            }
            c.tap.push_back((port, copy));
        });
    }
}

/// Runs guest `managed` (started from its current module with
/// [`crate::start`]) for ever: each module handed over by [`serve`] is
/// swapped in at a safe point, `stop` parks it at one, a module on trial
/// that fails the health rule or its deadline is stopped, and one that
/// stopped by itself is dead-lettered ([`Managed::dead_letter`]) and waits
/// for its next module (a restart after its backoff, or a rollback). Call
/// it from the guest's embassy task.
pub async fn run(
    host: &Host<ChannelEnv>,
    managed: &'static Managed,
    mut guest: Guest<ChannelEnv>,
) -> ! {
    guest.env_mut().set_log_limit(managed.health.log);
    managed.with(|c| c.max_message_len = host.config().max_message_len);
    managed.attach(&mut guest);
    loop {
        let deadline = managed.with(|c| c.deadline);
        let trial_over = async {
            match deadline {
                Some(at) => {
                    select(Timer::at(at), managed.halt.wait()).await;
                }
                None => managed.halt.wait().await,
            }
        };
        let event = select4(
            drive_observed(&mut guest, |guest, step| managed.publish(guest, step)),
            managed.new_module.wait(),
            managed.stop.wait(),
            trial_over,
        )
        .await;
        let (module, failed) = match event {
            Either4::First(step) => {
                managed.failed(&step);
                (None, true)
            }
            Either4::Second(module) => {
                let stopped = to_safe_point(managed, &mut guest).await;
                (Some(module), stopped)
            }
            Either4::Third(()) => {
                let stopped = to_safe_point(managed, &mut guest).await;
                if !stopped {
                    managed.sink.update(managed.name, &Event::StoppedByCommand);
                }
                managed.with(|c| c.state = State::Stopped);
                if stopped {
                    managed.dead_letter(&mut guest);
                }
                // Stopped, a module on trial still has its deadline: a
                // `stop` without a `start` does not block the update path.
                let module = match deadline {
                    Some(at) => match select(managed.new_module.wait(), Timer::at(at)).await {
                        Either::First(module) => Some(module),
                        Either::Second(()) => {
                            managed.trial_over();
                            None
                        }
                    },
                    None => None,
                };
                (module, false)
            }
            Either4::Fourth(()) => {
                if !managed.trial_over() {
                    continue;
                }
                (None, true)
            }
        };
        if failed {
            managed.dead_letter(&mut guest);
        }
        let module = match module {
            Some(module) => module,
            None => managed.new_module.wait().await,
        };
        if let Some(at) = managed.with(|c| c.resume_at.take()) {
            Timer::at(at).await;
        }
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
        if data.len() > managed.with(|c| c.max_message_len) {
            return Err(SlotError::new(
                rc::ENOMEM,
                "longer than the firmware's message limit (its HostConfig::max_message_len)",
            ));
        }
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
    free_heap: Option<fn() -> usize>,
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
        Check { host, fleet, verify, free_heap: None }
    }

    /// Runs `verify` on every upload first, before wasmi parses a byte of
    /// it: a firmware built with a public key checks the signature here.
    pub const fn verifying(self, verify: fn(&[u8]) -> Result<(), SlotError>) -> Self {
        Check { verify, ..self }
    }

    /// Refuses to check an upload while the heap has less free than one
    /// load may take ([`HostConfig::module_heap`](wasm_sdk_host::HostConfig::module_heap)
    /// and [`memory_budget`](wasm_sdk_host::HostConfig::memory_budget)),
    /// as `free_heap` reports it: the budget is derived from the heap a
    /// firmware keeps free, and this keeps a busy moment (messages held in
    /// pipes) from turning into a failed allocation. The client is told to
    /// retry.
    pub const fn with_free_heap(self, free_heap: fn() -> usize) -> Self {
        Check { free_heap: Some(free_heap), ..self }
    }
}

impl Install for Check {
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError> {
        let managed =
            self.fleet.image(image).ok_or(SlotError::new(rc::ENOENT, "no such guest slot"))?;
        (self.verify)(module)?;
        if let Some(free_heap) = self.free_heap {
            let config = self.host.config();
            let memory = usize::try_from(config.memory_budget).unwrap_or(usize::MAX);
            if free_heap() < config.module_heap.saturating_add(memory) {
                return Err(SlotError::new(
                    rc::ENOMEM,
                    "not enough free heap to check a module now (HostConfig::module_heap and \
                     memory_budget); retry",
                ));
            }
        }
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
        let (failed, healthy, restart, verdict) = managed.with(|c| {
            let flags = (c.failed, c.healthy, c.restart, c.verdict);
            c.failed = false;
            c.healthy = false;
            c.restart = false;
            flags
        });
        let image = managed.image;
        let confirmed = !slots.on_trial(image);
        managed.with(|c| {
            // Confirmed by an image state write (before or after it was
            // swapped in): no deadline, no trial checks any more.
            if c.trial && confirmed {
                c.trial = false;
                c.deadline = None;
                c.source = if c.source == Source::Trial { Source::Uploaded } else { c.source };
            }
        });
        if failed && slots.on_trial(image) {
            if slots.reject(image).is_ok() {
                // `take_changed` below hands the previous module over.
                let verdict = verdict.unwrap_or(Verdict::Stopped);
                managed.sink.update(managed.name, &Event::RolledBack(verdict));
            }
        } else if failed {
            managed.recover(slots);
        } else if healthy && slots.on_trial(image) && slots.confirm(image).is_ok() {
            managed.with(|c| {
                c.trial = false;
                c.deadline = None;
                c.source = if c.source == Source::Trial { Source::Uploaded } else { c.source };
            });
            managed.sink.update(managed.name, &Event::Confirmed(managed.health.answers));
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
