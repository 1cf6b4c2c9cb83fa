//! The counter's logic, run natively: no wasm build, the SDK's imports
//! served by `wasm_sdk::native` (one mock host per test thread).

use module_examples_common::Counter;
use wasm_sdk::LogLevel;
use wasm_sdk::abi::manifest::PortKind;
use wasm_sdk::abi::schema::{ChannelType, PortType};
use wasm_sdk::native::{self, Step};

use counter::{Input, Output};

fn encode(count: u32) -> Vec<u8> {
    let mut buf = [0u8; 8];
    let n = Counter { count }.serialize_into(&mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn increments_every_message_and_stops_when_closed() {
    counter::TASK.reset();
    for count in [0, 5, 127, 300, u32::MAX] {
        native::push(Input::WasmInput, &Counter { count });
    }
    native::close_input(Input::WasmInput.index());
    assert_eq!(native::run(&counter::TASK), Step::Finished { exit_code: 0 });
    let counts: Vec<u32> =
        native::take(Output::WasmData).unwrap().iter().map(|c| c.count).collect();
    assert_eq!(counts, [1, 6, 128, 301, 0]);
    assert!(native::take_outputs().is_empty());
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
    // A `Counter` encodes in at most 5 bytes, the typed port's buffer.
    assert_eq!(Input::WasmInput.buffer_size(), 5);
    native::push_input(0, &[0x80; 6]);
    assert_eq!(native::run(&counter::TASK), Step::Finished { exit_code: -1 });
    let report = "Task run error: receive buffer too small";
    assert_eq!(native::take_errors(), [report]);
    assert_eq!(native::take_logs(), [(LogLevel::Error, report.to_owned())]);
    assert!(native::take_outputs().is_empty());
}

#[test]
fn reports_a_malformed_payload() {
    counter::TASK.reset();
    // Five varint bytes that never end: no `u32`.
    native::push_input(0, &[0xff; 5]);
    assert_eq!(native::run(&counter::TASK), Step::Finished { exit_code: -1 });
    assert_eq!(native::take_errors(), ["Task run error: payload malformed"]);
}

#[test]
fn the_generated_ports_match_the_attribute() {
    assert_eq!(counter::TASK.inputs, ["wasm_input"]);
    assert_eq!(counter::TASK.outputs, ["wasm_data"]);
    assert_eq!(Input::from_name("wasm_input"), Some(Input::WasmInput.into()));
    assert_eq!(Input::NAMES, ["wasm_input"]);
    let counter_type = PortType::of::<Counter>();
    assert_eq!(counter::TASK.type_of(PortKind::Input, "wasm_input"), Some(counter_type));
    assert_eq!(counter::TASK.type_of(PortKind::Output, "wasm_data"), Some(counter_type));
}

#[test]
fn the_native_mock_refuses_a_channel_of_another_type() {
    use module_examples_common::Reading;
    let wrong =
        [ChannelType { kind: PortKind::Input, port: "wasm_input", ty: PortType::of::<Reading>() }];
    let err = counter::TASK.check_channels(&wrong).unwrap_err();
    assert_eq!(err.port, "wasm_input");
    assert_eq!(err.declared.name, "Reading");
    assert_eq!(err.found.1, "Counter");
    let right = [ChannelType { ty: PortType::of::<Counter>(), ..wrong[0] }];
    assert_eq!(counter::TASK.check_channels(&right), Ok(()));
}
