use wasm_sdk::{Result, task_run};

#[task_run(inputs(a), outputs(b), inputs(c))]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
