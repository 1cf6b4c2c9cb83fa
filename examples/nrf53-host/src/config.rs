//! How every guest runs: the host's configuration.
//!
//! A module of the firmware and of its build script, which validates and
//! stamps the built-in guests with it (the engine settings in it must be
//! the firmware's, `HostConfig::engine_stamp`) and writes it as the
//! device's profile (`nrf53-host.profile.json`, read by `wasm-sdk run
//! --profile`, `inspect --profile` and `deploy --profile`).

use wasm_sdk_host::HostConfig;
use wasm_sdk_host::shape::Costs;

/// Fuel (about one unit per Wasm instruction) a guest may use before it is
/// preempted, so the longest a guest holds the CPU. At the app core's
/// 64 MHz that is estimated at 1 to 2 ms of interpretation (not measured:
/// no hardware here); the temperature ticker logs the lateness it actually
/// sees, which is what to tune this by.
pub const FUEL_PER_SLICE: u64 = 20_000;

/// Largest linear memory a guest may have. The tight guests have well
/// under it: stack, data, heap arena (the book's figures page, "Linear
/// memory").
pub const MEMORY_BUDGET: u64 = 16 * 1024;

/// Largest message a guest may send. Each queued message is a heap
/// allocation, so this bounds what a misbehaving guest can hold in its
/// output channels (`PORT_DEPTH` messages each); the examples send at most a
/// few bytes.
pub const MAX_MESSAGE_LEN: usize = 64;

/// Largest module: the host's default, which a slot's bank holds beside
/// its 64-byte image header (`smp::BANK`, whole 4 KiB erase pages), so an
/// upload too large is refused by this budget, with its name. What such
/// a module may take to load is `MODULE_HEAP`'s to say.
pub const MAX_MODULE_SIZE: usize = 64 * 1024;

/// Heap one module's load may take beside its linear memory
/// (`HostConfig::module_heap`), as the host estimates it before the engine
/// sees the module: a module that would take more is refused
/// (`LoadError::ModuleHeap`), by the install check for an upload and by
/// the build script for a built-in guest. The estimate is an upper bound
/// (check 8 of `tests/qemu-checks` prints it beside what the example
/// guests take), so the largest built-in guest, the alarm, must fit it;
/// the heap (`HEAP_SIZE`) keeps this much free beside the running guests
/// for an upload's check.
pub const MODULE_HEAP: usize = 64 * 1024;

/// How every guest runs.
pub fn host_config() -> HostConfig {
    HostConfig {
        fuel_per_slice: Some(FUEL_PER_SLICE),
        total_fuel: None,
        memory_budget: MEMORY_BUDGET,
        max_message_len: MAX_MESSAGE_LEN,
        max_module_size: MAX_MODULE_SIZE,
        module_heap: MODULE_HEAP,
        // The device's: `build.rs` checks the built-in guests with this
        // configuration on the desktop.
        module_costs: Costs::POINTER_32,
        ..HostConfig::default()
    }
}
