//! The module's logic run natively: no wasm build; `wasm_sdk::native`
//! serves the SDK's imports (one mock host per test thread, with the real
//! ABI's rules).

use wasm_sdk::Payload;
use wasm_sdk::native::{self, Step};

use {{crate}}::{Input, Output, TASK};
use {{messages_crate}}::{Sample, Total};

fn encode(sample: Sample) -> Vec<u8> {
    let mut buf = [0u8; 8];
    let n = sample.serialize_into(&mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn sends_the_running_total_and_stops_when_closed() {
    TASK.reset();
    native::push_input(Input::Sample.index(), &encode(Sample { value: 5 }));
    native::push_input(Input::Sample.index(), &encode(Sample { value: 7 }));
    native::close_input(Input::Sample.index());
    assert_eq!(native::run(&TASK), Step::Finished { exit_code: 0 });
    let totals: Vec<Total> = native::take_outputs()
        .iter()
        .map(|(output, bytes)| {
            assert_eq!(*output, Output::Total.index());
            Total::from_payload(bytes).unwrap()
        })
        .collect();
    assert_eq!(
        totals,
        [Total { count: 1, sum: 5 }, Total { count: 2, sum: 12 }]
    );
    assert!(native::take_errors().is_empty());
}

#[test]
fn waits_for_the_next_sample_while_the_input_is_open() {
    TASK.reset();
    native::push_input(Input::Sample.index(), &encode(Sample { value: 3 }));
    let sample = Input::Sample.index();
    assert_eq!(native::run(&TASK), Step::Blocked { input: sample });
    assert_eq!(native::take_outputs().len(), 1);
}

#[test]
fn reports_a_malformed_sample() {
    TASK.reset();
    // Six continuation bytes: not a valid u32 varint.
    native::push_input(Input::Sample.index(), &[0xff; 6]);
    assert_eq!(native::run(&TASK), Step::Finished { exit_code: -1 });
    assert_eq!(native::take_errors(), ["Task run error: payload malformed"]);
    assert!(native::take_outputs().is_empty());
}
