//! Support for the end-to-end tests: build the example guests to wasm the
//! way a module author would, and read what the linker produced.
//!
//! Guests are built by a nested `cargo build --release` into their own
//! target directory per build variant (`target/guests/<variant>`), so the
//! outer `cargo test` lock, a `RUSTFLAGS` experiment or the tight memory
//! mode never rebuild or overwrite each other's artifacts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use wasm_sdk_abi::manifest::MANIFEST_SECTION;
use wasmparser::{
    ConstExpr, ExternalKind, Operator, Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};

/// The wasm targets every example guest builds for.
pub const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32v1-none"];

/// How a guest is built.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Build {
    /// Cargo package name.
    pub package: &'static str,
    /// Rust target triple.
    pub target: &'static str,
    /// Extra environment for the nested cargo, e.g. `WASM_SDK_MEMORY=tight`.
    pub env: Vec<(&'static str, &'static str)>,
}

impl Build {
    /// A release build of `package` for `target` with the default settings.
    pub fn new(package: &'static str, target: &'static str) -> Self {
        Build { package, target, env: Vec::new() }
    }

    /// Adds an environment variable for the nested cargo.
    pub fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.env.push((key, value));
        self
    }

    /// Target directory for this variant: one per distinct environment.
    fn target_dir(&self) -> PathBuf {
        let variant = if self.env.is_empty() {
            "default".to_owned()
        } else {
            self.env
                .iter()
                .map(|(k, v)| format!("{k}-{v}"))
                .collect::<Vec<_>>()
                .join("_")
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
                .collect()
        };
        workspace_root().join("target").join("guests").join(variant)
    }

    /// Builds (once per test process) and returns the `.wasm` path.
    ///
    /// # Panics
    ///
    /// When cargo fails; the panic carries cargo's output.
    pub fn wasm(&self) -> PathBuf {
        static BUILT: OnceLock<Mutex<HashMap<Build, PathBuf>>> = OnceLock::new();
        // One build at a time: cargo serialises on the target dir anyway, and
        // holding the lock keeps two tests from building the same variant.
        let mut built =
            BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = built.get(self) {
            return path.clone();
        }
        let target_dir = self.target_dir();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace_root())
            .args(["build", "--release", "--quiet", "-p", self.package, "--target", self.target])
            .arg("--target-dir")
            .arg(&target_dir);
        // The outer `cargo test` exports its own settings; the guest must be
        // built exactly as a module author's plain `cargo build` would.
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_TARGET_DIR",
            "WASM_SDK_MEMORY",
            "WASM_SDK_STACK_SIZE",
        ] {
            cmd.env_remove(var);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        let out = cmd.output().expect("run cargo");
        assert!(
            out.status.success(),
            "building {} for {} failed:\n{}",
            self.package,
            self.target,
            String::from_utf8_lossy(&out.stderr)
        );
        let path = target_dir
            .join(self.target)
            .join("release")
            .join(format!("{}.wasm", self.package.replace('-', "_")));
        assert!(path.is_file(), "cargo did not produce {}", path.display());
        built.insert(self.clone(), path.clone());
        path
    }
}

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// A function import or export with its `i32`-only signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Func {
    /// Import module (empty for exports).
    pub module: String,
    /// Function name.
    pub name: String,
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

/// What a module contains, as far as hosts care.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// File size in bytes.
    pub size: usize,
    /// Function imports.
    pub imports: Vec<Func>,
    /// Non-function imports (`module.name`), which hosts refuse.
    pub other_imports: Vec<String>,
    /// Exported functions.
    pub func_exports: Vec<Func>,
    /// Other exports as `(name, kind)`.
    pub other_exports: Vec<(String, ExternalKind)>,
    /// Memories as `(initial pages, maximum pages, page size in bytes)`.
    pub memories: Vec<(u64, Option<u64>, u64)>,
    /// Initial value of the first mutable global (the stack pointer).
    pub stack_pointer: Option<i32>,
    /// Payload of the `wasm-sdk.manifest` section.
    pub manifest: Option<Vec<u8>>,
    /// Names of all custom sections.
    pub custom_sections: Vec<String>,
}

impl ModuleInfo {
    /// Linear memory size in bytes of the first memory's initial size.
    pub fn memory_bytes(&self) -> Option<u64> {
        self.memories.first().map(|(initial, _, page)| initial * page)
    }
}

/// Reads a module.
///
/// # Errors
///
/// When `bytes` is not a well-formed module.
pub fn inspect(bytes: &[u8]) -> wasmparser::Result<ModuleInfo> {
    let mut info = ModuleInfo { size: bytes.len(), ..ModuleInfo::default() };
    let mut types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    types.push((ty.params().to_vec(), ty.results().to_vec()));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import?;
                    match import.ty {
                        TypeRef::Func(ty) => {
                            func_types.push(ty);
                            let (params, results) =
                                types.get(ty as usize).cloned().unwrap_or_default();
                            info.imports.push(Func {
                                module: import.module.into(),
                                name: import.name.into(),
                                params,
                                results,
                            });
                        }
                        _ => info.other_imports.push(format!("{}.{}", import.module, import.name)),
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    func_types.push(ty?);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    let page = 1u64 << memory.page_size_log2.unwrap_or(16);
                    info.memories.push((memory.initial, memory.maximum, page));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    if global.ty.mutable && info.stack_pointer.is_none() {
                        info.stack_pointer = const_i32(&global.init_expr);
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            Payload::CustomSection(reader) => {
                info.custom_sections.push(reader.name().into());
                if reader.name() == MANIFEST_SECTION {
                    info.manifest = Some(reader.data().to_vec());
                }
            }
            _ => {}
        }
    }
    for (name, kind, index) in exports {
        if kind == ExternalKind::Func {
            let ty = func_types.get(index as usize).copied().unwrap_or(u32::MAX);
            let (params, results) = types.get(ty as usize).cloned().unwrap_or_default();
            info.func_exports.push(Func { module: String::new(), name, params, results });
        } else {
            info.other_exports.push((name, kind));
        }
    }
    Ok(info)
}

fn const_i32(expr: &ConstExpr<'_>) -> Option<i32> {
    match expr.get_operators_reader().into_iter().next()? {
        Ok(Operator::I32Const { value }) => Some(value),
        _ => None,
    }
}

/// Validates a module against a feature set.
///
/// # Errors
///
/// The first validation error.
pub fn validate(bytes: &[u8], features: WasmFeatures) -> wasmparser::Result<()> {
    Validator::new_with_features(features).validate_all(bytes).map(|_| ())
}

/// Runs `wasm-opt` (binaryen) on a module, if it is installed, and returns
/// the optimized size. Debian's binaryen needs the features spelled out on
/// stripped modules.
pub fn wasm_opt_size(wasm: &Path) -> Option<usize> {
    let out = wasm.with_extension("opt.wasm");
    let status = Command::new("wasm-opt")
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-nontrapping-float-to-int",
            "--enable-multivalue",
            "--enable-reference-types",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&out)
        .output()
        .ok()?;
    if !status.status.success() {
        return None;
    }
    std::fs::metadata(&out).ok().map(|m| m.len() as usize)
}

/// Prints a line to the real stdout, past libtest's capture, so figures
/// show up in a plain `cargo test` run.
pub fn report(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}
