//! The heap a module takes to load stays under the estimate the host
//! checks it against ([`Shape::heap`]), for modules made of thousands of
//! one item ([`wasm_sdk_build::heavy`]), and a module that would take more
//! than `HostConfig::module_heap` is refused before the engine sees it.
//!
//! `cargo test -p wasm-sdk-host --test shape -- --nocapture` prints each
//! item's measured cost on this machine: what `Costs::NATIVE` rounds up.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

use wasm_sdk_build::heavy::{HEAVY_KINDS, heavy};
use wasm_sdk_host::abi::queue::QueueEnv;
use wasm_sdk_host::shape::Costs;
use wasm_sdk_host::{Host, HostConfig, LoadError, Shape};

/// The heap in use and its peak, counted on the thread that measures only:
/// the test harness allocates on its own threads meanwhile.
struct Counting;
// Signed: a block allocated before the window may be freed in it.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static MEASURED: Cell<bool> = const { Cell::new(false) };
}

fn measured() -> bool {
    MEASURED.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: forwards to `System` unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && measured() {
            let size = isize::try_from(layout.size()).unwrap_or(isize::MAX);
            let live = LIVE.fetch_add(size, Ordering::Relaxed).saturating_add(size);
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if measured() {
            LIVE.fetch_sub(isize::try_from(layout.size()).unwrap_or(isize::MAX), Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// `inputs(in)`, `outputs(out)`, untyped.
const MANIFEST: &[u8] = b"\x01\x00\x01\x02in\x01\x03out";

/// No limit but the ones under test.
fn unlimited() -> HostConfig {
    HostConfig {
        max_module_size: usize::MAX,
        max_functions: u32::MAX,
        max_locals: u32::MAX,
        max_table_elements: 1 << 20,
        module_heap: usize::MAX,
        ..HostConfig::default()
    }
}

/// The peak heap of loading `wasm` on a fresh host, above what was live
/// before (the engine included, as the firmware's install check makes
/// one per module).
fn load_peak(config: &HostConfig, wasm: &[u8]) -> (usize, Result<(), LoadError>) {
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    MEASURED.set(true);
    let host = Host::<QueueEnv>::new(config.clone());
    let loaded = host.load(wasm, QueueEnv::default()).map(drop);
    drop(host);
    MEASURED.set(false);
    (usize::try_from(PEAK.load(Ordering::Relaxed)).unwrap_or(0), loaded)
}

#[test]
fn loading_takes_at_most_the_estimate() {
    let config = unlimited();
    let (base, loaded) = load_peak(&config, &heavy("functions", 0, MANIFEST).unwrap().wasm);
    loaded.unwrap();
    println!("an empty guest: {base} B (Costs::base {})", Costs::NATIVE.base);
    let mut over = Vec::new();
    if base as u64 > u64::from(Costs::NATIVE.base) {
        over.push(format!("an empty guest: {base} B > base {}", Costs::NATIVE.base));
    }
    for kind in HEAVY_KINDS {
        for count in [64, 512, 4096] {
            let module = heavy(kind, count, MANIFEST).unwrap();
            let estimate = Shape::scan(&module.wasm).unwrap().heap(&Costs::NATIVE).total();
            let (peak, loaded) = load_peak(&config, &module.wasm);
            let per_item = peak.saturating_sub(base) / count as usize;
            println!(
                "{kind:>16} x{count:<5} {:>6} B: peak {peak:>7} B, estimate {estimate:>7} B, \
                 {per_item:>4} B per item; {}",
                module.wasm.len(),
                loaded.as_ref().map_or_else(ToString::to_string, |()| "loaded".into())
            );
            if peak as u64 > estimate {
                over.push(format!("{kind} x{count}: peak {peak} B > estimate {estimate} B"));
            }
        }
    }
    assert!(over.is_empty(), "the estimate is too low:\n{}", over.join("\n"));
}

#[test]
fn a_module_over_the_heap_budget_is_refused_by_name() {
    let config = HostConfig { module_heap: 64 * 1024, ..HostConfig::default() };
    let host = Host::<QueueEnv>::new(config);
    // What fits a 16 KiB update slot.
    for (kind, count) in [("types", 1800), ("globals", 1600), ("exports", 1500), ("nesting", 5000)]
    {
        let module = heavy(kind, count, MANIFEST).unwrap();
        assert!(module.wasm.len() < 16 * 1024, "{kind}: {} B", module.wasm.len());
        let error = host.load(&module.wasm, QueueEnv::default()).map(drop).unwrap_err();
        let LoadError::ModuleHeap { estimated, budget, part_bytes, .. } = &error else {
            panic!("{kind}: {error}");
        };
        assert_eq!(*budget, 64 * 1024);
        assert!(estimated > budget && part_bytes <= estimated);
        let text = error.to_string();
        assert!(text.contains("HostConfig::module_heap"), "{text}");
        println!("{kind} x{count}: {text}");
    }
}

#[test]
fn the_estimate_counts_what_the_module_declares() {
    let module = heavy("br-table", 300, MANIFEST).unwrap();
    let shape = Shape::scan(&module.wasm).unwrap();
    assert_eq!(shape.largest_br_table, 300);
    assert_eq!(shape.deepest_nesting, 1);
    assert_eq!(shape.functions, 2);
    let nested = Shape::scan(&heavy("nesting", 77, MANIFEST).unwrap().wasm).unwrap();
    assert_eq!(nested.deepest_nesting, 77);
    let types = Shape::scan(&heavy("types", 10, MANIFEST).unwrap().wasm).unwrap();
    // Ten declared, and `run_task`'s own `() -> i32`.
    assert_eq!(types.types, 11);
    let exports = Shape::scan(&heavy("exports", 10, MANIFEST).unwrap().wasm).unwrap();
    assert_eq!(exports.exports, 12);
}
