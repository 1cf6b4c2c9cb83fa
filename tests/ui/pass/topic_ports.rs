// Topic ports: the ABI name is `topic/<name>`, the handle keeps the
// identifier's name, and the native mock finds the port by its ABI name.
use module_examples_common::Reading;
use wasm_sdk::abi::manifest::{PortKind, TOPIC_PREFIX, topic_of};
use wasm_sdk::abi::schema::PortType;
use wasm_sdk::native::{self, Step};
use wasm_sdk::{Result, receive, send, task_run};

#[task_run(
    inputs(temperature: Reading, #[topic] smoothed: Reading, #[topic] r#raw),
    outputs(#[topic] filtered: Reading, #[topic] copy)
)]
fn run() -> Result<()> {
    let mut buffer = [0u8; 8];
    loop {
        let reading = Input::Temperature.receive()?;
        let smoothed = Input::Smoothed.receive()?;
        let deci_celsius = reading.deci_celsius / 2 + smoothed.deci_celsius / 2;
        Output::Filtered.send(&Reading { deci_celsius })?;
        let n = receive(&mut buffer, Input::Raw)?;
        send(&buffer[..n], Output::Copy)?;
    }
}

fn main() {
    assert_eq!(TOPIC_PREFIX, "topic/");
    assert_eq!(Input::NAMES, ["temperature", "topic/smoothed", "topic/raw"]);
    assert_eq!(Output::NAMES, ["topic/filtered", "topic/copy"]);
    assert_eq!(Input::Smoothed.name(), "topic/smoothed");
    assert_eq!(Input::from_name("topic/smoothed"), Some(Input::Smoothed.into()));
    assert_eq!(Input::from_name("smoothed"), None);
    assert_eq!(Output::name_of(0).and_then(topic_of), Some("filtered"));
    let reading = PortType::of::<Reading>();
    assert_eq!(TASK.type_of(PortKind::Input, "topic/smoothed"), Some(reading));
    assert_eq!(TASK.type_of(PortKind::Output, "topic/copy"), None);

    TASK.reset();
    native::push(Input::Temperature, &Reading { deci_celsius: 200 });
    // By the ABI name, as a host that only has the manifest would.
    let mut message = [0; 3];
    let n = wasm_sdk::serialize_into(&Reading { deci_celsius: 100 }, &mut message).unwrap();
    native::push_input(TASK.input("topic/smoothed").unwrap(), &message[..n]);
    native::push_input(TASK.input("topic/raw").unwrap(), b"hi");
    assert_eq!(native::run(&TASK), Step::Blocked { input: Input::Temperature.index() });
    assert_eq!(native::take(Output::Filtered).unwrap(), [Reading { deci_celsius: 150 }]);
    assert_eq!(native::take_outputs(), [(TASK.output("topic/copy").unwrap(), b"hi".to_vec())]);
}
