//! `wasm-sdk new`, proved the way a module author uses it: the
//! workspace it creates outside this repository passes its own tests and
//! runs on the CLI.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{Value, json};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace")
}

/// `target/new-project` of the target dir this test runs from
/// (`target/debug/deps/new-<hash>`): one target dir for the nested builds,
/// kept across runs, apart from the outer `cargo test`'s own artifacts.
fn nested_target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.ancestors().nth(3).expect("target dir").join("new-project")
}

/// A fresh directory outside the repository. The path is the same on every
/// run (per checkout): package paths are part of cargo's artifact hashes,
/// so a new path each run would rebuild the generated crates cold.
fn scratch(name: &str) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    workspace().hash(&mut hasher);
    let dir =
        std::env::temp_dir().join(format!("wasm-sdk-new-{:016x}", hasher.finish())).join(name);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("clear {dir:?}: {e}"),
        _ => {}
    }
    assert!(!dir.starts_with(workspace()), "{dir:?} is inside the repository");
    dir
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasm-sdk")).args(args).output().expect("run the CLI")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Cargo in `dir` as the author would run it: without the build settings
/// the surrounding `cargo test` exports (target, rustflags, profile, ...).
fn nested_cargo(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(wasm_sdk_build::inherits_build_config) {
            cmd.env_remove(&key);
        }
    }
    cmd.env("CARGO_TARGET_DIR", nested_target_dir());
    cmd
}

fn assert_ran(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn a_new_project_passes_its_tests_and_runs_outside_the_repository() {
    let dir = scratch("my-module");
    let dir_arg = dir.to_str().expect("UTF-8 temp dir");
    let out = cli(&["new", dir_arg]);
    assert_ran("new", &out);
    let printed = text(&out.stdout);
    for line in [
        "my-module/src/lib.rs",
        "my-module-messages/src/lib.rs",
        r#"run my-module --input 'sample={"value": 5}' --input 'sample={"value": 7}' --close sample"#,
        "cargo test",
    ] {
        assert!(printed.contains(line), "{line:?} not in:\n{printed}");
    }
    let root = std::fs::read_to_string(dir.join("Cargo.toml")).expect("root Cargo.toml");
    let sdk = workspace().canonicalize().expect("workspace path");
    let sdk_line = format!("wasm-sdk = {{ path = \"{}\" }}", sdk.join("crates/wasm-sdk").display());
    assert!(root.contains(&sdk_line), "{sdk_line:?} not in:\n{root}");

    // The SDK's lockfile: the versions it is tested with, and nothing to
    // resolve or download; cargo prunes the entries this project does not use.
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("seed Cargo.lock");

    let started = Instant::now();
    let out = nested_cargo(&dir).arg("test").output().expect("run cargo test");
    let test_time = started.elapsed();
    assert_ran("cargo test in the new project", &out);
    let report = text(&out.stdout);
    for test in [
        "sends_the_running_total_and_stops_when_closed ... ok",
        "reports_a_malformed_sample ... ok",
        "totals_until_closed ... ok",
        "a_sample_of_another_type_is_refused_at_load ... ok",
        "an_oversized_message_is_reported ... ok",
    ] {
        assert!(report.contains(test), "{test:?} did not run:\n{report}");
    }

    let out = nested_cargo(&dir).args(["fmt", "--check"]).output().expect("run cargo fmt");
    assert_ran("cargo fmt --check in the new project", &out);

    // A module's tests build the test host library, never this CLI's
    // dependencies: no SMP client, serial port, progress bar or parser.
    let out = nested_cargo(&dir)
        .args(["tree", "--edges", "normal,build,dev", "--prefix", "none", "--offline"])
        .output()
        .expect("run cargo tree");
    assert_ran("cargo tree in the new project", &out);
    let tree = text(&out.stdout);
    assert!(tree.contains("wasm-sdk-testhost v"), "no test host in:\n{tree}");
    for cli_only in
        ["clap", "mcumgr-toolkit", "serialport", "indicatif", "wasmsign2", "wasm-sdk-cli"]
    {
        let package = format!("{cli_only} v");
        assert!(!tree.lines().any(|l| l.starts_with(&package)), "{cli_only} in:\n{tree}");
    }

    // The guest build the scenario tests made (`GuestBuilder::for_tests`).
    let guests = nested_target_dir().join("guests").join("default");
    let started = Instant::now();
    let out = cli(&[
        "run",
        dir.join("my-module").to_str().unwrap(),
        "--target-dir",
        guests.to_str().unwrap(),
        "--input",
        r#"sample={"value": 5}"#,
        "--input",
        "sample=hex:07",
        "--close",
        "sample",
        "--json",
    ]);
    let run_time = started.elapsed();
    assert_ran("wasm-sdk run", &out);
    let t: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(t["status"], "finished");
    assert_eq!(t["exit_code"], 0);
    assert_eq!(
        t["outputs"],
        json!([
            {"output": "total", "hex": "0105", "value": {"count": 1, "sum": 5}},
            {"output": "total", "hex": "020c", "value": {"count": 2, "sum": 12}},
        ])
    );
    assert_eq!(t["errors"], json!([]));
    eprintln!(
        "new project: cargo test {:.1} s, wasm-sdk run {:.1} s",
        test_time.as_secs_f64(),
        run_time.as_secs_f64()
    );
}

/// The QEMU serve firmware's catalog, as a file.
fn device_catalog(dir: &Path) -> PathBuf {
    use module_examples_common::{AlarmEvent, Reading};
    use wasm_sdk::abi::catalog::Direction;
    use wasm_sdk::timer::{SetTimer, TICK, TIMER, Tick};
    use wasm_sdk_testhost::{CatalogService, DeviceCatalog};

    let catalog = DeviceCatalog::new(vec![
        CatalogService::of::<Reading>("temperature", Direction::Provides),
        CatalogService::of::<AlarmEvent>("alarm", Direction::Takes),
        CatalogService::of::<SetTimer>(TIMER, Direction::Takes),
        CatalogService::of::<Tick>(TICK, Direction::Provides),
    ]);
    std::fs::create_dir_all(dir).expect("create the catalog's folder");
    let path = dir.join("qemu-host.catalog.json");
    catalog.save(&path).expect("write the catalog");
    path
}

#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn a_module_typed_against_a_device_catalog_would_install_there() {
    let dir = scratch("on-device");
    let catalog = device_catalog(&scratch("catalog"));
    let (dir_arg, catalog_arg) = (dir.to_str().unwrap(), catalog.to_str().unwrap());
    let services = "temperature,tick,alarm,timer";
    let out = cli(&["new", dir_arg, "--catalog", catalog_arg, "--services", services]);
    assert_ran("new --catalog", &out);
    let messages = std::fs::read_to_string(dir.join("on-device-messages/src/lib.rs")).unwrap();
    for item in [
        "pub struct Reading {\n    pub deci_celsius: i16,\n}",
        "pub enum AlarmEvent {\n    Raised { deci_celsius: i16 },",
        "`Reading` is not the type of the device's service `temperature`",
    ] {
        assert!(messages.contains(item), "{item:?} not in:\n{messages}");
    }
    let guest = std::fs::read_to_string(dir.join("on-device/src/lib.rs")).unwrap();
    let ports = "#[task_run(inputs(temperature: Reading, tick: Tick), outputs(alarm: AlarmEvent, timer: SetTimer))]";
    assert!(guest.contains(ports), "{ports:?} not in:\n{guest}");

    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("seed Cargo.lock");
    let out = nested_cargo(&dir).arg("test").output().expect("run cargo test");
    assert_ran("cargo test in the typed project", &out);
    let report = text(&out.stdout);
    assert!(report.contains("the_device_would_install_it ... ok"), "{report}");
    let out = nested_cargo(&dir).args(["fmt", "--check"]).output().expect("run cargo fmt");
    assert_ran("cargo fmt --check in the typed project", &out);
    let out = nested_cargo(&dir)
        .args(["clippy", "--all-targets", "--offline", "--", "-D", "warnings"])
        .output()
        .expect("run cargo clippy");
    assert_ran("cargo clippy in the typed project", &out);

    // The module the test built binds every port on the device.
    let wasm =
        nested_target_dir().join("guests/default/wasm32-unknown-unknown/release/on_device.wasm");
    let out = cli(&["inspect", wasm.to_str().unwrap(), "--catalog", catalog_arg]);
    assert_ran("inspect --catalog", &out);
    assert_eq!(text(&out.stdout).matches("  ok    ").count(), 4, "{}", text(&out.stdout));
}

/// `new --from examples/alarm`: the example's sources and tests, with the
/// examples' messages crate beside them, pass their tests outside the
/// repository, formatted and lint-clean.
#[test]
#[ignore = "slow: `bash .ci/run slow` runs it"]
fn a_project_from_an_example_passes_its_tests_outside_the_repository() {
    let dir = scratch("from-alarm");
    let examples = workspace().join("examples");
    let out =
        cli(&["new", dir.to_str().unwrap(), "--from", examples.join("alarm").to_str().unwrap()]);
    assert_ran("new --from", &out);
    assert!(text(&out.stdout).contains("inspect alarm"), "{}", text(&out.stdout));
    assert_eq!(
        std::fs::read_to_string(dir.join("alarm/src/lib.rs")).unwrap(),
        std::fs::read_to_string(examples.join("alarm/src/lib.rs")).unwrap()
    );
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("seed Cargo.lock");
    let out = nested_cargo(&dir).arg("test").output().expect("run cargo test");
    assert_ran("cargo test in the project from an example", &out);
    let report = text(&out.stdout);
    assert!(report.contains("raises_and_clears_with_hysteresis ... ok"), "{report}");
    let out = nested_cargo(&dir)
        .args(["clippy", "--all-targets", "--offline", "--", "-D", "warnings"])
        .output()
        .expect("run cargo clippy");
    assert_ran("cargo clippy in the project from an example", &out);
}

/// An example that needs the SDK's workspace is refused before anything
/// is written, with the reason.
#[test]
fn new_from_an_example_that_cannot_be_copied_writes_nothing() {
    let dir = scratch("from-coremark");
    let coremark = workspace().join("examples").join("coremark");
    let out = cli(&["new", dir.to_str().unwrap(), "--from", coremark.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("depends on `coremark-core` from the SDK's workspace"), "{err}");
    assert!(!dir.join("Cargo.toml").exists());
}

#[test]
fn new_with_a_catalog_refuses_services_it_lacks_and_a_module_without_inputs() {
    let catalog = device_catalog(&scratch("catalog-refusals"));
    let dir = scratch("refused");
    let (dir, catalog) = (dir.to_str().unwrap(), catalog.to_str().unwrap());
    let out = cli(&["new", dir, "--catalog", catalog, "--services", "humidity"]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("no service `humidity`; it offers: temperature, alarm, timer, tick"),
        "{err}"
    );
    let out = cli(&["new", dir, "--catalog", catalog, "--services", "alarm"]);
    assert!(
        text(&out.stderr).contains("at least one service the device provides"),
        "{}",
        text(&out.stderr)
    );
    let out = cli(&["new", dir, "--services", "alarm"]);
    assert!(!out.status.success(), "--services without a catalog");
    assert!(!Path::new(dir).join("Cargo.toml").exists(), "a refusal wrote files");
}

#[test]
fn new_refuses_to_overwrite_and_rejects_bad_names() {
    let taken = scratch("taken");
    std::fs::create_dir_all(&taken).unwrap();
    std::fs::write(taken.join("Cargo.toml"), "keep me").unwrap();
    let out = cli(&["new", taken.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(taken.join("Cargo.toml")).unwrap(), "keep me");
    assert_eq!(std::fs::read_dir(&taken).unwrap().count(), 1, "wrote files before refusing");

    let keyword = scratch("keyword");
    let out = cli(&["new", keyword.to_str().unwrap(), "--name", "fn"]);
    let err = text(&out.stderr);
    assert!(!out.status.success() && err.lines().count() == 1, "{err}");
    assert!(err.contains("`fn` cannot be the module's crate name: it is a Rust keyword"), "{err}");
    assert!(!keyword.exists());

    let digit = scratch("2fast");
    let err = text(&cli(&["new", digit.to_str().unwrap()]).stderr);
    assert!(err.contains("`2fast` cannot be the module's crate name"), "{err}");
    assert!(
        err.contains("start with an ASCII letter") && err.contains("pass --name NAME"),
        "{err}"
    );

    let out = cli(&["new", scratch("nosdk").to_str().unwrap(), "--sdk-path", "/nonexistent/sdk"]);
    let err = text(&out.stderr);
    assert!(err.starts_with("error: `/nonexistent/sdk` is not a wasm-sdk checkout"), "{err}");
}

#[test]
fn new_fills_an_existing_directory_and_takes_the_sdk_from_git() {
    let dir = scratch("from-git");
    // `git init` first is fine: only the files `new` writes must be absent.
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let url = "https://example.invalid/wasm-sdk.git";
    let out = cli(&[
        "new",
        dir.to_str().unwrap(),
        "--name",
        "probe",
        "--sdk-git",
        url,
        "--sdk-rev",
        "abc123",
    ]);
    assert_ran("new --sdk-git", &out);
    let root = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        root.contains(&format!("wasm-sdk-testhost = {{ git = \"{url}\", rev = \"abc123\" }}")),
        "{root}"
    );
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("cargo install --locked --git {url} --rev abc123 wasm-sdk-cli"))
    );
    let guest = std::fs::read_to_string(dir.join("probe/tests/scenario.rs")).unwrap();
    assert!(
        guest.contains("use probe::TASK;") && guest.contains("use probe_messages::"),
        "{guest}"
    );
    assert!(dir.join("probe-messages/src/lib.rs").is_file());
    assert!(dir.join(".gitignore").is_file() && dir.join("rust-toolchain.toml").is_file());
}
