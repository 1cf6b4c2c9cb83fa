//! The guest's own task: drive the guest, swap modules in at safe points,
//! stop what fails.

use embassy_futures::select::{Either, Either4, select, select4};
use embassy_time::Timer;
use wasm_sdk_host::{Guest, Host};

use super::SAFE_POINT_SLICES;
use super::managed::{Event, Managed, State};
use crate::{ChannelEnv, SafePoint, drive_observed, run_to_safe_point};

/// Runs guest `managed` (started from its current module with
/// [`crate::start`], or `None` for an empty slot) for ever: a module
/// handed to an empty slot is started, an erase removes the guest; each module handed over by [`serve`](super::serve) is
/// swapped in at a safe point, `stop` parks it at one, a module on trial
/// that fails the health rule or its deadline is stopped, and one that
/// stopped by itself is dead-lettered (what it stopped on is dropped and
/// counted) and waits
/// for its next module (a restart after its backoff, or a rollback). Call
/// it from the guest's embassy task.
pub async fn run(
    host: &Host<ChannelEnv>,
    managed: &'static Managed,
    guest: impl Into<Option<Guest<ChannelEnv>>>,
) -> ! {
    let mut slot: Option<Guest<ChannelEnv>> = guest.into();
    managed.with(|c| c.max_message_len = host.config().max_message_len);
    match &mut slot {
        Some(guest) => managed.attach(guest),
        None => managed.with(|c| c.state = State::Empty),
    }
    loop {
        let Some(guest) = slot.as_mut() else {
            let module = managed.new_module.wait().await;
            managed.install(host, &mut slot, module.as_deref());
            continue;
        };
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
            drive_observed(guest, |guest, step| managed.publish(guest, step)),
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
                let stopped = to_safe_point(managed, guest).await;
                (Some(module), stopped)
            }
            Either4::Third(()) => {
                let stopped = to_safe_point(managed, guest).await;
                if !stopped {
                    managed.sink.update(managed.name, &Event::StoppedByCommand);
                }
                managed.with(|c| c.state = State::Stopped);
                if stopped {
                    managed.dead_letter(guest);
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
            managed.dead_letter(guest);
        }
        let module = match module {
            Some(module) => module,
            None => managed.new_module.wait().await,
        };
        if let Some(at) = managed.with(|c| c.resume_at.take()) {
            Timer::at(at).await;
        }
        managed.install(host, &mut slot, module.as_deref());
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
