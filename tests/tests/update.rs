//! The update path (`embassy_runner::update`) on the desktop: a managed
//! guest, its SMP server's slots in a RAM NOR flash, the guest task and the
//! SMP task on one busy-polling executor. An upload is put in the slots the
//! way the image group does (begin, write, finish), then the tasks settle
//! it: a module on trial that traps is rolled back, a healthy one is
//! confirmed by the health rule, and the guest group stops, feeds, starts
//! and reads a guest without losing a message.

use std::sync::Mutex;

use embassy_futures::select::{Either3, select3};
use embassy_futures::yield_now;
use embassy_runner::update::{self, Event, Fleet, HEALTHY_AFTER, Managed, State, Transport};
use embassy_runner::wasm_sdk_host::{Host, HostConfig, LogLevel};
use embassy_runner::{Pipe, Sink, Wire, Wiring, start};
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use module_examples_common::{Counter, to_message};
use sha2::{Digest, Sha256};
use wasm_sdk_smp::flash::{FlashSlots, Layout};
use wasm_sdk_smp::slots::{Slots, rc};
use wasm_sdk_smp::{Guests, SerialServer};
use wasm_sdk_testhost::GuestBuilder;

const BANK: usize = 16 * 1024;

/// NOR flash in RAM: erase sets 0xff, a write only clears bits.
struct RamFlash(Vec<u8>);

#[derive(Debug)]
struct OutOfRange;

impl NorFlashError for OutOfRange {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::OutOfBounds
    }
}

impl ErrorType for RamFlash {
    type Error = OutOfRange;
}

impl ReadNorFlash for RamFlash {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), OutOfRange> {
        let at = offset as usize;
        bytes.copy_from_slice(self.0.get(at..at + bytes.len()).ok_or(OutOfRange)?);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.0.len()
    }
}

impl NorFlash for RamFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = 4096;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), OutOfRange> {
        self.0.get_mut(from as usize..to as usize).ok_or(OutOfRange)?.fill(0xff);
        Ok(())
    }
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), OutOfRange> {
        let at = offset as usize;
        let cells = self.0.get_mut(at..at + bytes.len()).ok_or(OutOfRange)?;
        cells.iter_mut().zip(bytes).for_each(|(cell, byte)| *cell &= byte);
        Ok(())
    }
}

/// Records update events as text.
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    const fn new() -> Self {
        Recorder(Mutex::new(Vec::new()))
    }
    fn has(&self, event: &str) -> bool {
        self.0.lock().unwrap().iter().any(|e| e == event)
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl Sink for Recorder {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, _guest: &str, _message: &str) {}
    fn update(&self, guest: &str, event: &Event<'_>) {
        let text = match event {
            Event::Stopped(step) => format!("{guest}: stopped: {}", step.as_str()),
            other => format!("{guest}: {other:?}"),
        };
        self.0.lock().unwrap().push(text);
    }
}

/// No SMP requests: these tests change the slots directly.
struct Silent;

impl Transport for Silent {
    async fn read(&mut self, _buf: &mut [u8]) -> usize {
        core::future::pending().await
    }
    async fn write(&mut self, _bytes: &[u8]) {}
}

type Server = update::Server<'static, RamFlash, update::Check, 384>;

/// Slots with `upload` installed in image 0 as the image group would (on
/// trial, reported changed), and its guest's server.
fn server_with_upload(fleet: Fleet, upload: &[u8]) -> Server {
    let host = Box::leak(Box::new(Host::new(HostConfig::default())));
    let check = update::Check::new(host, fleet);
    let layout = Layout { base: 0, bank_size: BANK as u32, images: 1 };
    let scratch = vec![0; BANK].leak();
    let mut slots =
        FlashSlots::mount(RamFlash(vec![0xff; 2 * BANK]), layout, check, scratch).expect("mount");
    slots.begin(0, upload.len()).expect("begin");
    slots.write(0, 0, upload).expect("write");
    slots.finish(0, &Sha256::digest(upload).into()).expect("finish");
    SerialServer::with_guests(slots, fleet)
}

/// Polls until `done`; fails the test after many polls.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..200_000 {
        if done() {
            return;
        }
        yield_now().await;
    }
    panic!("never happened: {what}");
}

/// Runs the guest task and the SMP task beside `script` until it ends.
fn run_with(
    managed: &'static Managed,
    builtin: &[u8],
    server: &mut Server,
    script: impl Future<Output = ()>,
) {
    let host = Host::new(HostConfig { fuel_per_slice: Some(10_000), ..HostConfig::default() });
    let guest =
        start(&host, managed.name(), builtin, managed.wiring(), &SINK_FOR_START).expect("start");
    let done = embassy_futures::block_on(select3(
        update::run(&host, managed, guest),
        update::serve(server, &mut Silent),
        script,
    ));
    assert!(matches!(done, Either3::Third(())), "the script ends the test");
}

struct Quiet;
impl Sink for Quiet {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, _guest: &str, _message: &str) {}
}
static SINK_FOR_START: Quiet = Quiet;

fn counter_wasm() -> &'static [u8] {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = GuestBuilder::for_tests().build(root.join("examples/counter")).expect("build");
    std::fs::read(path).expect("read").leak()
}

/// An echo with the counter's ports (answers each message as is).
fn echo_wasm() -> &'static [u8] {
    module_with_counter_ports(
        "(local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
         (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
         (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))",
    )
}

/// A module with the counter's ports whose `run_task` loops over `body`.
fn module_with_counter_ports(body: &str) -> &'static [u8] {
    wat::parse_str(format!(
        r#"(module
          (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
          (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32) (local $n i32)
            (loop $next {body} (br $next))
            (i32.const 0))
          (@custom "wasm-sdk.manifest" "\01\00\01\0awasm_input\01\09wasm_data"))"#
    ))
    .expect("wat")
    .leak()
}

fn count(count: u32) -> Vec<u8> {
    to_message(&Counter { count }).unwrap()
}

#[test]
fn a_module_on_trial_that_traps_is_rolled_back_and_the_slot_runs_on() {
    static IN: Pipe = Pipe::new();
    static OUT: Pipe = Pipe::new();
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("wasm_input", &IN)],
        outputs: &[Wire::raw("wasm_data", &OUT)],
    };
    static EVENTS: Recorder = Recorder::new();
    static COUNTER: std::sync::OnceLock<Managed> = std::sync::OnceLock::new();
    let builtin = counter_wasm();
    let managed = COUNTER.get_or_init(|| Managed::new("counter", 0, &WIRING, builtin, &EVENTS));
    let fleet = Fleet::new(Vec::from([managed]).leak());
    // Receives a message, then traps.
    let trapping = module_with_counter_ports(
        "(drop (call $recv (i32.const 0) (i32.const 256) (i32.const 0))) (unreachable)",
    );
    let mut server = server_with_upload(fleet, trapping);

    run_with(managed, builtin, &mut server, async {
        let swapped = format!("counter: Swapped({})", trapping.len());
        until("the upload is swapped in", || EVENTS.has(&swapped)).await;
        IN.send(count(5)).await;
        until("rolled back", || EVENTS.has("counter: RolledBack")).await;
        let back = format!("counter: Swapped({})", builtin.len());
        until("the built-in module is back", || EVENTS.has(&back)).await;
        IN.send(count(6)).await;
        assert_eq!(OUT.receive().await, count(7), "the built-in counter answers");
    });
    let events = EVENTS.all();
    assert!(events.contains(&"counter: stopped: trapped".to_owned()), "{events:?}");
    let slots = server.server_mut().slots_mut();
    assert!(!slots.on_trial(0));
    assert_eq!(slots.active_module(0).unwrap(), None, "no uploaded module runs");
}

#[test]
fn a_healthy_module_is_confirmed_and_stop_and_start_lose_no_message() {
    static IN: Pipe = Pipe::new();
    static OUT: Pipe = Pipe::new();
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("wasm_input", &IN)],
        outputs: &[Wire::raw("wasm_data", &OUT)],
    };
    static EVENTS: Recorder = Recorder::new();
    static GUEST: std::sync::OnceLock<Managed> = std::sync::OnceLock::new();
    let (builtin, upload) = (echo_wasm(), counter_wasm());
    let managed = GUEST.get_or_init(|| Managed::new("counter", 0, &WIRING, builtin, &EVENTS));
    let mut fleet = Fleet::new(Vec::from([managed]).leak());
    let mut server = server_with_upload(fleet, upload);

    run_with(managed, builtin, &mut server, async {
        let swapped = format!("counter: Swapped({})", upload.len());
        until("the upload is swapped in", || EVENTS.has(&swapped)).await;
        for n in 0..HEALTHY_AFTER {
            assert!(!EVENTS.has("counter: Confirmed"), "confirmed after {n} messages");
            IN.send(count(n)).await;
            assert_eq!(OUT.receive().await, count(n + 1), "the uploaded counter answers");
        }
        until("confirmed", || EVENTS.has("counter: Confirmed")).await;

        // Stop: the guest parks at a safe point; its input fills up.
        fleet.stop("counter").unwrap();
        until("stopped", || managed.state() == State::Stopped).await;
        for n in 100..104 {
            fleet.send("counter", "wasm_input", &count(n)).unwrap();
        }
        let full = fleet.send("counter", "wasm_input", &count(104)).unwrap_err();
        assert_eq!((full.rc, full.reason), (rc::EBADSTATE, "input full"));
        let busy = fleet.start("nosuch").unwrap_err();
        assert_eq!((busy.rc, busy.reason), (rc::ENOENT, "no such guest"));

        // Start: the slot's module again, and every queued message answered.
        fleet.start("counter").unwrap();
        for n in 100..104 {
            assert_eq!(OUT.receive().await, count(n + 1));
        }
        let again = fleet.start("counter").unwrap_err();
        assert_eq!((again.rc, again.reason), (rc::EBADSTATE, "guest is not stopped"));
        // The tap kept the last outputs without taking them from the pipe.
        let mut tapped = Vec::new();
        fleet
            .outputs("counter", &mut |port, data| {
                tapped.push((port.to_owned(), data.to_vec()));
                true
            })
            .unwrap();
        let want: Vec<_> = (101..105).map(|n| ("wasm_data".to_owned(), count(n))).collect();
        assert_eq!(tapped, want);
        let mut listed = Vec::new();
        fleet.list(&mut |info| listed.push((info.state.to_owned(), info.received, info.sent)));
        assert_eq!(listed, [("waiting".to_owned(), 4, 4)]);
    });
    let slots = server.server_mut().slots_mut();
    assert!(!slots.on_trial(0), "confirmed");
    assert_eq!(slots.active_module(0).unwrap(), Some(upload));
    assert!(OUT.try_receive().is_err() && IN.try_receive().is_err(), "nothing left over");
}
