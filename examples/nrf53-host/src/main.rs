//! Reference firmware: wasm-sdk guests on embassy, nRF5340 application core.
//!
//! Three Wasm guests run at once on one embassy executor, each in its own
//! task driven by [`wasm_sdk_embassy::drive`]: when a guest blocks in
//! `receive`, its task awaits the input's channel (no CPU, no thread, no WFI
//! task); when it uses its fuel slice, its task yields so timers,
//! peripherals and the other guests keep their timing.
//!
//! | guest | inputs | outputs | fed by | consumed by |
//! |---|---|---|---|---|
//! | `counter` | `wasm_input` | `wasm_data` | Button 1, UART `c N` | UART (`count N`) |
//! | `alarm` | `reading`, `thresholds` | `alarm`, `average` | temperature ticker, UART `t HIGH LOW` | LED 1, UART |
//! | `primes` | `limit` | `count` | a job at boot, UART `p N` | UART (`primes N`) |
//!
//! - **Temperature ticker** (`embassy_time::Ticker`, 500 ms): a synthetic
//!   ramp between 25.0 and 32.0 °C, so the alarm (high 30.0, low 28.0 °C)
//!   raises and clears every few seconds. It also logs how late its ticks
//!   were: the cost of sharing the CPU with a guest that computes.
//! - **Button 1** (P0.23, falling edge): sends the last count to `counter`,
//!   which answers with count + 1.
//! - **UART** (UARTE0 on P0.20 TX / P0.22 RX, the DK's app-core console
//!   pins as in Zephyr's `nrf5340dk` board file; 115200 8N1, no flow control):
//!   one command per line, `c N` (count), `p N` (count primes below N),
//!   `t HIGH LOW` (alarm thresholds in tenths of °C); every guest output is
//!   printed as a line.
//! - **LED 1** (P0.28, active low): on while the alarm is raised.
//! - **Logs**: guest logs and error reports go to defmt (RTT), mapped to
//!   the same level.
//! - **SMP** (UARTE1 on P1.01 TX / P1.00 RX, 115200 8N1, no flow control;
//!   [`smp`]): the MCUmgr server of the QEMU firmware's serve mode, for
//!   module updates with the standard tools. The pins are those of
//!   Zephyr's `uart1` on the `nrf5340dk` (the DK's second virtual COM
//!   port, the one its network-core console uses); any USB-serial adapter
//!   on P1.01/P1.00 works too. Guest slot (SMP image) 0 is `counter`.
//!
//! At boot `primes` gets a large limit, a computation of several seconds
//! that runs in fuel slices between everything else.
//!
//! # Build and flash
//!
//! ```text
//! cd examples/nrf53-host
//! cargo build --release            # builds the guests to wasm first (build.rs)
//! cargo run --release              # flash + defmt log: probe-rs run --chip nRF5340_xxAA
//! ./size.sh                        # flash / RAM figures and the wasm runtime's share
//! ```
//!
//! `cargo run` needs [probe-rs](https://probe.rs) and an nRF5340 DK on USB
//! (its on-board J-Link). A DK whose app core has APPROTECT enabled needs
//! `probe-rs erase --chip nRF5340_xxAA --allow-erase-all` once. Open the
//! DK's serial port wired to P0.20/P0.22 (usually the first one, e.g.
//! `/dev/ttyACM0`) at 115200 baud to type commands and see the guests'
//! outputs.
//!
//! Use `--release`: a debug build takes most of the 1 MiB flash.
//!
//! # Module updates over SMP
//!
//! The J-Link exposes two serial ports: the console (P0.20/P0.22) and the
//! SMP port (P1.01/P1.00); on Linux usually `/dev/ttyACM0` and
//! `/dev/ttyACM1` (`ls -l /dev/serial/by-id/` shows which is which: the
//! higher interface number is the second VCOM). Uploads are raw `.wasm`
//! files (`--format any`), checked before they count: wasmi's validation,
//! the ABI, the limits, instantiation and the counter's ports.
//!
//! ```text
//! cargo build --release -p counter --target wasm32-unknown-unknown   # at the repository root
//! smpmgr --port /dev/ttyACM1 image upload target/wasm32-unknown-unknown/release/counter.wasm --slot 0 --format any
//! smpmgr --port /dev/ttyACM1 image state-read
//! smpmgr --port /dev/ttyACM1 image state-write --confirm
//! smpmgr --port /dev/ttyACM1 os reset
//! # or, with the project's own client (mcumgr-toolkit), confirming at once:
//! cargo run -p wasm-sdk-cli -- deploy target/wasm32-unknown-unknown/release/counter.wasm --port /dev/ttyACM1 --slot 0 --confirm
//! ```
//!
//! SMP is the `update` feature (`cargo build --release --features update`): with
//! validation on, it does not fit the 400 KiB budget (below); with trusted
//! loading and a key (`--no-default-features --features update`,
//! `WASM_SDK_PUBLIC_KEY`) it does. An upload
//! goes to the bank that is not running, is swapped in live at a safe
//! point (`wasm_sdk_embassy::update`, as on QEMU) and runs on trial until
//! confirmed, by `state-write --confirm` or the health rule (20 messages
//! answered); one that fails its trial (stops, answers wrongly or not at
//! all, misses its deadline), or is still on trial at a reset, is rolled
//! back. `wasm-sdk guests --port /dev/ttyACM1
//! list` (and `stop`, `start`, `send`, `outputs`) manages the counter.
//! Built with `WASM_SDK_PUBLIC_KEY=/abs/path/wasm.pub` (`wasm-sdk
//! keygen`), it refuses modules not signed with that key (`wasm-sdk
//! deploy --sign wasm.sec`); the verifier adds flash (SHA-256 is shared with
//! the server; the book's figures page, "Firmware flash"). `image erase` drops the
//! spare bank (the counter's running module cannot be erased: it has a
//! built-in one); `probe-rs erase` wipes the slots (flashing a firmware keeps
//! them).
//!
//! # Flash layout
//!
//! | range | what |
//! |---|---|
//! | `0x0000_0000..0x0007_8000` (480 KiB) | firmware (`FLASH` in `memory.x`): vector table, code, read-only data |
//! | `0x0007_8000..0x0010_0000` (544 KiB) | `SLOTS`: guest slots 0 to 3, two 68 KiB banks each (64-byte header + module of up to 64 KiB) |
//!
//! # Memory
//!
//! The guests are built with `WASM_SDK_MEMORY=tight` (1-byte Wasm pages), so
//! each has only its stack and data as linear memory.
//! Engine, compiled code, linear memories, call stacks and messages live on
//! a [`HEAP_SIZE`] heap in `.bss`; the firmware logs how much of it is used
//! once the guests are loaded, and again with each ticker report.
//!
//! Flash is measured by `size.sh` (opt-level "z", fat LTO, `--icf=all`),
//! which writes `figures/nrf53-flash.toml`; the figures are in the book's
//! figures page ("Firmware flash"): the default build with wasmi's module
//! validation on, the firmware without Wasm (embassy, drivers, defmt,
//! services), `--features update` (over the budget: live updates add the
//! SMP server, CBOR, SHA-256, slots, the update path and guest group,
//! UARTE1, NVMC), and without on-device validation
//! (`--no-default-features`, trusted loading: `build.rs` validates and
//! stamps the built-in guests, uploads must be signed by
//! `wasm-sdk sign`, which validates and stamps them), alone and with live
//! updates and the signature check. What keeps it there (each measured in
//! "Flash levers"): wasmi's `portable-dispatch` + `indirect-dispatch`, a
//! panic handler that reads nothing from its `PanicInfo` (see
//! [`panic()`]), host error texts that skip wasmi's `Display` impls, no
//! `core::fmt` in the firmware's own logging and printing (defmt and
//! [`text::Line`]), sha2's compact backend (see `.cargo/config.toml`),
//! identical code folding (`build.rs`).
//! Feature `no-wasm` (native stand-ins for the guests) is a size baseline
//! only (see `size.sh`).
//!
//! The SMP server's RAM is static (`.bss`, by `size.sh`): the
//! module scratch of the slots (`config::MAX_MODULE_SIZE`), and the SMP task's future (the
//! 384-byte frame buffer and 128-byte line buffer of the decoder, the
//! 768-byte response and its 772-byte framing scratch, the slots' bank
//! table, a 1,088-byte buffer for the response lines); its UART rings
//! (256 + 128 B), the output tap (4 messages) and the install check's
//! trial instance are on the heap.

#![no_std]
#![no_main]

extern crate alloc;

mod channels;
mod services;
mod text;

#[cfg(feature = "update")]
mod catalog;
#[cfg(not(feature = "no-wasm"))]
mod config;
#[cfg(not(feature = "no-wasm"))]
mod guests;
#[cfg(feature = "no-wasm")]
mod native;
#[cfg(feature = "update")]
mod slots;
#[cfg(feature = "update")]
mod smp;

#[cfg(all(feature = "update", feature = "no-wasm"))]
compile_error!("`smp` updates Wasm guests: it cannot be built with `no-wasm`");

use alloc::boxed::Box;
use alloc::vec;

use defmt::{info, unwrap};
use defmt_rtt as _;
use embassy_executor::Spawner;
use embassy_nrf::buffered_uarte::{self, BufferedUarte};
use embassy_nrf::gpio::{Input, Level, Output, OutputDrive, Pull};
use embassy_nrf::{bind_interrupts, peripherals, uarte};
use wasm_sdk_embassy::heap::LlffHeap;

/// Heap for wasmi (engine, compiled functions, guest stores, linear
/// memories and call stacks), guest messages and the UART buffers.
///
/// The same three guests on the same `HostConfig`, measured on x86-64
/// (64-bit pointers, so an upper bound for this 32-bit target; loading is
/// the peak, validation temporaries included; the book's figures page,
/// "Heap and RAM per guest"), fit with room to spare.
/// The firmware logs the real figure after loading. On top, an upload's
/// install check: the module's load (`config::MODULE_HEAP` at most, which
/// the host checks before the engine sees the module) and its linear
/// memory (`config::MEMORY_BUDGET`).
///
/// With `update`, the catalog's slots 1 to 3 take their guests from it too,
/// up to what admission control allows (`smp::guest_ram`).
#[cfg(not(feature = "update"))]
pub const HEAP_SIZE: usize = 192 * 1024;
/// See above.
#[cfg(feature = "update")]
pub const HEAP_SIZE: usize = 320 * 1024;

// The global allocator, first fit over a `HEAP_SIZE` arena in `.bss`:
// `alloc` is how `wasm-sdk-host` and wasmi get memory in `no_std`.
wasm_sdk_embassy::global_heap!(static HEAP: LlffHeap, HEAP_SIZE);

/// Bytes of the UART's receive ring (split in two DMA halves).
const UART_RX_BUFFER: usize = 64;
/// Bytes of the UART's transmit ring: a burst of output lines.
const UART_TX_BUFFER: usize = 512;

bind_interrupts!(struct Irqs {
    SERIAL0 => buffered_uarte::InterruptHandler<peripherals::SERIAL0>;
    SERIAL1 => buffered_uarte::InterruptHandler<peripherals::SERIAL1>;
    SAADC => embassy_nrf::saadc::InterruptHandler;
});

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    HEAP.init();

    // Internal RC oscillators (embassy's defaults) work on any board; the
    // DK's crystals would only improve clock accuracy.
    let p = embassy_nrf::init(embassy_nrf::config::Config::default());
    info!("nrf53-host: booting");

    // Buffered UART: DMA into a ring from the interrupt handler, so bytes
    // typed while a guest holds the CPU for a fuel slice are not lost, and
    // printing never waits for the wire. TIMER0 counts received bytes;
    // two DPPI channels and a group re-arm the DMA.
    // Default config: 115200 baud, no parity (the DK's VCOM settings).
    let config = uarte::Config::default();
    let rx_buffer = Box::leak(vec![0u8; UART_RX_BUFFER].into_boxed_slice());
    let tx_buffer = Box::leak(vec![0u8; UART_TX_BUFFER].into_boxed_slice());
    let uart = BufferedUarte::new(
        p.SERIAL0,
        p.TIMER0,
        p.PPI_CH0,
        p.PPI_CH1,
        p.PPI_GROUP0,
        p.P0_22,
        p.P0_20,
        Irqs,
        config,
        rx_buffer,
        tx_buffer,
    );
    let (uart_rx, uart_tx) = uart.split();

    // nRF5340 DK: LED 1 and Button 1 are active low; the button needs the
    // internal pull-up.
    let led = Output::new(p.P0_28, Level::High, OutputDrive::Standard);
    let button = Input::new(p.P0_23, Pull::Up);

    // SMP on UARTE1, P1.01 TX / P1.00 RX: the pins of Zephyr's `uart1` on
    // the `nrf5340dk` (the DK's second VCOM). Its own TIMER1, PPI channels
    // and group, like the console's. The slots are mounted before the
    // guests start, so the counter starts the confirmed uploaded module.
    #[cfg(not(feature = "no-wasm"))]
    let host = guests::host();
    #[cfg(feature = "update")]
    let mut slots = smp::mount(p.NVMC, host);
    // The confirmed module of each catalog slot (`None`: empty).
    #[cfg(feature = "update")]
    let catalog_modules =
        slots::SLOTS.map(|managed| slots.as_mut().and_then(|slots| managed.module(slots)));
    #[cfg(feature = "update")]
    let uploaded_counter = match slots.as_mut().map(|slots| slots.active_module(0)) {
        Some(Ok(module)) => module,
        Some(Err(error)) => {
            defmt::error!("slots: {=str}", error.reason);
            None
        }
        None => None,
    };
    #[cfg(all(not(feature = "update"), not(feature = "no-wasm")))]
    let uploaded_counter = None;

    #[cfg(not(feature = "no-wasm"))]
    guests::spawn_all(spawner, host, uploaded_counter);
    #[cfg(feature = "no-wasm")]
    native::spawn_all(spawner);
    info!("heap: {=usize} of {=usize} bytes used", heap_used(), HEAP_SIZE);

    services::start_console(uart_tx);
    spawner.spawn(unwrap!(services::outputs(led)));
    spawner.spawn(unwrap!(services::commands(uart_rx)));
    spawner.spawn(unwrap!(services::button(button)));
    spawner.spawn(unwrap!(services::temperature()));
    services::start_primes_job();

    #[cfg(feature = "update")]
    {
        for (managed, module) in slots::SLOTS.iter().zip(catalog_modules) {
            let guest = module.and_then(|module| {
                // SAFETY: without `validate`, a module the slots hold passed
                // the install check's signature verification when uploaded.
                let wasm = unsafe { wasm_sdk_embassy::Wasm::vouched(&module) };
                match managed.boot(host, wasm) {
                    Ok(guest) => {
                        info!("{=str} runs a {=usize} B module", managed.name(), module.len());
                        Some(guest)
                    }
                    Err(error) => {
                        defmt::error!(
                            "{=str}: the slot's module does not start: {=str}",
                            managed.name(),
                            error.as_str()
                        );
                        None
                    }
                }
            });
            spawner.spawn(unwrap!(slots::slot_task(host, managed, guest)));
        }
        // nRF5340 DK: LEDs 2 to 4 active low, Buttons 2 to 4 with pull-ups.
        let led = |pin: embassy_nrf::Peri<'static, embassy_nrf::gpio::AnyPin>| {
            Output::new(pin, Level::High, OutputDrive::Standard)
        };
        spawner.spawn(unwrap!(slots::alarm_task(led(p.P0_29.into()))));
        spawner.spawn(unwrap!(slots::leds_task([led(p.P0_30.into()), led(p.P0_31.into())])));
        let buttons = [
            Input::new(p.P0_24, Pull::Up),
            Input::new(p.P0_08, Pull::Up),
            Input::new(p.P0_09, Pull::Up),
        ];
        spawner.spawn(unwrap!(slots::buttons_task(buttons)));
        let vdd = embassy_nrf::saadc::ChannelConfig::single_ended(embassy_nrf::saadc::VddInput);
        let saadc = embassy_nrf::saadc::Saadc::new(p.SAADC, Irqs, Default::default(), [vdd]);
        spawner.spawn(unwrap!(slots::supply_task(saadc)));
    }

    #[cfg(feature = "update")]
    if let Some(slots) = slots {
        let rx_buffer = Box::leak(vec![0u8; smp::RX_BUFFER].into_boxed_slice());
        let tx_buffer = Box::leak(vec![0u8; smp::TX_BUFFER].into_boxed_slice());
        let smp_uart = BufferedUarte::new(
            p.SERIAL1,
            p.TIMER1,
            p.PPI_CH2,
            p.PPI_CH3,
            p.PPI_GROUP1,
            p.P1_00,
            p.P1_01,
            Irqs,
            uarte::Config::default(),
            rx_buffer,
            tx_buffer,
        );
        let (smp_rx, smp_tx) = smp_uart.split();
        spawner.spawn(unwrap!(smp::smp_task(slots, smp::SmpUart { rx: smp_rx, tx: smp_tx })));
    }
}

/// Bytes of the heap in use now.
pub fn heap_used() -> usize {
    HEAP.live()
}

/// Bytes of the heap free now.
#[cfg(feature = "update")]
pub fn heap_free() -> usize {
    HEAP.free()
}

/// Logs `panic` and stops in a HardFault (`udf`); probe-rs then prints the
/// backtrace, which names the panic site from the ELF's debug info.
///
/// It reads nothing from `info` on purpose. Once the handler uses even the
/// location, every panic site in wasmi and wasmparser keeps its `Location`,
/// file name and message arguments: about a quarter of the firmware's
/// flash (the book's figures page, "Flash levers"). Formatting
/// the message as well (panic-probe's `print-defmt`) costs more still.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    defmt::error!("panic");
    cortex_m::asm::udf()
}
