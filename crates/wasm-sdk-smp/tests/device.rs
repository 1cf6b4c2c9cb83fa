//! The bad-input checks of `protocol.rs`, against a device on a serial
//! port: the QEMU firmware's UART (`examples/qemu-host/serve` prints its
//! pty). After each, the counter guest still runs: its `received` count in
//! the guest list grows (the firmware feeds it a message a second).
//!
//! Ignored unless asked for, because they need a device running the
//! counter on a fresh storage (`examples/qemu-host/serve-check` runs them):
//! `WASM_SDK_DEVICE=/dev/pts/N WASM_SDK_DEVICE_MODULE=counter.wasm cargo
//! test -p wasm-sdk-smp --test device -- --ignored --test-threads=1`.
//! One test completes an upload of `WASM_SDK_DEVICE_MODULE` (a
//! counter-compatible module) and confirms it, leaving the device as clean
//! as it found it.

mod common;

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use common::client::{self as smp, Client, Serial, cbor, upload};
use sha2::{Digest, Sha256};
use wasm_sdk_smp::header::Op;

/// The QEMU firmware's slot: a 68 KiB bank (a 64 KiB module and its
/// header, in whole 4 KiB pages) less its 64-byte header. A module over
/// the host's 64 KiB `max_module_size` but within this is refused by the
/// install check instead, naming the budget.
const CAPACITY: usize = 68 * 1024 - 64;

/// The device and the counter's last `received` count seen.
struct Device {
    c: Client<Serial>,
    received: u32,
}

/// The device, one test at a time, with nothing left on the line.
fn device() -> MutexGuard<'static, Device> {
    static DEVICE: OnceLock<Mutex<Device>> = OnceLock::new();
    let mut d = DEVICE
        .get_or_init(|| Mutex::new(Device::connect()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    d.c.drain();
    d
}

impl Device {
    fn connect() -> Self {
        let path = std::env::var("WASM_SDK_DEVICE").expect("WASM_SDK_DEVICE: the device's port");
        let mut c = Client::new(Serial::open(&path));
        // QEMU notices a new client on its pty with a poll: until then what
        // the device answers is lost. Retry the first request.
        let answered = (0..10).any(|_| {
            let bytes = c.frame(Op::Write, 0, 0, &smp::echo("hello"));
            c.send_raw(&bytes);
            c.receive_within(Duration::from_secs(1)).is_some()
        });
        assert!(answered, "no answer on {path}");
        c.drain();
        let mut d = Device { c, received: 0 };
        d.keeps_running(&format!("connected to {path}"));
        d
    }

    /// The counter's `received` count, after checking it is listed and
    /// not stopped.
    fn counter_received(&mut self) -> u32 {
        let list = self.c.request(Op::Read, 64, 0, &[0xa0]);
        let guests = list.get("guests").unwrap_or_else(|| panic!("no guest list: {list:?}"));
        assert!(guests.contains("name: counter"), "{guests}");
        assert!(!guests.contains("state: stopped"), "{guests}");
        let count = guests.split("received: ").nth(1).expect("received");
        count.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    }

    /// The counter runs on: its `received` count grows within a few
    /// seconds.
    fn keeps_running(&mut self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let received = self.counter_received();
            if received > self.received {
                println!("PASS {what}; the counter runs on (received {received})");
                self.received = received;
                return;
            }
            assert!(Instant::now() < deadline, "the counter stopped at {received} received");
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// Runs `check` on the device; then the counter must still run.
fn on_device(what: &str, check: impl FnOnce(&mut Client<Serial>)) {
    let mut d = device();
    check(&mut d.c);
    d.keeps_running(what);
}

/// Sends what the device must drop: the echo after it is the only answer,
/// nothing comes later, and the line still works.
fn dropped(what: &str, send: impl FnOnce(&mut Client<Serial>)) {
    on_device(what, |c| {
        send(c);
        assert!(c.receive_within(Duration::from_secs(1)).is_none(), "nothing more");
        c.echo("recovered");
    });
}

#[test]
#[ignore = "needs a device: WASM_SDK_DEVICE"]
fn bad_uploads_are_refused_with_their_reasons() {
    let what = "bad uploads refused: wrong sha (9), garbage (9 not a wasm module), over the \
                slot (2), image 7 (5), no len (3), chunk past len (3), over the host's \
                max_module_size at the first chunk (9)";
    on_device(what, |c| {
        smp::bad_uploads(c, CAPACITY);
        // Within the slot, over the host's module size: refused before
        // anything is written, naming the budget.
        let r = upload(c, 0, &smp::module(64 * 1024 + 1), 100);
        let (rc, reason) = r.error();
        assert_eq!(rc, Some("9"));
        assert_eq!(
            reason,
            Some(
                "module larger than the host takes: module is 65537 bytes, over the host's \
                 budget `max_module_size` of 65536 bytes (`HostConfig::max_module_size`)"
            )
        );
    });
}

#[test]
#[ignore = "needs a device: WASM_SDK_DEVICE"]
fn unknown_commands_and_malformed_bodies() {
    let what = "unknown group 63 and command (8), 13 malformed CBOR bodies (3)";
    on_device(what, smp::unknown_commands_and_malformed_bodies);
}

#[test]
#[ignore = "needs a device: WASM_SDK_DEVICE"]
fn broken_frames_are_dropped_and_the_line_recovers() {
    let what = "bad CRC, bad base64 and console noise dropped unanswered; the line recovers";
    dropped(what, smp::broken_frames_then_echo);
}

#[test]
#[ignore = "needs a device: WASM_SDK_DEVICE"]
fn a_request_over_the_buffer_is_dropped_not_answered() {
    dropped(
        "a request over the 384-byte buffer dropped unanswered",
        smp::over_the_buffer_then_echo,
    );
}

#[test]
#[ignore = "needs a device: WASM_SDK_DEVICE"]
fn a_flood_of_echoes_with_garbage_is_answered() {
    let mut d = device();
    let (count, garbage) = (500, 100);
    let elapsed = smp::flood(&mut d.c, count, garbage, 16);
    d.keeps_running(&format!(
        "flood: {count} echoes with {} garbage lines answered in {:.1} s",
        count.div_ceil(3) * 2,
        elapsed.as_secs_f64()
    ));
}

#[test]
#[ignore = "needs a device: WASM_SDK_DEVICE and WASM_SDK_DEVICE_MODULE"]
fn an_upload_that_stops_then_restarts_completes() {
    let path = std::env::var("WASM_SDK_DEVICE_MODULE").expect("WASM_SDK_DEVICE_MODULE");
    let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(wasm.len() > 600, "a module longer than the first chunks");
    let mut d = device();
    smp::upload_stops(&mut d.c, &wasm);
    d.keeps_running("an upload stopped after 100 bytes; a chunk at another offset gets 100");
    // A fresh upload from offset 0.
    let began = Instant::now();
    let last = upload(&mut d.c, 0, &wasm, 192);
    assert_eq!(
        (last.get("off"), last.get("match")),
        (Some(&*wasm.len().to_string()), Some("true"))
    );
    let took = began.elapsed().as_secs_f64();
    let sha = smp::hex(&Sha256::digest(&wasm));
    let state = d.c.request(Op::Read, 1, 0, &[0xa0]);
    let images = state.get("images").expect("images");
    assert!(images.contains(&sha), "{images}");
    // A module on trial: another upload is refused until it is confirmed
    // (unless the health rule confirmed it already).
    if images.contains("pending: true") {
        let again = d.c.request(Op::Write, 1, 1, &smp::first_chunk(&wasm, 100));
        assert_eq!(again.error(), (Some("6"), Some("a module is on trial; confirm it first")));
    }
    let confirm = cbor(|e| {
        e.map(1).unwrap().str("confirm").unwrap().bool(true).unwrap();
    });
    let state = d.c.request(Op::Write, 1, 0, &confirm);
    let images = state.get("images").expect("images");
    assert!(images.contains(&sha) && images.contains("confirmed: true"), "{images}");
    assert!(!images.contains("pending: true"), "{images}");
    // Swapped in: the new module counts from 0 again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while d.counter_received() >= d.received {
        assert!(Instant::now() < deadline, "the new module was not swapped in");
        std::thread::sleep(Duration::from_millis(200));
    }
    d.received = 0;
    d.keeps_running(&format!(
        "restarted from offset 0: {} B uploaded in {took:.1} s, match true, confirmed",
        wasm.len()
    ));
}
