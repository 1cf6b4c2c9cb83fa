//! `Scenario` catches what it promises to: native/wasm divergence, unmet
//! expectations, and scenario mistakes.

use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_testhost::{Scenario, ScenarioError, Step};

/// Same ports as the counter, but echoes instead of incrementing.
fn echo_with_counter_ports() -> std::path::PathBuf {
    let wasm = Fixture::new(ECHO).inputs(["wasm_input"]).outputs(["wasm_data"]).build();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("echo_with_counter_ports.wasm");
    std::fs::write(&path, wasm).expect("write");
    path
}

#[test]
fn a_wasm_module_that_behaves_differently_diverges() {
    let err = Scenario::new("diverge")
        .push("wasm_input", [5])
        .close("wasm_input")
        .run_both(&counter::TASK, echo_with_counter_ports())
        .unwrap_err();
    let ScenarioError::Diverged { native, wasm } = &err else { panic!("{err}") };
    assert_eq!(native.outputs[0].hex, "06");
    assert_eq!(wasm.outputs[0].hex, "05");
    assert!(err.to_string().contains("native and wasm runs differ"));
}

#[test]
fn unmet_expectations_are_reported_per_part() {
    let scenario = Scenario::new("wrong").push("wasm_input", [5]).close("wasm_input");
    let native = scenario.run_native(&counter::TASK).unwrap();

    let err =
        scenario.clone().expect_output("wasm_data", [7]).check("native", &native).unwrap_err();
    assert!(matches!(err, ScenarioError::Unexpected { what: "outputs", .. }), "{err}");

    let err = scenario
        .clone()
        .expect_status(Step::Blocked { input: 0 })
        .check("native", &native)
        .unwrap_err();
    assert!(matches!(err, ScenarioError::Unexpected { what: "status", .. }), "{err}");

    let err = scenario.clone().expect_error("boom").check("native", &native).unwrap_err();
    assert!(matches!(err, ScenarioError::Unexpected { what: "errors", .. }), "{err}");

    scenario
        .expect_output("wasm_data", [6])
        .expect_status(Step::Finished { exit_code: 0 })
        .check("native", &native)
        .unwrap();
}

#[test]
fn unknown_ports_are_setup_errors() {
    let err =
        Scenario::new("typo").push("wasm_inputs", [5]).run_native(&counter::TASK).unwrap_err();
    assert!(matches!(err, ScenarioError::Setup(_)), "{err}");
    assert!(err.to_string().contains("no input `wasm_inputs`"), "{err}");
}
