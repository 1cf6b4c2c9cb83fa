//! Building a workspace's guests from a *firmware's* build script, to embed
//! them with `include_bytes!` (no `.wasm` checked in).

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::{GuestCargo, MemoryMode};

/// Guests to build to wasm from a firmware crate's `build.rs`.
///
/// ```no_run
/// // build.rs of a firmware crate two levels below the workspace root
/// wasm_sdk_build::EmbeddedGuests::new("../..")
///     .guest("counter")
///     .watch(["examples/counter", "examples/common", "crates/wasm-sdk"])
///     .memory(wasm_sdk_build::MemoryMode::Tight)
///     .build();
/// // src: include_bytes!(concat!(env!("OUT_DIR"), "/counter.wasm"))
/// ```
///
/// The nested `cargo build --release --locked --target
/// wasm32-unknown-unknown` is [`GuestCargo`]: it runs from the workspace
/// root (so the firmware's `.cargo/config.toml` does not apply), into
/// `$OUT_DIR/guests`, with every inherited setting that would carry the
/// firmware's build into it removed (see
/// [`inherits_build_config`](crate::inherits_build_config)). `--locked`: a
/// build script must not rewrite the workspace's `Cargo.lock`.
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

    /// Builds the guests and copies each to `$OUT_DIR/<crate>.wasm`, named
    /// as cargo names the artifact (the package name with `-` as `_`).
    ///
    /// A missing Rust target is one `cargo::error` line naming the
    /// `rustup target add` command (the build script then fails cleanly).
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
        let mut build = GuestCargo::new(workspace.join("Cargo.toml"))
            .target_dir(&target_dir)
            .memory(self.memory)
            .locked();
        for package in &self.packages {
            build = build.package(package);
        }
        let mut cmd = match build.command() {
            Ok(cmd) => cmd,
            Err(missing) => {
                println!("cargo::error={missing}");
                return;
            }
        };
        // A build script's stdout is read as `cargo::` directives.
        let status = cmd.stdout(Stdio::from(io::stderr())).status().expect("run cargo");
        assert!(status.success(), "building the guests {:?} failed ({status})", self.packages);
        for package in &self.packages {
            let wasm = build.artifact(&target_dir, package);
            let name = wasm.file_name().expect("a file name");
            fs::copy(&wasm, out_dir.join(name))
                .unwrap_or_else(|e| panic!("guest build produced no {}: {e}", wasm.display()));
        }
    }
}
