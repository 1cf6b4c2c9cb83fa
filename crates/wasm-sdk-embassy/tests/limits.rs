//! What the runner bounds for every firmware, with or without the update
//! path: a typed output's answers are checked exactly against their type,
//! and a guest's log lines pass a rate limit, the rest counted.

use std::sync::Mutex;

use embassy_futures::block_on;
use embassy_futures::select::{Either, select};
use embassy_time::Duration;
use module_examples_common::{Counter, to_message};
use wasm_sdk_build::fixture::Fixture;
use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig, LogLevel};
use wasm_sdk_embassy::{LogLimit, PortChannel, Sink, Wire, Wiring, drive, start};

#[test]
fn a_typed_wire_decodes_exactly_its_type() {
    static PIPE: PortChannel = PortChannel::new();
    let decodes = Wire::typed::<Counter>("count", &PIPE).decodes.expect("typed");
    let message = to_message(&Counter { count: 300 }).unwrap();
    assert!(decodes(&message));
    assert!(!decodes(&[]), "too short");
    assert!(!decodes(&[message.as_slice(), &[0]].concat()), "trailing bytes");
    assert!(Wire::raw("count", &PIPE).decodes.is_none(), "raw bytes: anything goes");
}

/// Keeps the lines that passed, and the drop summaries.
struct Lines(Mutex<Vec<String>>);

impl Sink for Lines {
    fn log(&self, _guest: &str, _level: LogLevel, message: &str) {
        self.0.lock().unwrap().push(message.to_owned());
    }
    fn report_error(&self, _guest: &str, message: &str) {
        self.0.lock().unwrap().push(format!("error: {message}"));
    }
    fn dropped_lines(&self, _guest: &str, lines: u32) {
        self.0.lock().unwrap().push(format!("dropped {lines}"));
    }
}

#[test]
fn a_log_flood_passes_the_burst_and_counts_the_rest() {
    static IN: PortChannel = PortChannel::new();
    static OUT: PortChannel = PortChannel::new();
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("wasm_input", &IN)],
        outputs: &[Wire::raw("wasm_data", &OUT)],
    };
    static SINK: Lines = Lines(Mutex::new(Vec::new()));
    // Per message: 200 log lines and 200 error reports, then an echo.
    let flood = Fixture::new(
        r#"(module
          (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
          (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
          (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
          (import "connectors" "report_error" (func $error (param i32 i32) (result i32)))
          (memory (export "memory") 1 1)
          (data (i32.const 1024) "flood")
          (func (export "run_task") (result i32) (local $n i32) (local $i i32)
            (loop $next
              (local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
              (local.set $i (i32.const 0))
              (loop $lines
                (drop (call $log (i32.const 1024) (i32.const 5) (i32.const 2)))
                (drop (call $error (i32.const 1024) (i32.const 5)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $lines (i32.lt_u (local.get $i) (i32.const 200))))
              (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))
              (br $next))
            (i32.const 0)))"#,
    )
    .inputs(["wasm_input"])
    .outputs(["wasm_data"])
    .build();
    let host = Host::new(HostConfig { fuel_per_slice: Some(10_000), ..HostConfig::default() });
    let mut guest = start(&host, "flood", &flood, &WIRING, &SINK).expect("start");
    // A long interval: no line comes back during the test.
    let limit = LogLimit { burst: 8, every: Duration::from_secs(3600) };
    guest.env_mut().set_log_limit(limit);
    block_on(async {
        IN.send(vec![1]).await;
        match select(drive(&mut guest), OUT.receive()).await {
            Either::First(step) => panic!("the guest stopped: {step:?}"),
            Either::Second(answer) => assert_eq!(answer, [1]),
        }
    });
    let lines = SINK.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 8, "the burst: {lines:?}");
    assert_eq!(guest.env().dropped_lines, 400 - 8);

    // With lines allowed again, the next one passing says what was lost.
    guest.env_mut().set_log_limit(LogLimit { burst: 1, every: Duration::from_secs(3600) });
    block_on(async {
        IN.send(vec![2]).await;
        match select(drive(&mut guest), OUT.receive()).await {
            Either::First(step) => panic!("the guest stopped: {step:?}"),
            Either::Second(answer) => assert_eq!(answer, [2]),
        }
    });
    let lines = SINK.0.lock().unwrap().clone();
    assert_eq!(lines[8..], ["dropped 392", "flood"], "a new limit starts with its burst");
    assert_eq!(guest.env().dropped_lines, 400 - 8 + 399);
}
