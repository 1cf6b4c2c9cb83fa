//! Build script of the nRF5340 firmware.
//!
//! 1. Puts `memory.x` where cortex-m-rt's `link.x` finds it and passes the
//!    linker scripts. They are `rustc-link-arg-bins` rather than rustflags in
//!    `.cargo/config.toml` because a `RUSTFLAGS` environment variable
//!    silently replaces config rustflags (and CI often sets one).
//! 2. Builds the workspace's example guests `counter`, `alarm` and `primes`
//!    to Wasm, so no `.wasm` file lives in git; `src/guests.rs` embeds them
//!    with `include_bytes!`. `WASM_SDK_MEMORY=tight` gives them 1-byte pages:
//!    each guest's linear memory is its stack plus data, a few KiB, instead
//!    of a 64 KiB page.
//!
//! The guests get their own target directory under `OUT_DIR`: the
//! workspace's target directory may be locked by a concurrent build, and
//! the nested build must not share this firmware's thumb settings.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The guests embedded in the firmware (package names in the workspace).
const GUESTS: [&str; 3] = ["counter", "alarm", "primes"];

/// What the guests are built from, relative to the workspace root: a change
/// there rebuilds them.
const GUEST_SOURCES: [&str; 8] = [
    "examples/counter",
    "examples/alarm",
    "examples/primes",
    "examples/common",
    "wasm-sdk",
    "wasm-sdk-macros",
    "wasm-sdk-abi",
    "wasm-sdk-build",
];

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));

    link_scripts(&manifest_dir, &out_dir);

    // The size baseline (`--features no-wasm`) embeds no guests.
    if env::var_os("CARGO_FEATURE_NO_WASM").is_none() {
        let workspace = manifest_dir.join("../..");
        build_guests(&workspace, &out_dir.join("guests"));
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
        println!("cargo::rustc-link-arg-bins=-Tlink.x");
        println!("cargo::rustc-link-arg-bins=-Tdefmt.x");
    }
}

/// Runs `cargo build --release --target wasm32-unknown-unknown` for the
/// guests with `WASM_SDK_MEMORY=tight`, into `target_dir`.
fn build_guests(workspace: &Path, target_dir: &Path) {
    for source in GUEST_SOURCES {
        for part in ["src", "Cargo.toml", "build.rs"] {
            let path = workspace.join(source).join(part);
            if path.exists() {
                println!("cargo::rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo::rerun-if-changed={}", workspace.join("Cargo.toml").display());
    println!("cargo::rerun-if-changed={}", workspace.join("Cargo.lock").display());

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    // Run from the workspace root so only its configuration applies, not
    // this crate's `.cargo/config.toml` (thumb target, runner).
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .args(GUESTS.iter().flat_map(|guest| ["-p", *guest]))
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        // Build-script stdout is read by cargo as directives: keep the
        // nested build's output on stderr.
        .stdout(Stdio::from(io::stderr()));
    for (key, _) in env::vars_os() {
        if leaks_into_nested_build(&key) {
            cmd.env_remove(&key);
        }
    }
    cmd.env("WASM_SDK_MEMORY", "tight").env_remove("WASM_SDK_STACK_SIZE");

    let status = cmd.status().expect("run cargo to build the guests");
    assert!(status.success(), "building the guests {GUESTS:?} to wasm failed ({status})");

    let wasm_dir = target_dir.join("wasm32-unknown-unknown/release");
    for guest in GUESTS {
        let wasm = wasm_dir.join(format!("{guest}.wasm"));
        assert!(wasm.is_file(), "guest build produced no {}", wasm.display());
    }
}

/// Environment variables cargo sets for this build script (or that the
/// firmware build was started with) that would change the nested guest
/// build: target, rustflags, target dir, profile overrides, this package's
/// cfgs and features, and clippy's wrapper. The jobserver (`CARGO_MAKEFLAGS`)
/// and the toolchain (`RUSTC`, `RUSTUP_TOOLCHAIN`) are kept on purpose.
fn leaks_into_nested_build(key: &OsStr) -> bool {
    let Some(key) = key.to_str() else { return false };
    const EXACT: [&str; 15] = [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "OPT_LEVEL",
        "PROFILE",
        "DEBUG",
    ];
    const PREFIXES: [&str; 9] = [
        "CARGO_BUILD_",
        "CARGO_TARGET_",
        "CARGO_CFG_",
        "CARGO_FEATURE_",
        "CARGO_PROFILE_",
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CLIPPY_",
        "__CARGO",
    ];
    EXACT.contains(&key) || PREFIXES.iter().any(|prefix| key.starts_with(prefix))
}
