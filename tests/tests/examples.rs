//! Every example guest, built to wasm, driven through the test host: what
//! it sends, logs and reports, including the SDK's no-`core::fmt` panic and
//! out-of-memory reports, compared with golden transcripts in
//! `tests/golden/` (fuel left out: it changes with code generation).
//! Regenerate the golden files with `UPDATE_GOLDEN=1`.

use module_examples_common::{AlarmEvent, Counter, Fault, Reading, Thresholds};
use wasm_sdk_testhost::{
    InputSet, LoadError, LogLevel, PortKind, PortType, Scenario, ScenarioError, Step, TestGuest,
    TestHost, TestHostError,
};
use wasm_sdk_tests::{TARGETS, build_guest, workspace_root};

fn load(package: &str, target: &str, env: &[(&str, &str)]) -> TestGuest {
    TestHost::default()
        .load_file(build_guest(package, target, env))
        .unwrap_or_else(|e| panic!("{package} ({target}): {e}"))
}

/// Compares the transcript (without fuel) with `tests/golden/<name>.json`.
fn golden(name: &str, guest: &TestGuest) {
    let path = workspace_root().join("tests").join("golden").join(format!("{name}.json"));
    let actual = guest.transcript().without_fuel().to_json() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(actual, expected, "transcript differs from {}", path.display());
}

#[test]
fn counter_increments_until_its_input_closes() {
    for target in TARGETS {
        let mut guest = load("counter", target, &[]);
        guest.push_message("wasm_input", &Counter { count: 5 }).unwrap();
        guest.push_input("wasm_input", &[0xac, 0x02]).unwrap();
        assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 });
        assert_eq!(guest.outputs("wasm_data").unwrap(), [vec![6], vec![0xad, 0x02]]);
        assert_eq!(
            guest.outputs_as::<Counter>("wasm_data").unwrap(),
            [Counter { count: 6 }, Counter { count: 301 }]
        );
        guest.close_input("wasm_input").unwrap();
        assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 }, "{target}");
        assert!(guest.errors().is_empty() && guest.logs().is_empty(), "{target}");
        assert!(guest.fuel_consumed() > 0);
        golden("counter", &guest);
    }
}

#[test]
fn counter_keeps_an_oversized_message_and_reports() {
    // 60 bytes do not fit the slide's 50-byte buffer: the message stays
    // queued and the module stops with the SDK's report.
    let mut guest = load("counter", TARGETS[0], &[]);
    guest.push_input("wasm_input", &[0x80; 60]).unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: -1 });
    assert_eq!(guest.queued("wasm_input").unwrap(), 1, "nothing lost");
    assert_eq!(guest.errors(), ["Task run error: receive buffer too small"]);
    assert_eq!(
        guest.logs(),
        [(LogLevel::Error, "Task run error: receive buffer too small".into())]
    );
    golden("counter_oversized", &guest);
}

#[test]
fn counter_reports_a_malformed_payload() {
    let mut guest = load("counter", TARGETS[0], &[]);
    // Five varint bytes that never end (a `Counter` encodes in at most 5).
    guest.push_input("wasm_input", &[0xff; 5]).unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: -1 });
    assert_eq!(guest.errors(), ["Task run error: payload malformed"]);
}

#[test]
fn faulty_error_path_reports_and_returns_minus_one() {
    let mut guest = load("faulty", TARGETS[0], &[]);
    for fault in [Fault::Echo, Fault::Fail, Fault::Echo] {
        guest.push_message("command", &fault).unwrap();
    }
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: -1 });
    assert_eq!(guest.outputs_as::<Fault>("echo").unwrap(), [Fault::Echo], "stops at the failure");
    assert_eq!(guest.errors(), ["Task run error: unknown output"]);
    golden("faulty_fail", &guest);
}

#[test]
fn faulty_panic_reports_location_then_traps() {
    for target in TARGETS {
        let mut guest = load("faulty", target, &[]);
        guest.push_message("command", &Fault::Panic).unwrap();
        let Step::Trapped(trap) = guest.run_until_idle().clone() else {
            panic!("{target}: a panic must trap: {:?}", guest.status())
        };
        assert!(trap.message().contains("unreachable"), "{target}: {trap}");
        let [report] = guest.errors() else { panic!("{target}: {:?}", guest.errors()) };
        let position = report
            .strip_prefix("panicked at tests/fixtures/faulty/src/lib.rs:")
            .unwrap_or_else(|| panic!("{target}: {report}"));
        let numbers: Vec<u32> = position.split(':').map(|n| n.parse().unwrap()).collect();
        assert_eq!(numbers.len(), 2, "line and column: {report}");
        assert_eq!(guest.logs(), [(LogLevel::Error, report.clone())], "{target}");
        if target == TARGETS[0] {
            golden("faulty_panic", &guest);
        }
    }
}

/// A guest stack overflow is reported as one, with the stack's size and
/// how to raise it: not as a bare out-of-bounds access.
#[test]
fn faulty_stack_overflow_is_named_with_the_stack_size() {
    for target in TARGETS {
        let mut guest = load("faulty", target, &[]);
        guest.push_message("command", &Fault::Overflow).unwrap();
        let Step::Trapped(trap) = guest.run_until_idle().clone() else {
            panic!("{target}: an overflow must trap: {:?}", guest.status())
        };
        assert!(
            trap.message()
                .starts_with("guest stack overflow: the module's stack of 8192 bytes is used up")
                && trap.message().contains("`WASM_SDK_STACK_SIZE=BYTES`"),
            "{target}: {trap}"
        );
        // A panic's out-of-bounds index is still a panic, not an overflow.
        let mut guest = load("faulty", target, &[]);
        guest.push_message("command", &Fault::Panic).unwrap();
        let Step::Trapped(trap) = guest.run_until_idle().clone() else { panic!("{target}") };
        assert!(!trap.message().contains("overflow"), "{target}: {trap}");
    }
}

#[test]
fn faulty_out_of_memory_reports_the_requested_size() {
    for target in TARGETS {
        let mut guest = load("faulty", target, &[]);
        guest.push_message("command", &Fault::Exhaust).unwrap();
        assert!(matches!(guest.run_until_idle(), Step::Trapped(_)), "{target}");
        let [report] = guest.errors() else { panic!("{target}: {:?}", guest.errors()) };
        assert!(report.starts_with("panicked at "), "{report}");
        assert!(report.ends_with(": memory allocation of 4096 bytes failed"), "{target}: {report}");
    }
}

#[test]
fn alarm_raises_clears_and_logs() {
    let mut guest = load("alarm", TARGETS[0], &[]);
    guest.push_message("thresholds", &Thresholds { high: 300, low: 280 }).unwrap();
    for deci_celsius in [290, 305, 290, 275] {
        guest.push_message("reading", &Reading { deci_celsius }).unwrap();
    }
    guest.close_input("reading").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    assert_eq!(
        guest.outputs_as::<AlarmEvent>("alarm").unwrap(),
        [AlarmEvent::Raised { deci_celsius: 305 }, AlarmEvent::Cleared { deci_celsius: 275 }]
    );
    let averages: Vec<i16> =
        guest.outputs_as::<Reading>("average").unwrap().iter().map(|r| r.deci_celsius).collect();
    assert_eq!(averages, [290, 297, 295, 290]);
    let texts: Vec<_> = guest.logs().iter().map(|(l, t)| (*l, t.as_str())).collect();
    assert_eq!(
        texts,
        [
            (LogLevel::Info, "thresholds high=300 low=280"),
            (LogLevel::Warn, "alarm raised at 305 dC"),
            (LogLevel::Info, "alarm cleared at 275 dC"),
        ]
    );
    golden("alarm", &guest);
}

#[test]
fn alarm_ignores_inverted_thresholds_and_waits_on_both_inputs() {
    let mut guest = load("alarm", TARGETS[0], &[]);
    guest.push_message("thresholds", &Thresholds { high: 100, low: 200 }).unwrap();
    guest.push_message("reading", &Reading { deci_celsius: 250 }).unwrap();
    let waiting = Step::Waiting { inputs: InputSet::from_iter([0, 1]) };
    assert_eq!(guest.run_until_idle(), &waiting);
    assert_eq!(guest.waiting_on(), Some(vec!["reading", "thresholds"]));
    assert!(guest.outputs("alarm").unwrap().is_empty(), "default thresholds still apply");
    assert_eq!(guest.logs()[0], (LogLevel::Warn, "ignored thresholds with low > high".into()));
    guest.push_message("reading", &Reading { deci_celsius: 300 }).unwrap();
    assert_eq!(guest.run_until_idle(), &waiting);
    assert_eq!(guest.outputs("alarm").unwrap().len(), 1, "resumed and raised");
    // Thresholds alone wake it too, and apply to the next reading.
    guest.push_message("thresholds", &Thresholds { high: 400, low: 350 }).unwrap();
    assert_eq!(guest.run_until_idle(), &waiting);
    assert_eq!(guest.logs().last().unwrap().1, "thresholds high=400 low=350");
    guest.push_message("reading", &Reading { deci_celsius: 340 }).unwrap();
    assert_eq!(guest.run_until_idle(), &waiting);
    let events = guest.outputs_as::<AlarmEvent>("alarm").unwrap();
    assert_eq!(events.last(), Some(&AlarmEvent::Cleared { deci_celsius: 340 }));
    // Closed thresholds: no more updates, readings go on.
    guest.close_input("thresholds").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Waiting { inputs: InputSet::from_iter([0]) });
    guest.push_message("reading", &Reading { deci_celsius: 360 }).unwrap();
    guest.close_input("reading").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    assert_eq!(guest.outputs("average").unwrap().len(), 4);
}

#[test]
fn tight_guests_run_with_custom_page_sizes() {
    let tight = [("WASM_SDK_MEMORY", "tight")];
    let mut counter = load("counter", TARGETS[0], &tight);
    assert!(counter.guest().memory_size() <= 16 * 1024);
    counter.push_input("wasm_input", &[41]).unwrap();
    counter.close_input("wasm_input").unwrap();
    assert_eq!(counter.run_until_idle(), &Step::Finished { exit_code: 0 });
    assert_eq!(counter.outputs("wasm_data").unwrap(), [vec![42]]);

    // The heap arena sits in the tight memory and still reports exhaustion.
    let mut faulty = load("faulty", TARGETS[0], &tight);
    faulty.push_message("command", &Fault::Echo).unwrap();
    faulty.push_message("command", &Fault::Exhaust).unwrap();
    assert!(matches!(faulty.run_until_idle(), Step::Trapped(_)));
    assert_eq!(faulty.outputs_as::<Fault>("echo").unwrap(), [Fault::Echo]);
    assert!(faulty.errors()[0].ends_with("memory allocation of 4096 bytes failed"));
}

#[test]
fn fuel_slices_preempt_without_changing_the_result() {
    let mut sliced = TestHost::builder()
        .fuel_per_slice(50)
        .build()
        .load_file(build_guest("counter", TARGETS[0], &[]))
        .unwrap();
    let mut whole = load("counter", TARGETS[0], &[]);
    for guest in [&mut sliced, &mut whole] {
        for count in 0..20u32 {
            guest.push_message("wasm_input", &Counter { count }).unwrap();
        }
        guest.close_input("wasm_input").unwrap();
        assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    }
    assert!(sliced.preemptions() > 10, "only {} preemptions", sliced.preemptions());
    assert_eq!(whole.preemptions(), 0);
    assert_eq!(sliced.transcript(), whole.transcript());
}

/// A host whose `wasm_input` and `wasm_data` carry `Counter`s: the
/// counter loads; `mistyped` (the same port names, `Reading` messages) is
/// refused at load with the port, both types and both keys.
#[test]
fn the_test_host_refuses_a_port_of_another_type_at_load() {
    let host = TestHost::builder()
        .expect_input::<Counter>("wasm_input")
        .expect_output::<Counter>("wasm_data")
        .build();
    let mut counter = host.load_file(build_guest("counter", TARGETS[0], &[])).unwrap();
    counter.push_json("wasm_input", &serde_json::json!({"count": 9})).unwrap();
    counter.run_until_idle();
    assert_eq!(counter.outputs_json("wasm_data").unwrap(), [serde_json::json!({"count": 10})]);

    let mistyped = build_guest("mistyped", TARGETS[0], &[]);
    let Err(TestHostError::Load(error)) = host.load_file(&mistyped) else {
        panic!("mistyped.wasm was loaded");
    };
    let LoadError::PortType { kind, port, declared, found } = &error else {
        panic!("{error}");
    };
    assert_eq!((*kind, port.as_str()), (PortKind::Input, "wasm_input"));
    assert_eq!(*declared, PortType::of::<Counter>());
    assert_eq!(found, &("Reading".to_owned(), PortType::of::<Reading>().key));
    let text = error.to_string();
    assert!(
        text.starts_with("input `wasm_input` carries `Counter` (key ")
            && text.contains("but the module declares `Reading` (key "),
        "{text}"
    );
    // Without declared types the same module loads (raw bytes, as before).
    TestHost::default().load_file(&mistyped).unwrap();
}

/// A scenario that pushes `Counter`s declares the input's type: both runs,
/// the native mock and the test host, refuse `mistyped` before it runs.
#[test]
fn a_scenario_refuses_a_port_of_another_type_natively_and_on_wasm() {
    let scenario =
        Scenario::new("counter into mistyped").push_message("wasm_input", &Counter { count: 1 });
    let mistyped = build_guest("mistyped", TARGETS[0], &[]);
    for (run, result) in [
        ("native", scenario.run_native(&mistyped::TASK).map(drop)),
        ("wasm", scenario.run_wasm(&mistyped).map(drop)),
    ] {
        match result {
            Err(ScenarioError::PortType { run: r, message }) => {
                assert_eq!(r, run);
                assert!(message.contains("carries `Counter`"), "{message}");
            }
            other => panic!("{run}: {other:?}"),
        }
    }
    // The counter itself passes, with JSON in and out.
    Scenario::new("counter, typed")
        .push_message("wasm_input", &Counter { count: 1 })
        .push_json("wasm_input", serde_json::json!({"count": 41}))
        .expect_message("wasm_data", &Counter { count: 2 })
        .expect_json("wasm_data", serde_json::json!({"count": 42}))
        .run_both(&counter::TASK, build_guest("counter", TARGETS[0], &[]))
        .unwrap();
}
