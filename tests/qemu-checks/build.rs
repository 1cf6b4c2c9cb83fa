//! Build script: builds the workspace's `primes` and `coremark-guest`
//! guests to wasm (the counter comes from the `qemu-host` library, built
//! by its build script), and generates the modules of checks 6 and 8: the
//! repository's hostile set and the heavy-module sweep.
//!
//! `memory.x` is on the linker path from `qemu-host`'s build script.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use wasm_sdk_build::heavy::{HEAVY_KINDS, heavy};
use wasm_sdk_build::hostile::read_set;
use wasm_sdk_build::{EmbeddedGuests, MemoryMode};
use wasm_sdk_host::ModuleInfo;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    println!("cargo::rerun-if-changed=build.rs");

    // Each guest ends up as `$OUT_DIR/<name>.wasm`.
    EmbeddedGuests::new("../..")
        .guest("primes")
        .guest("coremark-guest")
        .memory(MemoryMode::Tight)
        .build();

    embed_hostile_set(&manifest_dir, &out_dir);
    let counter = env::var_os("DEP_QEMU_HOST_COUNTER").expect("qemu-host's build script");
    let counter = fs::read(&counter).expect("read the built counter");
    embed_heavy_sweep(&counter, &out_dir);
}

/// The repository's hostile set (`tests/fixtures/hostile`, read by
/// `wasm_sdk_build::hostile`): each module compiled to
/// `$OUT_DIR/hostile/<name>.wasm`, and `$OUT_DIR/hostile.rs` listing them
/// with the outcome their header names for the firmware (check 6).
fn embed_hostile_set(manifest_dir: &Path, out_dir: &Path) {
    let dir = manifest_dir.join("../fixtures/hostile");
    println!("cargo:rerun-if-changed={}", dir.display());
    let set = read_set(&dir).unwrap_or_else(|e| panic!("the hostile set: {e}"));
    let wasm_dir = out_dir.join("hostile");
    fs::create_dir_all(&wasm_dir).expect("create $OUT_DIR/hostile");
    let mut table = String::from("&[\n");
    for module in &set {
        let path = wasm_dir.join(format!("{}.wasm", module.name));
        fs::write(&path, &module.wasm).expect("write a hostile module");
        writeln!(
            table,
            "    HostileModule {{ name: {:?}, wasm: include_bytes!({:?}), kind: {:?}, text: {:?} }},",
            module.name,
            path.display().to_string(),
            module.firmware.kind,
            module.firmware.text,
        )
        .expect("write to a String");
    }
    table.push(']');
    fs::write(out_dir.join("hostile.rs"), table).expect("write hostile.rs");
}

/// Module bytes an update slot of the serve mode holds (`examples/qemu-host/src/serve.rs`:
/// a 16 KiB bank less its 64-byte header): the largest module an attacker
/// gets to the install check.
const SLOT: usize = 16 * 1024 - 64;

/// Check 8's sweep: for each kind of [`heavy`] module, with the counter's
/// own manifest (so each would start in the counter's place), a ladder of
/// counts up to the most that fit an update slot, compiled to
/// `$OUT_DIR/heavy/<kind>-<count>.wasm` and listed in `$OUT_DIR/heavy.rs`.
fn embed_heavy_sweep(counter: &[u8], out_dir: &Path) {
    let info = ModuleInfo::parse(counter).expect("the counter parses");
    let manifest = info.manifest.expect("the counter has a manifest");
    let module = |kind: &str, count: u32| {
        heavy(kind, count, &manifest).unwrap_or_else(|e| panic!("heavy {kind} x{count}: {e}"))
    };
    let dir = out_dir.join("heavy");
    fs::create_dir_all(&dir).expect("create $OUT_DIR/heavy");
    let mut table = String::from("&[\n");
    let mut add = |kind: &str, count: u32, wasm: &[u8]| {
        let path = dir.join(format!("{kind}-{count}.wasm"));
        fs::write(&path, wasm).expect("write a heavy module");
        writeln!(
            table,
            "    HeavyModule {{ kind: {kind:?}, count: {count}, wasm: include_bytes!({:?}) }},",
            path.display().to_string(),
        )
        .expect("write to a String");
    };
    add("empty", 0, &module("functions", 0).wasm);
    for kind in HEAVY_KINDS {
        // The most that fit the slot: the step doubles until a module is
        // too large, then halves (a binary search below that one).
        let (mut fits, mut step, mut growing) = (0u32, 1u32, true);
        while step > 0 {
            let count = fits.saturating_add(step);
            if count < 1 << 24 && module(kind, count).wasm.len() <= SLOT {
                fits = count;
                step = if growing { step.saturating_mul(2) } else { step / 2 };
            } else {
                growing = false;
                step /= 2;
            }
        }
        for count in [16, 64, 128, 256, 512, 1024].into_iter().filter(|&n| n < fits).chain([fits]) {
            add(kind, count, &module(kind, count).wasm);
        }
    }
    table.push(']');
    fs::write(out_dir.join("heavy.rs"), table).expect("write heavy.rs");
}
