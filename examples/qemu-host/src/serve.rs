//! Serve mode (`--features serve`): the counter guest runs until QEMU is
//! killed, and an SMP server on UART0 updates it with the standard tools.
//!
//! - [`smp_task`] polls the UART, feeds [`wasm_sdk_smp::SerialServer`] and
//!   writes its response lines back. Its slots are a
//!   [`FlashSlots`](wasm_sdk_smp::flash::FlashSlots) on [`HostFileFlash`]; an
//!   upload passes [`embassy_runner::check`] (the host's load checks, the
//!   counter's wiring) before anything stops.
//! - When the running module of the counter's slot (image 0) changes, the
//!   SMP task hands the module to [`counter_task`], which swaps it in on
//!   the same pipes ([`embassy_runner::swap`]) while the guest waits.
//! - A guest on trial that traps or runs out of fuel is rejected: the
//!   previous module comes back. One that answers [`HEALTHY_AFTER`]
//!   messages without stopping is confirmed (the health rule), as is one
//!   confirmed with an image state write.
//! - [`echo_task`] answers each count on the counter's output on the
//!   console, so a user sees what the guest does.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use cortex_m_semihosting::{hprintln, nr, syscall, syscall1};
use embassy_futures::select::{Either, select};
use embassy_runner::{ChannelEnv, SafePoint, drive, run_to_safe_point, swap};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::Timer;
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use wasm_sdk_host::{Guest, Host, Step};
use wasm_sdk_smp::flash::{FlashSlots, Install, Layout};
use wasm_sdk_smp::slots::{SlotError, rc};
use wasm_sdk_smp::{Action, SerialServer};

use crate::guests::{self, COUNTER_WIRING};
use crate::uart::{UART0, Uart};

/// Bytes per flash bank: one guest module of up to 16 KiB - 64.
const BANK: usize = 16 * 1024;
/// Flash erase page.
const PAGE: usize = 4096;

/// The flash of the slots: a file on the host, through semihosting file
/// I/O, with NOR rules (erase sets 0xff, a write only clears bits), so the
/// slots survive a QEMU restart. Without a file (`./serve` without
/// `--storage`) it is RAM with the same rules.
pub struct HostFileFlash {
    /// Semihosting file handle, or `None`: the RAM copy is the flash.
    fd: Option<usize>,
    /// The flash contents (the file's, when there is one).
    bytes: &'static mut [u8],
}

/// A flash access outside the flash, or a host file error.
#[derive(Debug)]
pub struct FlashError;

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

impl ErrorType for HostFileFlash {
    type Error = FlashError;
}

impl HostFileFlash {
    /// The flash in `path` (`size` bytes, created erased if missing or
    /// short), or in RAM when `path` is `None`.
    fn open(path: Option<&[u8]>, size: usize) -> Result<Self, FlashError> {
        let bytes = alloc::vec![0xff; size].leak();
        let Some(path) = path else { return Ok(HostFileFlash { fd: None, bytes }) };
        let mut name = alloc::vec::Vec::from(path);
        name.push(0);
        let open = |mode: usize| {
            // SAFETY: a NUL-terminated name and its length, as SYS_OPEN takes.
            let fd = unsafe { syscall!(OPEN, name.as_ptr(), mode, path.len()) };
            (fd != usize::MAX).then_some(fd)
        };
        let fd = open(nr::open::RW_BINARY)
            .or_else(|| open(nr::open::RW_TRUNC_BINARY))
            .ok_or(FlashError)?;
        // SAFETY: `fd` is open.
        let len = unsafe { syscall!(FLEN, fd) };
        let have = if len == usize::MAX { 0 } else { len.min(size) };
        if have > 0 {
            // SAFETY: `fd` is open; the buffer is valid for `have` bytes.
            let missing = unsafe {
                syscall!(SEEK, fd, 0);
                syscall!(READ, fd, bytes.as_mut_ptr(), have)
            };
            if missing != 0 {
                return Err(FlashError);
            }
        }
        let mut flash = HostFileFlash { fd: Some(fd), bytes };
        if have < size {
            // Extend the file with erased bytes.
            flash.store(have, size)?;
        }
        Ok(flash)
    }

    /// Writes `bytes[from..to]` through to the file.
    fn store(&mut self, from: usize, to: usize) -> Result<(), FlashError> {
        let Some(fd) = self.fd else { return Ok(()) };
        let chunk = &self.bytes[from..to];
        // SAFETY: `fd` is open; `chunk` is valid for its length.
        let missing = unsafe {
            syscall!(SEEK, fd, from);
            syscall!(WRITE, fd, chunk.as_ptr(), chunk.len())
        };
        if missing == 0 { Ok(()) } else { Err(FlashError) }
    }
}

impl ReadNorFlash for HostFileFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        let at = offset as usize;
        let src = self.bytes.get(at..at + bytes.len()).ok_or(FlashError)?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl NorFlash for HostFileFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = PAGE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let (from, to) = (from as usize, to as usize);
        self.bytes.get_mut(from..to).ok_or(FlashError)?.fill(0xff);
        self.store(from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        let at = offset as usize;
        let dst = self.bytes.get_mut(at..at + bytes.len()).ok_or(FlashError)?;
        for (cell, byte) in dst.iter_mut().zip(bytes) {
            *cell &= *byte;
        }
        self.store(at, at + bytes.len())
    }
}

/// The storage file named on QEMU's semihosting command line
/// (`-semihosting-config arg=qemu-host,arg=FILE`), if any.
fn storage_path() -> Option<alloc::vec::Vec<u8>> {
    let mut cmdline = [0u8; 256];
    let mut block = [cmdline.as_mut_ptr() as usize, cmdline.len()];
    // SAFETY: SYS_GET_CMDLINE writes at most `block[1]` bytes to `block[0]`
    // and the length it wrote back to `block[1]`.
    // `syscall1`: the operation takes the block's address itself.
    let failed = unsafe { syscall1!(GET_CMDLINE, block.as_mut_ptr()) };
    if failed != 0 {
        return None;
    }
    let line = cmdline.get(..block[1])?;
    let path = line.split(|&b| b == b' ').filter(|w| !w.is_empty()).nth(1)?;
    Some(path.to_vec())
}

/// The install check: every check [`embassy_runner::start`] makes, against
/// the counter's wiring, on a host of its own.
pub struct CounterCheck {
    host: Host<ChannelEnv>,
}

impl Install for CounterCheck {
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError> {
        if image != 0 {
            return Err(SlotError::new(rc::ENOENT, "no such guest slot"));
        }
        embassy_runner::check(&self.host, module, &COUNTER_WIRING)
            .map_err(|error| SlotError::new(rc::ECORRUPT, error.as_str()))
    }
}

/// The health rule: a module on trial that has answered this many messages
/// since it was swapped in, without stopping, is confirmed. At one count a
/// second that is 20 s, longer than any interactive `state-write
/// --confirm` needs.
pub const HEALTHY_AFTER: u32 = 20;

/// Messages the counter answered since its module last changed.
static ANSWERED: AtomicU32 = AtomicU32::new(0);
/// Whether the counter runs the module the slots say it runs: false from
/// the moment a new module is handed over until it was swapped in. The
/// health rule only counts answers of the module on trial itself.
static SWAPPED: AtomicBool = AtomicBool::new(true);
/// Fuel slices a guest may take to reach a safe point before a swap stops
/// it anyway (a spinning guest never gets there): ~0.3 s at 50,000 fuel.
const SAFE_POINT_SLICES: u32 = 1_000;

/// A new module for the counter's slot, from the SMP task.
static NEW_MODULE: Signal<CriticalSectionRawMutex, Vec<u8>> = Signal::new();
/// The counter's module on trial stopped (trap, fuel): roll it back.
static TRIAL_FAILED: Signal<CriticalSectionRawMutex, ()> = Signal::new();

type Slots0 = FlashSlots<'static, HostFileFlash, CounterCheck>;

/// Mounts the slots and returns them with the module the counter runs now
/// (the uploaded one that survived, or the built-in one).
pub fn mount(host_config: wasm_sdk_host::HostConfig) -> (Slots0, Vec<u8>) {
    // Called once: the flash copy and the scratch buffer live as long as
    // the firmware (48 KiB of the 512 KiB heap).
    let path = storage_path();
    let Ok(flash) = HostFileFlash::open(path.as_deref(), 2 * BANK) else {
        crate::fail(format_args!("serve: cannot open the storage file"));
    };
    match &path {
        Some(path) => hprintln!("serve: slots in {}", core::str::from_utf8(path).unwrap_or("?")),
        None => hprintln!("serve: slots in RAM (lost when QEMU stops)"),
    }
    let scratch = alloc::vec![0; BANK].leak();
    let layout = Layout { base: 0, bank_size: BANK as u32, images: 1 };
    let check = CounterCheck { host: Host::new(host_config) };
    let mut slots = match FlashSlots::mount(flash, layout, check, scratch) {
        Ok(slots) => slots,
        Err(error) => crate::fail(format_args!("slots: {}", error.reason)),
    };
    let module = running_module(&mut slots);
    while slots.take_changed().is_some() {}
    (slots, module)
}

/// The module the counter's slot runs: the uploaded one, or the built-in
/// one when there is none.
fn running_module(slots: &mut Slots0) -> Vec<u8> {
    match slots.active_module(0) {
        Ok(Some(module)) => module.to_vec(),
        _ => guests::COUNTER_WASM.to_vec(),
    }
}

/// Serves SMP on UART0 until QEMU is killed.
#[embassy_executor::task]
pub async fn smp_task(slots: Slots0) {
    // SAFETY: UART0 is used by this task only.
    let uart = unsafe { Uart::new(UART0) };
    let mut server: SerialServer<Slots0> = SerialServer::new(slots);
    let mut received = [0u8; 256];
    loop {
        // A failed trial first: no request may confirm it meanwhile.
        if TRIAL_FAILED.signaled() {
            TRIAL_FAILED.reset();
            roll_back(&mut server);
        }
        let mut n = 0;
        while n < received.len() {
            match uart.try_read() {
                Some(byte) => {
                    received[n] = byte;
                    n += 1;
                }
                None => break,
            }
        }
        if n == 0 {
            let slots = server.server_mut().slots_mut();
            if slots.on_trial(0)
                && SWAPPED.load(Ordering::Relaxed)
                && ANSWERED.load(Ordering::Relaxed) >= HEALTHY_AFTER
                && slots.confirm(0).is_ok()
            {
                hprintln!("serve: module confirmed by the health rule ({HEALTHY_AFTER} answers)");
            }
            Timer::after_micros(200).await;
            continue;
        }
        let action = server.receive(&received[..n], |line| uart.write_all(line));
        // One image: any change is the counter's.
        let slots = server.server_mut().slots_mut();
        if slots.take_changed().is_some() {
            hand_over(running_module(slots));
        }
        if action == Action::Reset {
            hprintln!("serve: reset requested");
            // Let the UART send the reply first (the client waits for it).
            Timer::after_millis(50).await;
            cortex_m::peripheral::SCB::sys_reset();
        }
        // A flood must not starve the guest and the other tasks.
        embassy_futures::yield_now().await;
    }
}

/// Hands a module to the counter task; until it is swapped in, the health
/// rule counts nothing.
fn hand_over(module: Vec<u8>) {
    SWAPPED.store(false, Ordering::Relaxed);
    ANSWERED.store(0, Ordering::Relaxed);
    NEW_MODULE.signal(module);
}

fn roll_back(server: &mut SerialServer<Slots0>) {
    let slots = server.server_mut().slots_mut();
    if slots.on_trial(0) && slots.reject(0).is_ok() {
        hprintln!("serve: the module on trial stopped; rolled back");
        while slots.take_changed().is_some() {}
        hand_over(running_module(slots));
    }
}

/// Runs the counter guest, swapping in each new module at a safe point:
/// while it waits for input, never in the middle of a message.
#[embassy_executor::task]
pub async fn counter_task(host: Host<ChannelEnv>, mut guest: Guest<ChannelEnv>) {
    loop {
        match select(drive(&mut guest), NEW_MODULE.wait()).await {
            Either::First(step) => {
                report(&step);
                TRIAL_FAILED.signal(());
                // Stopped for good: wait for the next module.
                let module = NEW_MODULE.wait().await;
                install(&host, &mut guest, &module);
            }
            Either::Second(module) => {
                // Finish the message in progress before the swap.
                match run_to_safe_point(&mut guest, SAFE_POINT_SLICES).await {
                    SafePoint::Waiting => {}
                    SafePoint::Stopped(step) => report(&step),
                    SafePoint::Busy => hprintln!("serve: counter busy; swapped mid-message"),
                }
                install(&host, &mut guest, &module);
            }
        }
    }
}

fn install(host: &Host<ChannelEnv>, guest: &mut Guest<ChannelEnv>, module: &[u8]) {
    match swap(host, guest, module, &COUNTER_WIRING) {
        Ok(()) => {
            ANSWERED.store(0, Ordering::Relaxed);
            SWAPPED.store(true, Ordering::Relaxed);
            hprintln!("serve: counter now runs a {} B module", module.len());
        }
        Err(error) => {
            // The install check makes this rare; if a module on trial
            // cannot start, the trial fails and the previous module comes
            // back.
            hprintln!("serve: swap refused: {}", error.as_str());
            TRIAL_FAILED.signal(());
        }
    }
}

fn report(step: &Step) {
    match step {
        Step::Trapped(trap) => hprintln!("serve: counter trapped: {}", trap.message()),
        other => hprintln!("serve: counter stopped: {}", other.as_str()),
    }
}

/// Prints every count the counter answers.
#[embassy_executor::task]
pub async fn echo_task() {
    loop {
        let message = guests::COUNTER_OUT.receive().await;
        ANSWERED.fetch_add(1, Ordering::Relaxed);
        let count = wasm_sdk::from_payload::<module_examples_common::Counter>(&message);
        match count {
            Ok(counter) => hprintln!("counter: {}", counter.count),
            Err(_) => hprintln!("counter: {} undecodable bytes", message.len()),
        }
    }
}
