//! Smoothed-alarm scenarios on its topic input, each run natively and as
//! the built `.wasm` on the test host; both must give the same transcript.

use std::path::PathBuf;

use module_examples_common::{AlarmEvent, Reading};
use wasm_sdk_testhost::{GuestBuilder, Scenario, Step};

fn wasm() -> PathBuf {
    GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build the guest")
}

#[test]
fn the_thermostat_thresholds_on_the_topic() {
    let mut scenario = Scenario::new("smoothed hysteresis");
    for deci_celsius in [240, 250, 260, 231, 230, 229, 251] {
        // A topic port's name in the manifest, and on every host.
        scenario = scenario.push_message("topic/smoothed", &Reading { deci_celsius });
    }
    scenario
        .close("topic/smoothed")
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: 250 })
        .expect_message("alarm", &AlarmEvent::Cleared { deci_celsius: 230 })
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: 251 })
        .expect_no_error()
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&smoothed_alarm::TASK, wasm())
        .unwrap();
}

#[test]
fn its_input_is_the_topic_not_the_service() {
    assert_eq!(
        smoothed_alarm::TASK.input("topic/smoothed"),
        Some(smoothed_alarm::Input::Smoothed.index())
    );
    assert_eq!(smoothed_alarm::TASK.input("smoothed"), None);
    assert_eq!(smoothed_alarm::TASK.input("temperature"), None);
}
