//! The guest side of the ABI, observed from outside: each example guest,
//! built to wasm, runs on a minimal wasmi host with scripted inputs (an
//! empty input reads as closed), and what it sends, logs and reports is
//! checked, including the no-`core::fmt` panic and out-of-memory reports.

use std::collections::VecDeque;

use wasm_sdk_abi::{IMPORT_MODULE, LogLevel, Status};
use wasm_sdk_tests::{Build, TARGETS};
use wasmi::{Caller, Config, Engine, Extern, Linker, Module, Store};

#[derive(Default)]
struct Host {
    inputs: Vec<VecDeque<Vec<u8>>>,
    outputs: usize,
    sent: Vec<(i32, Vec<u8>)>,
    logs: Vec<(LogLevel, String)>,
    errors: Vec<String>,
}

/// What a run produced.
#[derive(Debug)]
struct Run {
    result: Result<i32, String>,
    sent: Vec<(i32, Vec<u8>)>,
    logs: Vec<(LogLevel, String)>,
    errors: Vec<String>,
}

fn memory<'a>(caller: &'a mut Caller<'_, Host>) -> (&'a mut [u8], &'a mut Host) {
    let memory = caller.get_export("memory").and_then(Extern::into_memory).expect("memory export");
    memory.data_and_store_mut(caller)
}

fn range(mem: &[u8], ptr: i32, len: i32) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(ptr).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    (end <= mem.len()).then_some(start..end)
}

fn text(mem: &[u8], ptr: i32, len: i32) -> Result<String, i32> {
    let r = range(mem, ptr, len).ok_or(Status::BadPointer.code())?;
    String::from_utf8(mem[r].to_vec()).map_err(|_| Status::InvalidUtf8.code())
}

fn run(package: &'static str, target: &'static str, inputs: &[&[&[u8]]], outputs: usize) -> Run {
    run_build(Build::new(package, target), inputs, outputs)
}

fn run_build(build: Build, inputs: &[&[&[u8]]], outputs: usize) -> Run {
    let bytes = std::fs::read(build.wasm()).expect("module");
    let mut config = Config::default();
    config.wasm_custom_page_sizes(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, &bytes).expect("valid module");
    let host = Host {
        inputs: inputs.iter().map(|q| q.iter().map(|m| m.to_vec()).collect()).collect(),
        outputs,
        ..Host::default()
    };
    let mut store = Store::new(&engine, host);
    let mut linker = Linker::<Host>::new(&engine);
    linker
        .func_wrap(
            IMPORT_MODULE,
            "receive_input",
            |mut c: Caller<'_, Host>, ptr: i32, len: i32, idx: i32| {
                let (mem, host) = memory(&mut c);
                let Some(queue) = usize::try_from(idx).ok().and_then(|i| host.inputs.get_mut(i))
                else {
                    return Status::UnknownInput.code();
                };
                let Some(message) = queue.front() else { return Status::Closed.code() };
                if message.len() > usize::try_from(len).unwrap_or(0) {
                    return Status::MessageTooLarge.code();
                }
                let Some(r) = range(mem, ptr, message.len() as i32) else {
                    return Status::BadPointer.code();
                };
                mem[r].copy_from_slice(message);
                queue.pop_front().map_or(0, |m| m.len() as i32)
            },
        )
        .unwrap()
        .func_wrap(IMPORT_MODULE, "input_len", |mut c: Caller<'_, Host>, idx: i32| {
            let (_, host) = memory(&mut c);
            match usize::try_from(idx).ok().and_then(|i| host.inputs.get(i)) {
                None => Status::UnknownInput.code(),
                Some(queue) => queue.front().map_or(Status::Closed.code(), |m| m.len() as i32),
            }
        })
        .unwrap()
        .func_wrap(
            IMPORT_MODULE,
            "send_output",
            |mut c: Caller<'_, Host>, ptr: i32, len: i32, idx: i32| {
                let (mem, host) = memory(&mut c);
                if usize::try_from(idx).map_or(true, |i| i >= host.outputs) {
                    return Status::UnknownOutput.code();
                }
                let Some(r) = range(mem, ptr, len) else { return Status::BadPointer.code() };
                host.sent.push((idx, mem[r].to_vec()));
                0
            },
        )
        .unwrap()
        .func_wrap(
            IMPORT_MODULE,
            "log",
            |mut c: Caller<'_, Host>, ptr: i32, len: i32, level: i32| {
                let (mem, host) = memory(&mut c);
                let Some(level) = LogLevel::from_code(level) else {
                    return Status::InvalidLogLevel.code();
                };
                match text(mem, ptr, len) {
                    Ok(t) => {
                        host.logs.push((level, t));
                        0
                    }
                    Err(code) => code,
                }
            },
        )
        .unwrap()
        .func_wrap(IMPORT_MODULE, "report_error", |mut c: Caller<'_, Host>, ptr: i32, len: i32| {
            let (mem, host) = memory(&mut c);
            match text(mem, ptr, len) {
                Ok(t) => {
                    host.errors.push(t);
                    0
                }
                Err(code) => code,
            }
        })
        .unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).expect("instantiate");
    let run_task = instance.get_typed_func::<(), i32>(&store, "run_task").expect("run_task");
    let result = run_task.call(&mut store, ()).map_err(|e| e.to_string());
    let host = store.into_data();
    Run { result, sent: host.sent, logs: host.logs, errors: host.errors }
}

#[test]
fn counter_increments_until_its_input_closes() {
    for target in TARGETS {
        let run = run("counter", target, &[&[&[5], &[0xac, 0x02]]], 1);
        assert_eq!(run.result, Ok(0), "{target}: {run:?}");
        assert_eq!(run.sent, [(0, vec![6]), (0, vec![0xad, 0x02])], "{target}");
        assert!(run.errors.is_empty() && run.logs.is_empty(), "{target}: {run:?}");
    }
}

#[test]
fn tight_guests_run_with_custom_page_sizes() {
    let tight = Build::new("counter", TARGETS[0]).env("WASM_SDK_MEMORY", "tight");
    let run = run_build(tight, &[&[&[41]]], 1);
    assert_eq!(run.result, Ok(0), "{run:?}");
    assert_eq!(run.sent, [(0, vec![42])]);

    // The heap arena sits in the tight memory and still reports exhaustion.
    let tight = Build::new("faulty", TARGETS[0]).env("WASM_SDK_MEMORY", "tight");
    let run = run_build(tight, &[&[ECHO, EXHAUST]], 1);
    assert_eq!(run.sent, [(0, ECHO.to_vec())]);
    assert!(run.errors[0].ends_with("memory allocation of 4096 bytes failed"), "{run:?}");
}

#[test]
fn counter_reports_an_oversized_message() {
    // 60 bytes do not fit the slide's 50-byte buffer.
    let run = run("counter", TARGETS[0], &[&[&[0x80; 60]]], 1);
    assert_eq!(run.result, Ok(-1));
    assert_eq!(run.errors, ["Task run error: receive buffer too small"]);
    assert_eq!(run.logs, [(LogLevel::Error, "Task run error: receive buffer too small".into())]);
}

#[test]
fn counter_reports_a_malformed_payload() {
    let run = run("counter", TARGETS[0], &[&[&[0xff; 6]]], 1);
    assert_eq!(run.result, Ok(-1));
    assert_eq!(run.errors, ["Task run error: payload malformed"]);
}

/// postcard encodings of `module_examples_common::Fault` variants.
const ECHO: &[u8] = &[0];
const FAIL: &[u8] = &[1];
const PANIC: &[u8] = &[2];
const EXHAUST: &[u8] = &[3];

#[test]
fn faulty_error_path_reports_and_returns_minus_one() {
    let run = run("faulty", TARGETS[0], &[&[ECHO, FAIL, ECHO]], 1);
    assert_eq!(run.result, Ok(-1));
    assert_eq!(run.sent, [(0, ECHO.to_vec())], "stops at the failure");
    assert_eq!(run.errors, ["Task run error: unknown output"]);
}

#[test]
fn faulty_panic_reports_location_then_traps() {
    for target in TARGETS {
        let run = run("faulty", target, &[&[PANIC]], 1);
        assert!(run.result.is_err(), "{target}: a panic must trap: {run:?}");
        let [report] = &run.errors[..] else { panic!("{target}: one report expected: {run:?}") };
        assert!(
            report.starts_with("panicked at examples/faulty/src/lib.rs:"),
            "{target}: {report}"
        );
        let position = report.rsplit("lib.rs:").next().unwrap();
        let mut parts = position.split(':').map(|p| p.parse::<u32>());
        assert!(matches!((parts.next(), parts.next()), (Some(Ok(_)), Some(Ok(_)))), "{report}");
        assert_eq!(run.logs, [(LogLevel::Error, report.clone())], "{target}");
    }
}

#[test]
fn faulty_out_of_memory_reports_the_requested_size() {
    for target in TARGETS {
        let run = run("faulty", target, &[&[EXHAUST]], 1);
        assert!(run.result.is_err(), "{target}: OOM must trap: {run:?}");
        let [report] = &run.errors[..] else { panic!("{target}: one report expected: {run:?}") };
        assert!(report.starts_with("panicked at "), "{report}");
        assert!(report.ends_with(": memory allocation of 4096 bytes failed"), "{target}: {report}");
    }
}

#[test]
fn alarm_raises_clears_and_logs() {
    // Readings (i16 zigzag varints): 29.0, 30.5, 29.0, 27.5 °C; thresholds
    // queued up front: high 30.0, low 28.0 sent explicitly.
    let reading = |deci: i16| {
        let mut buf = [0u8; 4];
        let n = wasm_sdk::serialize_into(&deci, &mut buf).unwrap();
        buf[..n].to_vec()
    };
    let readings = [reading(290), reading(305), reading(290), reading(275)];
    let readings: Vec<&[u8]> = readings.iter().map(Vec::as_slice).collect();
    let mut thresholds = [0u8; 8];
    let n = wasm_sdk::serialize_into(&(300i16, 280i16), &mut thresholds).unwrap();
    let run = run("alarm", TARGETS[0], &[&readings, &[&thresholds[..n]]], 2);
    assert_eq!(run.result, Ok(0), "{run:?}");
    let alarms: Vec<_> = run.sent.iter().filter(|(o, _)| *o == 0).collect();
    assert_eq!(alarms.len(), 2, "raised and cleared: {:?}", run.sent);
    assert_eq!(run.sent.iter().filter(|(o, _)| *o == 1).count(), 4, "one average per reading");
    let texts: Vec<_> = run.logs.iter().map(|(l, t)| (*l, t.as_str())).collect();
    assert_eq!(
        texts,
        [
            (LogLevel::Info, "thresholds high=300 low=280"),
            (LogLevel::Warn, "alarm raised at 305 dC"),
            (LogLevel::Info, "alarm cleared at 275 dC"),
        ]
    );
}
