//! One contract, two hosts: the native mock (`wasm_sdk::native`) and the
//! wasmi host (`wasm-sdk-host`, through the test host) are fed the same
//! random raw `connectors` calls and must answer every call with the same
//! code and end with the same records.
//!
//! A sequence is a list of raw calls with arguments drawn from valid and
//! invalid values (indices, pointers, lengths, levels), host actions before
//! the run (pushes and closes), and batches of host actions applied each
//! time the guest blocks. On wasm, a driver module interprets the calls
//! from its linear memory and stores each result there; natively, the same
//! calls go to `wasm_sdk::native::raw` on a byte array standing in for that
//! memory. Compared: every result, the final state (finished, blocked on
//! which input or waiting on which inputs), sent messages, logs, errors,
//! what stays queued, and the guest memory the calls could write.
//!
//! [`SEQUENCES`] by default (seed 1), so `cargo test` stays quick; `bash
//! .ci/run slow` runs the full length (`WASM_SDK_DIFF_SEQUENCES=10000`), and
//! a longer run is
//! `WASM_SDK_DIFF_SEQUENCES=1000000 WASM_SDK_DIFF_SEED=7 cargo test --release -p wasm-sdk-tests --test differential`.

use fastrand::Rng;
use wasm_sdk::native::{self, Step, raw};
use wasm_sdk_abi::LogLevel;
use wasm_sdk_build::fixture::Fixture;
use wasm_sdk_testhost::{TestGuest, TestHost};

/// Where the driver reads its program (13-byte records: op, a, b, c).
const PROGRAM: usize = 0x8000;
/// Where the driver stores the number of calls that returned...
const DONE: usize = 0xBFFC;
/// ...and each call's result (`i32`, little endian).
const RESULTS: usize = 0xC000;
/// Most calls per sequence (results fit below `0xD000`).
const MAX_CALLS: usize = 48;
/// The hosts' message size limit: small, so sends over it happen.
const MAX_MESSAGE_LEN: usize = 24;

/// The initial bytes of guest memory: text, invalid UTF-8, zeros.
const SCRATCH: &[u8] = b"hello wasm-sdk \xff\xfe not text \xc3\xa9t\xc3\xa9 ok";
/// Where the lists of input indices `wait_input` reads start...
const LISTS: usize = 0x7F00;
/// ...and their bytes: known inputs in both orders, repeated, unknown.
const LIST_BYTES: &[u8] = &[0, 1, 0, 1, 1, 2, 0];

/// A raw import call.
#[derive(Clone, Copy, Debug)]
enum Call {
    Receive { ptr: i32, len: i32, input: i32 },
    InputLen { input: i32 },
    Send { ptr: i32, len: i32, output: i32 },
    Log { ptr: i32, len: i32, level: i32 },
    ReportError { ptr: i32, len: i32 },
    Wait { ptr: i32, len: i32 },
}

/// What the host does to the guest's queues.
#[derive(Clone, Debug)]
enum Action {
    Push(u8, Vec<u8>),
    Close(u8),
}

#[derive(Clone, Debug)]
struct Sequence {
    setup: Vec<Action>,
    /// Applied one batch each time the guest blocks.
    batches: Vec<Vec<Action>>,
    calls: Vec<Call>,
}

/// Everything either run produced.
#[derive(Debug, PartialEq, Eq)]
struct Record {
    results: Vec<i32>,
    end: Step,
    sent: Vec<(u8, Vec<u8>)>,
    logs: Vec<(LogLevel, String)>,
    errors: Vec<String>,
    queued: [usize; 2],
    memory: Vec<u8>,
}

fn pick<T: Copy>(rng: &mut Rng, values: &[T]) -> T {
    values[rng.usize(..values.len())]
}

fn index(rng: &mut Rng) -> i32 {
    pick(rng, &[0, 0, 1, 1, 2, -1, 255, 256, i32::MIN])
}

fn pointer(rng: &mut Rng) -> i32 {
    // In range (the scratch text and the free memory above the results),
    // at and past the end, negative, huge.
    pick(rng, &[0, 0, 6, 15, 20, 30, 0xE000, 0xFFFF, 0x10000, 0x10001, -1, i32::MIN, i32::MAX])
}

fn length(rng: &mut Rng) -> i32 {
    pick(rng, &[0, 1, 2, 5, 8, 16, 24, 25, 40, 64, -1, 0x10000, i32::MAX])
}

/// A `wait_input` list: mostly within [`LIST_BYTES`], sometimes anywhere.
fn list(rng: &mut Rng) -> (i32, i32) {
    if rng.u8(..4) == 0 {
        return (pointer(rng), length(rng));
    }
    let at = rng.usize(..LIST_BYTES.len());
    let len = rng.usize(..=LIST_BYTES.len() - at);
    ((LISTS + at) as i32, len as i32)
}

fn call(rng: &mut Rng) -> Call {
    match rng.u8(..6) {
        0 => Call::Receive { ptr: pointer(rng), len: length(rng), input: index(rng) },
        1 => Call::InputLen { input: index(rng) },
        2 => Call::Send { ptr: pointer(rng), len: length(rng), output: index(rng) },
        3 => Call::Log { ptr: pointer(rng), len: length(rng), level: rng.i32(-2..7) },
        4 => Call::ReportError { ptr: pointer(rng), len: length(rng) },
        _ => {
            let (ptr, len) = list(rng);
            Call::Wait { ptr, len }
        }
    }
}

fn action(rng: &mut Rng) -> Action {
    let input = rng.u8(..2);
    if rng.u8(..8) == 0 {
        Action::Close(input)
    } else {
        let len = pick(rng, &[0, 1, 3, 8, 24, 40]);
        Action::Push(input, (0..len).map(|_| rng.u8(..)).collect())
    }
}

fn sequence(rng: &mut Rng) -> Sequence {
    let actions =
        |rng: &mut Rng, most: usize| (0..rng.usize(..=most)).map(|_| action(rng)).collect();
    Sequence {
        setup: actions(rng, 6),
        batches: (0..rng.usize(..4)).map(|_| actions(rng, 3)).collect(),
        calls: (0..rng.usize(1..=MAX_CALLS)).map(|_| call(rng)).collect(),
    }
}

fn encode(calls: &[Call]) -> Vec<u8> {
    let mut program = Vec::with_capacity(calls.len() * 13 + 1);
    for call in calls {
        let (op, a, b, c) = match *call {
            Call::Receive { ptr, len, input } => (1, ptr, len, input),
            Call::InputLen { input } => (2, input, 0, 0),
            Call::Send { ptr, len, output } => (3, ptr, len, output),
            Call::Log { ptr, len, level } => (4, ptr, len, level),
            Call::ReportError { ptr, len } => (5, ptr, len, 0),
            Call::Wait { ptr, len } => (6, ptr, len, 0),
        };
        program.push(op);
        for arg in [a, b, c] {
            program.extend_from_slice(&arg.to_le_bytes());
        }
    }
    program.push(0);
    program
}

fn wat_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// The driver: runs the program's calls in order, storing each result.
fn driver(program: &[u8]) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "input_len" (func $len (param i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "wait_input" (func $wait (param i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 0) "{scratch}")
  (data (i32.const {LISTS}) "{lists}")
  (data (i32.const {PROGRAM}) "{program}")
  (func (export "run_task") (result i32)
    (local $pc i32) (local $op i32) (local $a i32) (local $b i32) (local $c i32)
    (local $r i32) (local $n i32)
    (local.set $pc (i32.const {PROGRAM}))
    (block $done
      (loop $next
        (local.set $op (i32.load8_u (local.get $pc)))
        (br_if $done (i32.eqz (local.get $op)))
        (local.set $a (i32.load offset=1 (local.get $pc)))
        (local.set $b (i32.load offset=5 (local.get $pc)))
        (local.set $c (i32.load offset=9 (local.get $pc)))
        (block $end
          (block $l6 (block $l5 (block $l4 (block $l3 (block $l2 (block $l1
            (br_table $l1 $l2 $l3 $l4 $l5 $l6 (i32.sub (local.get $op) (i32.const 1))))
            (local.set $r (call $recv (local.get $a) (local.get $b) (local.get $c)))
            (br $end))
            (local.set $r (call $len (local.get $a)))
            (br $end))
            (local.set $r (call $send (local.get $a) (local.get $b) (local.get $c)))
            (br $end))
            (local.set $r (call $log (local.get $a) (local.get $b) (local.get $c)))
            (br $end))
            (local.set $r (call $report (local.get $a) (local.get $b)))
            (br $end))
          (local.set $r (call $wait (local.get $a) (local.get $b))))
        (i32.store (i32.add (i32.const {RESULTS}) (i32.shl (local.get $n) (i32.const 2)))
                   (local.get $r))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (i32.store (i32.const {DONE}) (local.get $n))
        (local.set $pc (i32.add (local.get $pc) (i32.const 13)))
        (br $next)))
    (i32.const 0)))"#,
        scratch = wat_bytes(SCRATCH),
        lists = wat_bytes(LIST_BYTES),
        program = wat_bytes(program),
    );
    Fixture::new(wat).inputs(["a", "b"]).outputs(["x", "y"]).build()
}

fn run_wasm(host: &TestHost, seq: &Sequence) -> Record {
    let mut guest = host.load(&driver(&encode(&seq.calls))).expect("driver loads");
    let apply = |guest: &mut TestGuest, actions: &[Action]| {
        for action in actions {
            match action {
                Action::Push(input, bytes) => guest.push_input(*input, bytes).expect("push"),
                Action::Close(input) => guest.close_input(*input).expect("close"),
            }
        }
    };
    apply(&mut guest, &seq.setup);
    let mut batches = seq.batches.iter();
    let end = loop {
        match guest.run_until_idle().clone() {
            Step::Blocked { .. } | Step::Waiting { .. } if batches.len() > 0 => {
                apply(&mut guest, batches.next().expect("a batch"));
            }
            end => break end,
        }
    };
    let memory = guest.guest().memory();
    let done = u32::from_le_bytes(memory[DONE..DONE + 4].try_into().expect("4 bytes")) as usize;
    let results = (0..done)
        .map(|i| {
            let at = RESULTS + 4 * i;
            i32::from_le_bytes(memory[at..at + 4].try_into().expect("4 bytes"))
        })
        .collect();
    Record {
        results,
        end,
        sent: guest.sent().to_vec(),
        logs: guest.logs().to_vec(),
        errors: guest.errors().to_vec(),
        queued: [guest.queued(0u8).expect("input 0"), guest.queued(1u8).expect("input 1")],
        memory: memory.to_vec(),
    }
}

fn run_native(seq: &Sequence) -> Record {
    native::reset(2, 2);
    native::set_max_message_len(MAX_MESSAGE_LEN);
    let apply = |actions: &[Action]| {
        for action in actions {
            match action {
                Action::Push(input, bytes) => native::push_input(*input, bytes),
                Action::Close(input) => native::close_input(*input),
            }
        }
    };
    apply(&seq.setup);
    // The driver's memory, byte for byte: a call reading or writing far
    // sees what it would see on wasm.
    let program = encode(&seq.calls);
    let mut memory = vec![0u8; 0x10000];
    memory[..SCRATCH.len()].copy_from_slice(SCRATCH);
    memory[LISTS..LISTS + LIST_BYTES.len()].copy_from_slice(LIST_BYTES);
    memory[PROGRAM..PROGRAM + program.len()].copy_from_slice(&program);
    let mut batches = seq.batches.iter();
    let mut results = Vec::new();
    let mut end = Step::Finished { exit_code: 0 };
    let mut calls = seq.calls.iter();
    let mut next = calls.next();
    while let Some(call) = next {
        let result = match *call {
            Call::Receive { ptr, len, input } => {
                match raw::receive_input(&mut memory, ptr, len, input) {
                    raw::Reply::Return(code) => code,
                    raw::Reply::Block { input } => match batches.next() {
                        // The host acts while the guest waits; the call is
                        // answered again, as a resumed wasm call is.
                        Some(batch) => {
                            apply(batch);
                            continue;
                        }
                        None => {
                            end = Step::Blocked { input };
                            break;
                        }
                    },
                    other => panic!("receive answered {other:?}"),
                }
            }
            Call::Wait { ptr, len } => match raw::wait_input(&memory, ptr, len) {
                raw::Reply::Return(code) => code,
                raw::Reply::Wait { inputs } => match batches.next() {
                    Some(batch) => {
                        apply(batch);
                        continue;
                    }
                    None => {
                        end = Step::Waiting { inputs };
                        break;
                    }
                },
                other => panic!("wait answered {other:?}"),
            },
            Call::InputLen { input } => raw::input_len(input),
            // Outputs are unbounded and the texts are short: these
            // return at once on both hosts.
            Call::Send { ptr, len, output } => {
                returned(raw::send_output(&memory, ptr, len, output))
            }
            Call::Log { ptr, len, level } => returned(raw::log(&memory, ptr, len, level)),
            Call::ReportError { ptr, len } => returned(raw::report_error(&memory, ptr, len)),
        };
        // Stored as the driver stores them.
        let at = RESULTS + 4 * results.len();
        memory[at..at + 4].copy_from_slice(&result.to_le_bytes());
        results.push(result);
        memory[DONE..DONE + 4].copy_from_slice(&(results.len() as u32).to_le_bytes());
        next = calls.next();
    }
    Record {
        results,
        end,
        sent: native::take_outputs(),
        logs: native::take_logs(),
        errors: native::take_errors(),
        queued: [native::queued(0), native::queued(1)],
        memory,
    }
}

/// The value of a call that must not suspend.
fn returned(reply: raw::Reply) -> i32 {
    match reply {
        raw::Reply::Return(code) => code,
        other => panic!("a call that cannot wait answered {other:?}"),
    }
}

/// The first part in which two records differ, said briefly.
fn difference(native: &Record, wasm: &Record) -> Option<String> {
    let parts = [
        ("results", format!("{:?}", native.results), format!("{:?}", wasm.results)),
        ("end", format!("{:?}", native.end), format!("{:?}", wasm.end)),
        ("sent", format!("{:?}", native.sent), format!("{:?}", wasm.sent)),
        ("logs", format!("{:?}", native.logs), format!("{:?}", wasm.logs)),
        ("errors", format!("{:?}", native.errors), format!("{:?}", wasm.errors)),
        ("queued", format!("{:?}", native.queued), format!("{:?}", wasm.queued)),
    ];
    if let Some((what, n, w)) = parts.into_iter().find(|(_, n, w)| n != w) {
        return Some(format!("{what} differ\n  native: {n}\n  wasm:   {w}"));
    }
    let at = native.memory.iter().zip(&wasm.memory).position(|(n, w)| n != w)?;
    Some(format!("memory differs first at {at:#x}"))
}

/// Sequences a plain `cargo test` runs: enough to cover every call and
/// status (the test asserts it), a tenth of CI's full length.
const SEQUENCES: u64 = 1_000;

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn native_mock_and_wasm_host_answer_every_call_alike() {
    let sequences = env_u64("WASM_SDK_DIFF_SEQUENCES", SEQUENCES);
    let seed = env_u64("WASM_SDK_DIFF_SEED", 1);
    let host = TestHost::builder().max_message_len(MAX_MESSAGE_LEN).build();
    let mut rng = Rng::with_seed(seed);
    let (mut calls, mut blocked, mut codes) = (0, 0, std::collections::BTreeSet::new());
    let mut waiting = 0;
    let started = std::time::Instant::now();
    for i in 0..sequences {
        let seq = sequence(&mut rng);
        let wasm = run_wasm(&host, &seq);
        let native = run_native(&seq);
        if let Some(what) = difference(&native, &wasm) {
            panic!("sequence {i} (seed {seed}): {what}\n{seq:?}");
        }
        calls += wasm.results.len();
        blocked += usize::from(matches!(wasm.end, Step::Blocked { .. }));
        waiting += usize::from(matches!(wasm.end, Step::Waiting { .. }));
        codes.extend(wasm.results.iter().map(|&r| r.min(1)));
    }
    println!(
        "differential: {sequences} sequences (seed {seed}), {calls} calls, {blocked} ended \
         blocked, {waiting} waiting, result classes {codes:?}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Every status the rules can give from these calls was exercised, and
    // successes (0 / lengths, counted as 1).
    for status in [-1, -2, -3, -4, -5, -6, -8, -9] {
        assert!(codes.contains(&status), "no call returned {status}: {codes:?}");
    }
    assert!(codes.contains(&0) && codes.contains(&1), "{codes:?}");
    assert!(blocked > 0 && waiting > 0, "{blocked} blocked, {waiting} waiting");
}
