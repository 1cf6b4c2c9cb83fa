//! Build script: puts `memory.x` on the linker path for cortex-m-rt's
//! `link.x`, and builds the workspace's example guests `counter` and
//! `primes` to wasm so `src/guests.rs` can embed them (no `.wasm` in git).
//!
//! `wasm_sdk_build::EmbeddedGuests` builds them with a nested `cargo build`
//! of the workspace, `WASM_SDK_MEMORY=tight` (1-byte pages: linear memory is
//! just stack, data and heap, ~4.4 KiB for the counter instead of a 64 KiB
//! page), without inheriting this firmware's thumbv8m build settings.

use std::env;
use std::fs;
use std::path::PathBuf;

use wasm_sdk_build::{EmbeddedGuests, MemoryMode};

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    // cortex-m-rt's `link.x` includes `memory.x` from the linker search path.
    fs::copy(manifest_dir.join("memory.x"), out_dir.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out_dir.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");

    // Each guest ends up as `$OUT_DIR/<name>.wasm`.
    EmbeddedGuests::new("../..")
        .guest("counter")
        .guest("primes")
        .watch([
            "examples/counter",
            "examples/primes",
            "examples/common",
            "wasm-sdk",
            "wasm-sdk-abi",
            "wasm-sdk-macros",
            "wasm-sdk-build",
        ])
        .memory(MemoryMode::Tight)
        .build();

    // `WASM_SDK_PUBLIC_KEY=FILE`: serve mode refuses modules not signed
    // with that key (`cfg(signed_modules)`).
    wasm_sdk_build::embed_public_key();
}
