use wasm_sdk::{Result, task_run};

#[task_run]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
