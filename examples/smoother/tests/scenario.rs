//! Smoother scenarios, each run natively and as the built `.wasm` on the
//! test host; both must give the same transcript.

use std::path::PathBuf;

use module_examples_common::Reading;
use wasm_sdk_testhost::{GuestBuilder, Scenario, Step};

fn wasm() -> PathBuf {
    GuestBuilder::for_tests().build(env!("CARGO_MANIFEST_DIR")).expect("build the guest")
}

fn reading(deci_celsius: i16) -> Reading {
    Reading { deci_celsius }
}

#[test]
fn one_mean_of_the_last_four_per_reading_on_the_topic() {
    let mut scenario = Scenario::new("moving mean");
    for t in [240, 260, 260, 260, 220] {
        scenario = scenario.push_message("temperature", &reading(t));
    }
    // The topic output is `topic/smoothed` in the manifest, and on every
    // host.
    for mean in [240, 250, 253, 255, 250] {
        scenario = scenario.expect_message("topic/smoothed", &reading(mean));
    }
    scenario
        .close("temperature")
        .expect_no_error()
        .expect_status(Step::Finished { exit_code: 0 })
        .run_both(&smoother::TASK, wasm())
        .unwrap();
}

#[test]
fn waits_for_the_next_reading() {
    Scenario::new("waits")
        .push_message("temperature", &reading(-15))
        .push_message("temperature", &reading(-20))
        .expect_message("topic/smoothed", &reading(-15))
        .expect_message("topic/smoothed", &reading(-17))
        .expect_status(Step::Blocked { input: 0 })
        .run_both(&smoother::TASK, wasm())
        .unwrap();
}
