//! Building a workspace's guests from a *firmware's* build script, to embed
//! them with `include_bytes!` (no `.wasm` checked in).

use std::collections::BTreeSet;
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
///
/// What rebuilds the guests is derived, not listed: every workspace source
/// file the nested build read (cargo's dep-info of each artifact), the
/// manifest and build script of each package those files belong to, and
/// the workspace's `Cargo.toml` and `Cargo.lock`.
#[derive(Clone, Debug)]
pub struct EmbeddedGuests {
    workspace: PathBuf,
    packages: Vec<String>,
    memory: MemoryMode,
}

impl EmbeddedGuests {
    /// Guests of the workspace at `workspace` (relative paths are taken
    /// from the firmware crate's directory).
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        EmbeddedGuests {
            workspace: workspace.into(),
            packages: Vec::new(),
            memory: MemoryMode::Page,
        }
    }

    /// Adds a guest package.
    pub fn guest(mut self, package: &str) -> Self {
        self.packages.push(package.to_owned());
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
        for file in ["Cargo.toml", "Cargo.lock"] {
            println!("cargo::rerun-if-changed={}", workspace.join(file).display());
        }
        let target_dir = out_dir.join("guests");
        let mut build = GuestCargo::new(workspace.join("Cargo.toml"))
            .target_dir(&target_dir)
            .memory(self.memory)
            .locked();
        for package in &self.packages {
            build = build.package(package);
        }
        let commands = match build.commands() {
            Ok(commands) => commands,
            Err(missing) => {
                println!("cargo::error={missing}");
                return;
            }
        };
        // One command per package (`GuestCargo::commands`).
        for (i, mut cmd) in commands.into_iter().enumerate() {
            let package = self.packages.get(i).map_or("of the workspace", String::as_str);
            // A build script's stdout is read as `cargo::` directives.
            let status = cmd.stdout(Stdio::from(io::stderr())).status().expect("run cargo");
            assert!(status.success(), "building the guest {package} failed ({status})");
        }
        let mut watched = BTreeSet::new();
        for package in &self.packages {
            let wasm = build.artifact(&target_dir, package);
            let name = wasm.file_name().expect("a file name");
            fs::copy(&wasm, out_dir.join(name))
                .unwrap_or_else(|e| panic!("guest build produced no {}: {e}", wasm.display()));
            let dep_info = fs::read_to_string(wasm.with_extension("d"))
                .unwrap_or_else(|e| panic!("no dep-info beside {}: {e}", wasm.display()));
            watched.extend(workspace_sources(&dep_info, &workspace, &target_dir));
        }
        for path in watched {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
}

/// The files under `workspace` that a dep-info file (`target: dep dep ...`,
/// spaces in paths escaped with `\`) names, with the `Cargo.toml` and
/// `build.rs` of each package they belong to: the sources whose change
/// changes a guest. Registry crates are outside the workspace (and the
/// lockfile pins them); what the build generated in `target_dir` is not a
/// source, even when the target directory is inside the workspace.
fn workspace_sources(dep_info: &str, workspace: &Path, target_dir: &Path) -> BTreeSet<PathBuf> {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (workspace, target_dir) = (canonical(workspace), canonical(target_dir));
    let mut files = BTreeSet::new();
    for line in dep_info.lines() {
        let Some((_, deps)) = line.split_once(": ") else { continue };
        let mut path = String::new();
        let mut chars = deps.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.peek() == Some(&' ') {
                path.push(' ');
                chars.next();
            } else if c == ' ' {
                if !path.is_empty() {
                    files.insert(PathBuf::from(std::mem::take(&mut path)));
                }
            } else {
                path.push(c);
            }
        }
        if !path.is_empty() {
            files.insert(PathBuf::from(path));
        }
    }
    let mut watched = BTreeSet::new();
    for file in
        files.into_iter().filter(|f| f.starts_with(&workspace) && !f.starts_with(&target_dir))
    {
        // The package a source belongs to: the nearest directory above it
        // with a manifest.
        let package = file.ancestors().skip(1).take_while(|dir| dir.starts_with(&workspace));
        if let Some(dir) = package.into_iter().find(|dir| dir.join("Cargo.toml").is_file()) {
            for part in ["Cargo.toml", "build.rs"] {
                if dir.join(part).is_file() {
                    watched.insert(dir.join(part));
                }
            }
        }
        watched.insert(file);
    }
    watched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_gives_workspace_sources_and_their_manifests() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
        let lib = root.join("crates/wasm-sdk-build/src/lib.rs");
        let generated = root.join("target/x/out.rs");
        let dep_info = format!(
            "{0}/counter.wasm: {1} /registry/serde/src/lib.rs {2}\n\n{1}:\n",
            root.display(),
            lib.display(),
            generated.display(),
        );
        let watched = workspace_sources(&dep_info, &root, &root.join("target"));
        let crate_dir = root.join("crates/wasm-sdk-build");
        let expected: BTreeSet<PathBuf> = [lib, crate_dir.join("Cargo.toml")].into_iter().collect();
        assert_eq!(watched, expected);
    }
}
