// Typed, sized and untyped ports side by side, with generic and path types.
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::abi::manifest::PortKind;
use wasm_sdk::abi::schema::PortType;
use wasm_sdk::native::{self, Step};
use wasm_sdk::{Result, receive, send, task_run};

/// No `MaxSize`: its port gives a buffer size.
#[derive(Serialize, Deserialize, Schema, Debug, PartialEq)]
struct Note {
    text: heapless::String<32>,
}

#[task_run(
    inputs(sample: module_examples_common::Reading, note: Note[40], raw),
    outputs(pair: (u8, Option<i16>), echo, note_out: Note[40], bytes: heapless::Vec<u8, 4>[5])
)]
fn run() -> Result<()> {
    let mut buffer = [0u8; 8];
    loop {
        if let Some(note) = Input::Note.try_receive()? {
            Output::NoteOut.send(&note)?;
        }
        let reading = Input::Sample.receive()?;
        Output::Pair.send(&(7, Some(reading.deci_celsius)))?;
        let n = receive(&mut buffer, Input::Raw)?;
        send(&buffer[..n], Output::Echo)?;
    }
}

fn main() {
    assert_eq!(Input::NAMES, ["sample", "note", "raw"]);
    assert_eq!(Output::NAMES, ["pair", "echo", "note_out", "bytes"]);
    assert_eq!(Output::Bytes.buffer_size(), 5);
    assert_eq!(Input::Sample.buffer_size(), 3);
    assert_eq!(Input::Note.buffer_size(), 40);
    assert_eq!(Output::Pair.buffer_size(), 5);
    let reading = PortType::of::<module_examples_common::Reading>();
    assert_eq!(TASK.type_of(PortKind::Input, "sample"), Some(reading));
    assert_eq!(TASK.type_of(PortKind::Input, "raw"), None);
    assert_eq!(TASK.type_of(PortKind::Output, "note_out").map(|t| t.name), Some("Note"));

    TASK.reset();
    let note = Note { text: heapless::String::try_from("hi").unwrap() };
    native::push(Input::Note, &note);
    native::push(Input::Sample, &module_examples_common::Reading { deci_celsius: -3 });
    native::push_input(Input::Raw.index(), b"xy");
    assert_eq!(native::run(&TASK), Step::Blocked { input: Input::Sample.index() });
    assert_eq!(native::take(Output::NoteOut).unwrap(), [note]);
    assert_eq!(native::take(Output::Pair).unwrap(), [(7, Some(-3))]);
    assert_eq!(native::take_outputs(), [(1, b"xy".to_vec())]);
}
