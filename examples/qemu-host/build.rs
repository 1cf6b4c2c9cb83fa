//! Build script: puts `memory.x` on the linker path for cortex-m-rt's
//! `link.x`, and builds the workspace's example guests `counter` and
//! `primes` to wasm so `src/guests.rs` can embed them (no `.wasm` in git).
//!
//! The guests are built by a nested `cargo build` of the workspace with
//! `WASM_SDK_MEMORY=tight` (1-byte pages: linear memory is just stack, data
//! and heap, ~4.4 KiB for the counter instead of a 64 KiB page). The nested
//! cargo must not inherit this firmware's build configuration, so every
//! `CARGO_*` variable that configures a build (target, rustflags, profiles,
//! target dir, the `CARGO_CFG_*` / `CARGO_FEATURE_*` cargo passes to build
//! scripts) and `RUSTFLAGS` are removed from its environment, and it runs
//! from the workspace root so this crate's `.cargo/config.toml` (thumbv8m)
//! is not found either.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The guests to build, by package name; each ends up as
/// `$OUT_DIR/<name>.wasm`.
const GUESTS: [&str; 2] = ["counter", "primes"];

/// Workspace paths whose changes must rebuild the guests (relative to the
/// workspace root). Not all of `examples/`: that holds this crate's own
/// `target/`, which changes on every build.
const GUEST_SOURCES: [&str; 9] = [
    "Cargo.toml",
    "Cargo.lock",
    "examples/counter",
    "examples/primes",
    "examples/common",
    "wasm-sdk",
    "wasm-sdk-abi",
    "wasm-sdk-macros",
    "wasm-sdk-build",
];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let workspace = manifest_dir.join("../..");

    // cortex-m-rt's `link.x` includes `memory.x` from the linker search path.
    fs::copy(manifest_dir.join("memory.x"), out_dir.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out_dir.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");

    for source in GUEST_SOURCES {
        println!("cargo:rerun-if-changed={}", workspace.join(source).display());
    }
    build_guests(&workspace, &out_dir);
}

/// Runs `cargo build --release --locked --target wasm32-unknown-unknown` for
/// [`GUESTS`] in the workspace and copies the modules to `out_dir`.
fn build_guests(workspace: &Path, out_dir: &Path) {
    let target_dir = out_dir.join("guests");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        // `--locked`: a build script must not rewrite the workspace's
        // Cargo.lock; a stale one is an error to fix in the workspace.
        .args(["build", "--release", "--locked", "--target", "wasm32-unknown-unknown"])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for guest in GUESTS {
        command.args(["-p", guest]);
    }
    for (key, _) in env::vars_os() {
        if leaks_build_config(&key) {
            command.env_remove(&key);
        }
    }
    // Tight memory for every guest; the guests' own stack sizes apply.
    command.env("WASM_SDK_MEMORY", "tight").env_remove("WASM_SDK_STACK_SIZE");

    let status = command.status().expect("run cargo for the wasm guests");
    assert!(status.success(), "building the wasm guests failed: {status}");

    let release = target_dir.join("wasm32-unknown-unknown/release");
    for guest in GUESTS {
        let wasm = format!("{guest}.wasm");
        fs::copy(release.join(&wasm), out_dir.join(&wasm))
            .unwrap_or_else(|e| panic!("copy {wasm}: {e}"));
    }
}

/// Whether environment variable `key` would configure the nested guest
/// build with this firmware's settings (or this invocation's tools).
///
/// Kept: `CARGO_HOME` and the registry, network, HTTP and terminal settings
/// (where and how to fetch, how to print), and `CARGO_MAKEFLAGS` (the
/// jobserver, so the nested build shares this build's job limit).
fn leaks_build_config(key: &OsStr) -> bool {
    let Some(key) = key.to_str() else {
        return false;
    };
    const KEEP: [&str; 7] = [
        "CARGO_HOME",
        "CARGO_MAKEFLAGS",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_TERM_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
    ];
    match key {
        // `cargo clippy` wraps rustc for this package only; the guests are
        // built, not linted.
        "RUSTFLAGS" | "RUSTDOCFLAGS" | "RUSTC_WORKSPACE_WRAPPER" => true,
        _ if key.starts_with("CARGO_") => !KEEP.iter().any(|keep| key.starts_with(keep)),
        _ => false,
    }
}
