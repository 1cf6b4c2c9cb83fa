//! Serve mode (`--features serve`): the counter guest runs until QEMU is
//! killed, and an SMP server on UART0 updates it with the standard tools.
//!
//! - [`smp_task`] polls the UART, feeds [`wasm_sdk_smp::SerialServer`] and
//!   writes its response lines back. Its slots are a
//!   [`FlashSlots`](wasm_sdk_smp::flash::FlashSlots) on [`RamFlash`]; an
//!   upload passes [`embassy_runner::check`] (the host's load checks, the
//!   counter's wiring) before anything stops.
//! - When the running module of the counter's slot (image 0) changes, the
//!   SMP task hands the module to [`counter_task`], which swaps it in on
//!   the same pipes ([`embassy_runner::swap`]) while the guest waits.
//! - A guest on trial that traps or runs out of fuel is rejected: the
//!   previous module comes back.
//! - [`echo_task`] answers each count on the counter's output on the
//!   console, so a user sees what the guest does.

use alloc::vec::Vec;

use cortex_m_semihosting::hprintln;
use embassy_futures::select::{Either, select};
use embassy_runner::{ChannelEnv, drive, swap};
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

/// The flash of the slots: RAM with NOR rules (erase to 0xff, writes clear
/// bits), two banks for the counter's slot.
pub struct RamFlash {
    bytes: &'static mut [u8],
}

/// A flash access outside the flash.
#[derive(Debug)]
pub struct OutOfBounds;

impl NorFlashError for OutOfBounds {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::OutOfBounds
    }
}

impl ErrorType for RamFlash {
    type Error = OutOfBounds;
}

impl ReadNorFlash for RamFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), OutOfBounds> {
        let at = offset as usize;
        let src = self.bytes.get(at..at + bytes.len()).ok_or(OutOfBounds)?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl NorFlash for RamFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = PAGE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), OutOfBounds> {
        self.bytes.get_mut(from as usize..to as usize).ok_or(OutOfBounds)?.fill(0xff);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), OutOfBounds> {
        let at = offset as usize;
        let dst = self.bytes.get_mut(at..at + bytes.len()).ok_or(OutOfBounds)?;
        for (cell, byte) in dst.iter_mut().zip(bytes) {
            *cell &= *byte;
        }
        Ok(())
    }
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

/// A new module for the counter's slot, from the SMP task.
static NEW_MODULE: Signal<CriticalSectionRawMutex, Vec<u8>> = Signal::new();
/// The counter's module on trial stopped (trap, fuel): roll it back.
static TRIAL_FAILED: Signal<CriticalSectionRawMutex, ()> = Signal::new();

type Slots0 = FlashSlots<'static, RamFlash, CounterCheck>;

/// Mounts the slots and returns them with the module the counter runs now
/// (the uploaded one that survived, or the built-in one).
pub fn mount(host_config: wasm_sdk_host::HostConfig) -> (Slots0, Vec<u8>) {
    // Called once: the flash and the scratch buffer live as long as the
    // firmware (48 KiB of the 512 KiB heap).
    let flash = alloc::vec![0xff; 2 * BANK].leak();
    let scratch = alloc::vec![0; BANK].leak();
    let layout = Layout { base: 0, bank_size: BANK as u32, images: 1 };
    let check = CounterCheck { host: Host::new(host_config) };
    let mut slots = match FlashSlots::mount(RamFlash { bytes: flash }, layout, check, scratch) {
        Ok(slots) => slots,
        Err(error) => crate::fail(format_args!("slots: {}", error.reason)),
    };
    let module = match slots.active_module(0) {
        Ok(Some(module)) => module.to_vec(),
        _ => guests::COUNTER_WASM.to_vec(),
    };
    while slots.take_changed().is_some() {}
    (slots, module)
}

/// Serves SMP on UART0 until QEMU is killed.
#[embassy_executor::task]
pub async fn smp_task(slots: Slots0) {
    // SAFETY: UART0 is used by this task only.
    let uart = unsafe { Uart::new(UART0) };
    let mut server: SerialServer<Slots0> = SerialServer::new(slots);
    let mut received = [0u8; 256];
    loop {
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
            if TRIAL_FAILED.signaled() {
                TRIAL_FAILED.reset();
                roll_back(&mut server);
            }
            Timer::after_micros(200).await;
            continue;
        }
        let action = server.receive(&received[..n], |line| uart.write_all(line));
        while let Some(image) = server.server_mut().slots_mut().take_changed() {
            let slots = server.server_mut().slots_mut();
            match slots.active_module(image) {
                Ok(Some(module)) => NEW_MODULE.signal(module.to_vec()),
                _ => NEW_MODULE.signal(guests::COUNTER_WASM.to_vec()),
            }
        }
        if action == Action::Reset {
            hprintln!("serve: reset requested");
            cortex_m::peripheral::SCB::sys_reset();
        }
    }
}

fn roll_back(server: &mut SerialServer<Slots0>) {
    let slots = server.server_mut().slots_mut();
    if slots.on_trial(0) && slots.reject(0).is_ok() {
        hprintln!("serve: the module on trial stopped; rolled back");
        let module = match slots.active_module(0) {
            Ok(Some(module)) => module.to_vec(),
            _ => guests::COUNTER_WASM.to_vec(),
        };
        while slots.take_changed().is_some() {}
        NEW_MODULE.signal(module);
    }
}

/// Runs the counter guest, swapping in each new module while it waits.
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
            Either::Second(module) => install(&host, &mut guest, &module),
        }
    }
}

fn install(host: &Host<ChannelEnv>, guest: &mut Guest<ChannelEnv>, module: &[u8]) {
    match swap(host, guest, module, &COUNTER_WIRING) {
        Ok(()) => hprintln!("serve: counter now runs a {} B module", module.len()),
        Err(error) => hprintln!("serve: swap refused: {}", error.as_str()),
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
        let count = wasm_sdk::from_payload::<module_examples_common::Counter>(&message);
        match count {
            Ok(counter) => hprintln!("counter: {}", counter.count),
            Err(_) => hprintln!("counter: {} undecodable bytes", message.len()),
        }
    }
}
