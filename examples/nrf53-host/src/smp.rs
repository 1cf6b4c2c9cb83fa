//! Module updates over SMP (MCUmgr) on UARTE1, with the guest slots in the
//! app core's own flash (NVMC): the same server as the QEMU firmware's
//! serve mode, so `smpmgr`, `mcumgr` and `wasm-sdk deploy` work
//! unchanged.
//!
//! - [`mount`] mounts the slots at boot (rolling back a trial the device
//!   reset during) and says which module the counter runs.
//! - [`smp_task`] runs [`update::serve`] on UARTE1 ([`SmpUart`]): an
//!   upload is written to the bank that is not running and passes
//!   [`Check`] (every check [`wasm_sdk_embassy::start`] makes, against
//!   the counter's wiring for image 0, the catalog for images 1 to 3,
//!   and admission control) before its header makes it count; the guest
//!   group lists, stops, starts, feeds and reads [`COUNTER`] and the
//!   catalog's slots ([`crate::slots`]), and lists the catalog.
//! - [`counter_task`] runs the counter with [`update::run`]: a new module
//!   is swapped in live at a safe point, on the same channels; a module on
//!   trial that fails the health rule or its deadline is rolled back, one
//!   that passes it ([`update::HEALTHY_AFTER`] messages answered)
//!   confirmed. The update path is the
//!   QEMU firmware's, shared in `wasm_sdk_embassy::update`.

use defmt::{error, info, warn};
use embassy_nrf::Peri;
use embassy_nrf::buffered_uarte::{BufferedUarteRx, BufferedUarteTx};
use embassy_nrf::nvmc::Nvmc;
use embassy_nrf::peripherals::NVMC;
use embassy_time::Timer;
use wasm_sdk_embassy::ChannelEnv;
use wasm_sdk_embassy::update::{self, Check, Fleet, Managed, Transport};
use wasm_sdk_host::{Guest, Host};
use wasm_sdk_smp::flash::{FlashSlots, HEADER_LEN, Layout};
use wasm_sdk_smp::{DEFAULT_BUF_SIZE, SerialServer};

use crate::guests::{self, COUNTER_WIRING};

/// Bytes per flash bank: a 64-byte header and a module of up to
/// [`MAX_MODULE_SIZE`](crate::config::MAX_MODULE_SIZE), in whole 4 KiB
/// erase pages of the NVMC.
pub const BANK: u32 = (crate::config::MAX_MODULE_SIZE as u32 + HEADER_LEN).next_multiple_of(4096);

/// Updatable guest slots (SMP images): 0 is `counter`, 1 to 3 the
/// catalog's ([`crate::slots`]). Each takes two banks at the end of the
/// flash (`SLOTS` in `memory.x`).
pub const IMAGES: u32 = 4;

/// Heap kept beside the guests: the executor's tasks, the SMP task's
/// futures, messages in flight, allocator overhead.
const HEAP_MARGIN: usize = 16 * 1024;

/// The heap the guests of every slot may hold together: what the margin
/// and one upload's check or swap at a time (a module of
/// `config::MODULE_HEAP` and its linear memory) leave. Admission control
/// ([`Check::admitting`]) refuses an upload that would take the guests
/// past it; the wired guests that are not updatable (`alarm`, `primes`)
/// are in the heap it checks free at each upload
/// ([`Check::with_free_heap`]).
fn guest_ram() -> usize {
    let upload = crate::config::MODULE_HEAP + crate::config::MEMORY_BUDGET as usize;
    crate::HEAP_SIZE.saturating_sub(HEAP_MARGIN + upload)
}

/// Largest module a slot holds: its bank less the header, the scratch
/// `FlashSlots::mount` takes (at least the host's `max_module_size`; the
/// bank's last page may hold a little more).
const MODULE_MAX: usize = (BANK - HEADER_LEN) as usize;
// A module the host takes fits a slot.
const _: () = assert!(crate::config::MAX_MODULE_SIZE <= MODULE_MAX);

/// Bytes of UARTE1's receive ring (two DMA halves). A client sends one
/// request and waits for its answer, so this only has to cover the time
/// the SMP task is not polled (a guest's fuel slice, a flash write).
pub const RX_BUFFER: usize = 256;
/// Bytes of UARTE1's transmit ring; [`smp_task`] awaits room, so this
/// needs not hold a whole response.
pub const TX_BUFFER: usize = 128;

// The slots' flash, reserved at the end of the app core's 1 MiB by
// `memory.x` (`__slots_start` .. `__slots_end`).
unsafe extern "C" {
    static __slots_start: u8;
    static __slots_end: u8;
}

/// The guest slots of this firmware: NVMC flash, counter install check.
pub type Slots = FlashSlots<'static, Nvmc<'static>, Check>;

/// The SMP server [`smp_task`] runs (`buf_size` 384, Zephyr's default).
pub type Server = update::Server<'static, Nvmc<'static>, Check, DEFAULT_BUF_SIZE>;

/// The key modules must be signed with: built in from the file
/// `WASM_SDK_PUBLIC_KEY` names.
#[cfg(signed_modules)]
const KEY: wasm_sdk_sign::PublicKey = wasm_sdk_sign::embedded_key!();

/// The install check: the signature when the firmware was built with a
/// key, then everything [`update::Check`] checks, on the guests' own host
/// (one engine, one configuration: a module it accepts will start).
fn install_check(host: &'static Host<ChannelEnv>) -> Check {
    let check = Check::new(host, FLEET).with_free_heap(crate::heap_free).admitting(guest_ram());
    #[cfg(signed_modules)]
    let check = check.verifying(|module| {
        use wasm_sdk_smp::slots::{SlotError, rc};
        wasm_sdk_sign::verify(module, &KEY)
            .map_err(|error| SlotError::new(rc::EACCESSDENIED, error.as_str()))
    });
    check
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
    let check = install_check(host);
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

/// The counter guest, updatable over SMP as image 0.
pub static COUNTER: Managed =
    Managed::new("counter", 0, &COUNTER_WIRING, guests::COUNTER_WASM, &guests::SINK);

/// The guest group: every managed guest.
static FLEET: Fleet =
    Fleet::new(&[&COUNTER, crate::slots::SLOTS[0], crate::slots::SLOTS[1], crate::slots::SLOTS[2]]);

/// UARTE1 as the SMP transport.
pub struct SmpUart {
    /// Receive half: its DMA ring keeps receiving between reads, and a
    /// read dropped before it completes takes nothing (cancel-safe).
    pub rx: BufferedUarteRx<'static>,
    /// Transmit half.
    pub tx: BufferedUarteTx<'static>,
}

impl Transport for SmpUart {
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        loop {
            match self.rx.read(buf).await {
                Ok(n) if n > 0 => return n,
                Ok(_) => {}
                // An overrun breaks the frame in progress: the decoder drops
                // it at its CRC and the client resends.
                Err(error) => warn!("smp: receive error {}", error),
            }
        }
    }

    async fn write(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.tx.write(bytes).await {
                Ok(n) => bytes = &bytes[n..],
                Err(error) => {
                    warn!("smp: transmit error {}", error);
                    return;
                }
            }
        }
    }
}

/// Serves SMP on UARTE1 (115200 8N1) with [`update::serve`]: uploads,
/// trial, confirm and rollback of the counter's module, and the guest
/// group; a reset request is answered, then the device resets.
#[embassy_executor::task]
pub async fn smp_task(slots: Slots, mut uart: SmpUart) {
    // Lives in this task's future, in `.bss`.
    let mut server: Server = SerialServer::with_guests(slots, FLEET);
    update::serve(&mut server, &mut uart).await;
    info!("smp: reset requested");
    // Let the reply leave the wire first: the client waits for it.
    let _ = uart.tx.flush().await;
    Timer::after_millis(5).await;
    cortex_m::peripheral::SCB::sys_reset();
}

/// Runs the counter with [`update::run`]: each module the SMP task hands
/// over is swapped in at a safe point, on the same channels.
#[embassy_executor::task]
pub async fn counter_task(host: &'static Host<ChannelEnv>, guest: Guest<ChannelEnv>) {
    update::run(host, &COUNTER, guest).await
}
