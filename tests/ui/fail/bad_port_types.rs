// Malformed typed ports, each reported where it stands.
use wasm_sdk::{Result, task_run};

#[task_run(inputs(a:, b: u8[], c: u8 x), outputs(e: u8[64 +], f))]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
