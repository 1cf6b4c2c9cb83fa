// Every problem is reported in one pass, each at its own token.
use wasm_sdk::{Result, task_run};

#[task_run(inputs(a, a), extra(b))]
async unsafe fn run(x: u32) -> Result<()> {
    let _ = x;
    Ok(())
}

fn main() {}
