//! Heartbeat scenarios, each run natively and as the built `.wasm` on the
//! test host; both must give the same transcript. The ticks are pushed as
//! the timer service would deliver them.

use std::path::PathBuf;

use heartbeat::{NEVER, PERIOD_MS};
use module_examples_common::{AlarmEvent, Reading};
use wasm_sdk::timer::{SetTimer, Tick};
use wasm_sdk_testhost::{GuestBuilder, InputSet, Scenario, Step};

fn wasm() -> PathBuf {
    GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build the guest")
}

fn reading(deci_celsius: i16) -> Reading {
    Reading { deci_celsius }
}

/// Inputs 0 (`tick`) and 1 (`temperature`): what the module waits on.
fn both() -> InputSet {
    InputSet::from_iter([0, 1])
}

#[test]
fn sets_its_timer_and_raises_on_a_silent_sensor_once() {
    Scenario::new("never heard")
        .push_message("tick", &Tick { count: 1 })
        .push_message("tick", &Tick { count: 2 })
        .expect_message("timer", &SetTimer { period_ms: PERIOD_MS })
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: NEVER })
        .expect_no_error()
        .expect_status(Step::Waiting { inputs: both() })
        .run_both(&heartbeat::TASK, wasm())
        .unwrap();
}

#[test]
fn readings_keep_it_quiet_until_a_period_passes_without_one() {
    // With both queued, readings and ticks are answered in turns: 240,
    // tick 1, 250, tick 2, then ticks 3 (silent: raised with the last
    // reading) and 4 (still raised: nothing sent).
    let mut scenario = Scenario::new("goes silent")
        .push_message("temperature", &reading(240))
        .push_message("temperature", &reading(250));
    for count in 1..=4 {
        scenario = scenario.push_message("tick", &Tick { count });
    }
    scenario
        .expect_message("timer", &SetTimer { period_ms: PERIOD_MS })
        .expect_message("alarm", &AlarmEvent::Raised { deci_celsius: 250 })
        .expect_no_error()
        .expect_status(Step::Waiting { inputs: both() })
        .run_both(&heartbeat::TASK, wasm())
        .unwrap();
}

#[test]
fn stops_when_the_sensor_is_closed() {
    Scenario::new("closed")
        .push_message("temperature", &reading(240))
        .close("temperature")
        .expect_message("timer", &SetTimer { period_ms: PERIOD_MS })
        .expect_no_error()
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&heartbeat::TASK, wasm())
        .unwrap();
}
