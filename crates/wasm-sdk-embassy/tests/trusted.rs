//! A firmware without on-device validation (`--no-default-features`):
//! only modules stamped by `Host::stamp` start, and the install check
//! refuses every upload until the firmware sets a signature check.
//!
//! `cargo test -p wasm-sdk-embassy --no-default-features --features update --test trusted`
#![cfg(not(feature = "validate"))]

use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig, LoadError, LogLevel, Trusted};
use wasm_sdk_embassy::{PortChannel, Sink, StartError, Wasm, Wire, Wiring, start};
use wasm_sdk_testhost::example_wasm;

struct Quiet;

impl Sink for Quiet {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, _guest: &str, _message: &str) {}
}

static SINK: Quiet = Quiet;
static IN: PortChannel = PortChannel::new();
static OUT: PortChannel = PortChannel::new();
static WIRING: Wiring =
    Wiring { inputs: &[Wire::raw("wasm_input", &IN)], outputs: &[Wire::raw("wasm_data", &OUT)] };

fn trusted(wasm: &[u8]) -> Wasm<'_> {
    // SAFETY: the modules are `Host::stamp`'s, or unstamped ones the host
    // refuses before translating them.
    Wasm::Trusted(unsafe { Trusted::new(wasm) })
}

#[test]
fn only_a_stamped_module_starts() {
    let host = Host::new(HostConfig::default());
    let wasm = example_wasm("counter").expect("build");
    match start(&host, "counter", trusted(&wasm), &WIRING, &SINK) {
        Err(StartError::Load(LoadError::NotValidated { found: None })) => {}
        other => panic!("an unstamped module: {:?}", other.map(drop)),
    }
    let stamped = host.stamp(&wasm).expect("the counter is valid");
    let mut guest = start(&host, "counter", trusted(&stamped), &WIRING, &SINK).expect("start");
    assert!(matches!(guest.step(), wasm_sdk_embassy::wasm_sdk_host::Step::Blocked { input: 0 }));
}

#[cfg(feature = "update")]
#[test]
fn uploads_are_refused_until_a_signature_check_is_set() {
    use wasm_sdk_embassy::update::{Check, Fleet, Managed};
    use wasm_sdk_smp::flash::Install;

    static MANAGED: Managed = Managed::new("counter", 0, &WIRING, &[], &SINK);
    let host: &'static Host<_> = Box::leak(Box::new(Host::new(HostConfig::default())));
    let stamped =
        host.stamp(&example_wasm("counter").expect("build")).expect("the counter is valid");
    static GUESTS: [&Managed; 1] = [&MANAGED];
    let fleet = Fleet::new(&GUESTS);

    let refused = Check::new(host, fleet).check(0, &stamped).expect_err("no signature check");
    assert_eq!(refused.reason, "this firmware takes signed modules only");

    // A firmware's signature check (here: every module passes it).
    let mut check = Check::new(host, fleet).verifying(|_| Ok(()));
    check.check(0, &stamped).expect("a stamped module");
    assert!(
        check.check(0, &example_wasm("counter").expect("build")).is_err(),
        "an unstamped one is refused"
    );
}
