//! Alarm scenarios, each run natively and as the built `.wasm` on the test
//! host; both must give the same transcript.

use std::path::PathBuf;

use module_examples_common::{AlarmEvent, Reading, Thresholds};
use wasm_sdk_testhost::{GuestBuilder, InputSet, LogLevel, Scenario, Step};

fn wasm() -> PathBuf {
    GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build the guest")
}

fn reading(deci_celsius: i16) -> Reading {
    Reading { deci_celsius }
}

#[test]
fn raises_and_clears_with_hysteresis() {
    let mut scenario =
        Scenario::new("hysteresis").push_message("thresholds", &Thresholds { high: 300, low: 280 });
    for t in [290, 305, 290, 275] {
        scenario = scenario.push_message("reading", &reading(t));
    }
    scenario
        .close("reading")
        .expect_message("average", &reading(290))
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: 305 })
        .expect_message("average", &reading(297))
        .expect_message("average", &reading(295))
        .expect_message("alarm", &AlarmEvent::Cleared { deci_celsius: 275 })
        .expect_message("average", &reading(290))
        .expect_log(LogLevel::Info, "thresholds high=300 low=280")
        .expect_log(LogLevel::Warn, "alarm raised at 305 dC")
        .expect_log(LogLevel::Info, "alarm cleared at 275 dC")
        .expect_no_error()
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&alarm::TASK, wasm())
        .unwrap();
}

#[test]
fn waits_on_both_inputs_and_ignores_bad_thresholds() {
    Scenario::new("bad thresholds")
        .push_message("thresholds", &Thresholds { high: 100, low: 200 })
        .push_message("reading", &reading(250))
        .expect_message("average", &reading(250))
        .expect_log(LogLevel::Warn, "ignored thresholds with low > high")
        .expect_status(Step::Waiting { inputs: InputSet::from_iter([0, 1]) })
        .run_both(&alarm::TASK, wasm())
        .unwrap();
}

#[test]
fn queued_thresholds_apply_first_and_their_close_does_not_stop_it() {
    // The reading is queued first, but with both ready the thresholds'
    // turn comes first: 295 raises the alarm under the new limits.
    Scenario::new("thresholds beside a reading")
        .push_message("reading", &reading(295))
        .push_message("thresholds", &Thresholds { high: 290, low: 280 })
        .close("thresholds")
        .push_message("reading", &reading(300))
        .push_message("reading", &reading(270))
        .close("reading")
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: 295 })
        .expect_message("average", &reading(295))
        .expect_message("average", &reading(297))
        .expect_message("alarm", &AlarmEvent::Cleared { deci_celsius: 270 })
        .expect_message("average", &reading(288))
        .expect_log(LogLevel::Info, "thresholds high=290 low=280")
        .expect_log(LogLevel::Warn, "alarm raised at 295 dC")
        .expect_log(LogLevel::Info, "alarm cleared at 270 dC")
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&alarm::TASK, wasm())
        .unwrap();
}
