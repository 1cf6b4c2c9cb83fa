//! Counter scenarios, each run natively and as the built `.wasm` on the
//! test host; both must give the same transcript.

use std::path::PathBuf;

use module_examples_common::Counter;
use wasm_sdk_testhost::{GuestBuilder, LogLevel, Scenario, Step};

fn wasm() -> PathBuf {
    GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build the guest")
}

#[test]
fn counts_until_closed() {
    Scenario::new("counts until closed")
        .push_message("wasm_input", &Counter { count: 5 })
        .push("wasm_input", [0xac, 0x02])
        .close("wasm_input")
        .expect_output("wasm_data", [0x06])
        .expect_message("wasm_data", &Counter { count: 301 })
        .expect_no_error()
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&counter::TASK, wasm())
        .unwrap();
}

#[test]
fn blocks_when_input_runs_dry() {
    Scenario::new("blocks")
        .push("wasm_input", [0x05])
        .expect_output("wasm_data", [0x06])
        .expect_status(Step::Blocked { input: 0 })
        .run_both(&counter::TASK, wasm())
        .unwrap();
}

#[test]
fn oversized_message_is_reported() {
    let report = "Task run error: receive buffer too small";
    Scenario::new("oversized")
        .push("wasm_input", [0x80; 60])
        .expect_no_output()
        .expect_error(report)
        .expect_log(LogLevel::Error, report)
        .expect_status(Step::Finished { exit_code: -1 })
        .run_both(&counter::TASK, wasm())
        .unwrap();
}
