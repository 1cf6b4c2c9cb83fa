//! Trusted loading: stamped off the device, loaded without validation.

use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_host::abi::queue::QueueEnv as Env;
use wasm_sdk_host::trust::STAMP_SECTION;
use wasm_sdk_host::{Host, HostConfig, LoadError, Step, Trusted};

/// An echo guest with `extra` at the start of `run_task`.
fn module(extra: &str) -> Vec<u8> {
    let wat = ECHO.replace("(local $n i32)", &format!("(local $n i32) {extra}"));
    Fixture::new(wat).inputs(["in"]).outputs(["out"]).build()
}

fn trusted(wasm: &[u8]) -> Trusted<'_> {
    // SAFETY: the tests pass modules `Host::stamp` produced, or ones the
    // host must refuse before translating them (no or a foreign stamp).
    unsafe { Trusted::new(wasm) }
}

#[test]
fn a_stamped_module_loads_and_runs_without_validation() {
    let host = Host::new(HostConfig::default());
    let wasm = module("");
    let stamped = host.stamp(&wasm).unwrap();
    assert!(stamped.len() > wasm.len());
    assert_eq!(host.stamp(&stamped).unwrap(), stamped, "stamping twice changes nothing");
    let mut guest = host.load_trusted(trusted(&stamped), Env::default(), &[]).unwrap();
    assert_eq!(guest.step(), Step::Blocked { input: 0 });
    guest.env_mut().push(0, b"hi".to_vec());
    assert_eq!(guest.step(), Step::Blocked { input: 0 });
    assert_eq!(guest.env().sent, [(0, b"hi".to_vec())]);
}

#[test]
fn an_unstamped_module_is_refused() {
    let host = Host::new(HostConfig::default());
    let err = host.load_trusted(trusted(&module("")), Env::default(), &[]).err().unwrap();
    assert_eq!(err, LoadError::NotValidated { found: None });
    assert!(err.to_string().contains("not stamped"), "{err}");
}

#[test]
fn a_stamp_for_another_configuration_is_refused() {
    let other = Host::<Env>::new(HostConfig { custom_page_sizes: false, ..HostConfig::default() });
    let host = Host::<Env>::new(HostConfig { custom_page_sizes: true, ..HostConfig::default() });
    assert_ne!(other.config().engine_stamp(), host.config().engine_stamp());
    let stamped = other.stamp(&module("")).unwrap();
    let err = host.load_trusted(trusted(&stamped), Env::default(), &[]).err().unwrap();
    assert_eq!(
        err,
        LoadError::NotValidated { found: Some(other.config().engine_stamp().to_vec()) }
    );
    assert!(matches!(host.stamp(&stamped), Err(LoadError::NotValidated { .. })));
}

#[test]
fn a_forged_stamp_of_the_wrong_length_is_refused() {
    let host = Host::<Env>::new(HostConfig::default());
    let mut wasm = module("");
    // A custom section `wasm-sdk.validated` with 5 bytes: kept empty.
    let mut section = vec![STAMP_SECTION.len() as u8];
    section.extend_from_slice(STAMP_SECTION.as_bytes());
    section.extend_from_slice(&host.config().engine_stamp());
    section.push(0);
    wasm.push(0);
    wasm.push(section.len() as u8);
    wasm.extend_from_slice(&section);
    let err = host.load_trusted(trusted(&wasm), Env::default(), &[]).err().unwrap();
    assert_eq!(err, LoadError::NotValidated { found: Some(Vec::new()) });
}

#[test]
fn stamping_validates_and_runs_every_load_check() {
    let host = Host::<Env>::new(HostConfig::default());
    // Type error: an i64 where the loop expects nothing.
    let invalid = module("(drop (i32.add (i64.const 1) (i32.const 2)))");
    assert!(matches!(host.stamp(&invalid), Err(LoadError::Invalid(_))));
    // Valid Wasm, but over the host's limit on locals.
    let locals = module(&format!("(local {})", "i32 ".repeat(300)));
    assert!(matches!(host.stamp(&locals), Err(LoadError::TooManyLocals { .. })));
}

#[test]
fn trusted_loading_still_runs_the_hosts_own_checks() {
    let host = Host::<Env>::new(HostConfig::default());
    let stamped = host.stamp(&module("")).unwrap();
    let small = Host::<Env>::new(HostConfig { max_module_size: 64, ..HostConfig::default() });
    let err = small.load_trusted(trusted(&stamped), Env::default(), &[]).err().unwrap();
    assert!(matches!(err, LoadError::ModuleTooLarge { .. }), "{err}");
}
