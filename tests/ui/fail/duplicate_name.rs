use wasm_sdk::{Result, task_run};

#[task_run(inputs(a, b, a), outputs(x_y, x__y))]
fn run() -> Result<()> {
    Ok(())
}

fn main() {}
