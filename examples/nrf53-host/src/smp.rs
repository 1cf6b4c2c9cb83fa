//! Module updates over SMP (MCUmgr) on UARTE1, with the guest slots in the
//! app core's own flash (NVMC): the same server as the QEMU firmware's
//! serve mode, so `smpmgr`, `mcumgr` and `wasm-sdk-testhost deploy` work
//! unchanged.
//!
//! - [`mount`] mounts the slots at boot (rolling back a trial the device
//!   reset during) and says which module the counter runs.
//! - [`smp_task`] owns the [`SerialServer`]: it feeds it every byte UARTE1
//!   receives and writes its response lines back. An upload is written to
//!   the bank that is not running and passes [`CounterCheck`] (every check
//!   [`embassy_runner::start`] makes, against the counter's wiring) before
//!   its header makes it count.
//! - When the module a slot runs changes (an upload installed, a trial
//!   rejected), [`module_changed`] is called: the one place where the
//!   running guest is to be swapped.

use defmt::{error, info, warn};
use embassy_nrf::Peri;
use embassy_nrf::buffered_uarte::{BufferedUarteRx, BufferedUarteTx};
use embassy_nrf::nvmc::Nvmc;
use embassy_nrf::peripherals::NVMC;
use embassy_runner::ChannelEnv;
use embassy_time::Timer;
use wasm_sdk_host::Host;
use wasm_sdk_smp::flash::{FlashSlots, HEADER_LEN, Install, Layout};
use wasm_sdk_smp::slots::{SlotError, rc};
use wasm_sdk_smp::{Action, SerialServer};

use crate::guests::COUNTER_WIRING;

/// Bytes per flash bank: a 64-byte header and a module of up to
/// 16 KiB - 64 (the counter is about 3 KiB). A multiple of the NVMC's
/// 4 KiB erase page.
pub const BANK: u32 = 16 * 1024;

/// Updatable guest slots (SMP images): 0 is `counter`. Each takes two
/// banks at the end of the flash (`SLOTS` in `memory.x`).
pub const IMAGES: u32 = 1;

/// Largest module a slot holds.
const MODULE_MAX: usize = (BANK - HEADER_LEN) as usize;

/// Bytes of UARTE1's receive ring (two DMA halves). A client sends one
/// request and waits for its answer, so this only has to cover the time
/// the SMP task is not polled (a guest's fuel slice, a flash write).
pub const RX_BUFFER: usize = 256;
/// Bytes of UARTE1's transmit ring; [`smp_task`] awaits room, so this
/// needs not hold a whole response.
pub const TX_BUFFER: usize = 128;

/// Room for the console lines of one framed response: a
/// [`wasm_sdk_smp::RESPONSE_LEN`]-byte message with its length and CRC is
/// 772 bytes, 9 lines of at most 124 base64 characters, a 2-byte marker
/// and `\n` each.
const RESPONSE_LINES: usize = 1088;

// The slots' flash, reserved at the end of the app core's 1 MiB by
// `memory.x` (`__slots_start` .. `__slots_end`).
unsafe extern "C" {
    static __slots_start: u8;
    static __slots_end: u8;
}

/// The guest slots of this firmware: NVMC flash, counter install check.
pub type Slots = FlashSlots<'static, Nvmc<'static>, CounterCheck>;

/// The SMP server [`smp_task`] runs (`buf_size` 384, Zephyr's default).
pub type Server = SerialServer<Slots>;

/// The install check: every check [`embassy_runner::start`] makes (the
/// host's load checks, instantiation, the ports against the counter's
/// wiring by name), with a guest that never runs, on the guests' own host.
pub struct CounterCheck {
    host: &'static Host<ChannelEnv>,
}

impl Install for CounterCheck {
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError> {
        if image != 0 {
            return Err(SlotError::new(rc::ENOENT, "no such guest slot"));
        }
        embassy_runner::check(self.host, module, &COUNTER_WIRING)
            .map_err(|error| SlotError::new(rc::ECORRUPT, error.as_str()))
    }
}

/// Mounts the slots in the NVMC region `memory.x` reserves; `None` (and an
/// error log) when it does not hold [`IMAGES`] slots or the flash fails:
/// the firmware then runs its built-in modules without SMP.
pub fn mount(nvmc: Peri<'static, NVMC>, host: &'static Host<ChannelEnv>) -> Option<Slots> {
    // Only the addresses of the linker's symbols are taken, never a value.
    let (start, end) = (&raw const __slots_start as u32, &raw const __slots_end as u32);
    if end.saturating_sub(start) < 2 * BANK * IMAGES {
        error!("slots: memory.x reserves {=u32} B, {=u32} needed", end - start, 2 * BANK * IMAGES);
        return None;
    }
    // The module being checked or loaded: in `.bss`, not on the heap the
    // guests need.
    static mut SCRATCH: [u8; MODULE_MAX] = [0; MODULE_MAX];
    // SAFETY: `mount` is called once, from `main`; the slots own the
    // buffer from here on.
    let scratch = unsafe { core::slice::from_raw_parts_mut((&raw mut SCRATCH).cast(), MODULE_MAX) };
    let layout = Layout { base: start, bank_size: BANK, images: IMAGES };
    let check = CounterCheck { host };
    match FlashSlots::mount(Nvmc::new(nvmc), layout, check, scratch) {
        Ok(mut slots) => {
            // At boot, every module is already where the guests start it.
            while slots.take_changed().is_some() {}
            info!("slots: {=u32} at {=u32:#x}, {=u32} B banks", IMAGES, start, BANK);
            Some(slots)
        }
        Err(error) => {
            error!("slots: not mounted: {=str}", error.reason);
            None
        }
    }
}

/// Serves SMP on UARTE1 (115200 8N1): every received byte goes to the
/// server, every response line back to the client; a reset request is
/// answered, then the device resets.
#[embassy_executor::task]
pub async fn smp_task(
    slots: Slots,
    mut rx: BufferedUarteRx<'static>,
    mut tx: BufferedUarteTx<'static>,
) {
    // Lives in this task's future, in `.bss`.
    let mut server = Server::new(slots);
    let mut chunk = [0u8; 64];
    let mut out = [0u8; RESPONSE_LINES];
    loop {
        let n = match rx.read(&mut chunk).await {
            Ok(n) => n,
            Err(error) => {
                // An overrun breaks the frame in progress: the decoder drops
                // it at its CRC and the client resends.
                warn!("smp: receive error {}", error);
                continue;
            }
        };
        // Line by line: a response is only ever complete at a `\n`, so each
        // piece yields at most one, and `out` holds it.
        let mut rest = &chunk[..n];
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
            let (piece, tail) = rest.split_at(end);
            rest = tail;
            let mut len = 0;
            let action = server.receive(piece, |line| {
                if let Some(room) = out.get_mut(len..len + line.len()) {
                    room.copy_from_slice(line);
                    len += line.len();
                }
            });
            send(&mut tx, &out[..len]).await;
            let slots = server.server_mut().slots_mut();
            while let Some(image) = slots.take_changed() {
                module_changed(slots, image);
            }
            if action == Action::Reset {
                info!("smp: reset requested");
                // Let the reply leave the wire first: the client waits for it.
                let _ = tx.flush().await;
                Timer::after_millis(5).await;
                cortex_m::peripheral::SCB::sys_reset();
            }
        }
        // A flood must not starve the guests and the other tasks.
        embassy_futures::yield_now().await;
    }
}

/// Writes all of `bytes`, awaiting room in the transmit ring.
async fn send(tx: &mut BufferedUarteTx<'static>, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match tx.write(bytes).await {
            Ok(n) => bytes = &bytes[n..],
            Err(error) => {
                warn!("smp: transmit error {}", error);
                return;
            }
        }
    }
}

/// The module `image` runs changed: an upload was installed (on trial
/// now), or a trial was rejected (the previous module, or the built-in one
/// when `active_module` is `None`, runs again).
///
/// The one integration point of the live swap: the QEMU firmware's swap,
/// safe point and health rule are moving into `embassy_runner::update`,
/// shared by both firmwares. Until then the new module is only logged; it
/// runs after a reset once confirmed (`smpmgr image state-write
/// --confirm`), and an unconfirmed one is rolled back at that reset.
pub fn module_changed(slots: &mut Slots, image: u32) {
    let on_trial = slots.on_trial(image);
    match slots.active_module(image) {
        Ok(Some(module)) => {
            info!(
                "smp: slot {=u32} now holds a {=usize} B module (on trial: {=bool})",
                image,
                module.len(),
                on_trial
            );
        }
        Ok(None) => info!("smp: slot {=u32} is back to its built-in module", image),
        Err(error) => error!("smp: slot {=u32}: {=str}", image, error.reason),
    }
    // TODO(update): hand over to embassy_runner::update
}
