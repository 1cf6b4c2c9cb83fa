//! Support for the end-to-end tests: build the example guests to wasm the
//! way a module author would (through the test host's [`GuestBuilder`]),
//! validate them, and print figures.
//!
//! Each build variant (target, environment) gets its own target directory
//! under `target/guests/`, so the outer `cargo test`, a `RUSTFLAGS`
//! experiment or the tight memory mode never rebuild or overwrite each
//! other's artifacts.

use std::path::{Path, PathBuf};
use std::process::Command;

use wasm_sdk_testhost::GuestBuilder;
use wasmparser::{Validator, WasmFeatures};

pub use wasm_sdk_host::ModuleInfo;

/// The wasm targets every example guest builds for.
pub const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32v1-none"];

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Builds the example guest `package` (in `examples/<package>`) for
/// `target` with extra environment variables, and returns the `.wasm` path.
///
/// # Panics
///
/// When the build fails; the panic carries cargo's diagnostics.
pub fn build_guest(package: &str, target: &str, env: &[(&str, &str)]) -> PathBuf {
    let variant = if env.is_empty() {
        "default".to_owned()
    } else {
        env.iter()
            .map(|(k, v)| format!("{k}-{v}"))
            .collect::<Vec<_>>()
            .join("_")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
            .collect()
    };
    let root = workspace_root();
    let mut builder = GuestBuilder::new()
        .target(target)
        .target_dir(root.join("target").join("guests").join(variant));
    for (key, value) in env {
        builder = builder.env(*key, *value);
    }
    builder
        .build(guest_dir(package))
        .unwrap_or_else(|e| panic!("building {package} for {target}: {e}"))
}

/// Where guest `package` lives: a sample under `examples/`, or a test
/// fixture under `tests/fixtures/` (a guest that fails on purpose).
pub fn guest_dir(package: &str) -> PathBuf {
    let root = workspace_root();
    let example = root.join("examples").join(package);
    if example.is_dir() { example } else { root.join("tests").join("fixtures").join(package) }
}

/// Validates a module against a feature set.
///
/// # Errors
///
/// The first validation error.
pub fn validate(bytes: &[u8], features: WasmFeatures) -> wasmparser::Result<()> {
    Validator::new_with_features(features).validate_all(bytes).map(|_| ())
}

/// The size of a module after `wasm-opt` (binaryen, as
/// [`wasm_sdk_testhost::wasm_opt`] runs it), if binaryen is installed.
pub fn wasm_opt_size(wasm: &Path) -> Option<usize> {
    let out = wasm_sdk_testhost::wasm_opt(wasm).ok()?;
    std::fs::metadata(&out).ok().map(|m| m.len() as usize)
}

/// Prints a line to the real stdout, past libtest's capture, so figures
/// show up in a plain `cargo test` run.
pub fn report(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// Figures a test measured, for a data file of `figures/` (the format of
/// `figures/README.md`): collected as `figure <table> <key> = <value>`
/// lines, printed, and written by `scripts/figures-from-log`, which
/// replaces the tables named here and keeps the file's others.
pub struct Figures {
    file: &'static str,
    producer: &'static str,
    lines: String,
}

impl Figures {
    /// Figures for `figures/<file>`, measured by the command `producer`.
    pub fn new(file: &'static str, producer: &'static str) -> Self {
        Self { file, producer, lines: String::new() }
    }

    /// A number (TOML integer or float) in `[table]`.
    pub fn number(&mut self, table: &str, key: &str, value: impl std::fmt::Display) -> &mut Self {
        self.lines += &format!("figure {table} {key} = {value}\n");
        self
    }

    /// Prints the figure lines and writes them to the data file.
    ///
    /// # Panics
    ///
    /// If the collector cannot run or fails.
    pub fn write(&self) {
        use std::io::Write;
        use std::sync::Mutex;
        // Tests of one binary run on threads: one writer at a time.
        static WRITING: Mutex<()> = Mutex::new(());
        let _writing = WRITING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        report(self.lines.trim_end());
        let root = workspace_root();
        let mut collector = Command::new(root.join("scripts/figures-from-log"))
            .arg("--quiet")
            .arg(root.join("figures").join(self.file))
            .arg(self.producer)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("run scripts/figures-from-log");
        collector
            .stdin
            .take()
            .expect("stdin")
            .write_all(self.lines.as_bytes())
            .expect("write figure lines");
        let status = collector.wait().expect("scripts/figures-from-log");
        assert!(status.success(), "scripts/figures-from-log: {status}");
    }
}
