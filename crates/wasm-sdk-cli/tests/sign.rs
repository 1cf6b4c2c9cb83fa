//! `keygen`, `sign` and `verify` through the built binary: a signed module
//! verifies with its public key (as the firmware checks it) and still runs;
//! unsigned, tampered and wrongly signed modules fail with one line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wasm_sdk_build::fixture::{ECHO, Fixture};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace")
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasm-sdk")).args(args).output().expect("run the CLI")
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = workspace().join("target").join("cli-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The one `error:` line of a failed run.
fn error(output: &Output) -> String {
    assert!(!output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(text.lines().count(), 1, "{text}");
    text
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// An echo guest: each message on input `in` comes back on `out`.
fn echo(wat: &str) -> Vec<u8> {
    Fixture::new(wat).inputs(["in"]).outputs(["out"]).build()
}

#[test]
fn keygen_sign_verify_and_the_signed_module_runs() {
    let dir = scratch("sign");
    let (sk, pk) = (dir.join("key.sec"), dir.join("key.pub"));
    let text = ok(&cli(&["keygen", "--secret-key", s(&sk), "--public-key", s(&pk)]));
    assert!(text.contains("wrote secret key"), "{text}");
    assert_eq!(std::fs::read(&pk).unwrap().len(), 33);
    assert_eq!(std::fs::read(&sk).unwrap().len(), 65);
    // An existing key is never overwritten.
    let again = error(&cli(&["keygen", "--secret-key", s(&sk), "--public-key", s(&pk)]));
    assert!(again.contains("exists"), "{again}");

    let module = dir.join("echo.wasm");
    std::fs::write(&module, echo(ECHO)).unwrap();
    let text = ok(&cli(&["sign", s(&module), "--secret-key", s(&sk)]));
    let signed = dir.join("echo.signed.wasm");
    assert!(text.contains("wrote") && text.contains("echo.signed.wasm"), "{text}");
    let text = ok(&cli(&["verify", s(&signed), "--public-key", s(&pk)]));
    assert!(text.contains("signed with"), "{text}");

    // The host accepts the extra custom section: the signed module runs.
    let run = ok(&cli(&["run", s(&signed), "--input", "in=c0ffee", "--close", "in"]));
    assert!(run.contains("status: finished") && run.contains("c0ffee"), "{run}");

    // Signed modules are stamped as validated for the default engine
    // configuration, so a firmware without on-device validation loads
    // them (`Host::load_trusted`).
    let bytes = std::fs::read(&signed).unwrap();
    let host = wasm_sdk_host::Host::new(wasm_sdk_host::HostConfig::default());
    // SAFETY: `sign` validated the module before stamping it.
    let trusted = unsafe { wasm_sdk_host::Trusted::new(&bytes) };
    let env = wasm_sdk_testhost::QueueEnv::default();
    assert!(host.load_trusted(trusted, env, &[]).is_ok());

    // A module a host would refuse is not signed.
    let invalid = dir.join("invalid.wasm");
    let text = ECHO
        .replace("(local $n i32)", "(local $n i32) (drop (i64.add (i32.const 1) (i64.const 2)))");
    std::fs::write(&invalid, echo(&text)).unwrap();
    let refused = error(&cli(&["sign", s(&invalid), "--secret-key", s(&sk)]));
    assert!(refused.contains("not signed: the module is refused: invalid module"), "{refused}");

    // Refusals, with the firmware's reasons.
    let unsigned = error(&cli(&["verify", s(&module), "--public-key", s(&pk)]));
    assert!(unsigned.contains("the module is not signed"), "{unsigned}");
    let mut bytes = std::fs::read(&signed).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 1;
    let tampered = dir.join("tampered.wasm");
    std::fs::write(&tampered, bytes).unwrap();
    let changed = error(&cli(&["verify", s(&tampered), "--public-key", s(&pk)]));
    assert!(changed.contains("changed after signing"), "{changed}");
    let other = dir.join("other.pub");
    ok(&cli(&["keygen", "--secret-key", s(&dir.join("other.sec")), "--public-key", s(&other)]));
    let wrong = error(&cli(&["verify", s(&signed), "--public-key", s(&other)]));
    assert!(wrong.contains("not signed with this device's key"), "{wrong}");
    // Keys swapped: one clear line.
    let swapped = error(&cli(&["sign", s(&module), "--secret-key", s(&pk)]));
    assert!(swapped.contains("is not a secret key"), "{swapped}");
}

#[test]
fn sign_builds_a_crate_directory_first() {
    let dir = scratch("sign-crate");
    let (sk, pk) = (dir.join("key.sec"), dir.join("key.pub"));
    ok(&cli(&["keygen", "--secret-key", s(&sk), "--public-key", s(&pk)]));
    let counter = workspace().join("examples").join("counter");
    // The target directory of the other CLI tests: built once.
    let target = workspace().join("target").join("guests").join("default");
    let out = dir.join("counter.wasm");
    let text = ok(&cli(&[
        "sign",
        s(&counter),
        "--target-dir",
        s(&target),
        "--secret-key",
        s(&sk),
        "-o",
        s(&out),
    ]));
    assert!(text.contains("counter.wasm"), "{text}");
    ok(&cli(&["verify", s(&out), "--public-key", s(&pk)]));
    let run = ok(&cli(&["run", s(&out), "--input", "wasm_input=hex:05", "--close", "wasm_input"]));
    assert!(run.contains("wasm_data        06"), "{run}");
}
