use wasm_sdk::{Result, task_run};

#[task_run(inputs(a), outputs(b))]
fn run() -> Result<u32> {
    Ok(1)
}

fn main() {}
