//! Arbitrary bytes as a guest module: `ModuleInfo::parse`, then
//! `Host::load` with fuel limits and, when it loads, up to 50 steps.
//!
//! Checks that neither inspecting, loading nor running a module panics the
//! host, and that a loaded guest keeps the host's promises: it passed the
//! load checks (`ModuleInfo` parses, one memory, no start function, a
//! manifest), its memory stays within the budget, it never uses more than
//! its total fuel, it blocks only on one of its inputs, it sends only on
//! one of its outputs, and a final step is returned again unchanged.
//! A blocked guest gets a message on the input it waits on; every fourth
//! time the input is closed instead.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_sdk_abi::queue::QueueEnv;
use wasm_sdk_host::inspect::ModuleInfo;
use wasm_sdk_host::{Host, HostConfig, LoadError};

mod common;

const TOTAL_FUEL: u64 = 1_000_000;

thread_local! {
    static HOST: Host<QueueEnv> = Host::new(HostConfig {
        fuel_per_slice: Some(10_000),
        total_fuel: Some(TOTAL_FUEL),
        ..HostConfig::default()
    });
}

fuzz_target!(|data: &[u8]| {
    let info = ModuleInfo::parse(data);
    HOST.with(|host| {
        let mut guest = match host.load(data, common::env()) {
            Ok(guest) => guest,
            Err(LoadError::ModuleTooLarge { .. }) => {
                assert!(data.len() > host.config().max_module_size);
                return;
            }
            Err(LoadError::Malformed(_)) => {
                assert!(info.is_err(), "load said malformed, inspect parsed it");
                return;
            }
            Err(_) => return,
        };
        let info = info.expect("a loaded module parses");
        assert_eq!(info.memories.len(), 1);
        assert!(!info.has_start);
        assert!(info.manifest.is_some());
        common::run(&mut guest, host.config(), TOTAL_FUEL);
    });
});
