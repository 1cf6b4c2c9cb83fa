//! The QEMU board under the reference firmware (`mps2-an505`, Cortex-M33),
//! shared by its serve mode (`src/main.rs`) and the CI check rig
//! (`tests/qemu-checks`): the time driver, the heap, the built-in counter
//! guest, console output through semihosting, and the fault handlers.
//!
//! Output goes through semihosting; a fault or panic prints its reason and
//! exits QEMU with failure.

#![no_std]

extern crate alloc;

pub mod clock;
pub mod config;
pub mod guests;
pub mod memory;

use core::fmt;

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::{SpawnError, SpawnToken};
use wasm_sdk_embassy::Wasm;

pub use config::FUEL_PER_SLICE;

#[cfg(not(any(feature = "validate", feature = "update")))]
compile_error!(
    "without `validate` (trusted loading) this firmware runs serve mode only: add `--features update`"
);

/// A module this firmware loads, as `wasm_sdk_embassy::start` takes it.
///
/// With validation on (every build that runs the checks) the host
/// validates it. Without (`./serve --trusted`), only serve mode runs:
/// `serve_forever` never returns, and its modules are the built-in
/// counter, stamped by `build.rs`, and uploads whose signature the install
/// check verified.
pub fn vouched(wasm: &[u8]) -> Wasm<'_> {
    // SAFETY: as above; `Wasm::vouched` needs nothing with validation on.
    unsafe { Wasm::vouched(wasm) }
}

/// `value / scale` with two decimals.
pub struct Fixed(pub u64, pub u64);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(value, scale) = *self;
        let hundredths = value * 100 / scale.max(1);
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// SysTick cycles as milliseconds of emulated time, two decimals.
pub struct Ms(pub u64);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Fixed(self.0, clock::SYSTICK_HZ / 1_000).fmt(f)
    }
}

/// SysTick cycles as whole microseconds of emulated time.
pub struct Us(pub u64);

impl fmt::Display for Us {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0 / (clock::SYSTICK_HZ / 1_000_000))
    }
}

/// `part / whole` in percent, two decimals.
pub struct Percent(pub u64, pub u64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Fixed(self.0 * 100, self.1).fmt(f)
    }
}

/// Brings the board up, first thing in `main`: the heap, then the time
/// driver on SysTick.
pub fn init() {
    memory::HEAP.init();
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        fail(format_args!("core peripherals already taken"));
    };
    clock::init(peripherals.SYST);
}

/// The spawn token, or the end of the run (a task's pool is full).
pub fn unwrap_spawn<S>(token: Result<SpawnToken<S>, SpawnError>) -> SpawnToken<S> {
    token.unwrap_or_else(|error| fail(format_args!("spawn: {error:?}")))
}

/// Prints `message` and exits QEMU with failure.
pub fn fail(message: fmt::Arguments<'_>) -> ! {
    hprintln!("error: {message}");
    debug::exit(debug::EXIT_FAILURE);
    // Only reached without a semihosting debugger attached.
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    fail(format_args!("panic: {info}"))
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    fail(format_args!("hard fault at pc {:#010x}", frame.pc()))
}
