//! What a module is held to: the health rule, the trial deadline, restarts
//! and fallback, its log rate; and why a trial failed.

use embassy_time::Duration;

use super::HEALTHY_AFTER;
use crate::LogLimit;

/// What the update path asks of a managed guest's modules: the health
/// rule, the trial deadline, restarts and fallback, and its log rate (see
/// the [module docs](super)). Per guest: [`Managed::with_health`](super::Managed::with_health).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    /// Answers (decoding as their output's type) that confirm a module on
    /// trial.
    pub answers: u32,
    /// Messages a module on trial may leave without an answer (received
    /// minus answered); one more rejects it as silent.
    pub unanswered: u32,
    /// Messages a module on trial must have received, and be back waiting
    /// for the next, to be confirmed (besides [`answers`](Self::answers)).
    /// Ticks of its own timer do not count: a module that set a timer and
    /// does nothing else proves nothing.
    pub received: u32,
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
        received: 0,
        deadline: Duration::from_secs(60),
        trial_fuel: None,
        backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(60),
        failures: 3,
        window: Duration::from_secs(300),
        log: LogLimit::DEFAULT,
    };

    /// For a guest whose outputs are not answers to its inputs (a sensor
    /// filter that sends on a change, a service that only listens):
    /// confirmed once it has received [`HEALTHY_AFTER`] messages and is
    /// back waiting, whatever it sent; each sent message must still decode
    /// as its output's type. Otherwise [`DEFAULT`](Self::DEFAULT).
    pub const LISTENER: Health =
        Health { answers: 0, unanswered: u32::MAX, received: HEALTHY_AFTER, ..Health::DEFAULT };

    /// The wait before restart number `failures` within the window (1 for
    /// the first; 0, after a poison message, waits as the first).
    pub(super) fn backoff_after(&self, failures: u32) -> Duration {
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
