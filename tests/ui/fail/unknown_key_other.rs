use wasm_sdk::{Result, task_run};

#[task_run(inputs(a), outputs(b), stack(1024))]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
