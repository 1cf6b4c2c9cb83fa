//! `Scenario` catches what it promises to: native/wasm divergence, unmet
//! expectations, and scenario mistakes.

use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_testhost::{Scenario, ScenarioError, Step};

/// Same ports as the counter, but echoes instead of incrementing.
fn echo_with_counter_ports() -> std::path::PathBuf {
    let wasm = Fixture::new(ECHO).inputs(["wasm_input"]).outputs(["wasm_data"]).build();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("echo_with_counter_ports.wasm");
    // Tests run in parallel: each writes its own file and moves it in
    // whole, so none reads another's half-written one.
    let own = dir.join(format!("echo_with_counter_ports.{:?}", std::thread::current().id()));
    std::fs::write(&own, wasm).expect("write");
    std::fs::rename(&own, &path).expect("move");
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

/// `Scenario::host` runs the wasm run on a device's host: a budget the
/// module exceeds refuses it there, naming the budget, as the device would.
#[test]
fn a_scenario_runs_on_the_host_it_is_given() {
    use wasm_sdk_testhost::{Budget, DeviceProfile, HostConfig, LoadError, MemoryMode, TestHost};
    let scenario = Scenario::new("on a device").push("wasm_input", [5]).close("wasm_input");
    let device = HostConfig { max_functions: 1, ..HostConfig::default() };
    let profile = DeviceProfile::new("small", &device, MemoryMode::Tight);
    for host in [
        TestHost::builder().profile(&profile),
        TestHost::builder().budget(Budget::MaxFunctions, Some(1)),
    ] {
        let err = scenario.clone().host(host).run_wasm(echo_with_counter_ports()).unwrap_err();
        let ScenarioError::Host(wasm_sdk_testhost::TestHostError::Load(load)) = &err else {
            panic!("{err}")
        };
        assert!(matches!(load, LoadError::TooManyFunctions { max: 1, .. }), "{err}");
        assert!(err.to_string().contains("`--budget max_functions=N`"), "{err}");
    }
    // The default host loads it.
    let transcript = scenario.run_wasm(echo_with_counter_ports()).unwrap();
    assert_eq!(transcript.outputs[0].hex, "05");
}
