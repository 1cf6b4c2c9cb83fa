//! `start` wires a guest's ports by name: the firmware's order does not
//! matter, and every port the module declares and every channel the firmware
//! wires must meet its match.

use std::path::PathBuf;
use std::sync::Mutex;

use embassy_futures::block_on;
use embassy_futures::select::{Either, select};
use module_examples_common::{AlarmEvent, Reading, Thresholds, to_message};
use wasm_sdk::from_payload;
use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig, LoadError, LogLevel};
use wasm_sdk_embassy::{PortChannel, PortKind, Sink, StartError, Wire, Wiring, drive, start};
use wasm_sdk_testhost::GuestBuilder;

/// `examples/alarm`: `#[task_run(inputs(reading, thresholds), outputs(alarm, average))]`.
fn alarm_wasm() -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = GuestBuilder::for_tests()
        .build(root.join("examples/alarm"))
        .expect("build the alarm guest");
    std::fs::read(path).expect("read the alarm guest")
}

/// Keeps the guest's log lines, to tell which thresholds it used.
struct Lines(Mutex<Vec<String>>);

impl Sink for Lines {
    fn log(&self, _guest: &str, _level: LogLevel, message: &str) {
        self.0.lock().unwrap().push(message.to_owned());
    }
    fn report_error(&self, _guest: &str, message: &str) {
        self.0.lock().unwrap().push(format!("error: {message}"));
    }
}

fn host() -> Host<wasm_sdk_embassy::ChannelEnv> {
    Host::new(HostConfig::default())
}

#[test]
fn ports_wired_in_another_order_than_the_manifest_meet_their_pipes() {
    static READINGS: PortChannel = PortChannel::new();
    static THRESHOLDS: PortChannel = PortChannel::new();
    static ALARMS: PortChannel = PortChannel::new();
    static AVERAGES: PortChannel = PortChannel::new();
    // Both lists reversed against the manifest: wired by index, readings
    // would reach `thresholds` and the alarms would come out on `average`.
    static WIRING: Wiring = Wiring {
        inputs: &[
            Wire::typed::<Thresholds>("thresholds", &THRESHOLDS),
            Wire::typed::<Reading>("reading", &READINGS),
        ],
        outputs: &[
            Wire::typed::<Reading>("average", &AVERAGES),
            Wire::typed::<AlarmEvent>("alarm", &ALARMS),
        ],
    };
    static SINK: Lines = Lines(Mutex::new(Vec::new()));
    let mut guest = start(&host(), "alarm", &alarm_wasm(), &WIRING, &SINK).expect("start");
    assert_eq!(guest.inputs(), ["reading", "thresholds"]);
    assert_eq!(guest.outputs(), ["alarm", "average"]);

    let service = async {
        THRESHOLDS.send(to_message(&Thresholds { high: 200, low: 150 }).unwrap()).await;
        READINGS.send(to_message(&Reading { deci_celsius: 210 }).unwrap()).await;
        let alarm: AlarmEvent = from_payload(&ALARMS.receive().await).unwrap();
        let average: Reading = from_payload(&AVERAGES.receive().await).unwrap();
        (alarm, average)
    };
    let (alarm, average) = block_on(async {
        match select(service, drive(&mut guest)).await {
            Either::First(answers) => answers,
            Either::Second(step) => panic!("guest stopped: {step:?}"),
        }
    });
    // 21.0 °C raises the alarm only under the thresholds sent on
    // `thresholds` (the default high is 30.0 °C).
    assert_eq!(alarm, AlarmEvent::Raised { deci_celsius: 210 });
    assert_eq!(average, Reading { deci_celsius: 210 });
    assert_eq!(*SINK.0.lock().unwrap(), ["thresholds high=200 low=150", "alarm raised at 210 dC"]);
}

/// PortChannels of other message types than the module's ports: refused at load,
/// naming the first port (inputs first) and both types. An untyped wire
/// accepts a typed port (the firmware declares nothing to check).
#[test]
fn a_port_of_another_type_than_its_pipe_is_refused() {
    static READINGS: PortChannel = PortChannel::new();
    static THRESHOLDS: PortChannel = PortChannel::new();
    static ALARMS: PortChannel = PortChannel::new();
    static AVERAGES: PortChannel = PortChannel::new();
    // `average` carries `Reading`s; this firmware expects `Thresholds`.
    static WRONG_OUTPUT: Wiring = Wiring {
        inputs: &[
            Wire::typed::<Reading>("reading", &READINGS),
            Wire::raw("thresholds", &THRESHOLDS),
        ],
        outputs: &[
            Wire::typed::<AlarmEvent>("alarm", &ALARMS),
            Wire::typed::<Thresholds>("average", &AVERAGES),
        ],
    };
    static SINK: Lines = Lines(Mutex::new(Vec::new()));
    let Err(error) = start(&host(), "alarm", &alarm_wasm(), &WRONG_OUTPUT, &SINK) else {
        panic!("started with a mistyped output");
    };
    assert_eq!(error.as_str(), "the module's output type differs from the firmware's channel");
    assert_eq!(error.detail(), "average");
    let StartError::Load(LoadError::PortType { kind, declared, found, .. }) = &error else {
        panic!("{error}");
    };
    assert_eq!(*kind, PortKind::Output);
    assert_eq!(declared.name, "Thresholds");
    assert_eq!(found.0, "Reading");
    assert!(error.to_string().contains("output `average` carries `Thresholds`"), "{error}");
}

#[test]
fn a_declared_port_without_a_pipe_is_refused() {
    static READINGS: PortChannel = PortChannel::new();
    static ALARMS: PortChannel = PortChannel::new();
    static AVERAGES: PortChannel = PortChannel::new();
    static NO_THRESHOLDS: Wiring = Wiring {
        inputs: &[Wire::raw("reading", &READINGS)],
        outputs: &[Wire::raw("alarm", &ALARMS), Wire::raw("average", &AVERAGES)],
    };
    static NO_AVERAGE: Wiring = Wiring {
        inputs: &[Wire::raw("reading", &READINGS), Wire::raw("thresholds", &READINGS)],
        outputs: &[Wire::raw("alarm", &ALARMS)],
    };
    static SINK: Lines = Lines(Mutex::new(Vec::new()));
    let wasm = alarm_wasm();

    let error = start(&host(), "alarm", &wasm, &NO_THRESHOLDS, &SINK).err().expect("refused");
    assert_eq!(error, StartError::UnwiredPort { kind: PortKind::Input, name: "thresholds".into() });
    assert_eq!(error.as_str(), "the module declares an input the firmware does not wire");
    assert_eq!(error.detail(), "thresholds");

    let error = start(&host(), "alarm", &wasm, &NO_AVERAGE, &SINK).err().expect("refused");
    assert_eq!(error, StartError::UnwiredPort { kind: PortKind::Output, name: "average".into() });
    assert_eq!(
        error.to_string(),
        "the module declares an output the firmware does not wire: `average`"
    );
}

#[test]
fn a_pipe_for_an_undeclared_or_repeated_port_is_refused() {
    static READINGS: PortChannel = PortChannel::new();
    static THRESHOLDS: PortChannel = PortChannel::new();
    static ALARMS: PortChannel = PortChannel::new();
    static AVERAGES: PortChannel = PortChannel::new();
    static SPARE: PortChannel = PortChannel::new();
    static EXTRA_INPUT: Wiring = Wiring {
        inputs: &[
            Wire::raw("reading", &READINGS),
            Wire::raw("reset", &SPARE),
            Wire::raw("thresholds", &THRESHOLDS),
        ],
        outputs: &[Wire::raw("alarm", &ALARMS), Wire::raw("average", &AVERAGES)],
    };
    static EXTRA_OUTPUT: Wiring = Wiring {
        inputs: &[Wire::raw("reading", &READINGS), Wire::raw("thresholds", &THRESHOLDS)],
        outputs: &[
            Wire::raw("alarm", &ALARMS),
            Wire::raw("average", &AVERAGES),
            Wire::raw("minimum", &SPARE),
        ],
    };
    static TWICE: Wiring = Wiring {
        inputs: &[Wire::raw("reading", &READINGS), Wire::raw("thresholds", &THRESHOLDS)],
        outputs: &[
            Wire::raw("alarm", &ALARMS),
            Wire::raw("average", &AVERAGES),
            Wire::raw("alarm", &SPARE),
        ],
    };
    static SINK: Lines = Lines(Mutex::new(Vec::new()));
    let wasm = alarm_wasm();

    let error = start(&host(), "alarm", &wasm, &EXTRA_INPUT, &SINK).err().expect("refused");
    assert_eq!(error, StartError::UnusedWire { kind: PortKind::Input, name: "reset" });
    assert_eq!(error.as_str(), "the firmware wires an input the module does not declare");
    assert_eq!(error.detail(), "reset");

    let error = start(&host(), "alarm", &wasm, &EXTRA_OUTPUT, &SINK).err().expect("refused");
    assert_eq!(error, StartError::UnusedWire { kind: PortKind::Output, name: "minimum" });

    let error = start(&host(), "alarm", &wasm, &TWICE, &SINK).err().expect("refused");
    assert_eq!(error, StartError::DuplicateWire { kind: PortKind::Output, name: "alarm" });
    assert_eq!(error.as_str(), "the firmware wires an output twice");
    assert!(SINK.0.lock().unwrap().is_empty(), "a refused guest never ran");
}

#[test]
fn a_refused_module_is_a_load_error_with_a_static_text() {
    static NOTHING: Wiring = Wiring { inputs: &[], outputs: &[] };
    static SINK: Lines = Lines(Mutex::new(Vec::new()));
    let error = start(&host(), "garbage", b"not wasm", &NOTHING, &SINK).err().expect("refused");
    assert!(matches!(error, StartError::Load(LoadError::Malformed(_))), "{error:?}");
    assert_eq!(error.as_str(), "not a wasm module");
    assert!(!error.detail().is_empty(), "the parser's own text");
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn check_refuses_what_start_would_refuse_without_running_anything() {
    static A: PortChannel = PortChannel::new();
    static B: PortChannel = PortChannel::new();
    static C: PortChannel = PortChannel::new();
    static D: PortChannel = PortChannel::new();
    static GOOD: Wiring = Wiring {
        inputs: &[Wire::raw("thresholds", &A), Wire::raw("reading", &B)],
        outputs: &[Wire::raw("average", &C), Wire::raw("alarm", &D)],
    };
    static MISSING: Wiring = Wiring {
        inputs: &[Wire::raw("reading", &B)],
        outputs: &[Wire::raw("average", &C), Wire::raw("alarm", &D)],
    };
    static EXTRA: Wiring = Wiring {
        inputs: &[Wire::raw("thresholds", &A), Wire::raw("reading", &B)],
        outputs: &[Wire::raw("average", &C), Wire::raw("alarm", &D), Wire::raw("debug", &A)],
    };
    let host = host();
    let wasm = alarm_wasm();
    assert_eq!(wasm_sdk_embassy::check(&host, &wasm, &GOOD), Ok(()));
    assert_eq!(
        wasm_sdk_embassy::check(&host, &wasm, &MISSING),
        Err(StartError::UnwiredPort { kind: PortKind::Input, name: "thresholds".into() })
    );
    assert_eq!(
        wasm_sdk_embassy::check(&host, &wasm, &EXTRA),
        Err(StartError::UnusedWire { kind: PortKind::Output, name: "debug" })
    );
    assert!(matches!(
        wasm_sdk_embassy::check(&host, b"\0asm garbage", &GOOD),
        Err(StartError::Load(LoadError::Malformed(_)))
    ));
    // Nothing was sent anywhere: checking runs no guest.
    assert!(A.try_receive().is_err() && C.try_receive().is_err());
}
