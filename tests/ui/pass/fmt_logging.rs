// The `fmt` feature's macros format into a fixed buffer and cut long text.
use wasm_sdk::{LogLevel, Result, task_run};

#[task_run(inputs(), outputs())]
fn run() -> Result<()> {
    let celsius = -4;
    wasm_sdk::info!("temperature {celsius} C")?;
    wasm_sdk::warn!("{}", "x".repeat(300))?;
    wasm_sdk::log!(LogLevel::Trace, "{:>4}", 7)?;
    Ok(())
}

fn main() {
    wasm_sdk::native::reset(0, 0);
    assert_eq!(run_task(), 0);
    let logs = wasm_sdk::native::take_logs();
    assert_eq!(logs[0], (LogLevel::Info, String::from("temperature -4 C")));
    assert_eq!(logs[1].0, LogLevel::Warn);
    assert_eq!(logs[1].1.len(), 256);
    assert!(logs[1].1.ends_with("x..."));
    assert_eq!(logs[2], (LogLevel::Trace, String::from("   7")));
}
