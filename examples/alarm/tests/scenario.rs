//! Alarm scenarios, each run natively and as the built `.wasm` on the test
//! host; both must give the same transcript.

use std::path::PathBuf;

use module_examples_common::{AlarmEvent, Reading, Thresholds};
use wasm_sdk_testhost::{GuestBuilder, LogLevel, Scenario, Step};

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
fn waits_for_readings_and_ignores_bad_thresholds() {
    Scenario::new("bad thresholds")
        .push_message("thresholds", &Thresholds { high: 100, low: 200 })
        .push_message("reading", &reading(250))
        .expect_message("average", &reading(250))
        .expect_log(LogLevel::Warn, "ignored thresholds with low > high")
        .expect_status(Step::Blocked { input: 0 })
        .run_both(&alarm::TASK, wasm())
        .unwrap();
}
