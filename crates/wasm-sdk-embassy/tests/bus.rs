//! Guests installed on a bus: each port binds by name to a catalog service
//! or a topic, what the firmware provides reaches every bound guest, what
//! it takes comes from each, topics connect guests with backpressure, and
//! the timer service ticks each guest at the period it chose.

use std::cell::Cell;
use std::time::Duration;

use embassy_futures::block_on;
use embassy_futures::select::{Either, Either3, select, select3};
use module_examples_common::{AlarmEvent, Counter, Reading};
use wasm_sdk::abi::catalog::Refusal;
use wasm_sdk::abi::manifest::TypeDecl;
use wasm_sdk::abi::schema::TypeKey;
use wasm_sdk::abi::schema::postcard_schema::Schema;
use wasm_sdk::timer::Tick;
use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_embassy::bus::{BindError, Bus, Offered, ServiceError};
use wasm_sdk_embassy::catalog::{Catalog, Direction, Service};
use wasm_sdk_embassy::wasm_sdk_host::{Guest, Host, HostConfig, LoadError, LogLevel};
use wasm_sdk_embassy::{ChannelEnv, Connect, PortKind, Sink, StartError, check, drive, start};

mod common;

use common::{ALARM, CATALOG, TEMPERATURE, bindings, reading};

struct Quiet;

impl Sink for Quiet {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, _guest: &str, _message: &str) {}
}

static QUIET: Quiet = Quiet;

fn ty<T: Schema>() -> TypeDecl {
    TypeDecl { key: TypeKey::of::<T>(), schema: T::SCHEMA }
}

/// The echo module: input 0 `input` to output 0 `output`, each typed as
/// the test catalog's service of its name (`Reading` for a topic). It
/// forwards bytes as they are: what matters here is where they go.
fn echo(input: &str, output: &str) -> Vec<u8> {
    let typed = |port: &str| if port == "alarm" { ty::<AlarmEvent>() } else { ty::<Reading>() };
    Fixture::new(ECHO).typed_input(input, typed(input)).typed_output(output, typed(output)).build()
}

/// The echo module with untyped ports: only the names bind.
fn raw_echo(input: &str, output: &str) -> Vec<u8> {
    Fixture::new(ECHO).inputs([input]).outputs([output]).build()
}

fn on(bus: &'static Bus, slot: u32, wasm: &[u8]) -> Result<Guest<ChannelEnv>, StartError> {
    start(&Host::new(HostConfig::default()), "guest", wasm, Connect::Bus { bus, slot }, &QUIET)
}

#[test]
fn a_port_binds_only_a_service_of_its_name_direction_and_type() {
    static BUS: Bus = Bus::new(&CATALOG);
    let refused = |wasm: Vec<u8>| on(&BUS, 1, &wasm).map(drop).unwrap_err();

    let missing = refused(raw_echo("humidity", "alarm"));
    assert_eq!(
        missing,
        StartError::Bind(BindError::Service {
            kind: PortKind::Input,
            port: "humidity".into(),
            refusal: Refusal::NoService
        })
    );
    assert!(missing.to_string().contains("no service `humidity`"), "{missing}");

    let backwards = refused(raw_echo("alarm", "temperature"));
    assert_eq!(
        backwards,
        StartError::Bind(BindError::Service {
            kind: PortKind::Input,
            port: "alarm".into(),
            refusal: Refusal::Direction(Direction::Takes)
        })
    );

    // The host's own typed-port check, with the catalog as its channels:
    // both types named.
    let mistyped = Fixture::new(ECHO)
        .typed_input("temperature", ty::<Counter>())
        .typed_output("alarm", ty::<AlarmEvent>())
        .build();
    let error = refused(mistyped);
    let StartError::Load(LoadError::PortType { port, declared, found, .. }) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (port.as_str(), declared.name, found.0.as_str()),
        ("temperature", "Reading", "Counter")
    );
    assert!(error.to_string().contains("`Reading`") && error.to_string().contains("`Counter`"));
    // Nothing was bound by the refusals.
    assert!(bindings(&BUS).is_empty());
}

#[test]
fn a_topic_has_one_type_and_one_publisher() {
    static BUS: Bus = Bus::new(&CATALOG);
    let _filter = on(&BUS, 1, &echo("temperature", "topic/smoothed")).expect("filter");
    let counter_sub = Fixture::new(ECHO)
        .typed_input("topic/smoothed", ty::<Counter>())
        .outputs(["alarm"])
        .build();
    let error = on(&BUS, 2, &counter_sub).map(drop).unwrap_err();
    let StartError::Bind(BindError::TopicType { port, declared, offered, by, .. }) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (port.as_str(), declared.0.as_str(), offered.0.as_str(), *by),
        ("topic/smoothed", "Counter", "Reading", 1)
    );

    let error = on(&BUS, 3, &echo("temperature", "topic/smoothed")).map(drop).unwrap_err();
    assert_eq!(
        error,
        StartError::Bind(BindError::TopicPublished { port: "topic/smoothed".into(), by: 1 })
    );
    // The publisher's own slot may take a new publisher: it replaces it.
    let host = Host::new(HostConfig::default());
    check(&host, &echo("temperature", "topic/smoothed"), Connect::Bus { bus: &BUS, slot: 1 })
        .expect("a replacement in the publisher's slot binds");
    assert_eq!(bindings(&BUS).len(), 2, "check binds nothing");
}

#[test]
fn a_provided_service_feeds_every_bound_guest_and_a_taken_one_hears_each() {
    static BUS: Bus = Bus::new(&CATALOG);
    let mut first = on(&BUS, 1, &echo("temperature", "alarm")).expect("slot 1");
    let mut second = on(&BUS, 2, &raw_echo("temperature", "alarm")).expect("slot 2");
    let offered = BUS.offer(&TEMPERATURE, &reading(250)).unwrap();
    assert_eq!(offered, Offered { delivered: 2, skipped: 0 });
    let firmware = async {
        let a = BUS.receive(&ALARM).await.unwrap();
        let b = BUS.receive(&ALARM).await.unwrap();
        (a, b)
    };
    let Either3::First((a, b)) = block_on(select3(firmware, drive(&mut first), drive(&mut second)))
    else {
        panic!("a guest stopped")
    };
    let mut slots = [a.0, b.0];
    slots.sort();
    assert_eq!(slots, [1, 2]);
    assert_eq!((a.1, b.1), (reading(250), reading(250)));
    // The firmware cannot publish what it takes, nor take what it provides.
    assert!(BUS.offer(&ALARM, &[]).is_err());
}

/// The pipeline temperature → filter (slot `f`) → `smoothed` → alarm
/// guest (slot `a`) → alarm, with its guests installed in `order`.
fn pipeline(bus: &'static Bus, filter_first: bool) {
    let filter = || on(bus, 1, &echo("temperature", "topic/smoothed")).expect("filter");
    let alarm = || on(bus, 2, &echo("topic/smoothed", "alarm")).expect("alarm guest");
    let (mut filter, mut alarm) = if filter_first {
        let f = filter();
        (f, alarm())
    } else {
        let a = alarm();
        (filter(), a)
    };
    let firmware = async {
        let mut heard = Vec::new();
        for deci in [200, 205, 210] {
            bus.publish(&TEMPERATURE, &reading(deci)).await.unwrap();
            heard.push(bus.receive(&ALARM).await.unwrap());
        }
        heard
    };
    let Either3::First(heard) = block_on(select3(firmware, drive(&mut filter), drive(&mut alarm)))
    else {
        panic!("a guest stopped")
    };
    assert_eq!(heard, [(2, reading(200)), (2, reading(205)), (2, reading(210))]);
}

#[test]
fn a_pipeline_over_a_topic_works_installed_in_either_order() {
    static FILTER_FIRST: Bus = Bus::new(&CATALOG);
    static ALARM_FIRST: Bus = Bus::new(&CATALOG);
    pipeline(&FILTER_FIRST, true);
    pipeline(&ALARM_FIRST, false);
}

#[test]
fn a_full_subscriber_holds_its_publisher_back_and_nothing_is_lost() {
    static BUS: Bus = Bus::new(&CATALOG);
    let mut filter = on(&BUS, 1, &echo("temperature", "topic/smoothed")).expect("filter");
    let mut alarm = on(&BUS, 2, &echo("topic/smoothed", "alarm")).expect("alarm guest");
    const MESSAGES: i16 = 12;
    let published = Cell::new(0);
    let firmware = async {
        for deci in 0..MESSAGES {
            BUS.publish(&TEMPERATURE, &reading(deci)).await.unwrap();
            published.set(published.get() + 1);
        }
        core::future::pending::<()>().await
    };
    // The alarm guest does not run: the filter forwards until the
    // subscriber's channel is full, then waits in `send` (no fuel).
    let stalled = block_on(select3(
        firmware,
        drive(&mut filter),
        embassy_time::Timer::after(embassy_time::Duration::from_millis(100)),
    ));
    assert!(matches!(stalled, Either3::Third(())), "a guest stopped");
    let forwarded = filter.env().sent;
    assert_eq!(
        forwarded as usize,
        wasm_sdk_embassy::PORT_DEPTH,
        "the subscriber's channel holds the rest back"
    );
    assert!(filter.env().waits > 0);
    let fuel = filter.fuel_consumed();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(filter.fuel_consumed(), fuel, "a waiting publisher burns no fuel");

    let rest = async {
        for deci in published.get()..MESSAGES {
            BUS.publish(&TEMPERATURE, &reading(deci)).await.unwrap();
        }
        let mut heard = Vec::new();
        while heard.len() < MESSAGES as usize {
            heard.push(BUS.receive(&ALARM).await.unwrap().1);
        }
        heard
    };
    let Either3::First(heard) = block_on(select3(rest, drive(&mut filter), drive(&mut alarm)))
    else {
        panic!("a guest stopped")
    };
    let expected: Vec<_> = (0..MESSAGES).map(reading).collect();
    assert_eq!(heard, expected, "every reading, in order");
}

/// Sends `SetTimer { period_ms: PERIOD }` on output 0 (`timer`), then each
/// `tick` it receives on output 1.
const TICKER: &str = r#"(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 0) "PERIOD")
  (func (export "run_task") (result i32) (local $n i32)
    (drop (call $send (i32.const 0) (i32.const 1) (i32.const 0)))
    (loop $next
      (local.set $n (call $recv (i32.const 16) (i32.const 16) (i32.const 0)))
      (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
      (drop (call $send (i32.const 16) (local.get $n) (i32.const 1)))
      (br $next))
    (unreachable)))"#;

/// The ticker of period `period_ms` (one postcard byte: below 128).
fn ticker(period_ms: u8) -> Vec<u8> {
    assert!(period_ms < 0x80, "a one-byte varint");
    Fixture::new(TICKER.replace("PERIOD", &format!("\\{period_ms:02x}")))
        .typed_input("tick", ty::<Tick>())
        .typed_output("timer", ty::<wasm_sdk::timer::SetTimer>())
        .typed_output("ticks", ty::<Tick>())
        .build()
}

#[test]
fn a_timer_period_under_the_minimum_runs_at_the_minimum() {
    static TICKS: Service = Service::takes::<Tick>("ticks");
    static CATALOG: Catalog = Catalog::new(&[&TICKS]).with_timer();
    static BUS: Bus = Bus::new(&CATALOG);
    let wasm = ticker(1);
    let mut guest = on(&BUS, 1, &wasm).expect("ticker");
    let began = std::time::Instant::now();
    let firmware = async {
        for _ in 0..5 {
            BUS.receive(&TICKS).await.unwrap();
        }
    };
    let Either::First(()) = block_on(select(firmware, drive(&mut guest))) else {
        panic!("the ticker stopped")
    };
    let floor = Duration::from_millis(5 * u64::from(wasm_sdk::timer::MIN_PERIOD_MS));
    assert!(began.elapsed() >= floor, "five ticks in {:?}", began.elapsed());
}

#[test]
fn the_timer_ticks_a_guest_at_the_period_it_chose() {
    static TICKS: Service = Service::takes::<Tick>("ticks");
    static CATALOG: Catalog = Catalog::new(&[&TICKS]).with_timer();
    static BUS: Bus = Bus::new(&CATALOG);
    let wasm = ticker(20);
    let mut guest = on(&BUS, 1, &wasm).expect("ticker");
    let began = std::time::Instant::now();
    let firmware = async {
        let mut ticks = Vec::new();
        for _ in 0..3 {
            let (_, message) = BUS.receive(&TICKS).await.unwrap();
            ticks.push(postcard::from_bytes::<Tick>(&message).unwrap().count);
        }
        ticks
    };
    let Either::First(ticks) = block_on(select(firmware, drive(&mut guest))) else {
        panic!("the ticker stopped")
    };
    let elapsed = began.elapsed();
    // Consecutive counts, unless the machine was too busy for a period: a
    // missed period is a gap in the counts, never a queue of ticks.
    assert!(ticks[0] >= 1 && ticks.windows(2).all(|w| w[0] < w[1]), "{ticks:?}");
    assert!(elapsed >= Duration::from_millis(60), "three 20 ms periods took {elapsed:?}");
    // The guest waited for each tick rather than spinning.
    assert!(guest.env().waits >= 3);
    // Every message it received was a tick, counted as one: the health
    // rule does not confirm a module by its own ticks.
    assert!(guest.env().received >= 3);
    assert_eq!(guest.env().ticks, guest.env().received);
    // The timer's ports are listed with the guest's bindings, but the
    // timer is the guest's own: the firmware cannot feed its ticks.
    let mut listed = bindings(&BUS);
    listed.sort_by(|a, b| a.2.cmp(&b.2));
    let binding = |kind, port: &str, service: &str| (1, kind, port.to_owned(), service.to_owned());
    assert_eq!(
        listed,
        [
            binding(PortKind::Input, "tick", "service tick"),
            binding(PortKind::Output, "ticks", "service ticks"),
            binding(PortKind::Output, "timer", "service timer"),
        ]
    );
    assert_eq!(BUS.offer(&Service::TICK, &[0]), Err(ServiceError::NotInCatalog));
}

#[test]
fn a_firmware_task_waiting_before_any_guest_binds_hears_the_first_one() {
    static BUS: Bus = Bus::new(&CATALOG);
    let firmware = async { BUS.receive(&ALARM).await.unwrap() };
    let guest = async {
        // The firmware task waits first, with nothing bound.
        embassy_time::Timer::after(embassy_time::Duration::from_millis(20)).await;
        let mut guest = on(&BUS, 3, &echo("temperature", "alarm")).expect("bind");
        BUS.offer(&TEMPERATURE, &reading(250)).unwrap();
        drive(&mut guest).await
    };
    let heard = block_on(select3(
        firmware,
        guest,
        embassy_time::Timer::after(embassy_time::Duration::from_secs(5)),
    ));
    let Either3::First(heard) = heard else { panic!("the waiting task never heard the guest") };
    assert_eq!(heard, (3, reading(250)));
}

#[test]
fn a_publisher_waiting_on_a_removed_subscriber_goes_on() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static BUS: Bus = Bus::new(&CATALOG);
    static SENT: AtomicU32 = AtomicU32::new(0);
    let mut filter = on(&BUS, 1, &echo("temperature", "topic/smoothed")).expect("filter");
    let _alarm = on(&BUS, 2, &echo("topic/smoothed", "alarm")).expect("alarm guest");
    // The filter on a thread of its own that sleeps until woken: only a
    // wake-up for it polls it again (embassy's `block_on` polls in a loop,
    // and would hide a lost wake-up).
    std::thread::spawn(move || {
        parking_block_on(wasm_sdk_embassy::drive_observed(&mut filter, |guest, _| {
            SENT.store(guest.env().sent, Ordering::SeqCst);
        }))
    });
    let wait = |ms| std::thread::sleep(Duration::from_millis(ms));
    for deci in 0..8 {
        block_on(BUS.publish(&TEMPERATURE, &reading(deci))).unwrap();
    }
    wait(100);
    // The subscriber never runs: the filter filled its channel and waits.
    assert_eq!(SENT.load(Ordering::SeqCst), wasm_sdk_embassy::PORT_DEPTH as u32);
    // Erased: the filter must wake and go on, to nobody.
    BUS.unbind(2);
    wait(100);
    assert_eq!(SENT.load(Ordering::SeqCst), 8, "every reading went on once nobody was subscribed");
}

/// Runs `future` on this thread, parking it until a waker wakes it.
fn parking_block_on<F: Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
