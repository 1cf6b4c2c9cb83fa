//! Check 7 and its figures: what one guest costs in RAM, and CoreMark's
//! workload natively and as a guest on the same emulated CPU.
//!
//! - RAM: a fresh [`Host`] (its engine), the counter started on it
//!   (module, instance and linear memory), then stepped until it blocks
//!   (the stacks wasmi keeps while the call is suspended), each as the
//!   heap grew; then a second counter on the same host (what a further
//!   guest costs); dropping all must give all of it back.
//! - CoreMark: `coremark-core`, the crate `examples/coremark` runs inside
//!   its guest, run here natively and then by that guest on an unmetered
//!   host (the peers' figures are unmetered), both timed in instructions
//!   (SysTick cycles under `-icount`, see [`clock`]). The guest's report
//!   must equal the native one bit for bit, and both the reference's CRCs
//!   for its 2K performance run.
//! - Primes: the same comparison for `count_primes`, the primes guest's
//!   work (check 2 times it with fuel slices and a ticker beside it).

use core::hint::black_box;

use alloc::vec::Vec;
use coremark_core::{KnownRun, Report, Seeds};
use module_examples_common::{CoreMarkReport, to_message};
use wasm_sdk_embassy::{ChannelEnv, PortChannel, Wire, Wiring};

use wasm_sdk_host::{Host, HostConfig, Step};

use crate::clock::{self, Calibration};
use crate::guests::{COUNTER_WASM, COUNTER_WIRING, PRIMES_WASM, PRIMES_WIRING, SINK};
use crate::memory;

/// `examples/coremark` (`coremark-guest`), built by `build.rs`.
pub static COREMARK_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/coremark_guest.wasm"));

/// The CoreMark guest's input `iterations`: a `u32`.
static COREMARK_IN: PortChannel = PortChannel::new();
/// The CoreMark guest's output `report`: a `CoreMarkReport`.
static COREMARK_OUT: PortChannel = PortChannel::new();
/// `#[task_run(inputs(iterations: u32), outputs(report: CoreMarkReport))]`
static COREMARK_WIRING: Wiring = Wiring {
    inputs: &[Wire::typed::<u32>("iterations", &COREMARK_IN)],
    outputs: &[Wire::typed::<CoreMarkReport>("report", &COREMARK_OUT)],
};

/// Iterations of each run, native and in the guest: millions of
/// instructions either way, so message and step overheads do not show.
pub const ITERATIONS: u32 = 20;

/// Heap one counter guest takes, by part, in bytes.
pub struct GuestRam {
    /// The engine of a [`Host`] of its own (shared when guests share one).
    pub engine: usize,
    /// Module, instance and environment, linear memory excluded.
    pub module: usize,
    /// Its linear memory.
    pub linear_memory: usize,
    /// The stacks of its suspended call.
    pub stacks: usize,
    /// Heap still taken after the guest and its host were dropped.
    pub left_behind: usize,
    /// Heap a second counter on the same host takes, started and blocked
    /// (module, instance, linear memory and stacks): what each further
    /// guest costs once the engine has compiled one (wasmi keeps its
    /// compiler's buffers and a block of code slots in the engine).
    pub another: usize,
}

impl GuestRam {
    /// Everything the guest holds while it waits for a message.
    pub fn total(&self) -> usize {
        self.engine + self.module + self.linear_memory + self.stacks
    }
}

impl core::fmt::Display for GuestRam {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} B in all: engine {} B, module and instance {} B, linear memory {} B, stacks {} B; a second counter on the same host {} B",
            self.total(),
            self.engine,
            self.module,
            self.linear_memory,
            self.stacks,
            self.another,
        )
    }
}

/// Measures [`GuestRam`] for the counter on `config`. Run it while no other
/// task allocates (the heap figures are the whole heap's).
pub fn counter_ram(config: &HostConfig) -> GuestRam {
    let start = memory::HEAP.live();
    let host = Host::<ChannelEnv>::new(config.clone());
    let with_engine = memory::HEAP.live();
    let mut guest =
        wasm_sdk_embassy::start(&host, "ram", crate::vouched(COUNTER_WASM), &COUNTER_WIRING, &SINK)
            .unwrap_or_else(|error| crate::fail(format_args!("starting the counter: {error}")));
    let loaded = memory::HEAP.live();
    let step = guest.step();
    let waiting = memory::HEAP.live();
    if !matches!(step, Step::Blocked { .. }) {
        crate::fail(format_args!("the counter did not block: {}", step.as_str()));
    }
    let linear_memory = guest.memory_size();
    let mut second = wasm_sdk_embassy::start(
        &host,
        "ram2",
        crate::vouched(COUNTER_WASM),
        &COUNTER_WIRING,
        &SINK,
    )
    .unwrap_or_else(|error| crate::fail(format_args!("starting the counter: {error}")));
    if !matches!(second.step(), Step::Blocked { .. }) {
        crate::fail(format_args!("the second counter did not block"));
    }
    let another = memory::HEAP.live() - waiting;
    drop(second);
    drop(guest);
    drop(host);
    GuestRam {
        engine: with_engine - start,
        module: (loaded - with_engine).saturating_sub(linear_memory),
        linear_memory,
        stacks: waiting - loaded,
        left_behind: memory::HEAP.live().saturating_sub(start),
        another,
    }
}

/// CoreMark natively and as a guest.
pub struct CoreMark {
    /// The native run's report.
    pub native: Report,
    /// Instructions of the native run.
    pub native_instructions: u64,
    /// The guest's report of the same run: must equal `native`.
    pub guest: Option<CoreMarkReport>,
    /// Instructions of the guest's run: the step that takes the message,
    /// computes and sends the report.
    pub guest_instructions: u64,
    /// Whether the native report is the reference's 2K performance run.
    pub reference_crcs: bool,
}

impl CoreMark {
    /// Iterations per 10^9 instructions, natively.
    pub fn native_per_giga(&self) -> u64 {
        per_giga(ITERATIONS, self.native_instructions)
    }

    /// Iterations per 10^9 instructions, in the guest.
    pub fn guest_per_giga(&self) -> u64 {
        per_giga(ITERATIONS, self.guest_instructions)
    }

    /// How many times the guest's instructions the native run's, in
    /// hundredths.
    pub fn ratio_percent(&self) -> u64 {
        self.guest_instructions * 100 / self.native_instructions.max(1)
    }

    /// Whether the guest computed exactly what native code did.
    pub fn bit_exact(&self) -> bool {
        self.guest == Some(CoreMarkReport::from(self.native))
    }
}

fn per_giga(iterations: u32, instructions: u64) -> u64 {
    u64::from(iterations) * 1_000_000_000 / instructions.max(1)
}

/// Runs CoreMark natively, then in its guest on a host with `config`'s
/// limits and no fuel metering.
pub fn coremark(config: &HostConfig, calibration: &Calibration) -> CoreMark {
    let begin = clock::cycles();
    let native = coremark_core::run(ITERATIONS, black_box(Seeds::PERFORMANCE));
    let native_instructions = calibration.instructions(clock::cycles() - begin);
    let reference_crcs = coremark_core::validate(&native) == Ok(KnownRun::Performance2K);

    let message = to_message(&ITERATIONS).unwrap_or_default();
    let (report, guest_instructions) =
        once(config, calibration, "coremark", COREMARK_WASM, &COREMARK_WIRING, message);
    let guest = report.and_then(|bytes| wasm_sdk::from_payload::<CoreMarkReport>(&bytes).ok());
    CoreMark { native, native_instructions, guest, guest_instructions, reference_crcs }
}

/// Primes below [`PRIMES_LIMIT`](crate::checks::PRIMES_LIMIT) natively
/// and in the primes guest, unmetered, in instructions; whether both
/// counted right.
pub fn primes(config: &HostConfig, calibration: &Calibration) -> (u64, u64, bool) {
    let limit = crate::checks::PRIMES_LIMIT;
    let begin = clock::cycles();
    let native = module_examples_common::count_primes(black_box(limit));
    let native_instructions = calibration.instructions(clock::cycles() - begin);
    let message = to_message(&limit).unwrap_or_default();
    let (count, guest_instructions) =
        once(config, calibration, "primes", PRIMES_WASM, &PRIMES_WIRING, message);
    let count = count.and_then(|bytes| wasm_sdk::from_payload::<u32>(&bytes).ok());
    let right = native == crate::checks::PRIMES_EXPECTED && count == Some(native);
    (native_instructions, guest_instructions, right)
}

/// Starts `wasm` on a host of its own with `config`'s limits and no fuel
/// metering (the peers' figures are unmetered), runs it to its first
/// `receive`, queues `message` on its first input and steps it once: its
/// first output message, and the instructions of that step.
fn once(
    config: &HostConfig,
    calibration: &Calibration,
    name: &'static str,
    wasm: &[u8],
    wiring: &Wiring,
    message: Vec<u8>,
) -> (Option<Vec<u8>>, u64) {
    let unmetered = HostConfig { fuel_per_slice: None, total_fuel: None, ..config.clone() };
    let host = Host::<ChannelEnv>::new(unmetered);
    let mut guest = wasm_sdk_embassy::start(&host, name, crate::vouched(wasm), wiring, &SINK)
        .unwrap_or_else(|error| crate::fail(format_args!("starting {name}: {error}")));
    let (Some(input), Some(output)) = (wiring.inputs.first(), wiring.outputs.first()) else {
        return (None, 0);
    };
    let _ = guest.step();
    if input.channel.try_send(message).is_err() {
        return (None, 0);
    }
    let begin = clock::cycles();
    let step = guest.step();
    let instructions = calibration.instructions(clock::cycles() - begin);
    let sent = matches!(step, Step::Blocked { .. }).then(|| output.channel.try_receive().ok());
    (sent.flatten(), instructions)
}
