//! The check rig of the reference wasm-sdk host on QEMU's `mps2-an505`
//! (Cortex-M33), run in CI: the `counter` and `primes` guests run as embassy tasks through
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
//! The board (time driver, heap, the built-in counter, semihosting output,
//! fault handlers) is the example firmware's library, [`qemu_host`]; this
//! crate adds the checks: [`trace`] (task polls from the executor's trace
//! hooks), [`guests`] (the primes guest, the guest task), [`checks`],
//! [`hostile`], [`bench`], [`install`], and `--features profile`'s
//! `profile`.

#![no_std]
#![no_main]

extern crate alloc;

mod bench;
mod checks;
mod guests;
mod hostile;
mod install;
#[cfg(feature = "profile")]
mod profile;
mod trace;

use alloc::vec::Vec;

use cortex_m_rt::exception;
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Spawner;
use embassy_time::Timer;
use qemu_host::clock::{self, Calibration};
use qemu_host::{FUEL_PER_SLICE, Fixed, Ms, Percent, Us, fail, memory, unwrap_spawn, vouched};
use wasm_sdk_embassy::{ChannelEnv, Wiring};
use wasm_sdk_host::{Guest, Host, HostConfig};

use crate::guests::{COUNTER, GuestReport, PRIMES, SINK};

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    qemu_host::init();
    hprintln!("qemu-checks: wasm-sdk guests on embassy, QEMU mps2-an505 (Cortex-M33)");
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
    let heap_before = memory::HEAP.live();
    let counter = start(&host, "counter", guests::COUNTER_WASM, &guests::COUNTER_WIRING);
    let primes = start(&host, "primes", guests::PRIMES_WASM, &guests::PRIMES_WIRING);
    let heap_guests = memory::HEAP.live() - heap_before;
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
    let heap_peak = memory::HEAP.peak();
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
    // The same figures as data, for `scripts/figures-from-log`
    // (figures/qemu-checks.toml; the book's tables are generated from it).
    if let Some(instructions) = round_trip {
        hprintln!("figure round-trip instructions = {instructions}");
        hprintln!("figure round-trip round_trips = {}", checks::ROUND_TRIPS);
    }
    hprintln!("figure latency idle_worst_instructions = {}", hostile.idle_max);
    hprintln!("figure latency loaded_worst_instructions = {}", hostile.loaded_max);
    hprintln!("figure primes limit = {}", checks::PRIMES_LIMIT);
    hprintln!("figure primes emulated_us = {}", Us(primes.elapsed_cycles));
    hprintln!("figure primes slices = {}", primes.slices);
    hprintln!("figure primes longest_slice_us = {}", Us(primes.max_slice_cycles));
    hprintln!("figure primes native_us = {}", Us(primes.native_cycles));
    hprintln!("figure primes ticker_worst_late_us = {}", Us(primes.worst_late_cycles));
    hprintln!("figure primes unmetered_native_instructions = {primes_native}");
    hprintln!("figure primes unmetered_guest_instructions = {primes_guest}");
    hprintln!("figure guest-ram engine = {}", ram.engine);
    hprintln!("figure guest-ram module = {}", ram.module);
    hprintln!("figure guest-ram linear_memory = {}", ram.linear_memory);
    hprintln!("figure guest-ram stacks = {}", ram.stacks);
    hprintln!("figure guest-ram total = {}", ram.total());
    hprintln!("figure guest-ram another = {}", ram.another);
    hprintln!("figure guest-ram left_behind = {}", ram.left_behind);
    hprintln!("figure coremark iterations = {}", bench::ITERATIONS);
    hprintln!("figure coremark native_instructions = {}", coremark.native_instructions);
    hprintln!("figure coremark guest_instructions = {}", coremark.guest_instructions);
    hprintln!("figure install module_heap = {}", sweep.module_heap);
    hprintln!("figure install worst_peak = {}", sweep.worst.0);
    hprintln!("figure install worst_module = \"{} x{}\"", sweep.worst.1, sweep.worst.2);
    hprintln!("figure install checked = {}", sweep.checked);
    hprintln!("figure install modules = {}", sweep.modules);
    hprintln!("figure ram heap_peak = {heap_peak}");
    hprintln!("figure ram heap_size = {}", memory::HEAP_SIZE);
    hprintln!("figure ram heap_both_guests = {heap_guests}");
    hprintln!("figure ram stack_peak = {}", memory::stack_peak());
    hprintln!("figure ram stack_size = {}", memory::stack_size());
    hprintln!("figure checks passed = {}", summary.checks.len() - summary.failed());
    hprintln!("figure checks total = {}", summary.checks.len());
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

#[exception]
unsafe fn DefaultHandler(irq: i16) {
    if !hostile::on_interrupt(irq) {
        fail(format_args!("unexpected exception {irq}"))
    }
}
