//! Modules that are small in bytes and heavy to load: thousands of one
//! item (function types, globals, exports, nested blocks, ...), as an
//! attacker packs them into an update slot to run the firmware's heap out
//! while the module is checked.
//!
//! One generator for every user: the host's desktop test measures each
//! item's cost with them and checks the host's estimate against it; the
//! QEMU firmware's build script embeds a sweep of them for check 8, which
//! runs the install check on each on the firmware's own heap.

use std::fmt::Write as _;

use wasm_sdk_abi::manifest::{MANIFEST_SECTION, append_custom_section};

/// One heavy module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heavy {
    /// What it is made of, e.g. `types`.
    pub kind: &'static str,
    /// How many of them.
    pub count: u32,
    /// The module.
    pub wasm: Vec<u8>,
}

/// The kinds of item [`heavy`] makes modules of.
pub const HEAVY_KINDS: [&str; 18] = [
    "types",
    "globals",
    "exports",
    "imports",
    "functions",
    "wide-functions",
    "nesting",
    "br-table",
    "operands",
    "code",
    "straight",
    "blocks",
    "elements",
    "element-segments",
    "data-segments",
    "passive-data",
    "tables",
    "table-slots",
];

/// A module made of `count` items of `kind` (one of [`HEAVY_KINDS`]),
/// with the ABI's exports and `manifest` as its `wasm-sdk.manifest`
/// section, so that only what `kind` adds differs from a valid guest.
/// Its memory has no pages: what it costs to load is all structure.
///
/// # Errors
///
/// An unknown kind.
pub fn heavy(kind: &str, count: u32, manifest: &[u8]) -> Result<Heavy, String> {
    let kind = HEAVY_KINDS
        .into_iter()
        .find(|known| *known == kind)
        .ok_or_else(|| format!("unknown kind `{kind}`; one of {}", HEAVY_KINDS.join(", ")))?;
    let n = count as usize;
    let mut s = String::new();
    let mut imports = String::new();
    match kind {
        "types" => {
            // Distinct types: wasmi and the validator keep one entry each.
            const VALUES: [&str; 4] = ["i32", "i64", "f32", "f64"];
            for i in 0..n {
                s.push_str("(type (func (param");
                let mut k = i;
                loop {
                    let _ = write!(s, " {}", VALUES[k % 4]);
                    k /= 4;
                    if k == 0 {
                        break;
                    }
                }
                s.push_str(")))\n");
            }
        }
        "globals" => s = "(global (mut i64) (i64.const 0))\n".repeat(n),
        "exports" => {
            s.push_str("(func $f)\n");
            for i in 0..n {
                let _ = writeln!(s, "(export \"e{i}\" (func $f))");
            }
        }
        "imports" => {
            for i in 0..n {
                let _ = writeln!(
                    imports,
                    "(import \"connectors\" \"log\" (func $l{i} (param i32 i32 i32) (result i32)))"
                );
            }
        }
        "functions" => s = "(func)\n".repeat(n),
        "wide-functions" => {
            s = "(func (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32 i32 i32) unreachable)\n"
                .repeat(n);
        }
        "nesting" => s = format!("(func {} {})", "(block ".repeat(n), ")".repeat(n)),
        "br-table" => {
            s = format!("(func (block $b (br_table {} $b (i32.const 0))))", "$b ".repeat(n));
        }
        "operands" => {
            s = format!("(func (local i32) {} {})", "(local.get 0)".repeat(n), "(drop)".repeat(n));
        }
        "code" => {
            s = format!(
                "(func (local i32) {})",
                "(if (local.get 0) (then (local.set 0 (i32.const 1))))".repeat(n)
            );
        }
        "straight" => {
            s = format!(
                "(func (local i32) {})",
                "(local.set 0 (i32.add (local.get 0) (i32.const 1)))".repeat(n)
            );
        }
        "blocks" => s = format!("(func {})", "(block)".repeat(n)),
        "elements" => {
            s = format!("(table {n} funcref) (func $f) (elem (i32.const 0) {})", "$f ".repeat(n));
        }
        "element-segments" => {
            s = String::from("(table 1 funcref) (func $f)\n");
            s.push_str(&"(elem (i32.const 0) $f)\n".repeat(n));
        }
        "data-segments" => s = "(data (i32.const 0) \"\")\n".repeat(n),
        "passive-data" => s = "(data \"a\")\n".repeat(n),
        "tables" => s = "(table 0 funcref)\n".repeat(n),
        "table-slots" => s = format!("(table {n} funcref)"),
        _ => unreachable!("checked above"),
    }
    let text = format!(
        "(module {imports}
  (memory (export \"memory\") 0)
  (func (export \"run_task\") (result i32) (i32.const 0))
  {s})"
    );
    let mut wasm = wat::parse_str(&text).map_err(|e| e.to_string())?;
    append_custom_section(&mut wasm, MANIFEST_SECTION, manifest);
    Ok(Heavy { kind, count, wasm })
}
