//! The update path (`wasm_sdk_embassy::update`) on the desktop: a managed
//! guest, its SMP server's slots in a RAM NOR flash, the guest task and the
//! SMP task on one busy-polling executor. An upload is put in the slots the
//! way the image group does (begin, write, finish), then the tasks settle
//! it: a module on trial that traps is rolled back, a healthy one is
//! confirmed by the health rule, and the guest group stops, feeds, starts
//! and reads a guest without losing a message. Then what a hostile module
//! tries: spinning, silence and undecodable answers on trial (rolled back),
//! traps after confirmation (restarts, then a fallback), a poison message
//! (dead-lettered), a log flood (rate-limited) and a 64 KiB send (a status,
//! no allocation of that size).

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use embassy_futures::select::{Either3, select3};
use embassy_futures::yield_now;
use embassy_time::Duration;
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use module_examples_common::{AlarmEvent, Counter, Reading, to_message};
use sha2::{Digest, Sha256};
use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_embassy::update::{
    self, Event, Fleet, HEALTHY_AFTER, Health, Managed, Source, State, Transport, Verdict,
};
use wasm_sdk_embassy::wasm_sdk_host::abi::Status;
use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig, LogLevel};
use wasm_sdk_embassy::{LogLimit, PortChannel, Sink, Wire, Wiring, start};
use wasm_sdk_smp::flash::{FlashSlots, Layout};
use wasm_sdk_smp::slots::{Slots, rc};
use wasm_sdk_smp::{Guests, SerialServer};
use wasm_sdk_testhost::example_wasm;

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

/// Records update events, log lines and drop summaries as text.
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    const fn new() -> Self {
        Recorder(Mutex::new(Vec::new()))
    }
    fn has(&self, event: &str) -> bool {
        self.0.lock().unwrap().iter().any(|e| e == event)
    }
    fn count(&self, prefix: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|e| e.starts_with(prefix)).count()
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn push(&self, text: String) {
        self.0.lock().unwrap().push(text);
    }
}

impl Sink for Recorder {
    fn log(&self, guest: &str, _level: LogLevel, message: &str) {
        self.push(format!("{guest}: log: {message}"));
    }
    fn report_error(&self, guest: &str, message: &str) {
        self.push(format!("{guest}: error: {message}"));
    }
    fn dropped_lines(&self, guest: &str, lines: u32) {
        self.push(format!("{guest}: dropped {lines}"));
    }
    fn update(&self, guest: &str, event: &Event<'_>) {
        let text = match event {
            Event::Stopped(step) => format!("{guest}: stopped: {}", step.as_str()),
            Event::Restarted { restart, .. } => format!("{guest}: Restarted {restart}"),
            other => format!("{guest}: {other:?}"),
        };
        self.push(text);
    }
}

/// Counts each test thread's allocations of [`LARGE`] bytes or more.
struct Largest;

/// What [`Largest`] counts: a copy of a 64 KiB send would be one.
const LARGE: usize = 32 * 1024;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to `System` unchanged; only a size is
// recorded on the side.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        if layout.size() >= LARGE {
            let _ = LARGEST.try_with(|l| l.set(l.get() + 1));
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        if new_size >= LARGE {
            let _ = LARGEST.try_with(|l| l.set(l.get() + 1));
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// No SMP requests: these tests change the slots directly.
struct Silent;

impl Transport for Silent {
    async fn read(&mut self, _buf: &mut [u8]) -> usize {
        core::future::pending().await
    }
    async fn write(&mut self, _bytes: &[u8]) {}
}

type Server = update::Server<'static, RamFlash, update::Check, 384>;

/// Slots with each of `uploads` installed in image 0 in turn as the image
/// group would, all but the last confirmed (the last on trial, reported
/// changed); none: the built-in module runs.
fn server_with(fleet: Fleet, uploads: &[&[u8]]) -> Server {
    let host = Box::leak(Box::new(Host::new(HostConfig::default())));
    let check = update::Check::new(host, fleet);
    let layout = Layout { base: 0, bank_size: BANK as u32, images: 1 };
    let scratch = vec![0; BANK].leak();
    let mut slots =
        FlashSlots::mount(RamFlash(vec![0xff; 2 * BANK]), layout, check, scratch).expect("mount");
    for (at, upload) in uploads.iter().enumerate() {
        slots.begin(0, upload.len()).expect("begin");
        slots.write(0, 0, upload).expect("write");
        slots.finish(0, &Sha256::digest(upload).into()).expect("finish");
        if at + 1 < uploads.len() {
            slots.confirm(0).expect("confirm");
        }
    }
    SerialServer::with_guests(slots, fleet)
}

/// Polls until `done`; fails the test after 20 s.
async fn until(what: &str, done: impl Fn() -> bool) {
    let end = std::time::Instant::now() + StdDuration::from_secs(20);
    while std::time::Instant::now() < end {
        if done() {
            return;
        }
        yield_now().await;
    }
    panic!("never happened: {what}");
}

/// Receives the next message of `channel`; fails the test after 20 s.
async fn next(channel: &'static PortChannel) -> Vec<u8> {
    let end = std::time::Instant::now() + StdDuration::from_secs(20);
    while std::time::Instant::now() < end {
        if let Ok(message) = channel.try_receive() {
            return message;
        }
        yield_now().await;
    }
    panic!("no message");
}

struct Quiet;
impl Sink for Quiet {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, _guest: &str, _message: &str) {}
}
static QUIET: Quiet = Quiet;

/// One managed guest with the counter's ports, as every test here sets it
/// up: its channels, wiring, event recorder and fleet. Leaked, since the
/// update tasks hold them for `'static`; each test has its own.
#[derive(Clone, Copy)]
struct Rig {
    input: &'static PortChannel,
    output: &'static PortChannel,
    events: &'static Recorder,
    managed: &'static Managed,
    fleet: Fleet,
    builtin: &'static [u8],
}

/// How a test's [`Rig`] differs from an untyped one under
/// [`Health::DEFAULT`]: [`rig`], then [`Setup::build`].
struct Setup {
    name: &'static str,
    builtin: &'static [u8],
    health: Option<Health>,
    typed: bool,
    output_decodes: Option<fn(&[u8]) -> bool>,
}

/// Guest `name` in image 0 running `builtin` until a module is uploaded.
fn rig(name: &'static str, builtin: &'static [u8]) -> Setup {
    Setup { name, builtin, health: None, typed: false, output_decodes: None }
}

impl Setup {
    /// Its modules are held to `health`.
    fn health(mut self, health: Health) -> Self {
        self.health = Some(health);
        self
    }

    /// Both ports carry `Counter`s (checked as the firmware checks them).
    fn typed(mut self) -> Self {
        self.typed = true;
        self
    }

    /// Its output's messages are checked with `decodes` (untyped ports).
    fn output_decodes(mut self, decodes: fn(&[u8]) -> bool) -> Self {
        self.output_decodes = Some(decodes);
        self
    }

    fn build(self) -> Rig {
        let input: &'static PortChannel = Box::leak(Box::new(PortChannel::new()));
        let output: &'static PortChannel = Box::leak(Box::new(PortChannel::new()));
        let wire = |name, channel| match self.typed {
            true => Wire::typed::<Counter>(name, channel),
            false => Wire::raw(name, channel),
        };
        let mut out = wire("wasm_data", output);
        if let Some(decodes) = self.output_decodes {
            out.decodes = Some(decodes);
        }
        let wiring = Box::leak(Box::new(Wiring {
            inputs: Vec::from([wire("wasm_input", input)]).leak(),
            outputs: Vec::from([out]).leak(),
        }));
        let events: &'static Recorder = Box::leak(Box::new(Recorder::new()));
        let mut managed = Managed::new(self.name, 0, wiring, self.builtin, events);
        if let Some(health) = self.health {
            managed = managed.with_health(health);
        }
        let managed: &'static Managed = Box::leak(Box::new(managed));
        let fleet = Fleet::new(Vec::from([managed]).leak());
        Rig { input, output, events, managed, fleet, builtin: self.builtin }
    }
}

impl Rig {
    /// Slots with `uploads` installed ([`server_with`]) for this guest.
    fn server(&self, uploads: &[&[u8]]) -> Server {
        server_with(self.fleet, uploads)
    }

    /// Runs the guest task and the SMP task beside `script` until it ends.
    fn run(&self, server: &mut Server, script: impl Future<Output = ()>) {
        self.run_on(HostConfig::default(), &QUIET, server, script);
    }

    /// [`run`](Self::run) on a host with `config` (and 10,000 fuel a
    /// slice), the guest's logs going to `sink`.
    fn run_on(
        &self,
        config: HostConfig,
        sink: &'static dyn Sink,
        server: &mut Server,
        script: impl Future<Output = ()>,
    ) {
        let host = Host::new(HostConfig { fuel_per_slice: Some(10_000), ..config });
        let managed = self.managed;
        let guest =
            start(&host, managed.name(), self.builtin, managed.connect(), sink).expect("start");
        let done = embassy_futures::block_on(select3(
            update::run(&host, managed, guest),
            update::serve(server, &mut Silent),
            script,
        ));
        assert!(matches!(done, Either3::Third(())), "the script ends the test");
    }
}

/// The counter guest, built once for the whole test binary.
fn counter_wasm() -> &'static [u8] {
    static COUNTER: std::sync::OnceLock<&'static [u8]> = std::sync::OnceLock::new();
    COUNTER.get_or_init(|| example_wasm("counter").expect("build").leak())
}

/// An echo with the counter's ports (answers each message as is).
fn echo_wasm() -> &'static [u8] {
    counter_ports(Fixture::new(ECHO))
}

/// A module with the counter's ports whose `run_task` loops over `body`.
fn module_with_counter_ports(body: &str) -> &'static [u8] {
    module_with_counter_ports_and("", body)
}

/// [`module_with_counter_ports`] with declarations `decls` (globals, data).
fn module_with_counter_ports_and(decls: &str, body: &str) -> &'static [u8] {
    counter_ports(Fixture::new(format!(
        r#"(module
          (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
          (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
          (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1 1)
          {decls}
          (func (export "run_task") (result i32) (local $n i32) (local $i i32)
            (loop $next {body} (br $next))
            (i32.const 0)))"#
    )))
}

/// `module` with the counter's port names, untyped.
fn counter_ports(module: Fixture) -> &'static [u8] {
    module.inputs(["wasm_input"]).outputs(["wasm_data"]).build().leak()
}

fn count(count: u32) -> Vec<u8> {
    to_message(&Counter { count }).unwrap()
}

#[test]
fn a_module_on_trial_that_traps_is_rolled_back_and_the_slot_runs_on() {
    let rig = rig("counter", counter_wasm()).build();
    let Rig { input, output, events, builtin, .. } = rig;
    // Receives a message, then traps.
    let trapping = module_with_counter_ports(
        "(drop (call $recv (i32.const 0) (i32.const 256) (i32.const 0))) (unreachable)",
    );
    let mut server = rig.server(&[trapping]);

    rig.run(&mut server, async {
        let swapped = format!("counter: Swapped({})", trapping.len());
        until("the upload is swapped in", || events.has(&swapped)).await;
        input.send(count(5)).await;
        until("rolled back", || events.has("counter: RolledBack(Stopped)")).await;
        let back = format!("counter: Swapped({})", builtin.len());
        until("the built-in module is back", || events.has(&back)).await;
        input.send(count(6)).await;
        assert_eq!(output.receive().await, count(7), "the built-in counter answers");
    });
    let events = events.all();
    assert!(events.contains(&"counter: stopped: trapped".to_owned()), "{events:?}");
    let slots = server.server_mut().slots_mut();
    assert!(!slots.on_trial(0));
    assert_eq!(slots.active_module(0).unwrap(), None, "no uploaded module runs");
}

#[test]
fn a_healthy_module_is_confirmed_and_stop_and_start_lose_no_message() {
    let upload = counter_wasm();
    let rig = rig("counter", echo_wasm()).build();
    let Rig { input, output, events, managed, mut fleet, .. } = rig;
    let mut server = rig.server(&[upload]);

    rig.run(&mut server, async {
        let swapped = format!("counter: Swapped({})", upload.len());
        until("the upload is swapped in", || events.has(&swapped)).await;
        let confirmed = format!("counter: Confirmed({HEALTHY_AFTER})");
        for n in 0..HEALTHY_AFTER {
            assert!(!events.has(&confirmed), "confirmed after {n} messages");
            input.send(count(n)).await;
            assert_eq!(output.receive().await, count(n + 1), "the uploaded counter answers");
        }
        until("confirmed", || events.has(&confirmed)).await;

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
            assert_eq!(output.receive().await, count(n + 1));
        }
        let again = fleet.start("counter").unwrap_err();
        assert_eq!((again.rc, again.reason), (rc::EBADSTATE, "guest is not stopped"));
        // The tap kept the last outputs without taking them from the channel.
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
    assert!(output.try_receive().is_err() && input.try_receive().is_err(), "nothing left over");
}

/// Health for tests: 5 answers, 3 unanswered, a deadline of `deadline`,
/// restarts after 10 ms (up to 40 ms), a fallback at the third failure.
const fn fast(deadline: Duration) -> Health {
    Health {
        answers: 5,
        unanswered: 3,
        received: 0,
        deadline,
        trial_fuel: None,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        failures: 3,
        window: Duration::from_secs(60),
        log: LogLimit::DEFAULT,
    }
}

/// Whether `message` is exactly one postcard `Counter`.
fn decodes_counter(message: &[u8]) -> bool {
    matches!(postcard::take_from_bytes::<Counter>(message), Ok((_, rest)) if rest.is_empty())
}

/// A rejected trial, then the built-in counter answers again: what every
/// trial test checks after its module failed in its own way.
async fn rolled_back_for(rig: Rig, verdict: Verdict) {
    let Rig { input, output, events, builtin, .. } = rig;
    until("rolled back", || events.has(&format!("counter: RolledBack({verdict:?})"))).await;
    let back = format!("counter: Swapped({})", builtin.len());
    until("the built-in module is back", || events.has(&back)).await;
    // Whatever the rejected module sent is no answer of the counter's.
    while output.try_receive().is_ok() {}
    input.send(count(40)).await;
    assert_eq!(next(output).await, count(41), "the built-in counter answers");
}

#[test]
fn a_module_spinning_on_trial_is_rolled_back_by_the_deadline() {
    let rig = rig("counter", counter_wasm()).health(fast(Duration::from_millis(400))).build();
    let Rig { input, events, managed, .. } = rig;
    // Answers two messages, then spins on the third for ever.
    let spinning = module_with_counter_ports_and(
        "(global $k (mut i32) (i32.const 0))",
        "(local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
         (global.set $k (i32.add (global.get $k) (i32.const 1)))
         (if (i32.gt_u (global.get $k) (i32.const 2)) (then (loop $spin (br $spin))))
         (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))",
    );
    let mut server = rig.server(&[spinning]);

    rig.run(&mut server, async {
        let swapped = format!("counter: Swapped({})", spinning.len());
        until("the upload is swapped in", || events.has(&swapped)).await;
        let began = std::time::Instant::now();
        for n in 0..3 {
            input.send(count(n)).await;
        }
        rolled_back_for(rig, Verdict::Deadline).await;
        assert!(began.elapsed() >= StdDuration::from_millis(300), "not before the deadline");
    });
    assert_eq!(managed.dead_letters(), 1, "the message it spun on");
    assert_eq!(managed.source(), Source::BuiltIn);
    let slots = server.server_mut().slots_mut();
    assert!(!slots.on_trial(0), "the update path is free again");
    assert_eq!(slots.active_module(0).unwrap(), None);
}

#[test]
fn a_module_swallowing_its_inputs_is_rolled_back() {
    let rig = rig("counter", counter_wasm()).health(fast(Duration::from_secs(30))).build();
    let Rig { input, events, managed, fleet, .. } = rig;
    let swallowing = module_with_counter_ports(
        "(drop (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))",
    );
    let mut server = rig.server(&[swallowing]);

    rig.run(&mut server, async {
        let swapped = format!("counter: Swapped({})", swallowing.len());
        until("the upload is swapped in", || events.has(&swapped)).await;
        // `unanswered` is 3: the fourth message without an answer rejects it.
        for n in 0..3 {
            input.send(count(n)).await;
            until("received", || {
                let mut received = 0;
                fleet.list(&mut |g| received = g.received);
                received == n + 1
            })
            .await;
            assert!(!events.has("counter: RolledBack(Silent)"), "after {} messages", n + 1);
        }
        input.send(count(3)).await;
        rolled_back_for(rig, Verdict::Silent).await;
    });
    assert_eq!(managed.dead_letters(), 0, "it was waiting: nothing half done");
}

#[test]
fn a_module_answering_undecodable_bytes_is_rolled_back() {
    let rig = rig("counter", counter_wasm())
        .health(fast(Duration::from_secs(30)))
        .output_decodes(decodes_counter)
        .build();
    let Rig { input, events, .. } = rig;
    // Echoes each message with one byte more: a `Counter` and trailing
    // garbage, which postcard alone would decode.
    let trailing = module_with_counter_ports(
        "(local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
         (drop (call $send (i32.const 0) (i32.add (local.get $n) (i32.const 1)) (i32.const 0)))",
    );
    assert!(postcard::from_bytes::<Counter>(&[7, 0]).is_ok(), "the test's premise");
    let mut server = rig.server(&[trailing]);

    rig.run(&mut server, async {
        let swapped = format!("counter: Swapped({})", trailing.len());
        until("the upload is swapped in", || events.has(&swapped)).await;
        input.send(count(7)).await;
        rolled_back_for(rig, Verdict::Undecodable).await;
    });
    assert!(!events.has("counter: Confirmed(5)"));
}

#[test]
fn a_confirmed_module_that_traps_is_restarted_then_falls_back_to_the_previous_one() {
    let previous = echo_wasm();
    let rig = rig("counter", counter_wasm()).health(fast(Duration::from_secs(30))).build();
    let Rig { input, output, events, fleet, .. } = rig;
    // Echoes 25 messages, then traps on the 26th (each start anew).
    let trapping = module_with_counter_ports_and(
        "(global $k (mut i32) (i32.const 0))",
        "(local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
         (if (i32.ge_u (global.get $k) (i32.const 25)) (then unreachable))
         (global.set $k (i32.add (global.get $k) (i32.const 1)))
         (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))",
    );
    let mut server = rig.server(&[previous, trapping]);

    rig.run(&mut server, async {
        let swapped = format!("counter: Swapped({})", trapping.len());
        until("the upload is swapped in", || events.has(&swapped)).await;
        let mut n = 0;
        for failure in 1..=3 {
            for _ in 0..25 {
                input.send(count(n)).await;
                assert_eq!(next(output).await, count(n), "answered before failure {failure}");
                n += 1;
            }
            if failure == 1 {
                assert!(events.has("counter: Confirmed(5)"), "{:?}", events.all());
            }
            input.send(count(n)).await;
            n += 1;
            if failure < 3 {
                let restarted = format!("counter: Restarted {failure}");
                until("restarted", || events.has(&restarted)).await;
                let swaps = events.count(&swapped);
                until("swapped in again", || events.count(&swapped) > swaps).await;
            }
        }
        until("fell back", || events.has("counter: FellBack { failures: 3, to: Fallback }")).await;
        let back = format!("counter: Swapped({})", previous.len());
        until("the previous module is back", || events.has(&back)).await;
        input.send(count(1000)).await;
        assert_eq!(next(output).await, count(1000), "the previous module (an echo) answers");
        let mut listed = Vec::new();
        fleet.list(&mut |g| listed.push((g.module.to_owned(), g.restarts, g.dead_letters)));
        assert_eq!(listed, [("fallback".to_owned(), 2, 3)]);
    });
    let all = events.all();
    assert_eq!(events.count("counter: stopped: trapped"), 3, "{all:?}");
    assert!(!all.iter().any(|e| e.starts_with("counter: RolledBack")), "{all:?}");
    let slots = server.server_mut().slots_mut();
    assert!(!slots.on_trial(0));
    assert_eq!(slots.active_module(0).unwrap(), Some(previous), "the fallback survives a reset");
}

#[test]
fn a_poison_message_is_dead_lettered_and_the_guest_resumes() {
    let counter = counter_wasm();
    let rig = rig("counter", counter).typed().health(fast(Duration::from_secs(30))).build();
    let Rig { input, output, events, managed, mut fleet, .. } = rig;
    // The counter uploaded too, confirmed below: an upload that could fall
    // back.
    let mut server = rig.server(&[counter]);
    // Longer than the counter's receive buffer (a `Counter`'s largest
    // encoding), as `guests send` can make it.
    let poison = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01];

    rig.run(&mut server, async {
        let swapped = format!("counter: Swapped({})", counter.len());
        until("the upload is swapped in", || events.has(&swapped)).await;
        for n in 0..5 {
            input.send(count(n)).await;
            assert_eq!(next(output).await, count(n + 1));
        }
        until("confirmed", || events.has("counter: Confirmed(5)")).await;
        // More poison messages than the failures that make a slot fall
        // back: each is the message's fault, not the module's.
        for (at, n) in (1..=4).zip([10, 20, 30, 40]) {
            fleet.send("counter", "wasm_input", &poison).unwrap();
            input.send(count(n)).await;
            let dead = "counter: DeadLettered(1)";
            until("dead-lettered", || events.count(dead) == at).await;
            assert_eq!(next(output).await, count(n + 1), "the next message is answered");
        }
        // Stopping and starting the guest does not bring a poison back.
        fleet.stop("counter").unwrap();
        until("stopped", || managed.state() == State::Stopped).await;
        fleet.start("counter").unwrap();
        input.send(count(50)).await;
        assert_eq!(next(output).await, count(51));
        let mut listed = Vec::new();
        fleet.list(&mut |g| listed.push((g.module.to_owned(), g.restarts, g.dead_letters)));
        assert_eq!(listed, [("uploaded".to_owned(), 4, 4)]);
    });
    let all = events.all();
    assert!(!all.iter().any(|e| e.contains("FellBack")), "{all:?}");
    assert_eq!(server.server_mut().slots_mut().active_module(0).unwrap(), Some(counter));
}

#[test]
fn a_log_flood_is_rate_limited_with_a_count_of_the_dropped_lines() {
    const LIMIT: LogLimit = LogLimit { burst: 10, every: Duration::from_millis(100) };
    // Logs "flood" 1,000 times per message, then echoes it.
    let flood = module_with_counter_ports_and(
        r#"(data (i32.const 1024) "flood")"#,
        "(local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
         (local.set $i (i32.const 0))
         (loop $lines
           (drop (call $log (i32.const 1024) (i32.const 5) (i32.const 2)))
           (local.set $i (i32.add (local.get $i) (i32.const 1)))
           (br_if $lines (i32.lt_u (local.get $i) (i32.const 1000))))
         (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))",
    );
    let rig =
        rig("flood", flood).health(Health { log: LIMIT, ..fast(Duration::from_secs(30)) }).build();
    let Rig { input, output, events, managed, fleet, .. } = rig;
    let mut server = rig.server(&[]);

    // The guest's log lines go to the recorder too.
    rig.run_on(HostConfig::default(), events, &mut server, async {
        let began = std::time::Instant::now();
        input.send(count(1)).await;
        assert_eq!(next(output).await, count(1));
        let passed = events.count("flood: log: flood");
        // At most the burst and what the time since allowed.
        let allowed = 10 + began.elapsed().as_millis() as usize / 100 + 1;
        assert!((10..=allowed).contains(&passed), "{passed} lines passed, {allowed} allowed");
        let dropped = managed.dropped_lines();
        assert_eq!(dropped as usize, 1000 - passed, "every other line counted");
        // The next line that passes says how many were dropped before it.
        embassy_time::Timer::after_millis(150).await;
        input.send(count(2)).await;
        assert_eq!(next(output).await, count(2));
        let summary = format!("flood: dropped {dropped}");
        assert!(events.has(&summary), "no `{summary}` in {:?}", events.all());
        let mut listed = 0;
        fleet.list(&mut |g| listed = g.dropped_lines);
        assert!(listed >= 1000 + dropped - 20, "{listed} dropped lines listed");
    });
}

#[test]
fn a_64_kib_send_gets_a_status_and_no_allocation_of_that_size() {
    // Sends its whole 64 KiB memory, then answers with the status it got
    // (4 bytes, little-endian).
    let large = module_with_counter_ports(
        "(drop (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
         (local.set $n (call $send (i32.const 0) (i32.const 65536) (i32.const 0)))
         (i32.store (i32.const 0) (local.get $n))
         (drop (call $send (i32.const 0) (i32.const 4) (i32.const 0)))",
    );
    let rig = rig("large", large).build();
    let Rig { input, output, events, mut fleet, .. } = rig;
    let mut server = rig.server(&[]);
    let config = HostConfig { max_message_len: 256, ..HostConfig::default() };
    LARGEST.with(|l| l.set(0));

    rig.run_on(config, &QUIET, &mut server, async {
        input.send(count(1)).await;
        let status = next(output).await;
        assert_eq!(status, Status::MessageTooLarge.code().to_le_bytes(), "the ABI's status");
        let refused = fleet.send("large", "wasm_input", &[0; 257]).unwrap_err();
        assert_eq!(refused.rc, rc::ENOMEM);
        assert!(refused.reason.contains("max_message_len"), "{}", refused.reason);
        fleet.send("large", "wasm_input", &[0; 256]).unwrap();
        assert_eq!(next(output).await, status, "a message at the limit is taken");
    });
    let large = LARGEST.with(Cell::get);
    // The guest's own 64 KiB memory is allocated; no copy of its send is.
    assert_eq!(large, 1, "allocations of {LARGE} B or more");
    let copies = events.all();
    assert!(copies.iter().all(|e| !e.contains("Stopped")), "{copies:?}");
}

/// The catalog of the bus tests: a sensor the firmware provides, an
/// actuator it takes.
mod catalog {
    use module_examples_common::{AlarmEvent, Reading};
    use wasm_sdk_embassy::catalog::{Catalog, Service};

    pub static TEMPERATURE: Service = Service::provides::<Reading>("temperature");
    pub static ALARM: Service = Service::takes::<AlarmEvent>("alarm");
    pub static CATALOG: Catalog = Catalog::new(&[&TEMPERATURE, &ALARM]).with_timer();
}

/// Slots of two images for `fleet`, nothing uploaded; `guest_ram` sets
/// admission control.
fn bus_server(fleet: Fleet, guest_ram: Option<usize>) -> Server {
    let host = Box::leak(Box::new(Host::new(HostConfig::default())));
    let mut check = update::Check::new(host, fleet);
    if let Some(ram) = guest_ram {
        check = check.admitting(ram);
    }
    let layout = Layout { base: 0, bank_size: BANK as u32, images: 2 };
    let scratch = vec![0; BANK].leak();
    let flash = RamFlash(vec![0xff; 4 * BANK]);
    SerialServer::with_guests(
        FlashSlots::mount(flash, layout, check, scratch).expect("mount"),
        fleet,
    )
}

/// Uploads `module` into `image` as the image group does: the install
/// check's verdict.
fn upload(
    server: &mut Server,
    image: u32,
    module: &[u8],
) -> Result<(), wasm_sdk_smp::slots::SlotError> {
    let slots = server.server_mut().slots_mut();
    slots.begin(image, module.len())?;
    slots.write(image, 0, module)?;
    slots.finish(image, &Sha256::digest(module).into())
}

/// An echo from `input` to `output`, each typed as the catalog's service of
/// its name.
fn bus_echo(input: &str, output: &str) -> Vec<u8> {
    use wasm_sdk::abi::manifest::TypeDecl;
    use wasm_sdk::abi::schema::TypeKey;
    use wasm_sdk::abi::schema::postcard_schema::Schema;
    let typed = |port: &str| match port {
        "alarm" => TypeDecl { key: TypeKey::of::<AlarmEvent>(), schema: AlarmEvent::SCHEMA },
        _ => TypeDecl { key: TypeKey::of::<Reading>(), schema: Reading::SCHEMA },
    };
    Fixture::new(ECHO).typed_input(input, typed(input)).typed_output(output, typed(output)).build()
}

#[test]
fn an_empty_bus_slot_takes_a_module_that_binds_and_refuses_one_that_does_not() {
    use wasm_sdk_embassy::bus::Bus;
    static BUS: Bus = Bus::new(&catalog::CATALOG);
    static EVENTS: Recorder = Recorder::new();
    static SLOT: Managed = Managed::on_bus("slot1", 1, &BUS, &EVENTS)
        .with_health(Health { received: 3, ..Health::LISTENER });
    static FLEET: Fleet = Fleet::new(&[&SLOT]);
    let fleet = FLEET;
    let mut server = bus_server(fleet, None);

    // Refused before anything stops, each naming what is wrong.
    let missing = upload(&mut server, 1, &bus_echo("humidity", "alarm")).unwrap_err();
    assert_eq!(
        (missing.rc, missing.reason),
        (rc::ECORRUPT, "the module declares an input the firmware has no service for")
    );
    assert_eq!(
        missing.to_string(),
        "the module declares an input the firmware has no service for: input `humidity`: the \
         firmware offers no service `humidity` (mark a port between guests `#[topic]`)"
    );
    let backwards = upload(&mut server, 1, &bus_echo("alarm", "temperature")).unwrap_err();
    assert_eq!(backwards.reason, "the module declares an input for a service the firmware takes");
    let mistyped = Fixture::new(ECHO)
        .typed_input(
            "temperature",
            wasm_sdk::abi::manifest::TypeDecl {
                key: wasm_sdk::abi::schema::TypeKey::of::<Counter>(),
                schema: <Counter as wasm_sdk::abi::schema::postcard_schema::Schema>::SCHEMA,
            },
        )
        .outputs(["alarm"])
        .build();
    let mistyped = upload(&mut server, 1, &mistyped).unwrap_err();
    assert_eq!(mistyped.reason, "the module's input type differs from the firmware's channel");
    assert_eq!(server.server_mut().slots_mut().active_module(1).unwrap(), None);

    let thermostat = example_wasm("thermostat").expect("build the thermostat");
    upload(&mut server, 1, &thermostat).expect("a module whose ports bind");
    let host = Host::new(HostConfig { fuel_per_slice: Some(10_000), ..HostConfig::default() });
    let reading = |deci_celsius| to_message(&Reading { deci_celsius }).unwrap();
    let alarm = |event: &AlarmEvent| to_message(event).unwrap();
    let heard = async || {
        let heard =
            embassy_time::with_timeout(Duration::from_secs(10), BUS.receive(&catalog::ALARM));
        heard.await.expect("an alarm within 10 s").unwrap()
    };
    let script = async {
        let swapped = format!("slot1: Swapped({})", thermostat.len());
        until("started in the empty slot", || EVENTS.has(&swapped)).await;
        for (deci, event) in [
            (240, None),
            (250, Some(AlarmEvent::Raised { deci_celsius: 250 })),
            (240, None),
            (230, Some(AlarmEvent::Cleared { deci_celsius: 230 })),
        ] {
            let offered = BUS.offer(&catalog::TEMPERATURE, &reading(deci)).unwrap();
            assert_eq!(offered.delivered, 1, "the slot's guest is bound to `temperature`");
            if let Some(event) = event {
                assert_eq!(heard().await, (1, alarm(&event)));
            }
        }
        until("confirmed as a listener", || EVENTS.has("slot1: Confirmed(0)")).await;
    };
    let done = embassy_futures::block_on(select3(
        update::run(&host, &SLOT, None),
        update::serve(&mut server, &mut Silent),
        script,
    ));
    assert!(matches!(done, Either3::Third(())));
    assert!(!server.server_mut().slots_mut().on_trial(1), "confirmed");
    assert_eq!(SLOT.source(), Source::Uploaded);

    // `image erase` of the running slot: the guest goes, and its bindings.
    server.server_mut().slots_mut().remove(1).expect("an empty-slot guest may be removed");
    let mut bound = 0;
    BUS.bindings(|_, _, _, _, _| {
        bound += 1;
        true
    });
    assert_eq!(bound, 2, "bound until the guest is removed");
    let script = async {
        until("removed", || EVENTS.has("slot1: Removed")).await;
    };
    let done = embassy_futures::block_on(select3(
        update::run(&host, &SLOT, None),
        update::serve(&mut server, &mut Silent),
        script,
    ));
    assert!(matches!(done, Either3::Third(())));
    BUS.bindings(|slot, kind, port, _, _| panic!("slot {slot} {kind:?} `{port}` still bound"));
    assert_eq!(SLOT.state(), State::Empty);
    assert_eq!(BUS.offer(&catalog::TEMPERATURE, &reading(250)).unwrap().delivered, 0);
}

#[test]
fn admission_control_refuses_a_guest_past_the_firmware_s_ram_for_guests() {
    use wasm_sdk_embassy::bus::Bus;
    static BUS: Bus = Bus::new(&catalog::CATALOG);
    static SLOT: Managed = Managed::on_bus("slot1", 1, &BUS, &QUIET);
    static FLEET: Fleet = Fleet::new(&[&SLOT]);
    let fleet = FLEET;
    let module = bus_echo("temperature", "alarm");
    // One 64 KiB page of memory alone is more than this.
    let refused = upload(&mut bus_server(fleet, Some(32 * 1024)), 1, &module).unwrap_err();
    assert_eq!(refused.rc, rc::ENOMEM);
    assert!(refused.reason.contains("Check::admitting"), "{}", refused.reason);
    upload(&mut bus_server(fleet, Some(2 * 1024 * 1024)), 1, &module).expect("within the RAM");
    // Ports are the module's choice on a bus: each is charged its channel
    // and the messages it may hold (the host's message limit, 64 KiB by
    // default, times its depth), so 200 topic inputs do not fit where one
    // did.
    let mut many = Fixture::new(ECHO);
    for n in 0..200 {
        many = many.inputs([format!("topic/t{n}")]);
    }
    let many = many.outputs(["alarm"]).build();
    let refused = upload(&mut bus_server(fleet, Some(2 * 1024 * 1024)), 1, &many).unwrap_err();
    assert_eq!(refused.rc, rc::ENOMEM, "{refused}");
}
