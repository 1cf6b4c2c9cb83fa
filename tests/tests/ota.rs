//! The over-the-air hostile suite (issue 19, item 7): every case of the
//! set (`ota/cases.rs`: `tests/ota/*.wat`, generated modules, messages) is
//! sent over SMP to the serve firmware on QEMU (`examples/qemu-host/serve`)
//! and must end refused with a reason, rolled back, or running within its
//! budgets; after each case the firmware answers `echo` and the counter
//! counts on the console. Many cases share one firmware life; QEMU is
//! restarted only after a case that killed it or left it unhealthy (the
//! case fails).
//!
//! The run writes its results as data (`tests/ota/results.json`, one row
//! a case) and the Markdown table of `tests/ota/README.md` from them; a
//! test that needs no QEMU checks the committed table is the data's and
//! the data covers the set.
//!
//! Run (builds the firmware and the counter first; `.ci/run` does this):
//! `cargo test -p wasm-sdk-tests --test ota -- --ignored --nocapture`.
//! `WASM_SDK_OTA_ONLY=name,name` runs some cases only (the results files
//! are then left alone); `WASM_SDK_OTA_LANES=N` runs N firmware side by
//! side (default: one a core, at most 4); `WASM_SDK_OTA_TRIAL_SECS=S`
//! waits S seconds for a module on trial to be decided (default 15: must
//! be longer than the firmware's trial deadline).

#[path = "ota/cases.rs"]
mod cases;
#[path = "ota/device.rs"]
mod device;
#[path = "ota/observe.rs"]
mod observe;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use cases::{Body, Case};
use device::Firmware;
use mcumgr_toolkit::client::MCUmgrClientError;
use mcumgr_toolkit::connection::ExecuteError;
use serde::{Deserialize, Serialize};
use wasm_sdk_tests::{TARGETS, build_guest, workspace_root};

/// Milliseconds between the firmware's own counter inputs (`./serve
/// --tick-ms`): the trial's deadline, restart backoff and fall-back window
/// scale with it (60, 1 to 60 and 300 ticks), so that a case is decided in
/// seconds.
pub const TICK_MS: &str = "200";
/// Seconds a module swapped in has to settle: rolled back, or confirmed
/// and still running; a module undecided by then blocks the update path
/// (`stuck`). Longer than the firmware's trial deadline (60 ticks of
/// [`TICK_MS`]): `WASM_SDK_OTA_TRIAL_SECS` sets it.
const TRIAL_SECS: u64 = 20;
/// Messages the runner feeds a module on trial besides the firmware's one
/// a second, so the health rule (20 messages) decides in seconds.
const FEED: u32 = 30;
/// The count the runner's messages carry (the console leaves it out).
const INJECTED: u32 = 3_000_000;
/// Seconds a confirmed module keeps being watched for a stop and a
/// fall-back.
const AFTER_CONFIRM_SECS: u64 = 3;
/// Most firmware run side by side, one a core (`WASM_SDK_OTA_LANES` sets
/// it): a spinning guest keeps its QEMU busy.
const LANES: usize = 4;
/// Seconds for the counter to count on after a case.
const HEALTH_SECS: u64 = 5;

fn trial_wait() -> Duration {
    let secs = std::env::var("WASM_SDK_OTA_TRIAL_SECS").ok().and_then(|s| s.parse().ok());
    Duration::from_secs(secs.unwrap_or(TRIAL_SECS))
}

/// One row of the results.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Row {
    name: String,
    class: String,
    what: String,
    /// The outcomes that pass, e.g. `refused or running`.
    expected: String,
    /// `refused`, `rolled-back`, `running`, or a failure: `stuck`,
    /// `stopped`, `crashed`, `no-answer`.
    observed: String,
    /// The device's refusal, the console's last update line, or what
    /// killed the firmware; then what the health check found, if it failed.
    reason: String,
    /// The firmware answered echo and the counter counted after the case.
    healthy: bool,
    /// `healthy` and `observed` is one of `expected`.
    pass: bool,
    /// From the upload (or message) to the end of the health check.
    seconds: f64,
}

/// The results file.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Results {
    /// What ran: the firmware and the date.
    firmware: String,
    passed: usize,
    failed: usize,
    /// QEMU starts, the first included.
    qemu_starts: usize,
    seconds: f64,
    cases: Vec<Row>,
}

fn ota_dir() -> PathBuf {
    workspace_root().join("tests/ota")
}

/// The counter module (the release build) and its manifest payload.
fn counter() -> (Vec<u8>, Vec<u8>) {
    let path = build_guest("counter", TARGETS[0], &[]);
    let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let info = wasm_sdk_host::inspect::ModuleInfo::parse(&wasm).expect("the counter parses");
    let manifest = info.manifest.expect("the counter has a manifest");
    (wasm, manifest)
}

fn the_set() -> Vec<Case> {
    let (_, manifest) = counter();
    cases::set(&ota_dir(), &manifest).unwrap_or_else(|e| panic!("the OTA set: {e}"))
}

const BEGIN: &str = "<!-- ota-results: written by tests/tests/ota.rs from results.json -->";
const END: &str = "<!-- /ota-results -->";

fn table(results: &Results) -> String {
    let mut t = format!(
        "{} passed, {} failed of {} cases in {:.0} s ({} QEMU starts); firmware: {}\n\n\
         | case | class | what it does | expected | observed | reason | s | |\n\
         |---|---|---|---|---|---|---|---|\n",
        results.passed,
        results.failed,
        results.cases.len(),
        results.seconds,
        results.qemu_starts,
        results.firmware,
    );
    for r in &results.cases {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        t += &format!(
            "| `{}` | {} | {} | {} | {}{} | {} | {:.1} | {} |\n",
            r.name,
            r.class,
            cell(&r.what),
            r.expected,
            r.observed,
            if r.healthy { "" } else { ", unhealthy after" },
            cell(&r.reason),
            r.seconds,
            if r.pass { "pass" } else { "**FAIL**" },
        );
    }
    t
}

/// The README with its results block replaced by `table`.
fn with_table(readme: &str, table: &str) -> Option<String> {
    let begin = readme.find(BEGIN)? + BEGIN.len();
    let end = readme.find(END)?;
    Some(format!("{}\n{table}{}", &readme[..begin], &readme[end..]))
}

/// The set is what its headers say; the committed table is the committed
/// data's, and the data has a row for each case of the set, in order.
#[test]
fn the_results_table_is_the_data_of_the_set() {
    let set = the_set();
    assert!(set.len() >= 50, "{} cases", set.len());
    for case in &set {
        if let Body::Module(wasm) = &case.body {
            assert!(wasm.len() <= cases::SLOT, "{}: {} B over the slot", case.name, wasm.len());
        }
    }
    let data = std::fs::read_to_string(ota_dir().join("results.json")).expect("results.json");
    let results: Results = serde_json::from_str(&data).expect("results.json parses");
    let names = |v: Vec<&str>| v.join(", ");
    assert_eq!(
        names(results.cases.iter().map(|r| r.name.as_str()).collect()),
        names(set.iter().map(|c| c.name.as_str()).collect()),
        "results.json is from another set: run the suite (see tests/ota/README.md)"
    );
    for (row, case) in results.cases.iter().zip(&set) {
        let wanted = (&case.class, &case.what, &case.expected());
        assert_eq!((&row.class, &row.what, &row.expected), wanted, "{}: run the suite", case.name);
        let observed_ok = row.healthy && case.expect.iter().any(|o| o.as_str() == row.observed);
        assert_eq!(row.pass, observed_ok, "{}: pass does not follow from the row", row.name);
    }
    let readme = std::fs::read_to_string(ota_dir().join("README.md")).expect("README.md");
    let wanted = with_table(&readme, &table(&results)).expect("README.md lacks the results block");
    assert!(readme == wanted, "tests/ota/README.md's table is not results.json's: run the suite");
}

/// What a case ended with.
struct Observed {
    outcome: String,
    reason: String,
    /// The firmware died: QEMU must start again.
    dead: bool,
    /// The hostile module is the confirmed one: the counter must be put
    /// back.
    installed: bool,
}

impl Observed {
    fn new(outcome: &str, reason: impl Into<String>) -> Self {
        Observed { outcome: outcome.into(), reason: reason.into(), dead: false, installed: false }
    }
}

fn injected() -> Vec<u8> {
    module_examples_common::to_message(&module_examples_common::Counter { count: INJECTED })
        .expect("a Counter encodes")
}

/// Uploads `wasm` and watches what the firmware does with it.
fn run_module(fw: &mut Firmware, wasm: &[u8], previous: usize) -> Observed {
    let mark = fw.mark();
    if let Err(error) = fw.client.image_upload(wasm, Some(0), None, false, None) {
        if !fw.alive() || observe::verdict(&fw.since(mark), previous).fatal.is_some() {
            return dead(fw, mark, previous);
        }
        // The device's refusal: its rc and reason text.
        if let MCUmgrClientError::ExecuteError(ExecuteError::ErrorResponse(refusal)) = &error {
            return Observed::new("refused", refusal.to_string());
        }
        return Observed::new("no-answer", device::describe(&error));
    }
    let message = injected();
    let trial = trial_wait();
    let mut last_taken = Instant::now();
    let (mut fed, mut refused) = (0, 0);
    let mut confirmed_at = None;
    loop {
        let v = observe::verdict(&fw.since(mark), previous);
        if v.fatal.is_some() || !fw.alive() {
            return dead(fw, mark, previous);
        }
        if v.rolled_back {
            return Observed::new("rolled-back", v.last_event.unwrap_or_default());
        }
        // The trial's time runs from the last message the module took: a
        // slow firmware (a loaded machine) is not a stuck one.
        let waited = last_taken.elapsed() >= trial;
        if v.confirmed {
            let at = *confirmed_at.get_or_insert_with(Instant::now);
            let settled = at.elapsed() >= Duration::from_secs(AFTER_CONFIRM_SECS);
            // Still running a while after its confirmation, the feed going
            // on: within its budgets. One that stopped gets until the
            // deadline to fall back.
            match v.stopped_after_confirm {
                None if settled => {
                    let mut o = Observed::new("running", v.last_event.unwrap_or_default());
                    o.installed = true;
                    return o;
                }
                Some(line) if settled && waited => {
                    let mut o = Observed::new("stopped", format!("confirmed, then {line}"));
                    o.installed = true;
                    return o;
                }
                _ => {}
            }
        } else if waited {
            let mut o = Observed::new(
                "stuck",
                format!(
                    "undecided {} s after the last message it took: {}",
                    trial.as_secs(),
                    v.last_event.unwrap_or_default()
                ),
            );
            o.installed = true;
            return o;
        }
        // Feed once it runs, until it stops taking messages: a full input
        // means the guest does not take any, and with a guest spinning
        // each refused send can wait for the client's timeout.
        if v.swapped && fed < FEED && refused < 3 {
            match fw.send(&message) {
                Ok(()) => (fed, refused, last_taken) = (fed + 1, 0, Instant::now()),
                Err(_) => refused += 1,
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dead(fw: &mut Firmware, mark: usize, previous: usize) -> Observed {
    // Let QEMU finish printing.
    std::thread::sleep(Duration::from_millis(300));
    let v = observe::verdict(&fw.since(mark), previous);
    let reason = v.fatal.unwrap_or_else(|| "QEMU exited".into());
    Observed { outcome: "crashed".into(), reason, dead: true, installed: false }
}

/// Queues `message` on the built-in counter's input.
fn run_message(fw: &mut Firmware, message: &[u8]) -> Observed {
    let mark = fw.mark();
    let sent = fw.send(message);
    std::thread::sleep(Duration::from_secs(1));
    if !fw.alive() || observe::verdict(&fw.since(mark), 0).fatal.is_some() {
        return dead(fw, mark, 0);
    }
    let state = fw.counter().map(|(_, state)| state).unwrap_or_else(|| "no answer".into());
    let sent = match sent {
        Ok(()) => "queued".to_owned(),
        Err(e) => format!("send refused: {e}"),
    };
    let outcome = if state == "stopped" { "stopped" } else { "running" };
    Observed::new(outcome, format!("{sent}; the counter is {state}"))
}

/// Puts the counter back as the confirmed module.
fn restore(fw: &mut Firmware, counter: &[u8]) -> Result<(), String> {
    let mark = fw.mark();
    fw.client
        .image_upload(counter, Some(0), None, false, None)
        .map_err(|e| device::describe(&e))?;
    fw.client.image_set_state(None, true).map_err(|e| device::describe(&e))?;
    let swapped = format!("serve: counter now runs a {} B module", counter.len());
    // A confirmed module that spins is swapped out only after its
    // safe-point slices (`update::SAFE_POINT_SLICES`) are used.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if fw.since(mark).iter().any(|l| l.trim_end() == swapped) {
            fw.module_len = counter.len();
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the counter was not swapped back in".into())
}

/// The firmware answers `echo` and the counter counts on the console.
fn healthy(fw: &mut Firmware, token: &str) -> Result<(), String> {
    if !fw.alive() {
        return Err("QEMU exited".into());
    }
    if !fw.echoes(token) {
        return Err("no echo".into());
    }
    // The firmware's feed numbers its messages across module swaps: a
    // count above every earlier one is the counter counting on.
    let before = observe::counts(&fw.since(0), INJECTED).into_iter().max();
    let mark = fw.mark();
    let deadline = Instant::now() + Duration::from_secs(HEALTH_SECS);
    while Instant::now() < deadline {
        let counts = observe::counts(&fw.since(mark), INJECTED);
        let newer = counts.iter().any(|&n| before.is_none_or(|b| n > b));
        if newer && (before.is_some() || observe::counting(&counts)) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("the counter did not count on in {HEALTH_SECS} s"))
}

/// A fresh firmware, healthy. A start can fail on a loaded machine (the
/// pty not noticed in time): three tries.
fn start(qemu_host: &Path, starts: &AtomicUsize) -> Firmware {
    let mut errors = Vec::new();
    for _ in 0..3 {
        starts.fetch_add(1, Ordering::Relaxed);
        let began = Instant::now();
        let started =
            Firmware::start(qemu_host).and_then(|mut fw| healthy(&mut fw, "boot").map(|()| fw));
        match started {
            Ok(fw) => {
                println!("QEMU started in {:.1} s", began.elapsed().as_secs_f64());
                return fw;
            }
            Err(e) => errors.push(e),
        }
    }
    panic!("the firmware does not start healthy: {}", errors.join("; "))
}

/// Runs cases from `queue` on a firmware of its own until none is left.
fn lane(
    qemu_host: &Path,
    counter_wasm: &[u8],
    queue: &Mutex<VecDeque<(usize, &Case)>>,
    rows: &Mutex<Vec<(usize, Row)>>,
    starts: &AtomicUsize,
) {
    let mut fw = start(qemu_host, starts);
    while let Some((index, case)) = queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    {
        let mark = fw.mark();
        let row = run_case(&mut fw, case, counter_wasm);
        let healthy = row.healthy;
        if !row.pass {
            // The firmware's own account, for whoever reads a failed run
            // (the counts left out).
            for line in fw.since(mark).iter().filter(|l| !l.starts_with("counter: ")).take(60) {
                println!("    | {line}");
            }
        }
        println!(
            "{} {:<28} {:<11} expected {:<22} observed {:<12} {:>5.1} s  {}",
            if row.pass { "PASS" } else { "FAIL" },
            row.name,
            row.class,
            row.expected,
            row.observed,
            row.seconds,
            row.reason
        );
        rows.lock().unwrap_or_else(PoisonError::into_inner).push((index, row));
        if !healthy {
            drop(fw);
            fw = start(qemu_host, starts);
        }
    }
}

/// One case on `fw`, then the health check (the counter put back first
/// when the case's module was confirmed).
fn run_case(fw: &mut Firmware, case: &Case, counter_wasm: &[u8]) -> Row {
    let t0 = Instant::now();
    let previous = fw.module_len;
    let mut o = match &case.body {
        Body::Module(wasm) => run_module(fw, wasm, previous),
        Body::Message(message) => run_message(fw, message),
    };
    let mut health = Ok(());
    if !o.dead {
        if o.installed && o.outcome != "stuck" {
            health = restore(fw, counter_wasm);
        }
        if o.outcome == "stuck" {
            // The trial holds the slot: nothing can be uploaded.
            health = Err("the update path is blocked by the module on trial".into());
        }
        health = health.and_then(|()| healthy(fw, &case.name));
    }
    let healthy = !o.dead && health.is_ok();
    if let Err(e) = &health {
        o.reason = format!("{}; after: {e}", o.reason);
    }
    let pass = healthy && case.expect.iter().any(|e| e.as_str() == o.outcome);
    Row {
        name: case.name.clone(),
        class: case.class.clone(),
        what: case.what.clone(),
        expected: case.expected(),
        observed: o.outcome.clone(),
        reason: o.reason.chars().take(200).collect(),
        healthy,
        pass,
        seconds: (t0.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    }
}

#[test]
#[ignore = "runs the serve firmware on QEMU for minutes: .ci/run runs it"]
fn every_hostile_case_over_the_air() {
    let began = Instant::now();
    let root = workspace_root();
    let qemu_host = root.join("examples/qemu-host");
    let (counter_wasm, _) = counter();
    let mut set = the_set();
    let only = std::env::var("WASM_SDK_OTA_ONLY").ok();
    if let Some(only) = &only {
        let names: Vec<&str> = only.split(',').collect();
        set.retain(|c| names.contains(&c.name.as_str()));
    }
    Firmware::build(&qemu_host);

    // Firmware lives side by side: a case mostly waits (on the trial, on
    // the feed), so lanes divide the suite's time.
    let lanes: usize = std::env::var("WASM_SDK_OTA_LANES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from).min(LANES));
    let queue = Mutex::new(set.iter().enumerate().collect::<VecDeque<_>>());
    let rows = Mutex::new(Vec::new());
    let starts = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..lanes.max(1) {
            scope.spawn(|| lane(&qemu_host, &counter_wasm, &queue, &rows, &starts));
        }
    });
    let mut rows = rows.into_inner().unwrap_or_else(PoisonError::into_inner);
    rows.sort_by_key(|(i, _)| *i);
    let rows: Vec<Row> = rows.into_iter().map(|(_, row)| row).collect();
    let starts = starts.into_inner();
    let failed: Vec<String> = rows.iter().filter(|r| !r.pass).map(|r| r.name.clone()).collect();
    let results = Results {
        firmware: firmware_description(&root),
        passed: rows.len() - failed.len(),
        failed: failed.len(),
        qemu_starts: starts,
        seconds: began.elapsed().as_secs_f64().round(),
        cases: rows,
    };
    println!(
        "== {} passed, {} failed of {} in {:.0} s, {} QEMU starts",
        results.passed,
        results.failed,
        results.cases.len(),
        results.seconds,
        results.qemu_starts
    );
    if only.is_none() {
        let json = serde_json::to_string_pretty(&results).expect("results encode");
        std::fs::write(ota_dir().join("results.json"), json + "\n").expect("write results.json");
        let path = ota_dir().join("README.md");
        let readme = std::fs::read_to_string(&path).expect("README.md");
        let updated = with_table(&readme, &table(&results)).expect("README.md's results block");
        std::fs::write(&path, updated).expect("write README.md");
    }
    assert!(failed.is_empty(), "{} cases failed: {}", failed.len(), failed.join(", "));
}

/// The commit the firmware was built from, for the results.
fn firmware_description(root: &Path) -> String {
    let commit = Command::new("git")
        .args(["log", "-1", "--format=%h %cs"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown commit".into());
    format!("examples/qemu-host serve at {commit}")
}
