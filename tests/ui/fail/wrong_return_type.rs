use wasm_sdk::task_run;

#[task_run(inputs(a), outputs(b))]
fn run() -> u32 {
    0
}

fn main() {}
