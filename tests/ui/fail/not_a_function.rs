use wasm_sdk::task_run;

#[task_run(inputs(a), outputs(b))]
struct Task {
    count: u32,
}

fn main() {}
