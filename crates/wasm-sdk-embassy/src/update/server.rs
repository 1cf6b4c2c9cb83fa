//! The SMP task: requests over a [`Transport`], and settling what guests
//! and requests changed.

use alloc::vec::Vec;

use core::pin::pin;

use embassy_futures::select::{Either, select, select_slice};
use embedded_storage::nor_flash::NorFlash;
use wasm_sdk_smp::flash::{FlashSlots, Install};
use wasm_sdk_smp::{Action, SerialServer};

use super::fleet::Fleet;
use super::health::Verdict;
use super::managed::{Event, Source};

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
