//! The module's logic run natively: no wasm build; `wasm_sdk::native`
//! serves the SDK's imports (one mock host per test thread, with the real
//! ABI's rules).

use wasm_sdk::native::{self, Step};

use {{crate}}::{Input, Output, TASK};
use {{messages_crate}}::{Sample, Total};

#[test]
fn sends_the_running_total_and_stops_when_closed() {
    TASK.reset();
    // Typed: only a `Sample` can be pushed to `Input::Sample`.
    native::push(Input::Sample, &Sample { value: 5 });
    native::push(Input::Sample, &Sample { value: 7 });
    native::close_input(Input::Sample.index());
    assert_eq!(native::run(&TASK), Step::Finished { exit_code: 0 });
    assert_eq!(
        native::take(Output::Total).unwrap(),
        [Total { count: 1, sum: 5 }, Total { count: 2, sum: 12 }]
    );
    assert!(native::take_errors().is_empty());
}

#[test]
fn waits_for_the_next_sample_while_the_input_is_open() {
    TASK.reset();
    native::push(Input::Sample, &Sample { value: 3 });
    let sample = Input::Sample.index();
    assert_eq!(native::run(&TASK), Step::Blocked { input: sample });
    assert_eq!(native::take_outputs().len(), 1);
}

#[test]
fn reports_a_malformed_sample() {
    TASK.reset();
    // Five continuation bytes: not a valid u32 varint (and within the
    // 5 bytes a `Sample` can take).
    native::push_input(Input::Sample.index(), &[0xff; 5]);
    assert_eq!(native::run(&TASK), Step::Finished { exit_code: -1 });
    assert_eq!(native::take_errors(), ["Task run error: payload malformed"]);
    assert!(native::take_outputs().is_empty());
}
