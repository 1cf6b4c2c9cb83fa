// A typed port takes and gives only its own type.
use module_examples_common::{Counter, Reading};
use wasm_sdk::{Result, send, task_run};

#[task_run(inputs(sample: Reading), outputs(average: Reading, count: Counter))]
fn run() -> Result<()> {
    let sample = Input::Sample.receive()?;
    // A `Reading` on the `Counter` output.
    Output::Count.send(&sample)?;
    // Raw bytes on a typed output.
    send(&[1, 2], Output::Average)?;
    // The input's type is `Reading`, not `Counter`.
    let counter: Counter = Input::Sample.receive()?;
    let _ = counter;
    Ok(())
}

fn main() {}
