//! A guest waiting on several inputs (`wait_input`) on the test host: it
//! stops there, a message on any of them lets it run, and transcripts and
//! scenarios name the inputs it waits on.

use wasm_sdk_build::fixture::{Fixture, MERGE};
use wasm_sdk_testhost::{InputSet, Scenario, Step, TestGuest, TestHost};

fn merge() -> Vec<u8> {
    Fixture::new(MERGE).inputs(["a", "b"]).outputs(["out"]).build()
}

fn load() -> TestGuest {
    TestHost::default().load(&merge()).expect("the merge guest loads")
}

fn both() -> Step {
    Step::Waiting { inputs: InputSet::from_iter([0, 1]) }
}

#[test]
fn a_push_to_the_second_input_wakes_it() {
    let mut guest = load();
    assert_eq!(guest.run_until_idle(), &both());
    assert_eq!(guest.waiting_on(), Some(vec!["a", "b"]));
    assert_eq!(guest.blocked_on(), None);
    guest.push_input("b", b"hi").unwrap();
    assert_eq!(guest.run_until_idle(), &both());
    assert_eq!(guest.outputs("out").unwrap(), [b"\x01hi".to_vec()]);

    let transcript = guest.transcript();
    assert_eq!(transcript.status, "waiting");
    assert_eq!(transcript.waiting_on, ["a", "b"]);
    let json = transcript.to_json();
    assert!(json.contains("\"status\": \"waiting\""), "{json}");
    assert!(json.contains("\"waiting_on\": [\n    \"a\",\n    \"b\"\n  ]"), "{json}");

    guest.close_input("a").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    assert_eq!(guest.waiting_on(), None);
    assert!(!guest.transcript().to_json().contains("waiting_on"), "absent when not waiting");
}

#[test]
fn a_flood_on_input_0_does_not_starve_input_1() {
    let mut guest = load();
    for i in 0..100u8 {
        guest.push_input("a", &[i]).unwrap();
    }
    guest.push_input("b", b"late").unwrap();
    assert_eq!(guest.run_until_idle(), &both());
    // Input 1's message goes out second, in its turn, not after the flood.
    assert_eq!(guest.outputs("out").unwrap()[1], b"\x01late");
    let outputs = guest.outputs("out").unwrap();
    assert_eq!(outputs.len(), 101);
    assert!(outputs.iter().filter(|m| m[0] == 0).map(|m| m[1]).eq(0..100u8), "in order");
}

#[test]
fn scenarios_expect_the_inputs_waited_on() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("merge.wasm");
    std::fs::write(&path, merge()).expect("write");
    let scenario = Scenario::new("merge").push("b", [7]).push("a", [8]);
    let transcript = scenario.clone().expect_status(both()).run_wasm(&path).unwrap();
    scenario.clone().expect_status(both()).check("wasm", &transcript).unwrap();
    let one = Step::Waiting { inputs: InputSet::from_iter([1]) };
    let err = scenario.expect_status(one).check("wasm", &transcript).unwrap_err();
    assert!(err.to_string().contains("status differ"), "{err}");
}
