//! Structure-aware guests: valid modules from `wasm-smith`, shaped so most
//! of them pass the host's load checks, loaded and stepped with fuel.
//!
//! wasm-smith imports only from `connectors` (the six imports with their
//! ABI signatures), exports `memory` (one page) and `run_task: () -> i32`,
//! has one memory, no start function, no other import, only the proposals
//! the host's wasmi enables, and at most 256 table elements; a
//! `wasm-sdk.manifest` section (one of a few valid ones) is appended. Checks
//! the same as `module_load`: no panic, and the host's promises after each
//! step (memory budget, fuel, port indices, final steps stay final).
//!
//! Measured over short runs from an empty corpus (30 s each, counting
//! `load` results in a patched copy): 1,600 of 1,600 modules load with
//! `-len_control=0` (inputs up to 4 KiB, modules up to ~60 functions),
//! 2,200 of 2,200 with libFuzzer's default length control (tiny modules).
//! wasm-smith only emits valid modules and this configuration keeps to
//! the host's rules; `module_load` covers the refusals.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use wasm_sdk_abi::manifest::{MANIFEST_SECTION, append_custom_section};
use wasm_sdk_abi::queue::QueueEnv;
use wasm_sdk_host::{Host, HostConfig};
use wasm_smith::{Config, Module};

mod common;

const TOTAL_FUEL: u64 = 1_000_000;

/// The imports wasm-smith may use: the `connectors` ABI.
const IMPORTS: &str = r#"(module
  (import "connectors" "receive_input" (func (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func (param i32) (result i32)))
  (import "connectors" "wait_input" (func (param i32 i32) (result i32))))"#;

/// The exports every guest has; wasm-smith writes their bodies.
const EXPORTS: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "run_task") (result i32) i32.const 0))"#;

/// Valid manifests: version 1 with `in`/`out` (the host crate's doc
/// example), version 1 without ports, version 2 with two untyped inputs
/// and one untyped output.
const MANIFESTS: [&[u8]; 3] = [
    b"\x01\x00\x01\x02in\x01\x03out",
    b"\x01\x00\x00\x00",
    b"\x02\x00\x02\x01a\x00\x01b\x00\x01\x01c\x00\x00",
];

thread_local! {
    static HOST: Host<QueueEnv> = Host::new(HostConfig {
        fuel_per_slice: Some(10_000),
        total_fuel: Some(TOTAL_FUEL),
        ..HostConfig::default()
    });
    static CONFIG: Config = config();
}

fn config() -> Config {
    let mut c = Config::default();
    c.available_imports = Some(wat::parse_str(IMPORTS).expect("imports WAT"));
    c.exports = Some(wat::parse_str(EXPORTS).expect("exports WAT"));
    // The exported memory is the one memory: wasm-smith adds what the
    // required exports need on top of `max_memories`.
    c.max_memories = 0;
    c.max_memory32_bytes = 64 * 1024;
    c.memory64_enabled = false;
    c.allow_start_export = false;
    c.max_tables = 1;
    c.max_table_elements = 256;
    c.max_funcs = 64;
    c.max_imports = 6;
    // What the host's wasmi (2.0, without `simd`) does not enable.
    c.simd_enabled = false;
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.gc_enabled = false;
    c.exceptions_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.custom_descriptors_enabled = false;
    c.compact_imports_enabled = false;
    c.generate_custom_sections = false;
    c
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(which) = u.choose_index(MANIFESTS.len()) else { return };
    let Ok(module) = CONFIG.with(|c| Module::new(c.clone(), &mut u)) else { return };
    let mut wasm = module.to_bytes();
    append_custom_section(&mut wasm, MANIFEST_SECTION, MANIFESTS[which]);
    HOST.with(|host| {
        if let Ok(mut guest) = host.load(&wasm, common::env()) {
            common::run(&mut guest, host.config(), TOTAL_FUEL);
        }
    });
});
