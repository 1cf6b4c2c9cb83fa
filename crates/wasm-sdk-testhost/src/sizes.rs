//! Where a module's bytes go: its sections, its largest functions, and
//! what links `core::fmt`, the way cargo-bloat or twiggy tell it.

use std::collections::{BTreeSet, HashMap, VecDeque};

use wasmparser::{KnownCustom, Name, Operator, Parser, Payload};

/// A module's bytes by section and by function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleSizes {
    /// The module's size in bytes.
    pub total: usize,
    /// Each section's bytes (its payload; custom sections by name), in
    /// the module's order.
    pub sections: Vec<(String, usize)>,
    /// The defined functions, largest first (body bytes).
    pub functions: Vec<FunctionSize>,
    /// Whether the module has a name section: without one, functions are
    /// known by index only and `core::fmt` cannot be told.
    pub named: bool,
    /// What links `core::fmt`, when the names tell.
    pub fmt: Option<FmtUse>,
}

/// One defined function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionSize {
    /// Its index (imports first, as in the name section).
    pub index: u32,
    /// Its name, demangled without the hash, when the module has names.
    pub name: Option<String>,
    /// Its body's bytes.
    pub bytes: usize,
}

/// The formatting machinery in a module and where it is reached from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FmtUse {
    /// Functions of `core::fmt` (and the string counting it does).
    pub functions: usize,
    /// Their body bytes.
    pub bytes: usize,
    /// The functions outside `core` and `alloc` that reach them through
    /// calls: the code that pulls formatting in (a panic site's caller,
    /// a `write!`).
    pub reached_from: Vec<String>,
}

impl ModuleSizes {
    /// Reads a module's sizes.
    ///
    /// # Errors
    ///
    /// The module is not well-formed Wasm.
    pub fn of(wasm: &[u8]) -> Result<Self, String> {
        let mut sections = Vec::new();
        let mut imported = 0u32;
        let mut bodies: Vec<(usize, BTreeSet<u32>)> = Vec::new();
        let mut names: HashMap<u32, String> = HashMap::new();
        let mut named = false;
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(|e| format!("not a wasm module: {e}"))?;
            if let Payload::CustomSection(custom) = &payload {
                sections.push((format!("custom `{}`", custom.name()), custom.data().len()));
                if let KnownCustom::Name(reader) = custom.as_known() {
                    named = true;
                    for name in reader.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                names.insert(naming.index, demangled(naming.name));
                            }
                        }
                    }
                }
                continue;
            }
            if let Some((id, range)) = payload.as_section() {
                sections.push((section_name(id).to_owned(), range.len()));
            }
            match payload {
                Payload::ImportSection(reader) => {
                    for import in reader.into_iter().flatten() {
                        if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut callees = BTreeSet::new();
                    let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
                    while !ops.eof() {
                        match ops.read() {
                            Ok(Operator::Call { function_index }) => {
                                callees.insert(function_index);
                            }
                            Ok(_) => {}
                            Err(e) => return Err(format!("not a wasm module: {e}")),
                        }
                    }
                    bodies.push((body.range().len(), callees));
                }
                _ => {}
            }
        }
        let index = |i: usize| imported + i as u32;
        let mut functions: Vec<FunctionSize> = bodies
            .iter()
            .enumerate()
            .map(|(i, (bytes, _))| FunctionSize {
                index: index(i),
                name: names.get(&index(i)).cloned(),
                bytes: *bytes,
            })
            .collect();
        functions.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.index.cmp(&b.index)));
        let fmt = named.then(|| {
            let calls: Vec<(u32, &BTreeSet<u32>)> =
                bodies.iter().enumerate().map(|(i, (_, c))| (index(i), c)).collect();
            fmt_use(&functions, &calls)
        });
        Ok(ModuleSizes { total: wasm.len(), sections, functions, named, fmt: fmt.flatten() })
    }
}

/// `core::fmt`'s functions and who reaches them, if any are linked.
fn fmt_use(functions: &[FunctionSize], calls: &[(u32, &BTreeSet<u32>)]) -> Option<FmtUse> {
    let name = |index: u32| functions.iter().find(|f| f.index == index)?.name.as_deref();
    let is_fmt = |n: &str| n.contains("core::fmt") || n.starts_with("core::str::count");
    let fmt: BTreeSet<u32> = functions
        .iter()
        .filter(|f| f.name.as_deref().is_some_and(is_fmt))
        .map(|f| f.index)
        .collect();
    if fmt.is_empty() {
        return None;
    }
    let bytes = functions.iter().filter(|f| fmt.contains(&f.index)).map(|f| f.bytes).sum();
    // Walk the calls backwards from the formatting functions.
    let mut callers: HashMap<u32, Vec<u32>> = HashMap::new();
    for (caller, callees) in calls {
        for callee in callees.iter() {
            callers.entry(*callee).or_default().push(*caller);
        }
    }
    // Core's panics reach the formatting through the function pointers
    // of their messages, not calls: they are where the walk starts too.
    let panics = functions.iter().filter(|f| {
        f.name.as_deref().is_some_and(|n| n.starts_with("core::panicking::") || n.contains("_fail"))
    });
    let seeds: BTreeSet<u32> = fmt.iter().copied().chain(panics.map(|f| f.index)).collect();
    let mut seen: BTreeSet<u32> = seeds.clone();
    let mut queue: VecDeque<u32> = seeds.iter().copied().collect();
    while let Some(f) = queue.pop_front() {
        for &caller in callers.get(&f).into_iter().flatten() {
            if seen.insert(caller) {
                queue.push_back(caller);
            }
        }
    }
    let library = |n: &str| {
        ["core::", "alloc::", "<core::", "<alloc::", "compiler_builtins::"]
            .iter()
            .any(|prefix| n.starts_with(prefix))
    };
    let reached_from = seen
        .iter()
        .filter(|f| !seeds.contains(f))
        .filter_map(|&f| name(f))
        .filter(|n| !library(n))
        .map(str::to_owned)
        .collect();
    Some(FmtUse { functions: fmt.len(), bytes, reached_from })
}

/// A symbol demangled, without its hash.
fn demangled(symbol: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(symbol))
}

/// The name of a section by its id.
fn section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data count",
        13 => "tag",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_sdk_build::fixture::Fixture;

    /// Sections, functions largest first, and the code that reaches the
    /// formatting: through a panic function, whose call to the formatter
    /// the walk need not see.
    #[test]
    fn sizes_name_the_code_that_links_formatting() {
        let wasm = Fixture::new(
            r#"(module
              (memory (export "memory") 1)
              (func $core::fmt::Formatter::pad (param i32) (result i32)
                (i32.add (local.get 0) (i32.const 1)))
              (func $core::panicking::panic_bounds_check (unreachable))
              (func $app::index (param i32) (result i32)
                (if (i32.gt_u (local.get 0) (i32.const 8)) (then (call $core::panicking::panic_bounds_check)))
                (local.get 0))
              (func $app::quiet (result i32) (i32.const 0))
              (func $run_task (export "run_task") (result i32)
                (drop (call $app::index (i32.const 1)))
                (call $app::quiet)))"#,
        )
        .build();
        let sizes = ModuleSizes::of(&wasm).expect("a module");
        assert_eq!(sizes.total, wasm.len());
        assert!(sizes.named);
        assert!(sizes.sections.iter().any(|(name, _)| name == "code"));
        assert!(sizes.sections.iter().any(|(name, _)| name == "custom `wasm-sdk.manifest`"));
        let bytes: Vec<usize> = sizes.functions.iter().map(|f| f.bytes).collect();
        assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "largest first: {bytes:?}");
        let fmt = sizes.fmt.expect("core::fmt is linked");
        assert_eq!(fmt.functions, 1);
        assert_eq!(fmt.reached_from, ["app::index", "run_task"]);
    }

    /// A module without `core::fmt` says so; one without names cannot tell.
    #[test]
    fn no_formatting_or_no_names() {
        let quiet = Fixture::new(
            r#"(module (memory (export "memory") 1)
              (func $app::run (export "run_task") (result i32) (i32.const 0)))"#,
        )
        .build();
        let sizes = ModuleSizes::of(&quiet).expect("a module");
        assert!(sizes.named && sizes.fmt.is_none());
        let anonymous = Fixture::new(
            r#"(module (memory (export "memory") 1)
              (func (export "run_task") (result i32) (i32.const 0)))"#,
        )
        .build();
        let sizes = ModuleSizes::of(&anonymous).expect("a module");
        assert!(!sizes.named && sizes.fmt.is_none());
        assert_eq!(sizes.functions[0].name, None);
    }
}
