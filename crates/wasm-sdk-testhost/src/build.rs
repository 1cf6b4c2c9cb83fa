//! Building guest crates for wasm32, as a module author would.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};

use wasm_sdk_build::{GuestCargo, MemoryMode};

use crate::error::TestHostError;

/// Builds a guest crate to a `.wasm` with its release profile (LTO
/// applied: `cargo rustc --crate-type cdylib`, see
/// [`GuestCargo::commands`](wasm_sdk_build::GuestCargo::commands)) and the
/// crate's own `build.rs` memory settings, and remembers the result for
/// the rest of the process.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GuestBuilder {
    target: String,
    target_dir: Option<PathBuf>,
    env: Vec<(String, String)>,
    wasm_opt: bool,
}

impl Default for GuestBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GuestBuilder {
    /// Release builds for `wasm32-unknown-unknown`, in the crate's own
    /// target directory.
    pub fn new() -> Self {
        GuestBuilder {
            target: "wasm32-unknown-unknown".into(),
            target_dir: None,
            env: Vec::new(),
            wasm_opt: false,
        }
    }

    /// Release builds into `<target dir>/guests/default`, where the target
    /// dir is the one of the running test executable
    /// (`target/debug/deps/<test>` -> `target`). Tests in several crates of a
    /// workspace then share one guest build cache, kept apart from the
    /// outer `cargo test`'s own artifacts.
    pub fn for_tests() -> Self {
        let target = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf));
        match target {
            Some(dir) => Self::new().target_dir(dir.join("guests").join("default")),
            None => Self::new(),
        }
    }

    /// Another target, e.g. `wasm32v1-none` for MVP-only modules.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = target.into();
        self
    }

    /// Build into this target directory (keeps test builds apart from the
    /// user's, and variants apart from each other).
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    /// An environment variable for the build, e.g. `WASM_SDK_MEMORY=tight`.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Lays the module's memory out as `mode` wants
    /// ([`MEMORY_ENV`](wasm_sdk_build::MEMORY_ENV)): how a device's profile
    /// ([`DeviceProfile::memory`](crate::DeviceProfile::memory)) asks for
    /// its modules.
    pub fn memory(self, mode: MemoryMode) -> Self {
        self.env(wasm_sdk_build::MEMORY_ENV, mode.as_str())
    }

    /// Shrinks the built module with binaryen's `wasm-opt`
    /// ([`WASM_OPT_ARGS`](wasm_sdk_build::WASM_OPT_ARGS)) into a
    /// `<name>.opt.wasm` beside it, which [`build`](Self::build) returns.
    pub fn wasm_opt(mut self) -> Self {
        self.wasm_opt = true;
        self
    }

    /// Builds the crate at `crate_dir` (a directory with `Cargo.toml`) and
    /// returns the path of its `.wasm`.
    ///
    /// # Errors
    ///
    /// [`TestHostError::Build`] with cargo's diagnostics, or when the crate
    /// produces no `.wasm` (not a `cdylib`).
    pub fn build(&self, crate_dir: impl AsRef<Path>) -> Result<PathBuf, TestHostError> {
        static CACHE: OnceLock<Mutex<HashMap<(GuestBuilder, PathBuf), PathBuf>>> = OnceLock::new();
        let manifest = crate_dir.as_ref().join("Cargo.toml");
        let manifest = manifest.canonicalize().map_err(|e| {
            TestHostError::Build(format!("no crate at `{}`: {e}", crate_dir.as_ref().display()))
        })?;
        let key = (self.clone(), manifest.clone());
        // Held during the build: concurrent tests wait instead of racing
        // cargo on the same artifact.
        let mut cache =
            CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = cache.get(&key).filter(|p| p.is_file()) {
            return Ok(path.clone());
        }
        let mut path = self.run_cargo(&manifest)?;
        if self.wasm_opt {
            path = wasm_opt(&path)?;
        }
        cache.insert(key, path.clone());
        Ok(path)
    }

    fn run_cargo(&self, manifest: &Path) -> Result<PathBuf, TestHostError> {
        // The same nested build as firmware build scripts use; a missing
        // target is one line before anything runs.
        let mut build = GuestCargo::new(manifest).target(&self.target);
        if let Some(dir) = &self.target_dir {
            build = build.target_dir(dir);
        }
        for (key, value) in &self.env {
            build = build.env(key, value);
        }
        let commands = build.commands().map_err(|e| TestHostError::MissingTarget(e.to_string()))?;
        // No package named: one command, for the crate of `manifest`.
        let Some(mut cmd) = commands.into_iter().next() else {
            return Err(TestHostError::Build("no build to run".into()));
        };
        cmd.arg("--message-format=json-render-diagnostics");
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| TestHostError::Build(format!("cannot run cargo: {e}")))?;
        // Drained on its own thread so a long compiler log cannot fill the
        // pipe and stall cargo while stdout is read.
        let stderr = child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut log = String::new();
                let _ = std::io::Read::read_to_string(&mut pipe, &mut log);
                log
            })
        });
        let Some(stdout) = child.stdout.take() else {
            return Err(TestHostError::Build("cargo's output is not captured".into()));
        };
        let mut wasm = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            let is_ours = message["reason"] == "compiler-artifact"
                && message["manifest_path"].as_str().map(Path::new) == Some(manifest);
            if !is_ours {
                continue;
            }
            let files = message["filenames"].as_array().into_iter().flatten();
            if let Some(file) = files.filter_map(|f| f.as_str()).find(|f| f.ends_with(".wasm")) {
                wasm = Some(PathBuf::from(file));
            }
        }
        let status =
            child.wait().map_err(|e| TestHostError::Build(format!("cargo did not finish: {e}")))?;
        let log = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
        if !status.success() {
            return Err(TestHostError::Build(log.trim().to_owned()));
        }
        wasm.ok_or_else(|| {
            TestHostError::Build(format!(
                "`{}` produced no .wasm; is it a `cdylib` crate?",
                manifest.display()
            ))
        })
    }
}

/// binaryen's `wasm-opt` on the module `wasm`, with the features the
/// SDK's guests use ([`WASM_OPT_ARGS`](wasm_sdk_build::WASM_OPT_ARGS)),
/// into `<name>.opt.wasm` beside it; returns that path.
///
/// # Errors
///
/// [`TestHostError::Build`]: `wasm-opt` is not installed (saying how to
/// install it), or it failed, with its message.
pub fn wasm_opt(wasm: &Path) -> Result<PathBuf, TestHostError> {
    let out = wasm.with_extension("opt.wasm");
    let run = std::process::Command::new("wasm-opt")
        .args(wasm_sdk_build::WASM_OPT_ARGS)
        .arg(wasm)
        .arg("-o")
        .arg(&out)
        .output();
    match run {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(TestHostError::Build(
            "wasm-opt is not installed: install binaryen (`apt-get install binaryen`, \
             `brew install binaryen`, or `npm install -g binaryen`)"
                .into(),
        )),
        Err(e) => Err(TestHostError::Build(format!("cannot run wasm-opt: {e}"))),
        Ok(run) if !run.status.success() => Err(TestHostError::Build(format!(
            "wasm-opt failed on `{}`: {}",
            wasm.display(),
            String::from_utf8_lossy(&run.stderr).trim()
        ))),
        Ok(_) => Ok(out),
    }
}

/// The module of this repository's example guest `examples/<name>` (e.g.
/// `counter`), built with [`GuestBuilder::for_tests`]: the one build the
/// workspace's own tests share. Only in a checkout of the repository (the
/// examples are not published with this crate); a module author builds
/// their own crate with [`GuestBuilder`].
///
/// # Errors
///
/// As [`GuestBuilder::build`], or the module cannot be read.
pub fn example_wasm(name: &str) -> Result<Vec<u8>, TestHostError> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let path = GuestBuilder::for_tests().build(examples.join(name))?;
    std::fs::read(&path)
        .map_err(|e| TestHostError::Build(format!("cannot read `{}`: {e}", path.display())))
}
