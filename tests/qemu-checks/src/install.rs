//! Check 8: the install check on the firmware's own heap, against modules
//! that are small in bytes and heavy to load.
//!
//! An update slot holds 16 KiB, and a module that size can declare
//! thousands of function types, globals, exports or nested blocks: wasmi
//! would take many times this firmware's heap to load it, and a failed
//! allocation ends the firmware. `build.rs` embeds a sweep of such modules
//! ([`wasm_sdk_build::heavy`]), each kind at a ladder of counts up to the
//! most that fit a slot, each with the counter's own manifest. Each goes
//! through exactly the update path's install check
//! ([`wasm_sdk_embassy::check`]: a fresh engine, the host's checks,
//! instantiation) with the heap budget this firmware derives from what is
//! free. Each must end refused by [`LoadError::ModuleHeap`] having taken
//! almost nothing, or checked within the host's estimate of its heap
//! ([`Shape::heap`]); the firmware must still be running after the last.
//!
//! It prints each module's peak heap next to the estimate, and what each
//! kind of item costs on this 32-bit target: the figures
//! [`Costs::NATIVE`] rounds up for 32-bit targets.

use cortex_m_semihosting::hprintln;
use wasm_sdk_embassy::{ChannelEnv, StartError};
use wasm_sdk_host::shape::Costs;
use wasm_sdk_host::{Host, HostConfig, LoadError, Shape};

use crate::{guests, memory};

/// One module of the sweep, as `build.rs` embeds it.
pub struct HeavyModule {
    /// What it is made of (a `wasm_sdk_build::heavy::HEAVY_KINDS` name, or
    /// `empty`).
    pub kind: &'static str,
    /// How many.
    pub count: u32,
    /// The module.
    pub wasm: &'static [u8],
}

/// The sweep, kind by kind, counts rising.
static HEAVY_SWEEP: &[HeavyModule] = include!(concat!(env!("OUT_DIR"), "/heavy.rs"));

/// Heap kept free beside the module budget: the allocator's own overhead
/// per block (the counts are of bytes requested) and what the check
/// itself allocates outside the engine (the error's text).
const HEAP_MARGIN: usize = 8 * 1024;

/// Heap a refusal by the budget may take: the header check and the scan
/// allocate a function type's values at a time, nothing per module item.
const REFUSAL_HEAP: usize = 1024;

/// What the sweep found.
pub struct Sweep {
    /// Modules in the sweep.
    pub modules: usize,
    /// Modules refused by the heap budget having taken at most
    /// [`REFUSAL_HEAP`], or checked within their estimate.
    pub as_expected: usize,
    /// Modules that passed the install check.
    pub checked: usize,
    /// The budget the modules were checked against.
    pub module_heap: usize,
    /// The highest peak of one install check, with its module.
    pub worst: (usize, &'static str, u32),
}

/// Runs the sweep with `config`'s limits and a module budget of what the
/// heap has free now, less [`HEAP_MARGIN`] and the guest's linear-memory
/// budget: how a firmware derives [`HostConfig::module_heap`].
pub fn install_sweep(config: &HostConfig) -> Sweep {
    hprintln!(
        "[8] install check of the example guests, then of {} heavy modules",
        HEAVY_SWEEP.len()
    );
    // The example guests first, with no module budget: what a real module
    // takes against its estimate.
    example_guests(config);
    let memory_budget = usize::try_from(config.memory_budget).unwrap_or(usize::MAX);
    let free = memory::HEAP_SIZE.saturating_sub(memory::HEAP.live());
    let module_heap = free.saturating_sub(HEAP_MARGIN).saturating_sub(memory_budget);
    hprintln!("    heap {free} B free: module budget {module_heap} B");
    let host = Host::<ChannelEnv>::new(HostConfig { module_heap, ..config.clone() });
    let mut sweep = Sweep {
        modules: HEAVY_SWEEP.len(),
        as_expected: 0,
        checked: 0,
        module_heap,
        worst: (0, "", 0),
    };
    let mut base = 0;
    for module in HEAVY_SWEEP {
        let before = memory::HEAP.live();
        memory::HEAP.reset_peak();
        let checked =
            wasm_sdk_embassy::check(&host, crate::vouched(module.wasm), &guests::COUNTER_WIRING);
        let peak = memory::HEAP.peak() - before;
        let estimate =
            Shape::scan(module.wasm).map(|shape| shape.heap(&Costs::NATIVE).total()).unwrap_or(0);
        let refused_by_budget =
            matches!(checked, Err(StartError::Load(LoadError::ModuleHeap { .. })));
        let expected =
            if refused_by_budget { peak <= REFUSAL_HEAP } else { peak as u64 <= estimate };
        sweep.as_expected += usize::from(expected);
        sweep.checked += usize::from(checked.is_ok());
        if peak > sweep.worst.0 {
            sweep.worst = (peak, module.kind, module.count);
        }
        if module.kind == "empty" {
            base = peak;
        }
        let per_item = match (&checked, module.count) {
            (Ok(()), 1..) => peak.saturating_sub(base) / module.count as usize,
            _ => 0,
        };
        hprintln!(
            "    {:>16} x{:<5} {:>5} B: {}; peak {peak} B, estimate {estimate} B{}{}",
            module.kind,
            module.count,
            module.wasm.len(),
            match &checked {
                Ok(()) => "checked",
                Err(StartError::Load(LoadError::ModuleHeap { .. })) => "refused by the heap budget",
                Err(error) => error.as_str(),
            },
            if per_item > 0 {
                alloc::format!(", {per_item} B per item")
            } else {
                alloc::string::String::new()
            },
            if expected { "" } else { "  <- not as expected" },
        );
    }
    sweep
}

/// The example guests' load on a host without a module budget, against
/// their estimate.
fn example_guests(config: &HostConfig) {
    use wasm_sdk_host::abi::queue::QueueEnv;
    let unlimited = Host::<QueueEnv>::new(HostConfig { module_heap: usize::MAX, ..config.clone() });
    for (name, wasm) in [
        ("counter", guests::COUNTER_WASM),
        ("primes", guests::PRIMES_WASM),
        ("coremark", crate::bench::COREMARK_WASM),
    ] {
        let before = memory::HEAP.live();
        memory::HEAP.reset_peak();
        let loaded = unlimited.load(wasm, QueueEnv::default()).map(drop);
        let peak = memory::HEAP.peak() - before;
        let estimate =
            Shape::scan(wasm).map(|shape| shape.heap(&Costs::NATIVE).total()).unwrap_or(0);
        hprintln!(
            "    {name:>16} {:>6} B: {loaded:?}; peak {peak} B, estimate {estimate} B",
            wasm.len()
        );
    }
}
