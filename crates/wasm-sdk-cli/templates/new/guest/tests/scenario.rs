//! Scenarios, each run natively and as the built `.wasm` on the test host
//! (the same runtime as the device); both runs must give the same
//! transcript.

use std::path::PathBuf;

use wasm_sdk_testhost::{GuestBuilder, LogLevel, Scenario, Step};

use {{crate}}::TASK;
use {{messages_crate}}::{Sample, Total};

/// The module, built once per test process with `cargo build --release
/// --target wasm32-unknown-unknown` into `target/guests/default`.
fn wasm() -> PathBuf {
    GuestBuilder::for_tests()
        .build(env!("CARGO_MANIFEST_DIR"))
        .expect("build the guest")
}

#[test]
fn totals_until_closed() {
    let result = Scenario::new("totals until closed")
        .push_message("sample", &Sample { value: 5 })
        // JSON, encoded with the port's type from the module.
        .push_json("sample", serde_json::json!({"value": 7}))
        .close("sample")
        .expect_message("total", &Total { count: 1, sum: 5 })
        // Raw postcard bytes work too: `Total { count: 2, sum: 12 }`.
        .expect_output("total", [0x02, 0x0c])
        .expect_no_error()
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&TASK, wasm());
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn blocks_when_no_sample_is_queued() {
    let result = Scenario::new("blocks")
        .push_message("sample", &Sample { value: 3 })
        .expect_message("total", &Total { count: 1, sum: 3 })
        .expect_status(Step::Blocked { input: 0 })
        .run_both(&TASK, wasm());
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn a_sample_of_another_type_is_refused_at_load() {
    // A firmware whose `sample` channel carries `Total`s: refused before the
    // module runs, natively and on the test host alike.
    let result = Scenario::new("wrong type")
        .push_message("sample", &Total { count: 1, sum: 5 })
        .run_both(&TASK, wasm());
    match result {
        Err(wasm_sdk_testhost::ScenarioError::PortType { .. }) => {}
        other => panic!("expected a port type error, got {other:?}"),
    }
}

#[test]
fn an_oversized_message_is_reported() {
    let report = "Task run error: receive buffer too small";
    let result = Scenario::new("oversized")
        // Longer than any `Sample` (5 bytes at most).
        .push("sample", [0x80; 6])
        .expect_no_output()
        .expect_error(report)
        .expect_log(LogLevel::Error, report)
        .expect_status(Step::Finished { exit_code: -1 })
        .run_both(&TASK, wasm());
    if let Err(e) = result {
        panic!("{e}");
    }
}
