//! A missing Rust target is one line naming the `rustup target add`
//! command, with no panic and no backtrace: in the test host's builder and
//! in a guest's build script (what `cargo test` of a guest runs first).
//!
//! The target is made "missing" by a `rustc` wrapper whose sysroot has no
//! targets; every other call goes to the real `rustc`.

use std::path::{Path, PathBuf};
use std::process::Command;

use wasm_sdk_testhost::{GuestBuilder, TestHostError};
use wasm_sdk_tests::workspace_root;

const LINE: &str = "Rust target `wasm32-unknown-unknown` is not installed; run `rustup target add \
                    wasm32-unknown-unknown`";

/// A `rustc` whose `--print sysroot` is an empty sysroot.
fn rustc_without_targets(dir: &Path) -> PathBuf {
    let sysroot = dir.join("sysroot");
    std::fs::create_dir_all(sysroot.join("lib").join("rustlib")).expect("sysroot");
    let real = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let wrapper = dir.join("rustc");
    let script = format!(
        "#!/bin/sh\nif [ \"$1 $2\" = \"--print sysroot\" ]; then echo {}; exit 0; fi\nexec {real} \"$@\"\n",
        sysroot.display()
    );
    std::fs::write(&wrapper, script).expect("wrapper");
    let status = Command::new("chmod").arg("+x").arg(&wrapper).status().expect("chmod");
    assert!(status.success());
    wrapper
}

#[test]
fn missing_target_is_one_line_everywhere() {
    let dir = workspace_root().join("target").join("missing-target");
    let rustc = rustc_without_targets(&dir);

    // The test host's builder: a typed error whose text is the line.
    // SAFETY: this test binary has this one test and no other threads, so
    // nothing reads the environment concurrently.
    unsafe { std::env::set_var("RUSTC", &rustc) };
    let err = GuestBuilder::new().build(workspace_root().join("examples").join("echo"));
    // SAFETY: as above.
    unsafe { std::env::remove_var("RUSTC") };
    let err = err.expect_err("no wasm target");
    assert!(matches!(err, TestHostError::MissingTarget(_)), "{err:?}");
    assert_eq!(err.to_string(), LINE);

    // A guest's build script, on the native build `cargo test` starts with.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", "echo", "--target-dir"])
        .arg(dir.join("target"))
        .current_dir(workspace_root())
        .env("RUSTC", &rustc);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(wasm_sdk_build::inherits_build_config) {
            cmd.env_remove(&key);
        }
    }
    let out = cmd.output().expect("run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("error: echo@0.1.0: {LINE}")), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}
