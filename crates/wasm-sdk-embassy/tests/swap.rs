//! `swap` replaces a guest by a new module on the same channels: a refused
//! module leaves the old guest as it was, and a message the old guest had
//! taken from a channel but not received reaches the new one first.

use module_examples_common::{Counter, to_message};
use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig, LoadError, LogLevel, Step};
use wasm_sdk_embassy::{PortChannel, Sink, StartError, Wire, Wiring, start, swap};
use wasm_sdk_testhost::example_wasm;

struct Quiet;

impl Sink for Quiet {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, _guest: &str, _message: &str) {}
}

static SINK: Quiet = Quiet;

/// An echo with the counter's ports.
fn echo_wasm() -> Vec<u8> {
    Fixture::new(ECHO).inputs(["wasm_input"]).outputs(["wasm_data"]).build()
}

/// Steps until the guest waits with nothing left to read (or stops).
fn run_until_waiting(
    guest: &mut wasm_sdk_embassy::wasm_sdk_host::Guest<wasm_sdk_embassy::ChannelEnv>,
) -> Step {
    loop {
        match guest.step() {
            Step::Preempted => continue,
            step => return step,
        }
    }
}

#[test]
fn a_held_message_moves_to_the_new_module_and_a_refused_one_changes_nothing() {
    static IN: PortChannel = PortChannel::new();
    static OUT: PortChannel = PortChannel::new();
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("wasm_input", &IN)],
        outputs: &[Wire::raw("wasm_data", &OUT)],
    };
    let host = Host::new(HostConfig::default());
    let mut counter =
        start(&host, "counter", &example_wasm("counter").expect("build"), &WIRING, &SINK)
            .expect("start");

    // 100 bytes do not fit the counter's 50-byte buffer: it stops with an
    // error, and the message stays held, taken from the channel.
    let big = vec![0xab; 100];
    IN.try_send(big.clone()).unwrap();
    IN.try_send(to_message(&Counter { count: 5 }).unwrap()).unwrap();
    assert_eq!(run_until_waiting(&mut counter), Step::Finished { exit_code: -1 });
    assert!(OUT.try_receive().is_err());

    // A refused module hands the old guest back, with its held message.
    let error = swap(&host, &mut counter, b"\0asm garbage", &WIRING).unwrap_err();
    assert!(matches!(error, StartError::Load(LoadError::Malformed(_))), "{error:?}");
    assert_eq!(counter.step(), Step::Finished { exit_code: -1 }, "the old guest, as it was");

    swap(&host, &mut counter, &echo_wasm(), &WIRING).expect("swap");
    let mut echo = counter;
    assert_eq!(run_until_waiting(&mut echo), Step::Blocked { input: 0 });
    assert_eq!(OUT.try_receive().unwrap(), big, "the held message first");
    assert_eq!(OUT.try_receive().unwrap(), to_message(&Counter { count: 5 }).unwrap());
    assert!(OUT.try_receive().is_err() && IN.try_receive().is_err(), "nothing lost, nothing extra");
}

#[test]
fn a_safe_point_comes_after_the_message_in_progress() {
    static LIMIT: PortChannel = PortChannel::new();
    static COUNT: PortChannel = PortChannel::new();
    static WIRING: Wiring =
        Wiring { inputs: &[Wire::raw("limit", &LIMIT)], outputs: &[Wire::raw("count", &COUNT)] };
    let wasm = example_wasm("primes").expect("build");
    let host = Host::new(HostConfig { fuel_per_slice: Some(10_000), ..HostConfig::default() });
    let mut primes = start(&host, "primes", &wasm, &WIRING, &SINK).expect("start");
    LIMIT.try_send(to_message(&20_000u32).unwrap()).unwrap();
    // Preempted in the middle of the count: not a safe point yet.
    assert_eq!(primes.step(), Step::Preempted);
    let stopped =
        embassy_futures::block_on(wasm_sdk_embassy::run_to_safe_point(&mut primes, 10_000));
    assert_eq!(stopped, wasm_sdk_embassy::SafePoint::Waiting, "waiting for the next limit");
    assert!(primes.env().preemptions > 10, "{}", primes.env().preemptions);
    let answer = COUNT.try_receive().expect("the count was finished before stopping");
    assert_eq!(wasm_sdk::from_payload::<u32>(&answer).unwrap(), 2262);
}

#[test]
fn a_guest_that_spins_is_reported_busy_not_waited_for_forever() {
    static IN: PortChannel = PortChannel::new();
    static OUT: PortChannel = PortChannel::new();
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("wasm_input", &IN)],
        outputs: &[Wire::raw("wasm_data", &OUT)],
    };
    let spin = Fixture::new(
        r#"(module
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32) (loop $l (br $l)) (i32.const 0)))"#,
    )
    .inputs(["wasm_input"])
    .outputs(["wasm_data"])
    .build();
    let host = Host::new(HostConfig { fuel_per_slice: Some(1_000), ..HostConfig::default() });
    let mut guest = start(&host, "spin", &spin, &WIRING, &SINK).expect("start");
    let point = embassy_futures::block_on(wasm_sdk_embassy::run_to_safe_point(&mut guest, 50));
    assert_eq!(point, wasm_sdk_embassy::SafePoint::Busy);
}

#[test]
fn check_instantiates_so_a_module_it_accepts_starts() {
    static IN: PortChannel = PortChannel::new();
    static OUT: PortChannel = PortChannel::new();
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("wasm_input", &IN)],
        outputs: &[Wire::raw("wasm_data", &OUT)],
    };
    // Valid, but its data segment lies outside its memory: only
    // instantiation finds that.
    let bad_data = Fixture::new(
        r#"(module
          (memory (export "memory") 1 1)
          (data (i32.const 65535) "ab")
          (func (export "run_task") (result i32) (i32.const 0)))"#,
    )
    .inputs(["wasm_input"])
    .outputs(["wasm_data"])
    .build();
    let host = Host::new(HostConfig::default());
    let error = wasm_sdk_embassy::check(&host, &bad_data, &WIRING).unwrap_err();
    assert!(matches!(error, StartError::Load(LoadError::Instantiate(_))), "{error:?}");
}
