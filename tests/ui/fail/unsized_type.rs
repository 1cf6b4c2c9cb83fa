// A message type without `MaxSize` needs a buffer size on its port.
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{Result, task_run};

#[derive(Serialize, Deserialize, Schema)]
struct Note {
    text: heapless::String<32>,
}

#[task_run(inputs(note: Note), outputs())]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
