//! A module whose ports are marked `#[topic]` (`tests/fixtures/topics`),
//! built to wasm: its manifest names them `topic/<name>`, what a catalog
//! firmware binds to topics instead of services, and the native mock and
//! the test host find them by that name, with the same scenario on both.

use module_examples_common::Reading;
use wasm_sdk_abi::manifest::{Manifest, PortKind, TOPIC_PREFIX, topic_of};
use wasm_sdk_testhost::{PortType, Scenario, Step, TestHost, TestHostError};
use wasm_sdk_tests::{ModuleInfo, TARGETS, build_guest};

#[test]
fn the_manifest_names_topic_ports_with_the_prefix() {
    for target in TARGETS {
        let bytes = std::fs::read(build_guest("topics", target, &[])).expect("read module");
        let info = ModuleInfo::parse(&bytes).expect("well-formed module");
        let section = info.manifest.as_deref().expect("manifest");
        let manifest = Manifest::parse(section).unwrap_or_else(|e| panic!("{target}: {e}"));
        let inputs: Vec<&str> = manifest.inputs().iter().collect();
        let outputs: Vec<&str> = manifest.outputs().iter().collect();
        assert_eq!(inputs, ["temperature", "topic/smoothed"], "{target}");
        assert_eq!(outputs, ["topic/filtered"], "{target}");
        assert!(outputs[0].starts_with(TOPIC_PREFIX));
        // What a catalog firmware reads: a service and a topic in, a topic out.
        assert_eq!(
            inputs.iter().map(|name| topic_of(name)).collect::<Vec<_>>(),
            [None, Some("smoothed")]
        );
        assert_eq!(topic_of(outputs[0]), Some("filtered"));
        // The mark changes the name only: the port keeps its type.
        let reading = PortType::of::<Reading>().key;
        for (kind, name) in [(PortKind::Input, "topic/smoothed"), (PortKind::Output, outputs[0])] {
            let key = manifest.type_of(kind, name).map(|(key, _)| key);
            assert_eq!(key, Some(reading), "{target}: {name}");
        }
    }
}

#[test]
fn the_native_mock_and_the_test_host_find_topic_ports_by_their_prefixed_name() {
    let wasm = build_guest("topics", TARGETS[0], &[]);
    Scenario::new("a topic between guests")
        .push_message("temperature", &Reading { deci_celsius: 200 })
        .push_message("topic/smoothed", &Reading { deci_celsius: 100 })
        .expect_message("topic/filtered", &Reading { deci_celsius: 150 })
        .expect_status(Step::Blocked { input: 0 })
        .run_both(&topics::TASK, &wasm)
        .unwrap();

    // Channels typed by the prefixed name, as a firmware wires a topic.
    let host = TestHost::builder()
        .expect_input::<Reading>("topic/smoothed")
        .expect_output::<Reading>("topic/filtered")
        .build();
    let mut guest = host.load_file(&wasm).unwrap();
    assert_eq!(guest.input_names(), ["temperature", "topic/smoothed"]);
    assert_eq!(guest.output_names(), ["topic/filtered"]);
    guest.push_message("temperature", &Reading { deci_celsius: -40 }).unwrap();
    guest.push_message("topic/smoothed", &Reading { deci_celsius: -20 }).unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 });
    let filtered = guest.outputs_as::<Reading>("topic/filtered").unwrap();
    assert_eq!(filtered, [Reading { deci_celsius: -30 }]);

    // The bare topic is no port's name, on either host.
    let err = guest.push_message("smoothed", &Reading { deci_celsius: 0 }).unwrap_err();
    assert!(matches!(err, TestHostError::UnknownInput(_)), "{err}");
    assert_eq!(topics::TASK.input("smoothed"), None);
    assert_eq!(topics::TASK.input("topic/smoothed"), Some(topics::Input::Smoothed.index()));
}
