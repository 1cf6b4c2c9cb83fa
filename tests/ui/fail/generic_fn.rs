use wasm_sdk::{Result, task_run};

#[task_run(inputs(a), outputs(b))]
fn run<T: Default>() -> Result<()> {
    let _ = T::default();
    Ok(())
}

fn main() {}
