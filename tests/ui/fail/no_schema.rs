// A message type needs a schema for the manifest and the hosts' checks.
use postcard::experimental::max_size::MaxSize;
use serde::{Deserialize, Serialize};
use wasm_sdk::{Result, task_run};

#[derive(Serialize, Deserialize, MaxSize)]
struct Plain {
    value: u8,
}

#[task_run(inputs(plain: Plain), outputs())]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
