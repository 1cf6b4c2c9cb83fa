//! Every example guest, built to wasm as a module author would, meets the
//! SDK's promises: one 64 KiB page with an explicit stack, only `connectors`
//! imports with the ABI's signatures, `run_task` and `memory` exported, a
//! valid manifest, MVP-only code for `wasm32v1-none`, and the counter's size
//! and tight-memory budgets. The sizes and memory are printed and written
//! to `figures/guests.toml`, from which the book's tables are made
//! (`tests/tests/figures.rs`).

use wasm_sdk_abi::manifest::Manifest;
use wasm_sdk_abi::{
    ABI_VERSION, IMPORT_MODULE, MEMORY_EXPORT, RUN_TASK_EXPORT, STACK_POINTER_EXPORT,
    import_signature,
};
use wasm_sdk_tests::{Figures, ModuleInfo, TARGETS, build_guest, report, validate, wasm_opt_size};
use wasmparser::{ExternalKind, ValType, WasmFeatures};

/// A guest with its expected wiring and stack size.
struct Guest {
    package: &'static str,
    inputs: &'static [&'static str],
    outputs: &'static [&'static str],
    stack: i32,
}

const GUESTS: [Guest; 10] = [
    Guest { package: "counter", inputs: &["wasm_input"], outputs: &["wasm_data"], stack: 4096 },
    Guest {
        package: "alarm",
        inputs: &["reading", "thresholds"],
        outputs: &["alarm", "average"],
        stack: 8192,
    },
    Guest { package: "faulty", inputs: &["command"], outputs: &["echo"], stack: 8192 },
    Guest { package: "primes", inputs: &["limit"], outputs: &["count"], stack: 4096 },
    Guest { package: "echo", inputs: &["input"], outputs: &["output"], stack: 4096 },
    Guest { package: "coremark", inputs: &["iterations"], outputs: &["report"], stack: 8192 },
    // A catalog firmware's guests: ports named for its services and topics.
    Guest { package: "thermostat", inputs: &["temperature"], outputs: &["alarm"], stack: 8192 },
    Guest {
        package: "smoother",
        inputs: &["temperature"],
        outputs: &["topic/smoothed"],
        stack: 8192,
    },
    Guest {
        package: "smoothed-alarm",
        inputs: &["topic/smoothed"],
        outputs: &["alarm"],
        stack: 8192,
    },
    Guest {
        package: "heartbeat",
        inputs: &["tick", "temperature"],
        outputs: &["timer", "alarm"],
        stack: 8192,
    },
];

/// Largest release `counter.wasm` we accept, a little over its size when
/// set; the goal of 1,536 B is not reached
/// (docs/src/reference/figures.md, "Module sizes").
const COUNTER_BUDGET: usize = 1792;
/// Largest tight-mode linear memory for the counter.
const COUNTER_TIGHT_BUDGET: u64 = 16 * 1024;

/// The data file these tests write, and the command that writes it.
fn figures() -> Figures {
    Figures::new("guests.toml", "cargo test -p wasm-sdk-tests --test guests -- --include-ignored")
}

fn load(package: &str, target: &str, env: &[(&str, &str)]) -> (Vec<u8>, ModuleInfo) {
    let bytes = std::fs::read(build_guest(package, target, env)).expect("read module");
    let info = ModuleInfo::parse(&bytes).expect("well-formed module");
    (bytes, info)
}

/// One 64 KiB page that cannot grow.
fn assert_one_page(info: &ModuleInfo, what: &str) {
    let [memory] = info.memories[..] else { panic!("{what}: {:?}", info.memories) };
    assert_eq!((memory.initial, memory.maximum, memory.page_size), (1, Some(1), 65536), "{what}");
}

/// The host-facing shape every guest must have, whatever its memory mode.
fn check_interface(guest: &Guest, target: &str, info: &ModuleInfo) {
    let what = format!("{} ({target})", guest.package);
    assert!(info.other_imports.is_empty(), "{what}: non-function imports {:?}", info.other_imports);
    for import in &info.imports {
        assert_eq!(import.module, IMPORT_MODULE, "{what}: import {import:?}");
        let sig = import_signature(&import.name)
            .unwrap_or_else(|| panic!("{what}: `{}` is not an ABI import", import.name));
        assert_eq!(import.params, vec![ValType::I32; sig.params], "{what}: {}", import.name);
        assert_eq!(import.results, [ValType::I32], "{what}: {}", import.name);
    }

    assert!(!info.has_start, "{what}: start function");
    assert_eq!(info.func_exports.len(), 1, "{what}: exported functions {:?}", info.func_exports);
    let run_task = &info.func_exports[0];
    assert_eq!(run_task.name, RUN_TASK_EXPORT, "{what}");
    assert!(
        run_task.params.is_empty() && run_task.results == [ValType::I32],
        "{what}: {run_task:?}"
    );
    assert!(
        info.other_exports.contains(&(MEMORY_EXPORT.to_owned(), ExternalKind::Memory)),
        "{what}: no `memory` export"
    );
    // rustc always exports these two linker globals for wasm32 cdylibs;
    // they are read-only addresses, harmless to a host. The SDK's build
    // exports the stack pointer, for the host to name a stack overflow.
    let globals = ["__data_end", "__heap_base", STACK_POINTER_EXPORT];
    for (name, kind) in &info.other_exports {
        let allowed = name == MEMORY_EXPORT
            || (*kind == ExternalKind::Global && globals.contains(&name.as_str()));
        assert!(allowed, "{what}: unexpected export `{name}` ({kind:?})");
    }
    assert!(
        info.other_exports.contains(&(STACK_POINTER_EXPORT.to_owned(), ExternalKind::Global)),
        "{what}: no `{STACK_POINTER_EXPORT}` export"
    );

    let section = info.manifest.as_deref().unwrap_or_else(|| panic!("{what}: no manifest"));
    let manifest = Manifest::parse(section).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(manifest.abi_version(), ABI_VERSION, "{what}");
    assert_eq!(manifest.inputs().iter().collect::<Vec<_>>(), guest.inputs, "{what}");
    assert_eq!(manifest.outputs().iter().collect::<Vec<_>>(), guest.outputs, "{what}");

    assert_eq!(info.stack_pointer, Some(guest.stack), "{what}: stack size");
}

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn every_guest_fits_one_page_with_the_abi_interface() {
    for guest in &GUESTS {
        for target in TARGETS {
            let (bytes, info) = load(guest.package, target, &[]);
            check_interface(guest, target, &info);
            assert_one_page(&info, guest.package);
            if target == "wasm32v1-none" {
                // MVP plus mutable globals: what the smallest runtimes accept.
                validate(&bytes, WasmFeatures::WASM1).unwrap_or_else(|e| {
                    panic!("{} for wasm32v1-none is not MVP-only: {e}", guest.package)
                });
            } else {
                validate(&bytes, WasmFeatures::default()).expect("valid module");
            }
        }
    }
}

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn counter_release_size_is_within_budget() {
    report("");
    report("guest sizes (cargo build --release, opt-level 3, LTO, strip):");
    report("  module                     target                   bytes  wasm-opt -Oz");
    let mut counter = None;
    let mut figures = figures();
    for guest in &GUESTS {
        for target in TARGETS {
            let path = build_guest(guest.package, target, &[]);
            let size = std::fs::metadata(&path).expect("module").len() as usize;
            let opt = wasm_opt_size(&path);
            figures.number(target, guest.package, size);
            if let Some(opt) = opt {
                figures.number(&format!("{target}-wasm-opt"), guest.package, opt);
            }
            let opt = opt.map_or_else(|| "(wasm-opt not installed)".to_owned(), |n| n.to_string());
            report(&format!(
                "  {:<26} {target:<24} {size:>5}  {opt}",
                format!("{}.wasm", guest.package)
            ));
            if guest.package == "counter" && target == TARGETS[0] {
                counter = Some(size);
            }
        }
    }
    let size = counter.expect("counter built");
    // The talk's untyped slide, built from the same crate: what typed ports
    // cost (their manifest entries) or save (buffers sized by the type).
    let talk = build_guest("counter", TARGETS[0], &[("COUNTER_FORM", "talk")]);
    let talk_size = std::fs::metadata(&talk).expect("module").len();
    let manifest = |path: &std::path::Path| {
        let info = ModuleInfo::parse(&std::fs::read(path).expect("module")).expect("parse");
        info.manifest.expect("manifest").len()
    };
    let typed_manifest = manifest(&build_guest("counter", TARGETS[0], &[]));
    let talk_manifest = manifest(&talk);
    report(&format!(
        "  counter.wasm: typed ports {size} B (manifest {typed_manifest} B), the talk's untyped \
         form {talk_size} B (manifest {talk_manifest} B)",
    ));
    figures
        .number("counter", "budget", COUNTER_BUDGET)
        .number("counter", "typed", size)
        .number("counter", "typed_manifest", typed_manifest)
        .number("counter", "talk", talk_size)
        .number("counter", "talk_manifest", talk_manifest)
        .write();
    assert!(size <= COUNTER_BUDGET, "counter.wasm is {size} bytes, budget {COUNTER_BUDGET}");
}

/// The obvious guest, `let n = receive(&mut buf, ..)?; send(&buf[..n], ..)?`,
/// is within 10% of the panic-free `.get(..n)` form: `receive` is shaped so
/// the optimizer proves `n <= buf.len()` and no panic path (with the
/// `core::fmt` it links) survives.
#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn obvious_indexing_costs_nothing() {
    let size = |env: &[(&str, &str)]| {
        let path = build_guest("echo", TARGETS[0], env);
        std::fs::metadata(&path).expect("module").len()
    };
    let obvious = size(&[]);
    let best = size(&[("ECHO_FORM", "get")]);
    report(&format!("  echo.wasm: `&buf[..n]` {obvious} B, `.get(..n)` {best} B"));
    figures().number("echo-forms", "obvious", obvious).number("echo-forms", "get", best).write();
    assert!(obvious * 10 <= best * 11, "`&buf[..n]` echo is {obvious} B, `.get(..n)` {best} B");
}

/// The talk's counter as an author writes it with lengths, `&buffer[..n]`
/// after `receive` and `&buffer[0..n_write]` after `serialize_into`, is
/// within 10% of the same module with `.get(..)`: both lengths come back
/// clamped to the buffer, so neither index keeps a panic path (and the
/// `core::fmt` that core's panics link). The slide itself, which decodes
/// the whole buffer, is held to the same bound.
#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn talk_indexing_costs_nothing() {
    let size = |form: &str| {
        let path = build_guest("counter", TARGETS[0], &[("COUNTER_FORM", form)]);
        std::fs::metadata(&path).expect("module").len()
    };
    let slide = size("talk");
    let indexed = size("indexed");
    let best = size("indexed-get");
    report(&format!(
        "  counter.wasm, talk forms: the slide {slide} B, `&buffer[..n]` {indexed} B, \
         `.get(..n)` {best} B"
    ));
    figures()
        .number("counter-forms", "talk", slide)
        .number("counter-forms", "indexed", indexed)
        .number("counter-forms", "get", best)
        .write();
    assert!(indexed * 10 <= best * 11, "indexed counter is {indexed} B, `.get(..)` {best} B");
    assert!(slide * 10 <= best * 11, "the talk's slide is {slide} B, `.get(..)` {best} B");
}

/// A typed module that receives a struct and sends an enum (`thermostat`:
/// `Reading` in, `AlarmEvent` out) is within 10% of the same loop written
/// by hand with the raw calls and `.get(..)` (`THERMOSTAT_FORM=hand`):
/// typed ports leave no panic path either.
#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn typed_ports_cost_nothing() {
    let size = |env: &[(&str, &str)]| {
        let path = build_guest("thermostat", TARGETS[0], env);
        std::fs::metadata(&path).expect("module").len()
    };
    let typed = size(&[]);
    let hand = size(&[("THERMOSTAT_FORM", "hand")]);
    report(&format!("  thermostat.wasm: typed ports {typed} B, by hand {hand} B"));
    figures()
        .number("thermostat-forms", "typed", typed)
        .number("thermostat-forms", "hand", hand)
        .write();
    assert!(typed * 10 <= hand * 11, "typed thermostat is {typed} B, by hand {hand} B");
}

/// Builds `guest` in tight mode and returns its linear memory in bytes.
fn tight_memory(guest: &Guest) -> u64 {
    let (bytes, info) = load(guest.package, TARGETS[0], &[("WASM_SDK_MEMORY", "tight")]);
    check_interface(guest, "tight", &info);
    let [memory] = info.memories[..] else { panic!("one memory expected: {:?}", info.memories) };
    assert_eq!(memory.page_size, 1, "tight mode uses 1-byte pages");
    assert_eq!(memory.maximum, Some(memory.initial), "tight memory cannot grow");
    let initial = memory.initial;
    let features = WasmFeatures::default() | WasmFeatures::CUSTOM_PAGE_SIZES;
    validate(&bytes, features).expect("valid with custom page sizes");
    initial
}

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn tight_memory_is_stack_data_and_heap() {
    let counter = tight_memory(&GUESTS[0]);
    // The counter never allocates, so the linker drops its arena: memory is
    // the stack plus static data.
    assert!(counter > GUESTS[0].stack as u64, "memory {counter} smaller than the stack");
    assert!(counter <= COUNTER_TIGHT_BUDGET, "tight counter needs {counter} bytes");
    report(&format!(
        "tight memory (WASM_SDK_MEMORY=tight): counter {counter} bytes = stack {} + data {} \
         (no allocation, so no arena); page mode: 65536",
        GUESTS[0].stack,
        counter - GUESTS[0].stack as u64
    ));

    // `faulty` allocates, so its 1 KiB arena is part of linear memory.
    let faulty = tight_memory(&GUESTS[2]);
    let heap = 1024;
    assert!(faulty >= GUESTS[2].stack as u64 + heap, "faulty memory {faulty} lacks the heap");
    assert!(faulty < 65536 / 4, "faulty memory {faulty} is not tight");
    report(&format!(
        "tight memory: faulty {faulty} bytes = stack {} + heap {heap} + data {}",
        GUESTS[2].stack,
        faulty - GUESTS[2].stack as u64 - heap
    ));
    let t = "tight-memory";
    figures()
        .number(t, "page", 65536)
        .number(t, "counter", counter)
        .number(t, "counter_stack", GUESTS[0].stack)
        .number(t, "counter_budget", COUNTER_TIGHT_BUDGET)
        .number(t, "faulty", faulty)
        .number(t, "faulty_stack", GUESTS[2].stack)
        .number(t, "faulty_heap", heap)
        .write();
}

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn rustflags_env_does_not_drop_memory_settings() {
    // A `RUSTFLAGS` variable replaces `.cargo/config.toml` rustflags; the
    // build-script route must survive it.
    let (_, info) = load("counter", TARGETS[0], &[("RUSTFLAGS", "-Cdebug-assertions=off")]);
    check_interface(&GUESTS[0], "RUSTFLAGS set", &info);
    assert_one_page(&info, "counter with RUSTFLAGS");
}

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn stack_size_can_be_overridden() {
    let (_, info) = load("counter", TARGETS[0], &[("WASM_SDK_STACK_SIZE", "2048")]);
    assert_eq!(info.stack_pointer, Some(2048));
    assert_one_page(&info, "counter with a 2 KiB stack");
}
