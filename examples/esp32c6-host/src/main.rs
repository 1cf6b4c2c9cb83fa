//! Reference firmware: wasm-sdk guests on embassy, ESP32-C6 (RV32IMAC).
//!
//! The second microcontroller family beside `examples/nrf53-host`: the same
//! guests (`counter`, `primes`), the same host configuration, the same
//! bridge ([`wasm_sdk_embassy::start`] and [`wasm_sdk_embassy::drive`]) and the
//! same channels wiring, on esp-hal with esp-rtos' embassy executor and time
//! driver. Each guest runs in its own embassy task: when it blocks in
//! `receive`, its task awaits the input's channel; when it uses its fuel
//! slice, its task yields so the timer and the other guest keep their
//! timing.
//!
//! | guest | inputs | outputs | fed by | consumed by |
//! |---|---|---|---|---|
//! | `counter` | `wasm_input` | `wasm_data` | a 1 s ticker (the last count) | console (`count N`) |
//! | `primes` | `limit` | `count` | a job at boot | console (`primes N`) |
//!
//! Everything is printed as text lines on the console: USB-serial-JTAG
//! (the ESP32-C6-DevKitC-1's port marked USB), or UART0 (GPIO16 TX /
//! GPIO17 RX, 115200 8N1: its port marked UART, a USB-UART bridge);
//! esp-println picks USB-serial-JTAG once a host has talked to it.
//!
//! Why the C6 and not the ESP32-C3: wasmi keeps modules and function types
//! in `alloc::sync::Arc`, which Rust's `alloc` provides only on targets with
//! atomic compare-and-swap. The C3 is RV32IMC, its target
//! `riscv32imc-unknown-none-elf` has no atomics at all (so no `Arc` on
//! stable Rust), and esp-hal 1.x refuses any other target for the C3. The C6
//! is the same family with the 'a' extension.
//!
//! # Build and flash
//!
//! ```text
//! cd examples/esp32c6-host
//! cargo build --release            # builds the guests to wasm first (build.rs)
//! cargo run --release              # espflash flash --monitor (`cargo install espflash`)
//! ./size.sh                        # flash / RAM figures and the wasm runtime's share
//! ```
//!
//! # Memory
//!
//! The guests are built with `WASM_SDK_MEMORY=tight` (1-byte Wasm pages).
//! Engine, compiled code, linear memories, call stacks and messages live on
//! a [`HEAP_SIZE`] heap in `.bss`; the firmware prints how much of it is
//! used once the guests are loaded, and again with each ticker report.
//! Feature `no-wasm` (native stand-ins for the guests) is a size baseline
//! only (see `size.sh`).

#![no_std]
#![no_main]

extern crate alloc;

mod channels;
mod console;
mod services;

#[cfg(not(feature = "no-wasm"))]
mod guests;
#[cfg(feature = "no-wasm")]
mod native;

use embassy_executor::Spawner;
use esp_hal::clock::CpuClock;
use esp_hal::timer::timg::TimerGroup;
use wasm_sdk_embassy::heap::LlffHeap;

use crate::console::{Line, print, say};

// The application descriptor the ESP-IDF second-stage bootloader reads
// (and espflash checks) at the start of the image.
esp_bootloader_esp_idf::esp_app_desc!();

/// Heap for wasmi (engine, compiled functions, guest stores, linear
/// memories and call stacks), guest messages and console lines in flight.
///
/// nrf53-host's size. Its three guests on the same `HostConfig`, measured
/// on x86-64 (64-bit pointers, an upper bound for this 32-bit target; the
/// book's figures page), fit in it; these two need less. The C6 has 512 KiB of
/// SRAM, of which esp-hal's linker script gives the application 441.5 KiB
/// for code run from RAM, `.data`, `.bss` and the stack (32 KiB are the
/// flash cache, the top is the second-stage bootloader's while it runs);
/// 128 KiB leaves more than two thirds of that to the stack and statics.
/// The firmware prints the real figure after loading.
pub const HEAP_SIZE: usize = 128 * 1024;

// The global allocator, first fit over a `HEAP_SIZE` arena in `.bss`:
// `alloc` is how `wasm-sdk-host` and wasmi get memory in `no_std`.
wasm_sdk_embassy::global_heap!(static HEAP: LlffHeap, HEAP_SIZE);

#[esp_rtos::main]
async fn main(spawner: Spawner) {
    // 160 MHz: wasmi interprets, so the guests' speed is the CPU's.
    let p = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    HEAP.init();
    // embassy's time driver on TIMG0's timer; the scheduler's software
    // interrupt.
    let timg0 = TimerGroup::new(p.TIMG0);
    esp_rtos::start(timg0.timer0, p.FROM_CPU_INTR0);
    say(&["esp32c6-host: booting"]);

    #[cfg(not(feature = "no-wasm"))]
    guests::spawn_all(spawner);
    #[cfg(feature = "no-wasm")]
    native::spawn_all(spawner);
    let mut line = Line::new();
    line.push_str("heap: ")
        .push_usize(heap_used())
        .push_str(" of ")
        .push_usize(HEAP_SIZE)
        .push_str(" bytes used");
    print(&line);

    match (services::outputs(), services::counter_ticker()) {
        (Ok(outputs), Ok(ticker)) => {
            spawner.spawn(outputs);
            spawner.spawn(ticker);
        }
        _ => say(&["services: no task slot"]),
    }
    services::start_primes_job();
}

/// Bytes of the heap in use now.
pub fn heap_used() -> usize {
    HEAP.live()
}

/// Prints `panic` and halts. Like nrf53-host's, it reads nothing from
/// `info`, to keep every panic site's location and message out of flash
/// (the book's "Firmware size" page). A debugger (the C6's built-in
/// USB-JTAG, `probe-rs` or OpenOCD) shows where it stopped.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    esp_println::Printer::write_bytes(b"panic\r\n");
    loop {
        core::hint::spin_loop();
    }
}
