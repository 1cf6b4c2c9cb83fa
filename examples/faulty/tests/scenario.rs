//! Faulty scenarios (error path and panic path), each run natively and as
//! the built `.wasm` on the test host; both must give the same transcript.
//! The out-of-memory path is wasm-only: natively the system allocator
//! does not run out.

use std::path::PathBuf;

use module_examples_common::Fault;
use wasm_sdk_testhost::{GuestBuilder, LogLevel, Scenario, Step, Trap};

fn wasm() -> PathBuf {
    GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build the guest")
}

#[test]
fn error_path_reports_and_exits_minus_one() {
    let report = "Task run error: unknown output";
    Scenario::new("error path")
        .push_message("command", &Fault::Echo)
        .push_message("command", &Fault::Fail)
        .push_message("command", &Fault::Echo)
        .expect_message("echo", &Fault::Echo)
        .expect_error(report)
        .expect_log(LogLevel::Error, report)
        .expect_status(Step::Finished { exit_code: -1 })
        .run_both(&faulty::TASK, wasm())
        .unwrap();
}

#[test]
fn panic_path_reports_the_location_and_stops() {
    let transcript = Scenario::new("panic path")
        .push_message("command", &Fault::Panic)
        .expect_no_output()
        .expect_status(Step::Trapped(Trap::new("")))
        .run_both(&faulty::TASK, wasm())
        .unwrap();
    let [report] = &transcript.errors[..] else { panic!("{transcript:?}") };
    assert!(report.starts_with("panicked at examples/faulty/src/lib.rs:"), "{report}");
}

#[test]
fn malformed_command_is_a_payload_error() {
    Scenario::new("malformed")
        .push("command", [9])
        .expect_error("Task run error: payload malformed")
        .expect_status(Step::Finished { exit_code: -1 })
        .run_both(&faulty::TASK, wasm())
        .unwrap();
}
