use wasm_sdk::{Result, task_run};

#[task_run(inputs(a))]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
