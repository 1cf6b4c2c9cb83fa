//! The reference wasm-sdk firmware on QEMU's `mps2-an505` (Cortex-M33):
//! the `counter` guest as an embassy task, updated over the air by the
//! standard SMP tools. `./serve` builds it and runs it under QEMU until
//! killed, with the SMP server on a host pty.
//!
//! What it shows an integrator, in the order `main` does it:
//!
//! 1. the board ([`qemu_host::init`]: the heap, the time driver);
//! 2. the [`HostConfig`] of every guest ([`qemu_host::config`], which the
//!    build script also writes as the device's profile);
//! 3. the slots mounted ([`serve::mount`]): the confirmed module of image 0,
//!    or the built-in counter;
//! 4. the guest started with [`wasm_sdk_embassy::start`], which matches the
//!    ports of its manifest with the channels of [`guests`] by name;
//! 5. three tasks: the counter under the update path's health rule, the SMP
//!    server, and a printer of the counter's answers ([`serve`]);
//! 6. a service feeding the counter a count every tick.
//!
//! The board (time driver, heap, semihosting output, fault handlers) is
//! this crate's library, shared with the CI check rig
//! (`tests/qemu-checks`).

#![no_std]
#![no_main]

extern crate alloc;

mod catalog;
mod serve;
mod services;
mod uart;

use cortex_m_rt::exception;
use cortex_m_semihosting::hprintln;
use embassy_executor::Spawner;
use embassy_time::Timer;
use qemu_host::guests::{self, SINK};
use qemu_host::{fail, unwrap_spawn, vouched};
use wasm_sdk_embassy::ChannelEnv;
use wasm_sdk_host::Host;

/// The counter guest with the SMP server on UART0, a count fed to it every
/// [`serve::TICK_MS`] (a second by default); runs until QEMU is killed.
#[embassy_executor::main]
async fn main(spawner: Spawner) {
    qemu_host::init();
    let config = qemu_host::config::host_config();
    let (slots, module, catalog) = serve::mount(config.clone());
    let host = Host::<ChannelEnv>::new(config);
    // An uploaded module that no longer starts (a changed host) must not
    // keep the device from serving: run the built-in one this time.
    let start = |wasm: &[u8]| {
        wasm_sdk_embassy::start(&host, "counter", vouched(wasm), &guests::COUNTER_WIRING, &SINK)
    };
    let (guest, module) = match start(&module) {
        Ok(guest) => (guest, module),
        Err(error) => {
            hprintln!("serve: the slot's module does not start ({}); built-in one", error.as_str());
            let builtin = guests::COUNTER_WASM.to_vec();
            match start(&builtin) {
                Ok(guest) => (guest, builtin),
                Err(error) => fail(format_args!("starting the built-in counter: {error}")),
            }
        }
    };
    if serve::measure_requested() {
        serve::measure_update(&spawner, host, guest, slots).await;
    }
    hprintln!("serve: counter runs a {} B module; SMP on UART0", module.len());
    // The catalog's slots: the confirmed module of each, started on the
    // bus, or empty. A module that no longer starts leaves its slot empty
    // until the next upload.
    let shared: &'static Host<ChannelEnv> =
        alloc::boxed::Box::leak(alloc::boxed::Box::new(Host::new(host.config().clone())));
    for (managed, module) in services::SLOTS.iter().zip(catalog) {
        let guest = module.and_then(|module| match managed.boot(shared, vouched(&module)) {
            Ok(guest) => {
                hprintln!("serve: {} runs a {} B module", managed.name(), module.len());
                Some(guest)
            }
            Err(error) => {
                hprintln!(
                    "serve: {}: the slot's module does not start ({})",
                    managed.name(),
                    error.as_str()
                );
                None
            }
        });
        spawner.spawn(unwrap_spawn(services::slot_task(shared, managed, guest)));
    }
    spawner.spawn(unwrap_spawn(services::sensor_task()));
    spawner.spawn(unwrap_spawn(services::alarm_task()));
    // Admission counts what runs from boot on, the counter included.
    serve::COUNTER.charge_for(&host, &module);
    spawner.spawn(unwrap_spawn(serve::counter_task(host, guest)));
    spawner.spawn(unwrap_spawn(serve::smp_task(slots)));
    spawner.spawn(unwrap_spawn(serve::echo_task()));
    let mut count = 0u32;
    loop {
        Timer::after_millis(serve::TICK_MS).await;
        let message =
            module_examples_common::to_message(&module_examples_common::Counter { count });
        if let Ok(message) = message {
            guests::COUNTER_IN.send(message).await;
        }
        count = count.wrapping_add(1);
    }
}

#[exception]
unsafe fn DefaultHandler(irq: i16) {
    fail(format_args!("unexpected exception {irq}"))
}
