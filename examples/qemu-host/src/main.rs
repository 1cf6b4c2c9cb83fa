//! The reference wasm-sdk host on QEMU's `mps2-an505` (Cortex-M33), run in
//! CI: the `counter` and `primes` guests run as embassy tasks through
//! [`wasm_sdk_embassy::drive`], and the firmware checks on the emulated CPU
//! what the runtime model promises: a blocked guest costs nothing until a
//! message arrives, and a computing guest gives the CPU back after each
//! fuel slice (`docs/src/design/host.md`, `docs/src/design/bridge.md`):
//!
//! 1. the counter answers a script of postcard counts;
//! 2. a long computation (primes) is preempted by fuel slices, and a 10 ms
//!    ticker keeps ticking on time meanwhile;
//! 3. a guest blocked on an empty input costs no CPU: its task is not
//!    polled until a message arrives, then exactly once per message;
//! 4. figure: instructions per counter round trip;
//! 5. no guest logs or errors;
//! 6. the repository's hostile set, each module beside the counter, which
//!    runs at interrupt priority: each ends as its header names, the
//!    counter's worst round trip stays within 2x of its idle worst, and no
//!    heap is leaked ([`hostile`]);
//! 7. what one guest costs: the counter's heap by part (engine, module and
//!    instance, linear memory, stacks), all of it given back when dropped;
//!    CoreMark's workload natively and in its guest, bit-exact, in
//!    instructions ([`bench`]);
//! 8. the install check on modules small in bytes and heavy to load: each
//!    refused by the heap budget, or checked within the host's estimate of
//!    its heap ([`install`]).
//!
//! Each guest is started with [`wasm_sdk_embassy::start`], which matches the
//! ports of its manifest with the channels of [`guests`] by name, and every
//! message is a `module-examples-common` type in postcard, as the guests
//! read and write them.
//!
//! Output goes through semihosting; the exit status is 0 only if every
//! check passed. `cargo run --release` builds the guests (build.rs),
//! builds this firmware and runs it in QEMU (`.cargo/config.toml`).
//!
//! Modules: [`clock`] (SysTick time driver, instruction calibration),
//! [`trace`] (task polls from the executor's trace hooks), [`memory`]
//! (heap, stack high-water mark), [`guests`] (modules, channels, guest task),
//! [`checks`].

#![no_std]
#![no_main]

extern crate alloc;

mod bench;
mod checks;
mod clock;
mod guests;
mod hostile;
mod install;
mod memory;
#[cfg(feature = "profile")]
mod profile;
#[cfg(feature = "update")]
mod serve;
mod trace;
#[cfg(feature = "update")]
mod uart;

use alloc::vec::Vec;
use core::fmt;

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::{SpawnError, SpawnToken, Spawner};
use embassy_time::Timer;
use wasm_sdk_embassy::{ChannelEnv, Wasm, Wiring};
use wasm_sdk_host::{Guest, Host, HostConfig};

use crate::clock::Calibration;
use crate::guests::{COUNTER, GuestReport, PRIMES, SINK};

/// Fuel per slice: how much Wasm a guest runs before `drive` yields to the
/// executor. wasmi runs ~6 instructions per unit of fuel here, so 50,000
/// fuel is ~0.3 ms of emulated time: a tick waits at most ~0.7 ms (two
/// slices and the timer resolution), and the cost of a slice switch (~2,000
/// instructions, estimated from runs at 5,000 and 50,000) stays under 1 %.
/// A counter message (~330 fuel) always fits in one slice.
const FUEL_PER_SLICE: u64 = 50_000;

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
fn vouched(wasm: &[u8]) -> Wasm<'_> {
    // SAFETY: as above; `Wasm::vouched` needs nothing with validation on.
    unsafe { Wasm::vouched(wasm) }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    memory::init_heap();
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        fail(format_args!("core peripherals already taken"));
    };
    clock::init(peripherals.SYST);
    #[cfg(feature = "update")]
    {
        serve_forever(&spawner).await;
    }
    hprintln!("qemu-host: wasm-sdk guests on embassy, QEMU mps2-an505 (Cortex-M33)");
    let mut summary = Summary::default();

    let calibration = clock::calibrate();
    hprintln!(
        "clock: {} instructions per SysTick cycle at {} MHz (-icount shift=0 predicts {})",
        Fixed(calibration.instructions_per_kilocycle, 1_000),
        clock::SYSTICK_HZ / 1_000_000,
        Fixed(Calibration::EXPECTED_PER_KILOCYCLE, 1_000),
    );
    summary.check("0  SysTick counts instructions (calibration)", calibration.matches_icount());

    let config = HostConfig {
        fuel_per_slice: Some(FUEL_PER_SLICE),
        total_fuel: None,
        // Built-in modules are known to fit (check 7 measures them): the
        // budget guards uploads, which check 8 and serve mode derive from
        // the heap.
        module_heap: usize::MAX,
        ..HostConfig::default()
    };
    print_budget(&config);
    // Before any task allocates: the heap figures are the whole heap's.
    let ram = bench::counter_ram(&config);
    hprintln!("[7] counter guest RAM: {ram}; {} B left behind when dropped", ram.left_behind);
    summary.check("7a a guest's heap comes back when it is dropped", ram.left_behind == 0);
    let host = Host::<ChannelEnv>::new(config.clone());
    let heap_before = memory::heap_live();
    let counter = start(&host, "counter", guests::COUNTER_WASM, &guests::COUNTER_WIRING);
    let primes = start(&host, "primes", guests::PRIMES_WASM, &guests::PRIMES_WIRING);
    let heap_guests = memory::heap_live() - heap_before;
    hprintln!(
        "loaded: counter.wasm {} B ({} B linear memory), primes.wasm {} B ({} B); {heap_guests} B of heap for both",
        guests::COUNTER_WASM.len(),
        counter.memory_size(),
        guests::PRIMES_WASM.len(),
        primes.memory_size(),
    );
    spawner.spawn(unwrap_spawn(guests::guest_task(counter, &COUNTER)));
    spawner.spawn(unwrap_spawn(guests::guest_task(primes, &PRIMES)));
    // Let both guests start and block on their empty inputs.
    Timer::after_millis(1).await;
    #[cfg(feature = "profile")]
    profile::run().await;

    let right = checks::counter_script().await;
    summary.check("1  counter answers scripted inputs", right == checks::SCRIPT_MESSAGES);
    let blocked = checks::blocked_counter(&calibration).await;
    summary.check("3a blocked counter: not polled, CPU idle, 1 poll per message", blocked.passed());
    let round_trip = checks::round_trips(&calibration).await;
    summary.check("4  counter round trips all answered", round_trip.is_some());
    let primes = checks::primes_with_ticker(&spawner).await;
    summary.check("2a primes answer right", primes.answer_ok());
    summary.check("2c ticker on time during primes", primes.ticker_ok());

    let counter_report = COUNTER.stop().await;
    let primes_report = PRIMES.stop().await;
    report_guest("counter", &counter_report);
    report_guest("primes", &primes_report);
    summary.check(
        "2b primes preempted >= 100 times (env.preemptions)",
        primes_report.stopped.is_none() && primes_report.preemptions >= 100,
    );
    // The counter blocks once at start (if it ran before the first
    // message), then once after each answer: one wait per message.
    let messages = checks::SCRIPT_MESSAGES + checks::BLOCKED_MESSAGES + checks::ROUND_TRIPS;
    hprintln!("counter: {} waits for {messages} messages", counter_report.waits);
    summary.check(
        "3b counter waited once per message (env.waits)",
        counter_report.stopped.is_none()
            && (messages..=messages + 1).contains(&counter_report.waits),
    );
    summary.check("5  no guest logs or errors", SINK.reports() == 0);

    drop(host);
    // The guest tasks have stopped: the primes channels are free.
    let coremark = bench::coremark(&config, &calibration);
    hprintln!(
        "[7] coremark, {} iterations: native {} instructions, guest {} ({}x); reports equal: {}; reference CRCs: {}",
        bench::ITERATIONS,
        coremark.native_instructions,
        coremark.guest_instructions,
        Fixed(coremark.ratio_percent(), 100),
        coremark.bit_exact(),
        coremark.reference_crcs,
    );
    summary.check(
        "7b coremark: guest bit-exact with native, reference CRCs",
        coremark.bit_exact() && coremark.reference_crcs,
    );
    let (primes_native, primes_guest, primes_right) = bench::primes(&config, &calibration);
    hprintln!(
        "[7] primes below {}, unmetered: native {primes_native} instructions, guest {primes_guest} ({}x)",
        checks::PRIMES_LIMIT,
        Fixed(primes_guest * 100 / primes_native.max(1), 100),
    );
    summary.check("7c primes: guest and native count right", primes_right);
    let hostile = hostile::hostile_set(&spawner, &config, &calibration).await;
    let all = hostile.modules;
    summary.check("6a every hostile module ends as its header says", hostile.as_expected == all);
    summary.check(
        "6b counter within 2x its idle round trip beside each",
        hostile.on_time == all && hostile.answers_right,
    );
    summary.check("6c no heap left behind by a hostile guest", hostile.no_leak == all);
    // The checks' own peak; the sweep measures its modules from a reset.
    let heap_peak = memory::heap_peak();
    let sweep = install::install_sweep(&config);
    summary.check(
        "8  install check: heavy modules refused by the heap budget or within their estimate",
        sweep.as_expected == sweep.modules && sweep.checked > 0,
    );

    hprintln!("\nsummary:");
    summary.checks.sort_by_key(|&(label, _)| label);
    for (label, passed) in &summary.checks {
        hprintln!("  {} {label}", if *passed { "PASS" } else { "FAIL" });
    }
    hprintln!("figures:");
    if let Some(instructions) = round_trip {
        hprintln!(
            "  counter round trip: {instructions} instructions ({} round trips)",
            checks::ROUND_TRIPS
        );
    }
    hprintln!(
        "  primes below {}: {} ms emulated in {} slices of <= {} us; native Rust {} ms ({}x faster); ticker worst lateness {} us",
        checks::PRIMES_LIMIT,
        Ms(primes.elapsed_cycles),
        primes.slices,
        Us(primes.max_slice_cycles),
        Ms(primes.native_cycles),
        primes.elapsed_cycles / primes.native_cycles.max(1),
        Us(primes.worst_late_cycles),
    );
    hprintln!(
        "  counter round trip at interrupt priority: worst {} instructions idle, {} beside the hostile guests",
        hostile.idle_max,
        hostile.loaded_max,
    );
    hprintln!("  counter guest RAM (target 12,288 B): {ram}");
    hprintln!(
        "  install check: worst heap peak {} B ({} x{}) with a module budget of {} B; {} of {} heavy modules checked, the rest refused",
        sweep.worst.0,
        sweep.worst.1,
        sweep.worst.2,
        sweep.module_heap,
        sweep.checked,
        sweep.modules,
    );
    hprintln!(
        "  coremark: native {} iterations per 10^9 instructions, guest {} (native/guest {}x; target 10x)",
        coremark.native_per_giga(),
        coremark.guest_per_giga(),
        Fixed(coremark.ratio_percent(), 100),
    );
    hprintln!(
        "  primes below {}, unmetered: guest/native {}x (target 10x)",
        checks::PRIMES_LIMIT,
        Fixed(primes_guest * 100 / primes_native.max(1), 100),
    );
    hprintln!(
        "  RAM: heap peak {} B of {} B ({heap_guests} B for both guests), stack peak {} B of {} B",
        heap_peak,
        memory::HEAP_SIZE,
        memory::stack_peak(),
        memory::stack_size(),
    );
    let failed = summary.failed();
    if failed == 0 {
        hprintln!("result: PASS ({} checks)", summary.checks.len());
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        hprintln!("result: FAIL ({failed} of {} checks failed)", summary.checks.len());
        debug::exit(debug::EXIT_FAILURE);
    }
}

/// Prints the budget every guest runs under.
fn print_budget(config: &HostConfig) {
    hprintln!(
        "budget per guest: {} fuel a slice, {} B linear memory, module {} B, {} functions, {} locals a function, {} table elements, {} B value stack, {} calls deep, texts {} B each and {} B a step, {} B messages",
        config.fuel_per_slice.unwrap_or(0),
        config.memory_budget,
        config.max_module_size,
        config.max_functions,
        config.max_locals,
        config.max_table_elements,
        config.max_value_stack,
        config.max_call_depth,
        config.text.max_len,
        config.text.per_step,
        config.max_message_len,
    );
}

/// Loads a guest and wires its ports to their channels by name, or ends the
/// run.
fn start(
    host: &Host<ChannelEnv>,
    name: &'static str,
    wasm: &[u8],
    wiring: &Wiring,
) -> Guest<ChannelEnv> {
    wasm_sdk_embassy::start(host, name, vouched(wasm), wiring, &SINK)
        .unwrap_or_else(|error| fail(format_args!("starting {name}: {error}")))
}

fn report_guest(name: &str, report: &GuestReport) {
    hprintln!(
        "{name}: {}, {} waits, {} preemptions, {} fuel, {} B linear memory",
        match &report.stopped {
            None => "still running when stopped",
            Some(_) => "had stopped by itself",
        },
        report.waits,
        report.preemptions,
        report.fuel,
        report.memory
    );
}

/// Check results, printed sorted by their label (the brief's numbering).
#[derive(Default)]
struct Summary {
    checks: Vec<(&'static str, bool)>,
}

impl Summary {
    fn check(&mut self, label: &'static str, passed: bool) {
        self.checks.push((label, passed));
    }

    fn failed(&self) -> usize {
        self.checks.iter().filter(|(_, passed)| !passed).count()
    }
}

/// `value / scale` with two decimals.
struct Fixed(u64, u64);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(value, scale) = *self;
        let hundredths = value * 100 / scale.max(1);
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// SysTick cycles as milliseconds of emulated time, two decimals.
struct Ms(u64);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Fixed(self.0, clock::SYSTICK_HZ / 1_000).fmt(f)
    }
}

/// SysTick cycles as whole microseconds of emulated time.
struct Us(u64);

impl fmt::Display for Us {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0 / (clock::SYSTICK_HZ / 1_000_000))
    }
}

/// `part / whole` in percent, two decimals.
struct Percent(u64, u64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Fixed(self.0 * 100, self.1).fmt(f)
    }
}

/// The spawn token, or the end of the run (a task's pool is full).
/// Serve mode's message limit: a `Counter` takes at most 5 bytes, and
/// what the firmware holds per guest is this times its copies
/// ([`wasm_sdk_embassy::held_message_bytes`]), beside the guest's own memory
/// in the heap. A larger send gets `MessageTooLarge`; a larger `guests
/// send` is refused.
#[cfg(feature = "update")]
const SERVE_MESSAGE_LEN: usize = 64;

/// Serve mode: the counter guest with the SMP server on UART0, a count fed
/// to it every [`serve::TICK_MS`] (a second by default); runs until QEMU is
/// killed.
#[cfg(feature = "update")]
async fn serve_forever(spawner: &Spawner) {
    let config = HostConfig {
        fuel_per_slice: Some(FUEL_PER_SLICE),
        max_message_len: SERVE_MESSAGE_LEN,
        ..HostConfig::default()
    };
    let config = HostConfig { module_heap: serve::module_heap(&config), ..config };
    let (slots, module) = serve::mount(config.clone());
    let host = Host::<ChannelEnv>::new(config);
    // An uploaded module that no longer starts (a changed host) must not
    // keep the device from serving: run the built-in one this time.
    let (guest, module) = match wasm_sdk_embassy::start(
        &host,
        "counter",
        vouched(&module),
        &guests::COUNTER_WIRING,
        &SINK,
    ) {
        Ok(guest) => (guest, module),
        Err(error) => {
            hprintln!("serve: the slot's module does not start ({}); built-in one", error.as_str());
            let builtin = guests::COUNTER_WASM.to_vec();
            (start(&host, "counter", &builtin, &guests::COUNTER_WIRING), builtin)
        }
    };
    if serve::measure_requested() {
        serve::measure_update(spawner, host, guest, slots).await;
    }
    hprintln!("serve: counter runs a {} B module; SMP on UART0", module.len());
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

fn unwrap_spawn<S>(token: Result<SpawnToken<S>, SpawnError>) -> SpawnToken<S> {
    token.unwrap_or_else(|error| fail(format_args!("spawn: {error:?}")))
}

/// Prints `message` and exits QEMU with failure.
fn fail(message: fmt::Arguments<'_>) -> ! {
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

#[exception]
unsafe fn DefaultHandler(irq: i16) {
    if !hostile::on_interrupt(irq) {
        fail(format_args!("unexpected exception {irq}"))
    }
}
