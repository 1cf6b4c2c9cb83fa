//! The service catalog on QEMU (issue 21): modules uploaded over SMP into
//! the serve firmware's empty slots (images 1 to 3) bind by port name and
//! type to its services (`temperature`, `alarm`, the timer) and to topics
//! between them, with nothing wired for them in the firmware.
//!
//! - a thermostat on `temperature` and `alarm` goes into a free slot and
//!   its alarms appear on the console;
//! - a two-module pipeline over a topic works installed in either order;
//! - a module asking for a missing service, or a service of another type,
//!   is refused with its reason;
//! - a module trapping in one slot is rolled back while the others run on;
//! - erasing a slot removes its guest and gives its heap back;
//! - a flood on one topic does not starve the other guests;
//! - after a restart, every slot's confirmed module comes back.
//!
//! Run (builds the firmware and the guests first; `.ci/run` does this):
//! `cargo test -p wasm-sdk-tests --test catalog -- --ignored --nocapture`.

#[path = "ota/device.rs"]
#[allow(dead_code, reason = "shared with the OTA suite, which uses more of it")]
mod device;
#[path = "ota/observe.rs"]
#[allow(dead_code, reason = "shared with the OTA suite, which reads more of it")]
mod observe;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use device::Firmware;
use module_examples_common::{AlarmEvent, Counter, Reading};
use wasm_sdk::abi::manifest::TypeDecl;
use wasm_sdk::abi::schema::TypeKey;
use wasm_sdk::abi::schema::postcard_schema::Schema;
use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_tests::{build_guest, workspace_root};

/// Milliseconds a firmware "second" lasts (`./serve --tick-ms`): the
/// sensor reads twice a tick, and the trial's deadline (60 ticks) and the
/// health rule (20 messages received) take seconds.
pub const TICK_MS: &str = "200";

/// How long a console line may take to appear.
const WAIT: Duration = Duration::from_secs(30);

fn ty<T: Schema>() -> TypeDecl {
    TypeDecl { key: TypeKey::of::<T>(), schema: T::SCHEMA }
}

/// `wat` with its 64 KiB page made 1 KiB of 1-byte pages: the slots'
/// modules are charged their memory against the firmware's RAM for
/// guests, as a guest built with `WASM_SDK_MEMORY=tight` is.
fn small(wat: &str) -> String {
    wat.replace(
        r#"(memory (export "memory") 1 1)"#,
        r#"(memory (export "memory") 1024 1024 (pagesize 1))"#,
    )
}

/// An example guest built for the device: tight memory, release.
fn guest(package: &str) -> Vec<u8> {
    let path = build_guest(package, "wasm32-unknown-unknown", &[("WASM_SDK_MEMORY", "tight")]);
    std::fs::read(path).expect("read the built guest")
}

/// The suite's modules and the firmware, built before any step's time.
struct Suite {
    qemu_host: PathBuf,
    thermostat: Vec<u8>,
    smoother: Vec<u8>,
    smoothed_alarm: Vec<u8>,
}

fn prepare() -> Suite {
    let qemu_host = workspace_root().join("examples/qemu-host");
    let suite = Suite {
        thermostat: guest("thermostat"),
        smoother: guest("smoother"),
        smoothed_alarm: guest("smoothed-alarm"),
        qemu_host,
    };
    Firmware::build(&suite.qemu_host);
    suite
}

/// Waits for a console line after `mark` for which `wanted` holds.
fn line(fw: &Firmware, mark: usize, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let end = Instant::now() + WAIT;
    while Instant::now() < end {
        if let Some(found) = fw.since(mark).into_iter().find(|l| wanted(l)) {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let console: Vec<String> =
        fw.since(mark).into_iter().filter(|l| !l.starts_with("counter: ")).collect();
    panic!("no console line: {what}; since the step:\n{}", console.join("\n"));
}

/// Console lines after `mark` starting with `prefix`.
fn count(fw: &Firmware, mark: usize, prefix: &str) -> usize {
    fw.since(mark).iter().filter(|l| l.starts_with(prefix)).count()
}

/// Uploads `module` into `image`; the device's refusal as text.
fn upload(fw: &Firmware, image: u32, module: &[u8]) -> Result<(), String> {
    fw.client.image_upload(module, Some(image), None, false, None).map_err(|e| device::describe(&e))
}

/// How long an install took, from the first upload byte.
struct Installed {
    uploaded: Duration,
    running: Duration,
    first_message: Duration,
    confirmed: Duration,
}

/// Uploads `module` into `image` and waits until its guest is confirmed.
fn install(fw: &Firmware, image: u32, module: &[u8]) -> Installed {
    let mark = fw.mark();
    let began = Instant::now();
    upload(fw, image, module).unwrap_or_else(|e| panic!("upload into image {image}: {e}"));
    let uploaded = began.elapsed();
    let guest = format!("slot{image}");
    let running = format!("serve: {guest} now runs a {} B module", module.len());
    line(fw, mark, &running, |l| l == running);
    let swapped = began.elapsed();
    // Its first message: the guest group's count, polled.
    let end = Instant::now() + WAIT;
    while fw.guest(&guest).is_none_or(|g| g.received == 0) {
        assert!(Instant::now() < end, "{guest} received no message");
        std::thread::sleep(Duration::from_millis(10));
    }
    let first_message = began.elapsed();
    let confirmed = format!("serve: {guest}: module confirmed");
    line(fw, mark, &confirmed, |l| l.starts_with(&confirmed));
    let installed =
        Installed { uploaded, running: swapped, first_message, confirmed: began.elapsed() };
    println!(
        "{guest}: {} B uploaded in {:.2} s, running after {:.2} s, first message after {:.2} s, confirmed after {:.2} s",
        module.len(),
        installed.uploaded.as_secs_f64(),
        installed.running.as_secs_f64(),
        installed.first_message.as_secs_f64(),
        installed.confirmed.as_secs_f64()
    );
    installed
}

/// Removes image `image`'s guest (`image erase` of its running slot) and
/// returns the heap in use the firmware reports after it.
fn erase(fw: &Firmware, image: u32) -> u64 {
    let mark = fw.mark();
    fw.client.image_erase(Some(2 * image)).unwrap_or_else(|e| {
        panic!("erase image {image}: {}", device::describe(&e));
    });
    let removed = format!("serve: slot{image} removed; its slot is empty");
    line(fw, mark, &removed, |l| l == removed);
    heap_after(fw, mark)
}

/// The heap in use in the first `serve: heap N B in use` line after
/// `mark`.
fn heap_after(fw: &Firmware, mark: usize) -> u64 {
    let heap = line(fw, mark, "the heap in use", |l| l.starts_with("serve: heap "));
    heap.strip_prefix("serve: heap ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unreadable: {heap}"))
}

/// Starts the firmware (built already), with its slots in `storage` when
/// given.
fn start(qemu_host: &Path, storage: Option<&Path>) -> Firmware {
    let fw = Firmware::start_with(qemu_host, storage).unwrap_or_else(|e| panic!("{e}"));
    line(&fw, 0, "the counter counts", |l| l.starts_with("counter: "));
    fw
}

/// A module on `temperature` whose first message traps it.
fn trapping() -> Vec<u8> {
    let wat = small(
        r#"(module
          (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32)
            (drop (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
            (unreachable)))"#,
    );
    Fixture::new(wat).typed_input("temperature", ty::<Reading>()).outputs(["alarm"]).build()
}

/// A module that sends each reading 200 times on the topic `flood`.
fn flooder() -> Vec<u8> {
    let wat = small(
        r#"(module
          (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
          (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32) (local $n i32) (local $i i32)
            (loop $next
              (local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
              (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
              (local.set $i (i32.const 200))
              (loop $again
                (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br_if $again (local.get $i)))
              (br $next))
            (unreachable)))"#,
    );
    Fixture::new(wat)
        .typed_input("temperature", ty::<Reading>())
        .typed_output("topic/flood", ty::<Reading>())
        .build()
}

/// A module that takes every message of the topic `flood`, and answers
/// nothing.
fn flood_sink() -> Vec<u8> {
    let wat = small(
        r#"(module
          (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32)
            (loop $next
              (if (i32.lt_s (call $recv (i32.const 0) (i32.const 256) (i32.const 0)) (i32.const 0))
                (then (return (i32.const 0))))
              (br $next))
            (unreachable)))"#,
    );
    Fixture::new(wat).typed_input("topic/flood", ty::<Reading>()).build()
}

#[test]
#[ignore = "runs the serve firmware on QEMU: .ci/run runs it"]
fn modules_bind_to_the_device_s_services_and_to_each_other() {
    let Suite { qemu_host, thermostat, smoother, smoothed_alarm } = prepare();
    let fw = start(&qemu_host, None);

    // A module on `temperature` and `alarm` in a free slot: its alarms
    // show. The sensor rises through 25.0 °C every 8 s.
    let installed = install(&fw, 1, &thermostat);
    let ms = |d: Duration| d.as_millis();
    println!("figure catalog module_bytes = {}", thermostat.len());
    println!("figure catalog upload_ms = {}", ms(installed.uploaded));
    println!("figure catalog running_ms = {}", ms(installed.running));
    println!("figure catalog first_message_ms = {}", ms(installed.first_message));
    println!("figure catalog confirmed_ms = {}", ms(installed.confirmed));
    let mark = fw.mark();
    line(&fw, mark, "the thermostat's alarm", |l| {
        l == "alarm: Raised { deci_celsius: 250 } (slot 1)"
    });
    line(&fw, mark, "the thermostat clears", |l| {
        l.starts_with("alarm: Cleared {") && l.ends_with("(slot 1)")
    });

    // Refused before anything stops, naming the port and the types.
    let missing = Fixture::new(small(ECHO))
        .typed_input("humidity", ty::<Reading>())
        .typed_output("alarm", ty::<AlarmEvent>())
        .build();
    let refusal = upload(&fw, 2, &missing).expect_err("a missing service");
    assert!(
        refusal.contains("input `humidity`: the firmware offers no service `humidity`"),
        "{refusal}"
    );
    let mistyped = Fixture::new(small(ECHO))
        .typed_input("temperature", ty::<Counter>())
        .typed_output("alarm", ty::<AlarmEvent>())
        .build();
    let refusal = upload(&fw, 2, &mistyped).expect_err("a service of another type");
    assert!(refusal.contains("`Reading`") && refusal.contains("`Counter`"), "{refusal}");
    let guest = fw.guest("slot2").expect("slot2 listed");
    assert_eq!((guest.state.as_str(), guest.module.as_str()), ("empty", "empty"));

    // The pipeline, subscriber first: it waits for a producer.
    install_pipeline(&fw, (2, &smoothed_alarm), (3, &smoother), 2);
    let after_erase = [erase(&fw, 2), erase(&fw, 3)];
    // Publisher first.
    install_pipeline(&fw, (2, &smoother), (3, &smoothed_alarm), 3);
    let freed = [erase(&fw, 3), erase(&fw, 2)];
    println!(
        "heap in use after erasing slots 2 and 3: {} B the first time, {} B the second",
        after_erase[1], freed[1]
    );
    println!("figure catalog-heap after_erase = {}", after_erase[1]);
    println!("figure catalog-heap after_erase_again = {}", freed[1]);
    // The same set installed and erased again gives the same heap back,
    // give or take the few messages in flight (readings in channels).
    assert!(freed[1].abs_diff(after_erase[1]) < 512, "an install and erase kept heap");
    assert_eq!(fw.guest("slot2").expect("slot2").state, "empty");

    // A module trapping in slot 2 rolls back to empty; slot 1 and the
    // counter run on.
    let mark = fw.mark();
    upload(&fw, 2, &trapping()).expect("the trapping module binds");
    line(&fw, mark, "slot2 rolled back", |l| {
        l.starts_with("serve: slot2: the module on trial") && l.ends_with("rolled back")
    });
    let after = fw.mark();
    line(&fw, after, "slot1 alarms on", |l| l.starts_with("alarm: ") && l.ends_with("(slot 1)"));
    line(&fw, after, "the counter counts on", |l| l.starts_with("counter: "));
    assert_eq!(fw.guest("slot2").expect("slot2").state, "empty");

    // A flood on a topic: slot 1's alarms and the counter keep their pace.
    // The subscriber first: it is confirmed once the flood reaches it.
    let mark = fw.mark();
    upload(&fw, 3, &flood_sink()).expect("the flood's subscriber binds");
    install(&fw, 2, &flooder());
    line(&fw, mark, "the subscriber confirmed", |l| {
        l.starts_with("serve: slot3: module confirmed")
    });
    let during = fw.mark();
    std::thread::sleep(Duration::from_secs(10));
    let (alarms, counts) = (count(&fw, during, "alarm: "), count(&fw, during, "counter: "));
    let flood = fw.guest("slot3").expect("slot3").received;
    println!(
        "during 10 s of flood: {alarms} alarms of slot 1, {counts} counts, {flood} flood messages taken"
    );
    // 10 s at 200 ms a tick: 50 counts, and slot 1 crosses 25.0 °C both
    // ways at least twice (every 8 s).
    assert!(counts >= 25, "the counter starved: {counts} counts");
    assert!(alarms >= 2, "slot 1 starved: {alarms} alarms");
    assert!(flood > 1_000, "the flood did not flow: {flood}");
}

/// Installs the smoother and the smoothed alarm, `first` then `second`,
/// and waits for an alarm of the smoothed alarm (in slot `alarm_slot`).
fn install_pipeline(fw: &Firmware, first: (u32, &[u8]), second: (u32, &[u8]), alarm_slot: u32) {
    let mark = fw.mark();
    // The first is not confirmed until the second runs when it is the
    // subscriber: install it without waiting for its confirmation.
    upload(fw, first.0, first.1).expect("the first module of the pipeline");
    install(fw, second.0, second.1);
    let confirmed = format!("serve: slot{}: module confirmed", first.0);
    line(fw, mark, &confirmed, |l| l.starts_with(&confirmed));
    let suffix = format!("(slot {alarm_slot})");
    let after = fw.mark();
    line(fw, after, "the pipeline's alarm", |l| {
        l.starts_with("alarm: Raised") && l.ends_with(&suffix)
    });
}

#[test]
#[ignore = "runs the serve firmware on QEMU: .ci/run runs it"]
fn after_a_restart_every_confirmed_module_comes_back() {
    let Suite { qemu_host, thermostat, smoother, smoothed_alarm } = prepare();
    let storage = tempfile_path();
    {
        let fw = start(&qemu_host, Some(&storage));
        install(&fw, 1, &thermostat);
        install_pipeline(&fw, (2, &smoother), (3, &smoothed_alarm), 3);
    }
    let fw = start(&qemu_host, Some(&storage));
    for (image, module) in [(1, &thermostat), (2, &smoother), (3, &smoothed_alarm)] {
        let booted = format!("serve: slot{image} runs a {} B module", module.len());
        line(&fw, 0, &booted, |l| l == booted);
        let guest = fw.guest(&format!("slot{image}")).expect("listed");
        assert_eq!(guest.module, "uploaded", "slot{image} comes back confirmed");
    }
    let mark = fw.mark();
    line(&fw, mark, "the pipeline alarms again", |l| {
        l.starts_with("alarm: ") && l.ends_with("(slot 3)")
    });
    line(&fw, mark, "the thermostat alarms again", |l| {
        l.starts_with("alarm: ") && l.ends_with("(slot 1)")
    });
    drop(fw);
    let _ = std::fs::remove_file(&storage);
}

/// A storage file of this run's own, in the target folder.
fn tempfile_path() -> PathBuf {
    let dir = workspace_root().join("target").join("catalog-suite");
    std::fs::create_dir_all(&dir).expect("create the suite's folder");
    let path = dir.join(format!("slots-{}.bin", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}
