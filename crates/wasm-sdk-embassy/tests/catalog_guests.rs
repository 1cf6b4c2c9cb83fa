//! The example guests a catalog firmware runs (`examples/thermostat`,
//! `smoother`, `smoothed-alarm`, `heartbeat`), built to wasm and installed
//! on a bus over that firmware's catalog: a `temperature` sensor it
//! provides, an `alarm` it takes, and the timer service. What reaches the
//! firmware's `alarm` is what each module promises.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use embassy_futures::block_on;
use embassy_futures::select::{Either, select, select_slice};
use module_examples_common::AlarmEvent;
use wasm_sdk_embassy::bus::{Bus, Slot};
use wasm_sdk_embassy::wasm_sdk_host::{Guest, Host, HostConfig, LogLevel};
use wasm_sdk_embassy::{ChannelEnv, Connect, PortKind, Sink, drive, start};
use wasm_sdk_testhost::example_wasm;

mod common;

use common::{ALARM, CATALOG, TEMPERATURE, bindings, reading};

/// `heartbeat::PERIOD_MS`: the heartbeat's timer period, fixed in the
/// module.
const PERIOD: Duration = Duration::from_millis(1_000);
/// `heartbeat::NEVER`: the reading its `Raised` carries when the sensor was
/// never heard.
const NEVER: i16 = i16::MIN;

/// Longest a test's firmware may take: a module that never sends what the
/// test waits for fails it instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Quiet;

impl Sink for Quiet {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, guest: &str, message: &str) {
        panic!("{guest} reported an error: {message}");
    }
}

static QUIET: Quiet = Quiet;

/// The example guest `examples/<name>`, started on `bus` in `slot`.
fn install(bus: &'static Bus, slot: Slot, name: &'static str) -> Guest<ChannelEnv> {
    let wasm = example_wasm(name).unwrap_or_else(|e| panic!("build {name}: {e}"));
    let host = Host::new(HostConfig::default());
    start(&host, name, wasm.as_slice(), Connect::Bus { bus, slot }, &QUIET)
        .unwrap_or_else(|e| panic!("{name} does not bind: {e}"))
}

/// Runs `firmware` with every guest beside it until it finishes: a guest
/// that stops, or `TIMEOUT`, fails the test.
fn run<T>(firmware: impl Future<Output = T>, guests: &mut [Guest<ChannelEnv>]) -> T {
    let mut drives: Vec<Pin<Box<_>>> = guests.iter_mut().map(|g| Box::pin(drive(g))).collect();
    let guests = select_slice(Pin::new(&mut drives[..]));
    let timeout = embassy_time::Timer::after(embassy_time::Duration::from_secs(TIMEOUT.as_secs()));
    match block_on(select(firmware, select(guests, timeout))) {
        Either::First(done) => done,
        Either::Second(Either::First((step, index))) => panic!("guest {index} stopped: {step:?}"),
        Either::Second(Either::Second(())) => panic!("nothing came within {TIMEOUT:?}"),
    }
}

/// The next alarm the firmware takes, decoded, with its guest's slot.
async fn alarm(bus: &Bus) -> (Slot, AlarmEvent) {
    let (slot, message) = bus.receive(&ALARM).await.unwrap();
    (slot, postcard::from_bytes(&message).expect("an AlarmEvent"))
}

/// Publishes each reading, then takes `count` alarms.
async fn feed(bus: &Bus, readings: &[i16], count: usize) -> Vec<(Slot, AlarmEvent)> {
    for &deci_celsius in readings {
        bus.publish(&TEMPERATURE, &reading(deci_celsius)).await.unwrap();
    }
    let mut alarms = Vec::new();
    while alarms.len() < count {
        alarms.push(alarm(bus).await);
    }
    alarms
}

fn raised(deci_celsius: i16) -> AlarmEvent {
    AlarmEvent::Raised { deci_celsius }
}

fn cleared(deci_celsius: i16) -> AlarmEvent {
    AlarmEvent::Cleared { deci_celsius }
}

#[test]
fn the_thermostat_raises_at_25_and_clears_at_23_on_transitions_only() {
    static BUS: Bus = Bus::new(&CATALOG);
    let mut guests = [install(&BUS, 1, "thermostat")];
    // 26.0 °C after the clear raises again: had anything been sent between
    // (on 24.0 °C, say), it would be taken here instead.
    let alarms = run(feed(&BUS, &[240, 250, 240, 230, 260], 3), &mut guests);
    assert_eq!(alarms, [(1, raised(250)), (1, cleared(230)), (1, raised(260))]);
}

/// temperature → smoother (slot 1) → topic `smoothed` → smoothed-alarm
/// (slot 2) → alarm, the guests installed in either order.
fn pipeline(bus: &'static Bus, smoother_first: bool) {
    let mut guests = if smoother_first {
        let smoother = install(bus, 1, "smoother");
        [smoother, install(bus, 2, "smoothed-alarm")]
    } else {
        let alarm = install(bus, 2, "smoothed-alarm");
        [install(bus, 1, "smoother"), alarm]
    };
    let mut bound: Vec<_> =
        bindings(bus).into_iter().filter(|(.., target)| target.starts_with("topic ")).collect();
    bound.sort_by_key(|(slot, ..)| *slot);
    let topic = |slot, kind| (slot, kind, "topic/smoothed".to_owned(), "topic smoothed".to_owned());
    assert_eq!(bound, [topic(1, PortKind::Output), topic(2, PortKind::Input)]);

    // Means of the last four: 240 250 253 255 | 250 240 230 220 | 240 260.
    // The raw readings would raise at 260 first; the means raise at 250,
    // clear at 230 and raise again at 260.
    let readings = [240, 260, 260, 260, 220, 220, 220, 220, 300, 300];
    let alarms = run(feed(bus, &readings, 3), &mut guests);
    assert_eq!(alarms, [(2, raised(250)), (2, cleared(230)), (2, raised(260))]);
}

#[test]
fn the_smoothing_pipeline_alarms_on_the_mean_installed_in_either_order() {
    static SMOOTHER_FIRST: Bus = Bus::new(&CATALOG);
    static ALARM_FIRST: Bus = Bus::new(&CATALOG);
    pipeline(&SMOOTHER_FIRST, true);
    pipeline(&ALARM_FIRST, false);
}

#[test]
fn the_heartbeat_raises_on_the_first_tick_without_a_reading_and_clears_on_the_next() {
    static BUS: Bus = Bus::new(&CATALOG);
    let began = Instant::now();
    let mut guests = [install(&BUS, 3, "heartbeat")];
    // Its timer ports are listed among its bindings, beside the sensor and
    // the alarm.
    let service = |kind, name: &str| (3, kind, name.to_owned(), format!("service {name}"));
    assert_eq!(
        bindings(&BUS),
        [
            service(PortKind::Input, "tick"),
            service(PortKind::Input, "temperature"),
            service(PortKind::Output, "timer"),
            service(PortKind::Output, "alarm")
        ]
    );

    let firmware = async {
        let first = alarm(&BUS).await;
        let at = began.elapsed();
        BUS.offer(&TEMPERATURE, &reading(245)).unwrap();
        (first, at, alarm(&BUS).await)
    };
    let (first, at, second) = run(firmware, &mut guests);
    assert_eq!(first, (3, raised(NEVER)), "never heard: raised with no reading");
    assert!(at >= PERIOD, "raised after {at:?}, before the first tick");
    assert_eq!(second, (3, cleared(245)));
}

#[test]
fn the_heartbeat_keeps_quiet_while_readings_come_and_raises_with_the_last() {
    static BUS: Bus = Bus::new(&CATALOG);
    let began = Instant::now();
    let mut guests = [install(&BUS, 3, "heartbeat")];
    // A reading in the first period, none in the second: the first tick
    // passes, the second raises with 24.5 °C.
    BUS.offer(&TEMPERATURE, &reading(245)).unwrap();
    let (first, at) = run(
        async {
            let first = alarm(&BUS).await;
            (first, began.elapsed())
        },
        &mut guests,
    );
    assert_eq!(first, (3, raised(245)));
    assert!(at >= 2 * PERIOD, "raised after {at:?}, before the second tick");
}

#[test]
fn all_four_bind_on_one_bus_as_the_firmware_runs_them() {
    static BUS: Bus = Bus::new(&CATALOG);
    let names = ["thermostat", "smoother", "smoothed-alarm", "heartbeat"];
    let _guests: Vec<_> = (1..).zip(names).map(|(slot, name)| install(&BUS, slot, name)).collect();
    let bound: Vec<String> = bindings(&BUS)
        .into_iter()
        .map(|(slot, kind, port, target)| format!("{slot} {} {port} -> {target}", kind.as_str()))
        .collect();
    assert_eq!(
        bound,
        [
            "1 input temperature -> service temperature",
            "1 output alarm -> service alarm",
            "2 input temperature -> service temperature",
            "2 output topic/smoothed -> topic smoothed",
            "3 input topic/smoothed -> topic smoothed",
            "3 output alarm -> service alarm",
            "4 input tick -> service tick",
            "4 input temperature -> service temperature",
            "4 output timer -> service timer",
            "4 output alarm -> service alarm",
        ]
    );
}
