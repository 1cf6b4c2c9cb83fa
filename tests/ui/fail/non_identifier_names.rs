use wasm_sdk::{Result, task_run};

#[task_run(inputs(1, "b", c), outputs(d::e, _, f g))]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
