//! Build script: puts `memory.x` on the linker path for cortex-m-rt's
//! `link.x` (for this firmware and for the check rig that links this
//! library), and builds the workspace's `counter` guest to wasm so
//! `src/guests.rs` can embed it (no `.wasm` in git).
//!
//! `wasm_sdk_build::EmbeddedGuests` builds it with a nested `cargo build`
//! of the workspace, `WASM_SDK_MEMORY=tight` (1-byte pages: linear memory is
//! just stack, data and heap instead of a 64 KiB page), without inheriting
//! this firmware's thumbv8m build settings.

use std::env;
use std::fs;
use std::path::PathBuf;

use wasm_sdk_build::{EmbeddedGuests, MemoryMode};
use wasm_sdk_testhost::{DeviceCatalog, DeviceProfile};

/// The firmware's own catalog declarations (`src/catalog.rs`).
#[allow(dead_code)]
#[path = "src/catalog.rs"]
mod catalog;

/// How serve mode runs every guest (`src/config.rs`): `host_config()`.
#[allow(dead_code)]
#[path = "src/config.rs"]
mod config;
use wasm_sdk_host::abi::queue::QueueEnv;
use wasm_sdk_host::{Host, HostConfig};

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    // cortex-m-rt's `link.x` includes `memory.x` from the linker search path.
    fs::copy(manifest_dir.join("memory.x"), out_dir.join("memory.x")).expect("copy memory.x");
    println!("cargo::rustc-link-search={}", out_dir.display());
    println!("cargo::rerun-if-changed=memory.x");
    println!("cargo::rerun-if-changed=build.rs");

    // `$OUT_DIR/counter.wasm`.
    EmbeddedGuests::new("../..").guest("counter").memory(MemoryMode::Tight).build();

    // The built-in counter, validated and stamped for a build without
    // on-device validation (`./serve --trusted`). Serve mode runs it on
    // `HostConfig::default()`'s engine settings (fuel slices aside, which
    // the stamp does not name).
    let counter = out_dir.join("counter.wasm");
    let wasm = fs::read(&counter).expect("read the built counter");
    let stamped = Host::<QueueEnv>::new(HostConfig::default())
        .stamp(&wasm)
        .unwrap_or_else(|error| panic!("the host refuses the counter: {error}"));
    fs::write(&counter, stamped).expect("write the stamped counter");
    // For the check rig's build script: `DEP_QEMU_HOST_COUNTER`.
    println!("cargo::metadata=counter={}", counter.display());

    write_catalog();
    write_profile();

    // `WASM_SDK_PUBLIC_KEY=FILE`: serve mode refuses modules not signed
    // with that key (`cfg(signed_modules)`).
    wasm_sdk_build::embed_public_key();
}

/// Writes the catalog `src/catalog.rs` declares as `qemu-host.catalog.json`
/// beside the firmware, with the schemas the firmware sends for `guests
/// services`.
fn write_catalog() {
    println!("cargo::rerun-if-changed=src/catalog.rs");
    let services = catalog::CATALOG.services();
    DeviceCatalog::declared(services.map(|s| (s.name, s.direction, s.ty.key, s.schema)))
        .save_beside_firmware("qemu-host");
}

/// Writes serve mode's host configuration (`src/config.rs`) as
/// `qemu-host.profile.json` beside the firmware: its budgets, and the
/// memory layout it builds its own guests with.
fn write_profile() {
    println!("cargo::rerun-if-changed=src/config.rs");
    DeviceProfile::new("qemu-host", &config::host_config(), MemoryMode::Tight)
        .save_beside_firmware("qemu-host");
}
