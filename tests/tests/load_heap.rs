//! The load-heap estimate ([`Shape::heap`], checked against
//! `HostConfig::module_heap` before the engine sees a module) is an upper
//! bound of what loading really takes: for every example guest and every
//! module of the hostile set, the heap `Host::load` allocates at its peak,
//! beside the module's linear memory, is at most the estimate for this
//! machine's pointer width. If it were not, a module the check admits
//! could run a firmware's heap out.
//!
//! The peak is measured with a counting global allocator, so this file is
//! a test binary of its own and measures in one test, one module at a
//! time. Each module's ratio is printed, as how loose the bound is.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use wasm_sdk_build::hostile::read_set;
use wasm_sdk_host::abi::queue::QueueEnv;
use wasm_sdk_host::shape::{Costs, Shape};
use wasm_sdk_host::{Host, HostConfig, ModuleInfo};
use wasm_sdk_testhost::example_wasm;
use wasm_sdk_tests::report;

/// Counts the bytes allocated now and their peak since the last reset.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = NOW.fetch_add(by, SeqCst) + by;
    PEAK.fetch_max(now, SeqCst);
}

// SAFETY: every call goes to `System` unchanged; the counters only watch.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), SeqCst);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match new_size.checked_sub(layout.size()) {
            Some(more) => grew(more),
            None => drop(NOW.fetch_sub(layout.size() - new_size, SeqCst)),
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The example guests the check loads.
const EXAMPLES: [&str; 9] = [
    "counter",
    "alarm",
    "primes",
    "echo",
    "coremark",
    "thermostat",
    "smoother",
    "smoothed-alarm",
    "heartbeat",
];

#[test]
fn the_load_heap_estimate_bounds_what_loading_takes() {
    let mut modules: Vec<(String, Vec<u8>)> = EXAMPLES
        .iter()
        .map(|name| (name.to_string(), example_wasm(name).expect("an example guest")))
        .collect();
    let hostile = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile");
    for module in read_set(&hostile).expect("the hostile set") {
        modules.push((module.name, module.wasm));
    }
    // Only the estimate is lifted: every other check stays the host's.
    let host = Host::<QueueEnv>::new(HostConfig {
        module_heap: usize::MAX,
        memory_budget: 1 << 28,
        ..HostConfig::default()
    });
    report("load heap, measured peak beside linear memory against the estimate:");
    let mut checked = 0;
    for (name, wasm) in &modules {
        let estimate = Shape::scan(wasm).expect("a module").heap(&Costs::NATIVE).total() as usize;
        let memory = ModuleInfo::parse(wasm)
            .ok()
            .and_then(|info| info.memories.first().map(|m| m.initial_bytes()))
            .unwrap_or(0) as usize;
        let base = NOW.load(SeqCst);
        PEAK.store(base, SeqCst);
        let loaded = host.load(wasm, QueueEnv::with_output_budget(1024));
        let peak = PEAK.load(SeqCst).saturating_sub(base).saturating_sub(memory);
        let Ok(guest) = loaded else { continue };
        drop(guest);
        checked += 1;
        report(&format!(
            "  {name:<24} peak {peak:>9} B, estimate {estimate:>9} B ({:.1}x)",
            estimate as f64 / peak.max(1) as f64
        ));
        assert!(peak <= estimate, "{name}: loading took {peak} B, the estimate is {estimate} B");
    }
    assert!(checked >= EXAMPLES.len(), "only {checked} modules loaded");
}
