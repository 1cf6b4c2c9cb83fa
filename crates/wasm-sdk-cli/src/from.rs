//! `wasm-sdk new DIR --from examples/NAME`: a workspace that starts from
//! one of the SDK's example guests, and builds and tests outside the SDK's
//! repository.
//!
//! An example guest takes its dependencies from the SDK's workspace and
//! its messages from the examples' shared crate (`module-examples-common`).
//! The new workspace gets the guest's sources and tests as they are, that
//! shared crate beside it under the same name (so `use
//! module_examples_common::..` still reads), and the manifests `new`
//! writes for its own template.

use std::fs;
use std::path::{Path, PathBuf};

/// The examples' shared messages crate, by the name their code uses.
pub const COMMON: &str = "module-examples-common";

/// The dependencies an example may have to be copied: the SDK's crates
/// and the shared messages; any other comes from the SDK's workspace only.
const COPYABLE: [&str; 5] =
    ["wasm-sdk", "wasm-sdk-build", "wasm-sdk-testhost", COMMON, "serde_json"];

/// An example guest, read.
#[derive(Debug)]
pub struct Example {
    /// Its package name, which its tests use (`alarm::TASK`).
    pub name: String,
    /// Its sources, tests and build script: path in the crate, content.
    pub files: Vec<(String, String)>,
    /// The shared messages crate's `src/lib.rs`.
    pub common: String,
}

impl Example {
    /// Reads the example guest crate at `dir` (`examples/alarm` of an SDK
    /// checkout).
    ///
    /// # Errors
    ///
    /// It is not an example guest crate of the SDK, or it depends on a
    /// crate of the SDK's workspace that a copy cannot take along.
    pub fn read(dir: &Path) -> Result<Example, String> {
        let manifest = fs::read_to_string(dir.join("Cargo.toml"))
            .map_err(|e| format!("`{}` is not a guest crate: {e}", dir.display()))?;
        let name = package_name(&manifest)
            .ok_or_else(|| format!("`{}/Cargo.toml` names no package", dir.display()))?;
        if !manifest.contains("cdylib") {
            return Err(format!("`{}` is not a guest crate (no `cdylib`)", dir.display()));
        }
        if let Some(other) = dependencies(&manifest).into_iter().find(|d| !COPYABLE.contains(&&**d))
        {
            return Err(format!(
                "`{name}` depends on `{other}` from the SDK's workspace, which a copy cannot \
                 take along; start from another example, or from `wasm-sdk new` alone"
            ));
        }
        let common_lib = dir.join("..").join("common").join("src").join("lib.rs");
        let common = fs::read_to_string(&common_lib).map_err(|e| {
            format!(
                "no shared messages crate beside `{}` ({}: {e})",
                dir.display(),
                common_lib.display()
            )
        })?;
        let mut files = Vec::new();
        for part in ["build.rs", "src", "tests"] {
            collect(dir, &dir.join(part), &mut files)?;
        }
        files.sort();
        Ok(Example { name, files, common })
    }
}

/// `[package]`'s `name`.
fn package_name(manifest: &str) -> Option<String> {
    let package =
        manifest.split("\n[").find(|s| s.trim_start_matches('[').starts_with("package]"))?;
    package.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "name").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The crates a manifest's dependency tables name (`name = ..` or
/// `name.workspace = true`).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line.ends_with("dependencies]");
            continue;
        }
        if !in_deps || line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((key, _)) = line.split_once('=') {
            let key = key.trim();
            names.push(key.strip_suffix(".workspace").unwrap_or(key).trim().to_owned());
        }
    }
    names
}

/// Every file under `path` (a file or a directory), relative to `root`.
fn collect(root: &Path, path: &Path, into: &mut Vec<(String, String)>) -> Result<(), String> {
    if path.is_file() {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let relative: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        let relative = relative.to_str().ok_or("a file name that is not UTF-8")?.replace('\\', "/");
        into.push((relative, text));
        return Ok(());
    }
    if !path.is_dir() {
        return Ok(());
    }
    let entries =
        fs::read_dir(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        collect(root, &entry.path(), into)?;
    }
    Ok(())
}

/// The shared messages crate's manifest: the template's messages crate,
/// with the SDK (its `Result`) and its `alloc` feature.
pub fn common_manifest() -> String {
    format!(
        r#"[package]
name = "{COMMON}"
description = "Message types shared by the wasm-sdk example guests and hosts"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
publish = false

[features]
default = []
# `to_message`: a message in its own `Vec`, for hosts. Guests do not need it.
alloc = []

[dependencies]
wasm-sdk.workspace = true
# From the workspace root, with `default-features = false`: serde's `std`
# would link `std` into the wasm32 guest.
serde.workspace = true
postcard-schema.workspace = true
postcard.workspace = true

[lints.rust]
# The SDK's repository also builds these types for its CoreMark guest.
unexpected_cfgs = {{ level = "warn", check-cfg = ['cfg(feature, values("coremark"))'] }}
"#
    )
}

/// The workspace's README.
pub fn readme(name: &str, cli: &str) -> String {
    format!(
        r#"# {name}

Started from the wasm-sdk example guest `{name}`: its sources and tests
in `{name}/`, and the examples' message types in `{COMMON}/`.

```sh
# Build the module to wasm and print what it holds
{cli} inspect {name}

# Run the tests: natively, and the same scenarios on the built .wasm
cargo test
```

`cargo wasm -p {name}` (an alias in `.cargo/config.toml`: a release build
with LTO, as the CLI builds it) writes
`target/wasm32-unknown-unknown/release/{crate_name}.wasm`.
"#,
        crate_name = name.replace('-', "_")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
    }

    #[test]
    fn an_example_is_read_with_its_sources_and_tests() {
        let alarm = Example::read(&examples().join("alarm")).expect("alarm");
        assert_eq!(alarm.name, "alarm");
        let paths: Vec<&str> = alarm.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["build.rs", "src/lib.rs", "tests/scenario.rs"]);
        assert!(alarm.common.contains("pub struct Reading"));
    }

    #[test]
    fn an_example_that_needs_the_workspace_is_refused_with_the_reason() {
        let e = Example::read(&examples().join("coremark")).unwrap_err();
        assert!(e.contains("depends on `coremark-core` from the SDK's workspace"), "{e}");
        let e = Example::read(&examples().join("common")).unwrap_err();
        assert!(e.contains("is not a guest crate"), "{e}");
        let e = Example::read(Path::new("/nonexistent")).unwrap_err();
        assert!(e.contains("is not a guest crate"), "{e}");
    }

    #[test]
    fn dependencies_are_read_from_every_table() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\na.workspace = true\nb = \"1\"\n\
                        [dev-dependencies]\nc = { path = \"c\" }\n[features]\nd = []\n";
        assert_eq!(dependencies(manifest), ["a", "b", "c"]);
        assert_eq!(package_name(manifest).as_deref(), Some("x"));
    }
}
