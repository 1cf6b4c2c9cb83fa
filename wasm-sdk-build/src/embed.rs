//! Building a workspace's guests from a *firmware's* build script, to embed
//! them with `include_bytes!` (no `.wasm` checked in).

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{MEMORY_ENV, MemoryMode, STACK_SIZE_ENV};

/// Guests to build to wasm from a firmware crate's `build.rs`.
///
/// ```no_run
/// // build.rs of a firmware crate two levels below the workspace root
/// wasm_sdk_build::EmbeddedGuests::new("../..")
///     .guest("counter")
///     .watch(["examples/counter", "examples/common", "wasm-sdk"])
///     .memory(wasm_sdk_build::MemoryMode::Tight)
///     .build();
/// // src: include_bytes!(concat!(env!("OUT_DIR"), "/counter.wasm"))
/// ```
///
/// The nested `cargo build --release --locked --target
/// wasm32-unknown-unknown` runs from the workspace root (so the firmware's
/// `.cargo/config.toml` does not apply), into `$OUT_DIR/guests`, with every
/// inherited setting that would carry the firmware's build into it removed
/// (see [`inherits_build_config`]). `--locked`: a build script must not
/// rewrite the workspace's `Cargo.lock`.
#[derive(Clone, Debug)]
pub struct EmbeddedGuests {
    workspace: PathBuf,
    packages: Vec<String>,
    watch: Vec<PathBuf>,
    memory: MemoryMode,
}

impl EmbeddedGuests {
    /// Guests of the workspace at `workspace` (relative paths are taken
    /// from the firmware crate's directory).
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        EmbeddedGuests {
            workspace: workspace.into(),
            packages: Vec::new(),
            watch: Vec::new(),
            memory: MemoryMode::Page,
        }
    }

    /// Adds a guest package.
    pub fn guest(mut self, package: &str) -> Self {
        self.packages.push(package.to_owned());
        self
    }

    /// Workspace paths (relative to its root) whose changes rebuild the
    /// guests: their crates and the SDK crates they use. The workspace's
    /// `Cargo.toml` and `Cargo.lock` are always watched.
    pub fn watch<P: AsRef<Path>>(mut self, paths: impl IntoIterator<Item = P>) -> Self {
        self.watch.extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// The memory mode of every guest (default [`MemoryMode::Page`]).
    pub fn memory(mut self, mode: MemoryMode) -> Self {
        self.memory = mode;
        self
    }

    /// Builds the guests and copies each to `$OUT_DIR/<package>.wasm`.
    ///
    /// # Panics
    ///
    /// When not run from a build script, or when the guest build fails
    /// (cargo's diagnostics are on stderr): a build script fails that way.
    pub fn build(&self) {
        let manifest_dir =
            PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
        let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR: run from build.rs"));
        let workspace = manifest_dir.join(&self.workspace);
        for path in ["Cargo.toml", "Cargo.lock"].iter().map(PathBuf::from).chain(self.watch.clone())
        {
            // Only sources: a crate's `target/` changes on every build.
            for part in ["src", "Cargo.toml", "build.rs"] {
                let watched = workspace.join(&path).join(part);
                if watched.exists() {
                    println!("cargo::rerun-if-changed={}", watched.display());
                }
            }
            if workspace.join(&path).is_file() {
                println!("cargo::rerun-if-changed={}", workspace.join(&path).display());
            }
        }
        let target_dir = out_dir.join("guests");
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(&workspace)
            .args(["build", "--release", "--locked", "--target", "wasm32-unknown-unknown"])
            .args(self.packages.iter().flat_map(|p| ["-p", p.as_str()]))
            .arg("--manifest-path")
            .arg(workspace.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir)
            // A build script's stdout is read as `cargo::` directives.
            .stdout(Stdio::from(io::stderr()));
        for (key, _) in env::vars_os() {
            if key.to_str().is_some_and(inherits_build_config) {
                cmd.env_remove(&key);
            }
        }
        let mode = match self.memory {
            MemoryMode::Page => "page",
            MemoryMode::Tight => "tight",
        };
        cmd.env(MEMORY_ENV, mode).env_remove(STACK_SIZE_ENV);
        let status = cmd.status().expect("run cargo for the wasm guests");
        assert!(status.success(), "building the guests {:?} failed ({status})", self.packages);
        let release = target_dir.join("wasm32-unknown-unknown").join("release");
        for package in &self.packages {
            let wasm = format!("{}.wasm", package.replace('-', "_"));
            fs::copy(release.join(&wasm), out_dir.join(&wasm))
                .unwrap_or_else(|e| panic!("guest build produced no {wasm}: {e}"));
        }
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
    use super::inherits_build_config;

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
}
