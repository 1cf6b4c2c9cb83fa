//! Thermostat scenarios, each run natively and as the built `.wasm` on the
//! test host; both must give the same transcript.

use std::path::PathBuf;

use module_examples_common::{AlarmEvent, Reading};
use wasm_sdk_testhost::{GuestBuilder, Scenario, Step};

fn wasm() -> PathBuf {
    GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build the guest")
}

fn readings(mut scenario: Scenario, temperatures: &[i16]) -> Scenario {
    for &deci_celsius in temperatures {
        scenario = scenario.push_message("temperature", &Reading { deci_celsius });
    }
    scenario
}

#[test]
fn raises_at_25_and_clears_at_23() {
    readings(Scenario::new("hysteresis"), &[240, 250, 240, 230])
        .close("temperature")
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: 250 })
        .expect_message("alarm", &AlarmEvent::Cleared { deci_celsius: 230 })
        .expect_no_error()
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&thermostat::TASK, wasm())
        .unwrap();
}

#[test]
fn sends_only_when_the_state_changes() {
    // Wavering around 25.0 °C, then down to 23.1 °C: one alarm, still
    // raised, and the module waits for the next reading.
    readings(Scenario::new("no flapping"), &[249, 250, 249, 251, 260, 240, 231])
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: 250 })
        .expect_no_error()
        .expect_status(Step::Blocked { input: 0 })
        .run_both(&thermostat::TASK, wasm())
        .unwrap();
}
