//! Build script of the nRF5340 firmware.
//!
//! 1. Puts `memory.x` where cortex-m-rt's `link.x` finds it and passes the
//!    linker scripts and `--icf=all`. They are `rustc-link-arg-bins` rather
//!    than rustflags in `.cargo/config.toml` because a `RUSTFLAGS`
//!    environment variable silently replaces config rustflags (and CI often
//!    sets one). The one config rustflag, sha2's compact backend, cannot be
//!    passed from here: a warning says when a `RUSTFLAGS` dropped it.
//! 2. Builds the workspace's example guests `counter`, `alarm` and `primes`
//!    to Wasm, so no `.wasm` file lives in git; `src/guests.rs` embeds them
//!    with `include_bytes!`. `WASM_SDK_MEMORY=tight` gives them 1-byte pages:
//!    each guest's linear memory is its stack plus data, a few KiB, instead
//!    of a 64 KiB page.
//! 3. Writes the service catalog (`src/catalog.rs`) as
//!    `nrf53-host.catalog.json` beside the firmware, and its host
//!    configuration (`src/config.rs`) as the device profile
//!    `nrf53-host.profile.json`.
//! 4. Validates and stamps them (`Host::stamp`) with the firmware's own
//!    `HostConfig` (`src/config.rs`, a module of both), for trusted
//!    loading.
//!
//! `wasm_sdk_build::EmbeddedGuests` builds them into their own target
//! directory under `OUT_DIR` (the workspace's may be locked by a concurrent
//! build), without inheriting this firmware's thumb settings.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use wasm_sdk_build::{EmbeddedGuests, MemoryMode};
use wasm_sdk_host::Host;
use wasm_sdk_host::abi::queue::QueueEnv;
use wasm_sdk_testhost::{DeviceCatalog, DeviceProfile};

/// The firmware's service catalog (`--features update`): `CATALOG`.
#[allow(dead_code)]
#[path = "src/catalog.rs"]
mod catalog;

/// The firmware's configuration: `host_config()`.
#[allow(dead_code)]
#[path = "src/config.rs"]
mod config;

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));

    link_scripts(&manifest_dir, &out_dir);
    check_sha2_backend();

    // The size baseline (`--features no-wasm`) embeds no guests. Each guest
    // ends up as `$OUT_DIR/<name>.wasm`.
    if env::var_os("CARGO_FEATURE_NO_WASM").is_none() {
        EmbeddedGuests::new("../..")
            .guest("counter")
            .guest("alarm")
            .guest("primes")
            .memory(MemoryMode::Tight)
            .build();
        for guest in ["counter", "alarm", "primes"] {
            stamp(&out_dir.join(format!("{guest}.wasm")));
        }
    }

    write_catalog();
    write_profile();

    // `WASM_SDK_PUBLIC_KEY=FILE` (an absolute path): with `--features update`
    // the firmware refuses modules not signed with that key.
    wasm_sdk_build::embed_public_key();
}

/// Writes the catalog `src/catalog.rs` declares as `nrf53-host.catalog.json`
/// beside the firmware, with the schemas the firmware sends for `guests
/// services` (an `update` build serves it).
fn write_catalog() {
    println!("cargo::rerun-if-changed=src/catalog.rs");
    let services = catalog::CATALOG.services();
    DeviceCatalog::declared(services.map(|s| (s.name, s.direction, s.ty.key, s.schema)))
        .save_beside_firmware("nrf53-host");
}

/// Writes the firmware's host configuration (`src/config.rs`) as
/// `nrf53-host.profile.json` beside the firmware: its budgets, and the
/// memory layout it builds its own guests with.
fn write_profile() {
    println!("cargo::rerun-if-changed=src/config.rs");
    DeviceProfile::new("nrf53-host", &config::host_config(), MemoryMode::Tight)
        .save_beside_firmware("nrf53-host");
}

/// Validates a built-in guest as the firmware's host loads it and stamps it
/// in place (`Host::stamp`), so a build without on-device validation
/// (`--no-default-features`) loads it with `Host::load_trusted`. A module
/// the host would refuse fails the build here, with the reason.
fn stamp(path: &Path) {
    let wasm = fs::read(path).expect("read the built guest");
    let host = Host::<QueueEnv>::new(config::host_config());
    match host.stamp(&wasm) {
        Ok(stamped) => fs::write(path, stamped).expect("write the stamped guest"),
        Err(error) => panic!("{}: the host refuses it: {error}", path.display()),
    }
}

/// `memory.x` into `OUT_DIR` (on the linker search path) and the linker
/// scripts of cortex-m-rt and defmt, for the firmware target only.
fn link_scripts(manifest_dir: &Path, out_dir: &Path) {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=memory.x");
    fs::copy(manifest_dir.join("memory.x"), out_dir.join("memory.x"))
        .expect("copy memory.x into OUT_DIR");
    println!("cargo::rustc-link-search={}", out_dir.display());

    // A host-target build (e.g. an IDE's `cargo check --target x86_64-...`)
    // must not get embedded linker scripts.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        // `--nmagic`: no page alignment of sections, which would otherwise
        // pad the flash image between `.text` and `.rodata`.
        println!("cargo::rustc-link-arg-bins=--nmagic");
        // Identical code folding: one copy of functions that compiled to
        // the same machine code (generic instances, mostly), less flash.
        // Rust does not promise distinct function addresses (MSVC
        // release links fold the same way by default).
        println!("cargo::rustc-link-arg-bins=--icf=all");
        println!("cargo::rustc-link-arg-bins=-Tlink.x");
        println!("cargo::rustc-link-arg-bins=-Tdefmt.x");
    }
}

/// Warns when sha2's compact backend (`.cargo/config.toml`) is not in the
/// target's rustflags, e.g. because a `RUSTFLAGS` variable replaced them:
/// the unrolled SHA-256 costs more flash.
fn check_sha2_backend() {
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    println!("cargo::rerun-if-env-changed=RUSTFLAGS");
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if !flags.contains("sha2_backend_soft=\"compact\"") {
        println!(
            "cargo::warning=sha2's compact backend is off (+6.5 KiB flash): add \
             --cfg sha2_backend_soft=\"compact\" to RUSTFLAGS, which replaces \
             .cargo/config.toml's rustflags"
        );
    }
}
