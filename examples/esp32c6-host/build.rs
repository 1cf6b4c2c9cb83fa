//! Build script of the ESP32-C6 firmware.
//!
//! 1. Passes esp-hal's linker script (`-Tlinkall.x`, which pulls in the
//!    C6's memory map and the sections esp-hal and esp-rtos need) and
//!    `--icf=all`. They are `rustc-link-arg-bins` rather than rustflags in
//!    `.cargo/config.toml` because a `RUSTFLAGS` environment variable
//!    silently replaces config rustflags (and CI often sets one).
//! 2. Builds the workspace's example guests `counter` and `primes` to Wasm,
//!    so no `.wasm` file lives in git; `src/guests.rs` embeds them with
//!    `include_bytes!`. `WASM_SDK_MEMORY=tight` gives them 1-byte pages:
//!    each guest's linear memory is its stack plus data, a few KiB.
//!
//! `wasm_sdk_build::EmbeddedGuests` builds them into their own target
//! directory under `OUT_DIR` (the workspace's may be locked by a concurrent
//! build), without inheriting this firmware's RISC-V settings.

use std::env;

use wasm_sdk_build::{EmbeddedGuests, MemoryMode};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    // A host-target build (e.g. an IDE's `cargo check --target x86_64-...`)
    // must not get embedded linker scripts.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        // Identical code folding: one copy of functions that compiled to
        // the same machine code (generic instances, mostly). Rust does not
        // promise distinct function addresses.
        println!("cargo::rustc-link-arg-bins=--icf=all");
        println!("cargo::rustc-link-arg-bins=-Tlinkall.x");
    }

    // The size baseline (`--features no-wasm`) embeds no guests. Each guest
    // ends up as `$OUT_DIR/<name>.wasm`.
    if env::var_os("CARGO_FEATURE_NO_WASM").is_none() {
        EmbeddedGuests::new("../..")
            .guest("counter")
            .guest("primes")
            .memory(MemoryMode::Tight)
            .build();
    }
}
