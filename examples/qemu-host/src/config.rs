//! How serve mode runs every guest: the host's configuration.
//!
//! A module of the firmware and of its build script, which writes it as
//! the device's profile (`qemu-host.profile.json`, read by `wasm-sdk run
//! --profile`, `inspect --profile` and `deploy --profile`): a module that
//! loads on the desktop with the profile loads here.

use wasm_sdk_host::HostConfig;
use wasm_sdk_host::shape::Costs;

/// Fuel per slice: how much Wasm a guest runs before `drive` yields to the
/// executor. Small enough that a tick waits at most two slices and the
/// timer resolution (check 2 measures the lateness), large enough that the
/// cost of a slice switch stays a small share of the slice; a counter
/// message always fits in one slice.
pub const FUEL_PER_SLICE: u64 = 50_000;

/// The message limit: a `Counter` takes at most 5 bytes, and what the
/// firmware holds per guest is this times its copies
/// (`wasm_sdk_embassy::held_message_bytes`), beside the guest's own memory
/// in the heap. A larger send gets `MessageTooLarge`; a larger `guests
/// send` is refused.
pub const MESSAGE_LEN: usize = 64;

/// Largest module: the host's default module size, which a slot's bank
/// holds with its image header (`serve::BANK`).
pub const MAX_MODULE_SIZE: usize = 64 * 1024;

/// The heap budget of one module's load (`HostConfig::module_heap`):
/// fixed rather than derived from the heap, because the over-the-air
/// hostile set's expected outcomes (refused by this budget, or running
/// within it) were measured against it.
pub const MODULE_HEAP: usize = 64 * 1024;

/// How every guest of serve mode runs.
pub fn host_config() -> HostConfig {
    HostConfig {
        fuel_per_slice: Some(FUEL_PER_SLICE),
        max_message_len: MESSAGE_LEN,
        max_module_size: MAX_MODULE_SIZE,
        module_heap: MODULE_HEAP,
        // The device's, also when the build script writes the profile on
        // a 64-bit desktop.
        module_costs: Costs::POINTER_32,
        ..HostConfig::default()
    }
}
