use wasm_sdk::{Result, task_run};

#[task_run(inputs(a), outputs(b))]
fn run(buffer: &mut [u8]) -> Result<()> {
    let _ = buffer;
    Ok(())
}

fn main() {}
