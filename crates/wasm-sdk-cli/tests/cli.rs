//! The `wasm-sdk` binary, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use wasm_sdk_build::fixture::Fixture;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace")
}

/// Guest builds of these tests go to their own target directory.
fn target_dir() -> PathBuf {
    workspace().join("target").join("guests").join("default")
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasm-sdk")).args(args).output().expect("run the CLI")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(output: &Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

fn write_module(name: &str, module: Fixture) -> PathBuf {
    let dir = workspace().join("target").join("cli-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, module.build()).expect("write");
    path
}

#[test]
fn run_builds_a_crate_and_prints_the_json_transcript() {
    let counter = workspace().join("examples").join("counter");
    let target = target_dir();
    let out = cli(&[
        "run",
        counter.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
        "--input",
        "wasm_input=hex:05",
        "--input",
        "0=hex:ac02",
        "--input",
        r#"wasm_input={"count": 41}"#,
        "--input",
        "wasm_input=json:7",
        "--close",
        "wasm_input",
        "--json",
    ]);
    // `json:7` is JSON of the wrong shape for a `Counter`: refused, with
    // the shape it should have.
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--input wasm_input=json:7: 7 is not a `Counter`: expected an object, found 7; a \
             `Counter` is JSON like {\"count\": <u32>}"
        ),
        "{err}"
    );
    // A plain number on a typed input is never one silent hex byte.
    for (value, why) in [
        ("10", "expected an object, found 10"),
        (r#"{"cout": 4}"#, "field `count` is missing"),
        (r#"{"count": "x"}"#, r#"`count`: expected <u32>, found "x""#),
        (r#"{"count": 1, "x": 2}"#, "field `x` is not one of the type's (count)"),
    ] {
        let input = format!("wasm_input={value}");
        let out = cli(&[
            "run",
            counter.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
            "--input",
            &input,
        ]);
        assert_eq!(out.status.code(), Some(1), "{value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why) && err.contains(r#"JSON like {"count": <u32>}"#), "{err}");
    }
    let out = cli(&[
        "run",
        counter.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
        "--input",
        "wasm_input=hex:05",
        "--input",
        "0=hex:ac02",
        "--input",
        r#"wasm_input={"count": 41}"#,
        "--input",
        "wasm_input=hex:10",
        "--close",
        "wasm_input",
        "--json",
    ]);
    let t = json(&out);
    assert_eq!(t["status"], "finished");
    assert_eq!(t["exit_code"], 0);
    assert_eq!(t["blocked_on"], Value::Null);
    assert_eq!(t["trap"], Value::Null);
    // Each output as bytes and decoded with the port's type.
    assert_eq!(
        t["outputs"],
        serde_json::json!([
            {"output": "wasm_data", "hex": "06", "value": {"count": 6}},
            {"output": "wasm_data", "hex": "ad02", "value": {"count": 301}},
            {"output": "wasm_data", "hex": "2a", "value": {"count": 42}},
            {"output": "wasm_data", "hex": "11", "value": {"count": 17}},
        ])
    );
    assert_eq!(t["logs"], serde_json::json!([]));
    assert_eq!(t["errors"], serde_json::json!([]));
    assert!(t["fuel_consumed"].as_u64().unwrap() > 0);
}

#[test]
fn run_without_close_ends_blocked_and_prints_text() {
    let counter = workspace().join("examples").join("counter");
    let target = target_dir();
    let out = cli(&[
        "run",
        counter.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
        "--input",
        r#"wasm_input={"count": 5}"#,
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("status: blocked on input `wasm_input`"), "{text}");
    assert!(text.contains(r#"wasm_data        06           {"count":6}"#), "{text}");
}

#[test]
fn endless_loop_ends_out_of_fuel() {
    let path = write_module(
        "spin.wasm",
        Fixture::new(
            r#"(module
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32) (loop $l (br $l)) (i32.const 0)))"#,
        ),
    );
    let t = json(&cli(&["run", path.to_str().unwrap(), "--fuel", "50000", "--json"]));
    assert_eq!(t["status"], "out_of_fuel");
    assert_eq!(t["exit_code"], Value::Null);
    let fuel = t["fuel_consumed"].as_u64().unwrap();
    assert!(fuel > 40_000 && fuel <= 50_000, "{fuel}");
}

#[test]
fn a_module_that_cannot_load_fails_with_one_line() {
    let path = write_module(
        "wasi.wasm",
        Fixture::new(
            r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "run_task") (result i32) (i32.const 0)))"#,
        ),
    );
    let out = cli(&["run", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains("wasi_snapshot_preview1.fd_write"), "{err}");

    let out = cli(&["run", "/nonexistent/module.wasm"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: cannot read"));
}

#[test]
fn bad_arguments_are_reported() {
    let path = write_module(
        "untyped.wasm",
        Fixture::new(
            r#"(module (memory (export "memory") 1)
          (func (export "run_task") (result i32) (i32.const 0)))"#,
        )
        .inputs(["in"])
        .outputs(["out"]),
    );
    let out = cli(&["run", path.to_str().unwrap(), "--input", "in=zz"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--input in=zz") && err.contains("not hex"), "{err}");
    let out = cli(&["run", path.to_str().unwrap(), "--input", r#"in={"a": 1}"#]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not hex"));
    let out = cli(&["run", path.to_str().unwrap(), "--input", "in=json:1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("untyped"));
    let out = cli(&["run", path.to_str().unwrap(), "--input", "nope=00"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no input `nope`") && err.contains("are: in"), "{err}");
    let out = cli(&["run", "x.wasm", "--input", "no-equals"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME=VALUE"));
}

#[test]
fn inspect_prints_the_module_facts() {
    let path = write_module(
        "small.wasm",
        Fixture::new(
            r#"(module
          (import "connectors" "log" (func (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1 2)
          (func (export "run_task") (result i32) (i32.const 0)))"#,
        )
        .inputs(["in"])
        .outputs(["out"]),
    );
    let info = json(&cli(&["inspect", path.to_str().unwrap(), "--json"]));
    assert_eq!(info["imports"][0]["name"], "log");
    assert_eq!(info["imports"][0]["signature"], "(i32, i32, i32) -> (i32)");
    assert_eq!(info["exports"]["functions"][0]["name"], "run_task");
    assert_eq!(info["memory"]["initial_pages"], 1);
    assert_eq!(info["memory"]["maximum_pages"], 2);
    assert_eq!(info["memory"]["page_size"], 65536);
    assert_eq!(info["manifest"]["abi_version"], wasm_sdk_host::abi::ABI_VERSION);
    assert_eq!(info["manifest"]["inputs"], serde_json::json!([{"name": "in", "type": null}]));
    assert_eq!(info["manifest"]["outputs"], serde_json::json!([{"name": "out", "type": null}]));
    assert!(info["size"].as_u64().unwrap() > 0);
    // The device's bound is below the desktop's (narrower pointers), and
    // both above nothing.
    let heap = &info["load_heap"];
    assert!(heap["pointer_32"].as_u64().unwrap() > 0, "{heap}");
    assert!(heap["pointer_32"].as_u64() < heap["pointer_64"].as_u64(), "{heap}");

    let text = cli(&["inspect", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("connectors.log (i32, i32, i32) -> (i32)"), "{text}");
    assert!(text.contains("    in               bytes (untyped)"), "{text}");
}

#[test]
fn inspect_builds_a_crate_directory_first() {
    let counter = workspace().join("examples").join("counter");
    let target = target_dir();
    let args = ["inspect", counter.to_str().unwrap(), "--target-dir", target.to_str().unwrap()];
    let info = json(&cli(&[&args[..], &["--json"]].concat()));
    let counter_type = serde_json::json!({
        "name": "Counter",
        "key": info["manifest"]["inputs"][0]["type"]["key"],
        "schema": "struct Counter { count: u32 }",
        "schema_error": null,
    });
    assert_eq!(
        info["manifest"]["inputs"],
        serde_json::json!([{"name": "wasm_input", "type": counter_type}])
    );
    assert_eq!(
        info["manifest"]["outputs"],
        serde_json::json!([{"name": "wasm_data", "type": counter_type}])
    );
    assert_eq!(info["manifest"]["inputs"][0]["type"]["key"].as_str().unwrap().len(), 16);
    assert_eq!(info["exports"]["functions"][0]["name"], "run_task");
    let out = cli(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("building "));
}

#[test]
fn a_directory_that_is_not_a_guest_crate_fails_with_one_line() {
    let empty = workspace().join("target").join("cli-tests").join("not-a-crate");
    std::fs::create_dir_all(&empty).expect("dir");
    for command in ["inspect", "run"] {
        let out = cli(&[command, empty.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ") && err.contains("not a crate (no Cargo.toml)"), "{err}");
        assert!(!err.contains("Is a directory"), "{err}");
    }
    // The workspace root: a crate directory, but not a guest crate.
    let out = cli(&["inspect", workspace().to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.lines().count() == 1, "{err}");
    assert!(err.contains("is a workspace root, not a guest crate"), "{err}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // `... | head`: the reader is gone before the CLI writes anything.
    let path = write_module(
        "closed-stdout.wasm",
        Fixture::new(
            r#"(module
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32) (i32.const 0)))"#,
        ),
    );
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_wasm-sdk"))
        .args(["inspect", path.to_str().unwrap()])
        .stdout(writer)
        .output()
        .expect("run the CLI");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `guests send --hex` takes raw bytes: its argument parses, and a bad
/// one is a usage error, before any port is opened.
#[test]
fn guests_send_takes_hex() {
    let send = ["guests", "--port", "/nonexistent", "send", "--hex", "counter"];
    let out = cli(&[&send[..], &["wasm_input=05"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.starts_with("error: cannot open"), "{err}");
    let out = cli(&[&send[..], &["wasm_input=zz"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not hex bytes"), "{err}");
}

/// JSON in and JSON out through every example with typed ports, as a user
/// types it: each input a JSON value of its port's type, each output
/// decoded in the transcript.
#[test]
fn json_round_trips_through_every_typed_example() {
    let cases: [(&str, &[&str], serde_json::Value); 5] = [
        (
            "examples/counter",
            &[r#"wasm_input={"count": 41}"#],
            serde_json::json!([{"output": "wasm_data", "hex": "2a", "value": {"count": 42}}]),
        ),
        (
            "examples/alarm",
            &[r#"thresholds={"high": 300, "low": 280}"#, r#"reading={"deci_celsius": 305}"#],
            serde_json::json!([
                {"output": "alarm", "hex": "00e204", "value": {"Raised": {"deci_celsius": 305}}},
                {"output": "average", "hex": "e204", "value": {"deci_celsius": 305}},
            ]),
        ),
        (
            "examples/primes",
            &["limit=100"],
            serde_json::json!([{"output": "count", "hex": "19", "value": 25}]),
        ),
        (
            "tests/fixtures/faulty",
            &[r#"command="Echo""#],
            serde_json::json!([{"output": "echo", "hex": "00", "value": "Echo"}]),
        ),
        (
            "tests/fixtures/mistyped",
            &[r#"wasm_input={"deci_celsius": -3}"#],
            serde_json::json!([{"output": "wasm_data", "hex": "05", "value": {"deci_celsius": -3}}]),
        ),
    ];
    let target = target_dir();
    for (example, inputs, outputs) in cases {
        let dir = workspace().join(example);
        let mut args = vec!["run", dir.to_str().unwrap(), "--target-dir", target.to_str().unwrap()];
        for input in inputs {
            args.extend(["--input", input]);
        }
        args.push("--json");
        let t = json(&cli(&args));
        assert_eq!(t["outputs"], outputs, "{example}");
        assert_eq!(t["errors"], serde_json::json!([]), "{example}");
    }
}

/// `inspect --catalog`: each port's binding on the device of a catalog
/// file, or the device's reason to refuse it, with exit status 1.
#[test]
fn inspect_with_a_catalog_names_the_port_that_would_fail() {
    use wasm_sdk_build::fixture::ECHO;
    use wasm_sdk_host::abi::catalog::Direction;
    use wasm_sdk_host::abi::manifest::TypeDecl;
    use wasm_sdk_host::abi::schema::TypeKey;
    use wasm_sdk_host::abi::schema::postcard_schema::Schema;
    use wasm_sdk_testhost::{CatalogService, DeviceCatalog};

    fn ty<T: Schema>() -> TypeDecl {
        TypeDecl { key: TypeKey::of::<T>(), schema: T::SCHEMA }
    }
    let catalog = DeviceCatalog::new(vec![
        CatalogService::of::<u32>("limit", Direction::Provides),
        CatalogService::of::<u32>("count", Direction::Takes),
    ]);
    let dir = workspace().join("target").join("cli-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("device.catalog.json");
    catalog.save(&file).expect("write the catalog");
    let file = file.to_str().expect("a UTF-8 path");

    let binds =
        Fixture::new(ECHO).typed_input("limit", ty::<u32>()).typed_output("count", ty::<u32>());
    let binds = write_module("binds.wasm", binds);
    let out = cli(&["inspect", binds.to_str().unwrap(), "--catalog", file]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("  ok    input `limit`: binds service `limit` (the firmware provides it)")
            && text
                .contains("  ok    output `count`: binds service `count` (the firmware takes it)"),
        "{text}"
    );

    let fails =
        Fixture::new(ECHO).typed_input("humidity", ty::<u32>()).typed_output("count", ty::<i16>());
    let fails = write_module("fails.wasm", fails);
    let out = cli(&["inspect", fails.to_str().unwrap(), "--catalog", file]);
    let (text, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{text}{err}");
    assert!(
        text.contains("  FAILS input `humidity`: the firmware offers no service `humidity`"),
        "{text}"
    );
    assert!(text.contains("  FAILS output `count` carries `u32`"), "{text}");
    assert!(err.contains("2 port(s) would be refused"), "{err}");
    let out = cli(&["inspect", fails.to_str().unwrap(), "--catalog", file, "--json"]);
    let value: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(value["catalog"][0]["port"], "humidity");
    assert!(value["catalog"][0]["refused"].as_str().unwrap().contains("no service"));
}

/// With `--json`, a failure is JSON on stdout too (`{"error": ...}`), with
/// the reason on stderr and exit status 1: a script reading stdout sees
/// why there is no transcript or report.
#[test]
fn json_mode_reports_a_load_error_as_json() {
    let garbage = workspace().join("target").join("cli-tests");
    std::fs::create_dir_all(&garbage).expect("dir");
    let garbage = garbage.join("garbage.wasm");
    std::fs::write(&garbage, b"not a module").expect("write");
    for command in ["run", "inspect"] {
        let out = cli(&[command, garbage.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let value: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{command}: one JSON object on stdout: {e}"));
        let error = value["error"].as_str().unwrap_or_else(|| panic!("{command}: {value}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(error.lines().next().unwrap()), "{command}: {stderr}");
    }
}

/// A device profile makes `run` and `inspect` load as that device does:
/// a refusal names the budget, its value and how to raise it; `--budget`
/// raises it; `$WASM_SDK_PROFILE` stands for `--profile`.
#[test]
fn a_device_profile_refuses_by_the_budget_it_names() {
    use wasm_sdk_testhost::{Budget, DeviceProfile, HostConfig, MemoryMode, PROFILE_ENV};
    // Two 64 KiB pages, where the device takes one.
    let module = write_module(
        "two_pages.wasm",
        Fixture::new(
            r#"(module (memory (export "memory") 2)
          (func (export "run_task") (result i32) (i32.const 0)))"#,
        ),
    );
    let module = module.to_str().unwrap();
    let mut config = HostConfig::default();
    Budget::MemoryBudget.set(&mut config, Some(65536));
    let dir = workspace().join("target").join("cli-tests");
    let profile = dir.join("board.profile.json");
    DeviceProfile::new("board", &config, MemoryMode::Tight).save(&profile).expect("profile");
    let profile = profile.to_str().unwrap();

    let out = cli(&["run", module, "--profile", profile]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "module needs 131072 bytes of memory at start, over the host's budget \
             `memory_budget` of 65536 bytes (`HostConfig::memory_budget`)"
        ) && err.contains("`--budget memory_budget=N`"),
        "{err}"
    );

    let out = cli(&["run", module, "--profile", profile, "--budget", "memory_budget=131072"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("status: finished, exit code 0"));

    let out = Command::new(env!("CARGO_BIN_EXE_wasm-sdk"))
        .args(["inspect", module, "--json"])
        .env(PROFILE_ENV, profile)
        .output()
        .expect("run the CLI");
    assert_eq!(out.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(value["device"]["loads"], false, "{value}");
    let refused = value["device"]["refused"].as_str().expect("a reason");
    assert!(refused.contains("`memory_budget` of 65536 bytes"), "{refused}");

    let out = cli(&["run", module, "--budget", "memory_budge=1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`memory_budge` is not a budget; the budgets: fuel_per_slice"), "{err}");
}

/// `--input`s are a timeline across ports: the module takes each message
/// before the next arrives, so new thresholds apply from the reading
/// after them on.
#[test]
fn inputs_are_a_timeline_across_ports() {
    let alarm = workspace().join("examples").join("alarm");
    let target = target_dir();
    let out = cli(&[
        "run",
        alarm.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
        "--input",
        r#"thresholds={"high": 300, "low": 280}"#,
        "--input",
        r#"reading={"deci_celsius": 305}"#,
        "--input",
        r#"thresholds={"high": 400, "low": 380}"#,
        "--input",
        r#"reading={"deci_celsius": 305}"#,
        "--close",
        "reading",
        "--json",
    ]);
    let t = json(&out);
    let alarms: Vec<&Value> =
        t["outputs"].as_array().unwrap().iter().filter(|o| o["output"] == "alarm").collect();
    assert_eq!(alarms.len(), 2, "{t}");
    assert_eq!(alarms[0]["value"], serde_json::json!({"Raised": {"deci_celsius": 305}}));
    assert_eq!(alarms[1]["value"], serde_json::json!({"Cleared": {"deci_celsius": 305}}));
}

/// `--wasm-opt` shrinks the built module with binaryen and keeps what the
/// host needs (its manifest, its exports): the module still runs. Without
/// binaryen the error says how to install it.
#[test]
fn wasm_opt_shrinks_a_module_that_still_runs() {
    let counter = workspace().join("examples").join("counter");
    let target = target_dir();
    let inspect = |extra: &[&str]| {
        let args = [
            &["inspect", counter.to_str().unwrap(), "--target-dir"][..],
            &[target.to_str().unwrap(), "--json"],
            extra,
        ]
        .concat();
        cli(&args)
    };
    let installed = Command::new("wasm-opt").arg("--version").output().is_ok();
    let out = inspect(&["--wasm-opt"]);
    if !installed {
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains("wasm-opt is not installed: install binaryen"));
        return;
    }
    let (plain, opt) = (json(&inspect(&[])), json(&out));
    let size = |v: &Value| v["size"].as_u64().unwrap();
    assert!(
        size(&opt) < size(&plain),
        "{} B after wasm-opt, {} B before",
        size(&opt),
        size(&plain)
    );
    assert_eq!(opt["manifest"], plain["manifest"]);
    let out = cli(&[
        "run",
        counter.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
        "--wasm-opt",
        "--input",
        r#"wasm_input={"count": 5}"#,
        "--json",
    ]);
    assert_eq!(json(&out)["outputs"][0]["value"], serde_json::json!({"count": 6}));
}

/// `--memory tight` (or `$WASM_SDK_MEMORY`) builds a guest crate with
/// 1-byte pages, as a device that wants tight modules takes them.
#[test]
fn the_memory_layout_is_chosen_by_flag_or_environment() {
    let counter = workspace().join("examples").join("counter");
    let target = target_dir();
    let base =
        ["inspect", counter.to_str().unwrap(), "--target-dir", target.to_str().unwrap(), "--json"];
    let page_size = |out: &Output| json(out)["memory"]["page_size"].as_u64().unwrap();
    assert_eq!(page_size(&cli(&base)), 65536);
    assert_eq!(page_size(&cli(&[&base[..], &["--memory", "tight"]].concat())), 1);
    let out = Command::new(env!("CARGO_BIN_EXE_wasm-sdk"))
        .args(base)
        .env("WASM_SDK_MEMORY", "tight")
        .output()
        .expect("run the CLI");
    assert_eq!(page_size(&out), 1);
    let out = cli(&[&base[..], &["--memory", "huge"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not a memory mode; use `page` or `tight`"));
}

/// Every device command takes its port the same way, and says how to give
/// one when none is; `deploy` says so before it builds anything.
#[test]
fn a_missing_device_port_is_one_line_for_every_device_command() {
    let counter = workspace().join("examples").join("counter");
    for args in
        [&["deploy", counter.to_str().unwrap()][..], &["guests", "list"], &["image", "state"]]
    {
        let out = Command::new(env!("CARGO_BIN_EXE_wasm-sdk"))
            .args(args)
            .env_remove("WASM_SDK_PORT")
            .output()
            .expect("run the CLI");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(
            err.trim(),
            "error: no device port: give `--port PORT` (e.g. the pty `./serve` prints) or set \
             WASM_SDK_PORT",
            "{args:?}"
        );
    }
}
