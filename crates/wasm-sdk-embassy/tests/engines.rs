//! The install check loads each module on an engine of its own: wasmi keeps
//! a module's compiled code in its engine until the engine is dropped, so
//! checking module after module on the firmware's one host grew the heap
//! with each. Here the heap is counted around many checks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use wasm_sdk_build::fixture::Fixture;
use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig};
use wasm_sdk_embassy::{PortChannel, Wire, Wiring, check};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn checking_modules_leaves_no_heap_behind() {
    static IN: PortChannel = PortChannel::new();
    static OUT: PortChannel = PortChannel::new();
    static WIRING: Wiring =
        Wiring { inputs: &[Wire::raw("in", &IN)], outputs: &[Wire::raw("out", &OUT)] };
    let host = Host::new(HostConfig::default());
    // Modules that differ, as uploads do (each its own compiled code).
    let modules: Vec<Vec<u8>> = (0..20)
        .map(|i| {
            Fixture::new(format!(
                r#"(module (memory (export "memory") 1)
                     (func (export "run_task") (result i32) (i32.const {i})))"#
            ))
            .inputs(["in"])
            .outputs(["out"])
            .build()
        })
        .collect();
    check(&host, &modules[0], &WIRING).expect("a valid module");
    // The desktop time driver (log rate limits read the clock) starts a
    // thread on its first use, which allocates as it starts: not the
    // checks' heap.
    let _ = embassy_time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let before = LIVE.load(Ordering::Relaxed);
    for module in &modules {
        check(&host, module, &WIRING).expect("a valid module");
    }
    let grown = LIVE.load(Ordering::Relaxed) - before;
    assert_eq!(grown, 0, "20 checks left {grown} B on the heap");
}
