// Empty lists are allowed: a module that only logs.
use wasm_sdk::{LogLevel, Result, log, task_run};

#[task_run(inputs(), outputs())]
fn run() -> Result<()> {
    log("started", LogLevel::Info)?;
    Ok(())
}

fn main() {
    assert_eq!(Input::COUNT + Output::COUNT, 0);
    assert_eq!(Input::from_index(0), None);
    wasm_sdk::native::reset(0, 0);
    assert_eq!(run_task(), 0);
    assert_eq!(wasm_sdk::native::take_logs(), vec![(LogLevel::Info, String::from("started"))]);
}
