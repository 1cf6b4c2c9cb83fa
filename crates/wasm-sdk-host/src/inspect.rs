//! What a module contains, read with wasmparser without instantiating it.
//!
//! [`Host::load`](crate::Host::load) checks these facts; the test host's
//! `inspect` command prints them.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use wasm_sdk_abi::manifest::{MANIFEST_SECTION, MAX_MANIFEST_LEN};
pub use wasmparser::{ExternalKind, ValType};
use wasmparser::{Parser, Payload, TypeRef};

/// A function import or export with its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Import module; empty for exports.
    pub module: String,
    /// Function name.
    pub name: String,
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

/// A linear memory's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryInfo {
    /// Initial size in pages.
    pub initial: u64,
    /// Maximum size in pages, if bounded.
    pub maximum: Option<u64>,
    /// Page size in bytes (65,536 unless the module uses custom page sizes).
    pub page_size: u64,
    /// A 64-bit memory (memory64 proposal).
    pub memory64: bool,
    /// A shared memory (threads proposal).
    pub shared: bool,
}

impl MemoryInfo {
    /// Initial size in bytes (saturating).
    pub fn initial_bytes(&self) -> u64 {
        self.initial.saturating_mul(self.page_size)
    }

    /// Maximum size in bytes, if bounded (saturating).
    pub fn maximum_bytes(&self) -> Option<u64> {
        self.maximum.map(|m| m.saturating_mul(self.page_size))
    }
}

/// Most custom section names [`ModuleInfo`] keeps (it counts them all).
pub const LISTED_SECTIONS: usize = 64;

/// The host-relevant contents of a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Size of the module in bytes.
    pub size: usize,
    /// Function imports, in order.
    pub imports: Vec<FuncInfo>,
    /// Non-function imports as `(module, name)` (hosts refuse them).
    pub other_imports: Vec<(String, String)>,
    /// Exported functions.
    pub func_exports: Vec<FuncInfo>,
    /// Other exports as `(name, kind)`.
    pub other_exports: Vec<(String, ExternalKind)>,
    /// Memories defined by the module.
    pub memories: Vec<MemoryInfo>,
    /// Whether the module has a start function.
    pub has_start: bool,
    /// Payload of the first `wasm-sdk.manifest` section, if present and at
    /// most `MAX_MANIFEST_LEN` bytes (a longer one is not copied).
    pub manifest: Option<Vec<u8>>,
    /// Length of the first `wasm-sdk.manifest` section, copied or not.
    pub manifest_len: Option<usize>,
    /// Names of the first [`LISTED_SECTIONS`] custom sections, in order.
    pub custom_sections: Vec<String>,
    /// Number of custom sections.
    pub custom_section_count: u32,
    /// Payload of the first `wasm-sdk.validated` section (the stamp of
    /// [`Host::stamp`](crate::Host::stamp)), if present and at most
    /// [`crate::trust::STAMP_LEN`] bytes long; longer ones are kept empty,
    /// which matches no stamp.
    pub stamp: Option<Vec<u8>>,
    /// Number of functions, imported and defined.
    pub functions: u32,
    /// The defined function with the most locals (parameters included), as
    /// `(function index, locals)`; `None` without code.
    pub most_locals: Option<(u32, u32)>,
    /// Initial value of the first mutable `i32` global (the stack pointer
    /// in Rust guests), if it is a constant.
    pub stack_pointer: Option<i32>,
}

impl ModuleInfo {
    /// Reads a module's structure. Does not validate code: a module that
    /// parses here can still be rejected by [`Host::load`](crate::Host::load).
    ///
    /// # Errors
    ///
    /// A message when the bytes are not a well-formed module.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        check_header(bytes)?;
        Self::parse_inner(bytes).map_err(|e| alloc::format!("{e}"))
    }

    fn parse_inner(bytes: &[u8]) -> wasmparser::Result<Self> {
        let mut info = ModuleInfo { size: bytes.len(), ..ModuleInfo::default() };
        let mut types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
        let mut func_types: Vec<u32> = Vec::new();
        let mut exports = Vec::new();
        let mut bodies = 0u32;
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
                        if let TypeRef::Func(ty) = import.ty {
                            func_types.push(ty);
                            let (params, results) = lookup(&types, ty);
                            info.imports.push(FuncInfo {
                                module: import.module.into(),
                                name: import.name.into(),
                                params,
                                results,
                            });
                        } else {
                            info.other_imports.push((import.module.into(), import.name.into()));
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
                        info.memories.push(MemoryInfo {
                            initial: memory.initial,
                            maximum: memory.maximum,
                            page_size: 1u64 << memory.page_size_log2.unwrap_or(16).min(16),
                            memory64: memory.memory64,
                            shared: memory.shared,
                        });
                    }
                }
                Payload::GlobalSection(reader) => {
                    for global in reader {
                        let global = global?;
                        let is_i32 = global.ty.content_type == ValType::I32;
                        if global.ty.mutable && is_i32 && info.stack_pointer.is_none() {
                            let mut ops = global.init_expr.get_operators_reader();
                            if let Ok(wasmparser::Operator::I32Const { value }) = ops.read() {
                                info.stack_pointer = Some(value);
                            }
                        }
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export?;
                        exports.push((export.name.to_owned(), export.kind, export.index));
                    }
                }
                Payload::StartSection { .. } => info.has_start = true,
                Payload::CodeSectionEntry(body) => {
                    let index = u32::try_from(info.imports.len()).unwrap_or(u32::MAX);
                    let index = index.saturating_add(bodies);
                    bodies = bodies.saturating_add(1);
                    let ty = func_types.get(index as usize).copied().unwrap_or(u32::MAX);
                    let params = types.get(ty as usize).map_or(0, |(params, _)| params.len());
                    let mut locals = u32::try_from(params).unwrap_or(u32::MAX);
                    for group in body.get_locals_reader()? {
                        locals = locals.saturating_add(group?.0);
                    }
                    if info.most_locals.is_none_or(|(_, most)| locals > most) {
                        info.most_locals = Some((index, locals));
                    }
                }
                Payload::CustomSection(reader) => {
                    info.custom_section_count = info.custom_section_count.saturating_add(1);
                    if info.custom_sections.len() < LISTED_SECTIONS {
                        info.custom_sections.push(reader.name().into());
                    }
                    if reader.name() == crate::trust::STAMP_SECTION && info.stamp.is_none() {
                        let data = reader.data();
                        let kept = if data.len() <= crate::trust::STAMP_LEN { data } else { &[] };
                        info.stamp = Some(kept.to_vec());
                    }
                    if reader.name() == MANIFEST_SECTION && info.manifest_len.is_none() {
                        // Bounded before it is copied.
                        info.manifest_len = Some(reader.data().len());
                        if reader.data().len() <= MAX_MANIFEST_LEN {
                            info.manifest = Some(reader.data().to_vec());
                        }
                    }
                }
                _ => {}
            }
        }
        info.functions = u32::try_from(func_types.len()).unwrap_or(u32::MAX);
        for (name, kind, index) in exports {
            if kind == ExternalKind::Func {
                let ty = func_types.get(index as usize).copied().unwrap_or(u32::MAX);
                let (params, results) = lookup(&types, ty);
                info.func_exports.push(FuncInfo { module: String::new(), name, params, results });
            } else {
                info.other_exports.push((name, kind));
            }
        }
        Ok(info)
    }

    /// The exported function `name`.
    pub fn func_export(&self, name: &str) -> Option<&FuncInfo> {
        self.func_exports.iter().find(|f| f.name == name)
    }

    /// Whether a non-function export `name` of `kind` exists.
    pub fn has_export(&self, name: &str, kind: ExternalKind) -> bool {
        self.other_exports.iter().any(|(n, k)| n == name && *k == kind)
    }
}

/// The magic number and version of a core module, with a text saying
/// what else the bytes are.
pub(crate) fn check_header(bytes: &[u8]) -> Result<(), String> {
    if !bytes.starts_with(b"\0asm") {
        return Err("missing the `\\0asm` magic number".into());
    }
    if bytes.get(4..8).is_some_and(|version| version != [1, 0, 0, 0]) {
        return Err("not a core Wasm module (version 1); components are not supported".into());
    }
    Ok(())
}

fn lookup(types: &[(Vec<ValType>, Vec<ValType>)], ty: u32) -> (Vec<ValType>, Vec<ValType>) {
    types.get(ty as usize).cloned().unwrap_or_default()
}
