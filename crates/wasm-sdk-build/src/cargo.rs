//! The one nested build of guests, and the check that a Rust target is
//! installed.
//!
//! The test host's `GuestBuilder` and [`EmbeddedGuests`](crate::EmbeddedGuests)
//! (firmware build scripts) both build guests through [`GuestCargo`]: the
//! same arguments, the same scrubbed environment, the same early
//! missing-target error.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{MEMORY_ENV, MemoryMode, STACK_SIZE_ENV};

/// A Rust target the build needs is not installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingTarget {
    /// The target triple.
    pub target: String,
}

impl fmt::Display for MissingTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.target;
        write!(f, "Rust target `{t}` is not installed; run `rustup target add {t}`")
    }
}

impl std::error::Error for MissingTarget {}

/// Checks that `target` is installed for the toolchain that builds in
/// `dir` (so its `rust-toolchain.toml` applies): its standard library is
/// under `rustc --print sysroot`. When `rustc` cannot be asked, the build
/// itself will say what is wrong, so that counts as installed.
///
/// # Errors
///
/// [`MissingTarget`] naming the `rustup target add` command.
pub fn check_target(target: &str, dir: Option<&Path>) -> Result<(), MissingTarget> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let mut cmd = Command::new(rustc);
    cmd.args(["--print", "sysroot"]);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let Ok(out) = cmd.output() else { return Ok(()) };
    let sysroot = String::from_utf8_lossy(&out.stdout);
    let sysroot = Path::new(sysroot.trim());
    if !out.status.success() || !sysroot.is_dir() {
        return Ok(());
    }
    if sysroot.join("lib").join("rustlib").join(target).join("lib").is_dir() {
        Ok(())
    } else {
        Err(MissingTarget { target: target.to_owned() })
    }
}

/// For a build script: checks `targets` and reports each missing one as a
/// `cargo::error` (one line, no panic, no backtrace). Returns whether all
/// are installed.
pub fn require_targets(targets: &[&str]) -> bool {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let mut ok = true;
    for target in targets {
        if let Err(missing) = check_target(target, dir.as_deref()) {
            println!("cargo::error={missing}");
            ok = false;
        }
    }
    ok
}

/// The release build of guests for a wasm target, as a shell would run
/// it, whatever cargo invoked us ([`commands`](Self::commands)).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GuestCargo {
    manifest: PathBuf,
    target: String,
    packages: Vec<String>,
    target_dir: Option<PathBuf>,
    memory: Option<MemoryMode>,
    env: Vec<(String, String)>,
    locked: bool,
}

impl GuestCargo {
    /// A release build of the crate or workspace at `manifest` (its
    /// `Cargo.toml`) for `wasm32-unknown-unknown`.
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        GuestCargo {
            manifest: manifest.into(),
            target: "wasm32-unknown-unknown".into(),
            packages: Vec::new(),
            target_dir: None,
            memory: None,
            env: Vec::new(),
            locked: false,
        }
    }

    /// Another target, e.g. `wasm32v1-none`.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = target.into();
        self
    }

    /// Builds these packages of a workspace (`-p`); none: the manifest's.
    pub fn package(mut self, package: impl Into<String>) -> Self {
        self.packages.push(package.into());
        self
    }

    /// Builds into this target directory.
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    /// Sets [`MEMORY_ENV`] for every guest (default: whatever the guest's
    /// own build script chooses, `page` unless the variable is set).
    pub fn memory(mut self, mode: MemoryMode) -> Self {
        self.memory = Some(mode);
        self
    }

    /// An environment variable for the build, e.g. `WASM_SDK_MEMORY=tight`.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Passes `--locked` (a build script must not rewrite `Cargo.lock`).
    pub fn locked(mut self) -> Self {
        self.locked = true;
        self
    }

    /// The `.wasm` of `package` when built into an explicit target dir.
    pub fn artifact(&self, target_dir: &Path, package: &str) -> PathBuf {
        let file = format!("{}.wasm", package.replace('-', "_"));
        target_dir.join(&self.target).join("release").join(file)
    }

    /// The commands to run, one per package (one for the manifest's own
    /// crate when none is named), after checking that the target is
    /// installed. Each is `cargo rustc --lib --crate-type cdylib
    /// --release`: a guest crate is a `cdylib` and an `rlib` (for its
    /// native tests), and cargo applies no LTO to a crate that is also an
    /// `rlib`, so a plain `cargo build` would drop the release profile's
    /// `lto` and keep what it removes (core's panic messages and their
    /// formatting among it; the book's figures page, "Module sizes").
    /// Each runs from the manifest's directory (so its
    /// `rust-toolchain.toml` applies), with every inherited setting that
    /// would carry the calling build into it removed
    /// ([`inherits_build_config`]).
    ///
    /// # Errors
    ///
    /// [`MissingTarget`] before anything runs.
    pub fn commands(&self) -> Result<Vec<Command>, MissingTarget> {
        let dir = self.manifest.parent().filter(|d| !d.as_os_str().is_empty());
        check_target(&self.target, dir)?;
        let packages: Vec<Option<&str>> = match self.packages.as_slice() {
            [] => vec![None],
            named => named.iter().map(|p| Some(p.as_str())).collect(),
        };
        Ok(packages.into_iter().map(|package| self.command(dir, package)).collect())
    }

    /// The command that builds `package` (`None`: the manifest's crate).
    fn command(&self, dir: Option<&Path>, package: Option<&str>) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["rustc", "--lib", "--crate-type", "cdylib", "--release"])
            .args(["--target", &self.target])
            .arg("--manifest-path")
            .arg(&self.manifest)
            .args(package.into_iter().flat_map(|p| ["-p", p]));
        if self.locked {
            cmd.arg("--locked");
        }
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        if let Some(dir) = &self.target_dir {
            cmd.arg("--target-dir").arg(dir);
        }
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(inherits_build_config) {
                cmd.env_remove(&key);
            }
        }
        if let Some(mode) = self.memory {
            cmd.env(MEMORY_ENV, mode.as_str());
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }
}

/// Whether an inherited environment variable would carry the surrounding
/// build's configuration into a nested guest build: target, rustflags,
/// target dir, profile overrides, the calling package's cfgs, features and
/// metadata, clippy's wrapper. Kept: `CARGO_HOME`, registry, network, HTTP
/// and terminal settings, the jobserver (`CARGO_MAKEFLAGS`) and the
/// toolchain (`RUSTC`, `RUSTUP_TOOLCHAIN`).
pub fn inherits_build_config(key: &str) -> bool {
    const KEEP: [&str; 7] = [
        "CARGO_HOME",
        "CARGO_MAKEFLAGS",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_TERM_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
    ];
    const EXACT: [&str; 14] = [
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "OPT_LEVEL",
        "PROFILE",
        "DEBUG",
        "NUM_JOBS",
        MEMORY_ENV,
        STACK_SIZE_ENV,
        "__CARGO_FIX_PLZ",
    ];
    if key.starts_with("CARGO_") {
        return !KEEP.iter().any(|keep| key.starts_with(keep));
    }
    EXACT.contains(&key) || key.starts_with("CLIPPY_") || key.starts_with("__CARGO")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_settings_are_dropped_and_fetch_settings_kept() {
        for key in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_TARGET_DIR",
            "CARGO_TARGET_THUMBV8M_MAIN_NONE_EABIHF_RUNNER",
            "CARGO_CFG_TARGET_OS",
            "CARGO_FEATURE_NO_WASM",
            "CARGO_PROFILE_RELEASE_OPT_LEVEL",
            "CARGO_MANIFEST_DIR",
            "RUSTC_WORKSPACE_WRAPPER",
            "WASM_SDK_STACK_SIZE",
        ] {
            assert!(inherits_build_config(key), "{key}");
        }
        for key in [
            "CARGO_HOME",
            "CARGO_MAKEFLAGS",
            "CARGO_NET_OFFLINE",
            "PATH",
            "RUSTUP_TOOLCHAIN",
            "RUSTC",
        ] {
            assert!(!inherits_build_config(key), "{key}");
        }
    }

    #[test]
    fn a_missing_target_is_one_line_naming_the_fix() {
        let err = check_target("wasm64-nonexistent-none", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Rust target `wasm64-nonexistent-none` is not installed; run `rustup target add \
             wasm64-nonexistent-none`"
        );
        let out = Command::new("rustc").arg("-vV").output().expect("rustc -vV");
        let info = String::from_utf8_lossy(&out.stdout);
        let host = info.lines().find_map(|l| l.strip_prefix("host: ")).expect("host line");
        assert_eq!(check_target(host, None), Ok(()), "the host's own target");
    }
}
