//! The counter's logic, run natively: no wasm build, the SDK's imports
//! served by `wasm_sdk::native` (one mock host per test thread).

use module_examples_common::Counter;
use wasm_sdk::LogLevel;
use wasm_sdk::native::{self, Step};

fn encode(count: u32) -> Vec<u8> {
    let mut buf = [0u8; 8];
    let n = Counter { count }.serialize_into(&mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn increments_every_message_and_stops_when_closed() {
    counter::TASK.reset();
    for count in [0, 5, 127, 300, u32::MAX] {
        native::push_input(0, &encode(count));
    }
    native::close_input(0);
    assert_eq!(native::run(&counter::TASK), Step::Finished { exit_code: 0 });
    let counts: Vec<u32> = native::take_outputs()
        .iter()
        .map(|(output, bytes)| {
            assert_eq!(*output, counter::Output::WasmData.index());
            Counter::from_payload(bytes).unwrap().count
        })
        .collect();
    assert_eq!(counts, [1, 6, 128, 301, 0]);
    assert!(native::take_errors().is_empty());
}

#[test]
fn waits_for_more_input_when_not_closed() {
    counter::TASK.reset();
    native::push_input(0, &encode(1));
    assert_eq!(
        native::run(&counter::TASK),
        Step::Blocked { input: counter::Input::WasmInput.index() }
    );
    assert_eq!(native::take_outputs(), [(0, encode(2))]);
}

#[test]
fn reports_an_oversized_message_and_keeps_nothing_back() {
    counter::TASK.reset();
    native::push_input(0, &[0x80; 51]);
    assert_eq!(native::run(&counter::TASK), Step::Finished { exit_code: -1 });
    let report = "Task run error: receive buffer too small";
    assert_eq!(native::take_errors(), [report]);
    assert_eq!(native::take_logs(), [(LogLevel::Error, report.to_owned())]);
    assert!(native::take_outputs().is_empty());
}

#[test]
fn reports_a_malformed_payload() {
    counter::TASK.reset();
    native::push_input(0, &[0xff; 6]);
    assert_eq!(native::run(&counter::TASK), Step::Finished { exit_code: -1 });
    assert_eq!(native::take_errors(), ["Task run error: payload malformed"]);
}

#[test]
fn the_generated_ports_match_the_attribute() {
    assert_eq!(counter::TASK.inputs, ["wasm_input"]);
    assert_eq!(counter::TASK.outputs, ["wasm_data"]);
    assert_eq!(counter::Input::from_name("wasm_input"), Some(counter::Input::WasmInput));
}
