//! The over-the-air hostile set: `tests/ota/*.wat` (behaviour on trial,
//! outputs, inputs, text), modules generated here for the shapes that are
//! about size (thousands of types, globals, exports, nested blocks within
//! the slot) and malformed binaries, and messages sent to the built-in
//! counter. Every module carries the counter's manifest, so it passes the
//! wiring check and reaches whatever it attacks.
//!
//! A `.wat` file starts with three comment lines:
//!
//! ```text
//! ;; ota: takes its first message, then computes for ever
//! ;; class: trial-spin
//! ;; expect: rolled-back
//! ```
//!
//! `expect` names one or more outcomes (`refused`, `rolled-back`,
//! `running`), separated by ` or `: what the firmware must end with.

use std::fmt::Write as _;
use std::path::Path;

/// The size the generated cases fill: a 16 KiB bank less its 64-byte
/// header, the QEMU slot when the set was made. The slot holds a 64 KiB
/// module now; the set's results are for modules of this size.
pub const SLOT: usize = 16 * 1024 - 64;

/// How a case must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The upload was refused with a reason.
    Refused,
    /// Swapped in, then rolled back (or fell back): the counter's module
    /// runs again.
    RolledBack,
    /// Runs within its budgets: confirmed, or (a message) the counter
    /// kept counting.
    Running,
}

impl Outcome {
    /// The name used in the fixtures and the results.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Refused => "refused",
            Outcome::RolledBack => "rolled-back",
            Outcome::Running => "running",
        }
    }

    fn parse(text: &str) -> Result<Vec<Outcome>, String> {
        text.split(" or ")
            .map(|word| match word.trim() {
                "refused" => Ok(Outcome::Refused),
                "rolled-back" => Ok(Outcome::RolledBack),
                "running" => Ok(Outcome::Running),
                other => Err(format!("unknown outcome `{other}`")),
            })
            .collect()
    }
}

/// What a case sends.
#[derive(Clone, Debug)]
pub enum Body {
    /// A module, uploaded into the counter's slot.
    Module(Vec<u8>),
    /// A message, queued on the running counter's input `wasm_input`.
    Message(Vec<u8>),
}

/// One case of the set.
#[derive(Clone, Debug)]
pub struct Case {
    /// Unique name (the fixture's stem).
    pub name: String,
    /// The class of attack.
    pub class: String,
    /// What it does.
    pub what: String,
    /// The outcomes that pass.
    pub expect: Vec<Outcome>,
    /// The module or message.
    pub body: Body,
}

impl Case {
    /// The expected outcomes as one text, e.g. `running or rolled-back`.
    pub fn expected(&self) -> String {
        self.expect.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(" or ")
    }
}

/// Appends a custom section `name` with `payload` to `module`.
pub fn with_custom(mut module: Vec<u8>, name: &str, payload: &[u8]) -> Vec<u8> {
    wasm_sdk_abi::manifest::append_custom_section(&mut module, name, payload);
    module
}

/// Unsigned LEB128.
pub fn leb(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// The set: the fixtures of `dir`, the generated modules and the messages,
/// each module with `manifest` (the counter's `wasm-sdk.manifest` payload)
/// appended.
///
/// # Errors
///
/// A fixture that cannot be read, lacks a header line or is not valid WAT,
/// a generated module over the slot, or two cases with one name.
pub fn set(dir: &Path, manifest: &[u8]) -> Result<Vec<Case>, String> {
    let mut cases = fixtures(dir, manifest)?;
    cases.extend(generated(manifest)?);
    cases.extend(messages());
    let mut names: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("two cases named {}", twice[0]));
    }
    Ok(cases)
}

fn fixtures(dir: &Path, manifest: &[u8]) -> Result<Vec<Case>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wat"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| fixture(path, manifest).map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

fn fixture(path: &Path, manifest: &[u8]) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let header = |key: &str| wasm_sdk_build::hostile::header(&text, key);
    let wasm = wat::parse_str(&text).map_err(|e| e.to_string())?;
    Ok(Case {
        name: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        class: header("class")?,
        what: header("ota")?,
        expect: Outcome::parse(&header("expect")?)?,
        body: Body::Module(with_custom(wasm, "wasm-sdk.manifest", manifest)),
    })
}

/// The counter's imports and memory, and `$answer` (receives one message
/// and answers it as is), as in the fixtures.
const PRELUDE: &str = r#"
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $answer (result i32) (local $n i32)
    (local.set $n (call $recv (i32.const 0) (i32.const 64) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (unreachable)))
    (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))
    (local.get $n))"#;

/// A module that answers every message, with `items` among its fields and
/// `before` run once before its loop.
fn answering(items: &str, before: &str) -> String {
    format!(
        "(module {PRELUDE}\n  {items}\n  (func (export \"run_task\") (result i32)\n    {before}\n    \
         (loop $l (drop (call $answer)) (br $l))\n    (i32.const 0)))"
    )
}

/// The largest `n` (at most `max`) whose module, manifest appended, fits
/// the slot; the module compiled from `wat(n)`.
fn fit(
    manifest: &[u8],
    max: usize,
    wat: impl Fn(usize) -> String,
) -> Result<(usize, Vec<u8>), String> {
    let build = |n: usize| -> Result<Vec<u8>, String> {
        let wasm = wat::parse_str(wat(n)).map_err(|e| e.to_string())?;
        Ok(with_custom(wasm, "wasm-sdk.manifest", manifest))
    };
    let (mut low, mut high) = (1usize, max);
    if build(low)?.len() > SLOT {
        return Err(format!("the smallest module is over the {SLOT} B slot"));
    }
    while low < high {
        let mid = (low + high).div_ceil(2);
        if build(mid)?.len() <= SLOT { low = mid } else { high = mid - 1 }
    }
    Ok((low, build(low)?))
}

fn repeat(n: usize, item: impl Fn(usize) -> String) -> String {
    (0..n).fold(String::new(), |mut s, i| {
        let _ = write!(s, "{} ", item(i));
        s
    })
}

fn case(name: &str, class: &str, what: String, expect: &[Outcome], wasm: Vec<u8>) -> Case {
    Case {
        name: name.into(),
        class: class.into(),
        what,
        expect: expect.to_vec(),
        body: Body::Module(wasm),
    }
}

/// A function type for `i`: parameters spelled in base 4 over the four
/// number types, so every `i` has a type of its own.
fn distinct_type(i: usize) -> String {
    let mut params = String::new();
    let mut rest = i + 1;
    while rest > 0 {
        params += ["i32 ", "i64 ", "f32 ", "f64 "][rest % 4];
        rest /= 4;
    }
    format!("(type (func (param {params})))")
}

fn generated(manifest: &[u8]) -> Result<Vec<Case>, String> {
    use Outcome::{Refused, RolledBack, Running};
    let mut cases = Vec::new();
    let mut sized =
        |name: &str, what: &str, expect: &[Outcome], max, wat: &dyn Fn(usize) -> String| {
            let (n, wasm) = fit(manifest, max, wat).map_err(|e| format!("{name}: {e}"))?;
            let what = what.replace("{n}", &format_with_commas(n));
            cases.push(case(name, "install", format!("{what} ({} B)", wasm.len()), expect, wasm));
            Ok::<_, String>(())
        };
    sized("many_types_identical", "{n} identical function types", &[Refused], 8000, &|n| {
        answering(&repeat(n, |_| "(type (func))".into()), "")
    })?;
    sized("many_types_distinct", "{n} distinct function types", &[Refused], 4000, &|n| {
        answering(&repeat(n, distinct_type), "")
    })?;
    sized("many_globals", "{n} mutable i64 globals", &[Refused], 6000, &|n| {
        answering(&repeat(n, |_| "(global (mut i64) (i64.const 0))".into()), "")
    })?;
    sized("many_exports", "{n} exports of one function", &[Refused], 4000, &|n| {
        answering(&repeat(n, |i| format!("(export \"{i:x}\" (func $answer))")), "")
    })?;
    sized("deep_blocks", "blocks nested {n} deep", &[Refused], 8000, &|n| {
        answering("", &format!("{}{}", "(block ".repeat(n), ")".repeat(n)))
    })?;
    sized("deep_ifs", "ifs nested {n} deep", &[Refused], 8000, &|n| {
        let open = "(if (i32.const 0) (then ".repeat(n);
        answering("", &format!("{open}{}", "))".repeat(n)))
    })?;
    sized("deep_loops", "loops nested {n} deep", &[Refused], 8000, &|n| {
        answering("", &format!("{}{}", "(loop ".repeat(n), ")".repeat(n)))
    })?;
    sized(
        "br_table_huge",
        "a br_table with {n} targets, run on every message",
        &[Refused, Running],
        16000,
        &|n| {
            let targets = "0 ".repeat(n);
            answering("", &format!("(block (br_table {targets} 0 (i32.const 3)))"))
        },
    )?;
    sized("many_functions", "{n} functions (over max_functions)", &[Refused], 5000, &|n| {
        answering(&repeat(n, |_| "(func)".into()), "")
    })?;
    sized("many_imports", "{n} imports of `log`", &[Refused], 2000, &|n| {
        let imports = repeat(n, |_| {
            r#"(import "connectors" "log" (func (param i32 i32 i32) (result i32)))"#.into()
        });
        answering("", "").replacen("(module", &format!("(module {imports}"), 1)
    })?;
    sized("many_data_segments", "{n} active data segments", &[Refused], 5000, &|n| {
        answering(&repeat(n, |i| format!("(data (i32.const {}) \"a\")", i % 60000)), "")
    })?;
    sized(
        "many_passive_data",
        "{n} passive data segments, dropped on every message",
        &[Refused],
        5000,
        &|n| {
            answering(
                &repeat(n, |_| "(data \"a\")".into()),
                &repeat(n.min(50), |i| format!("(data.drop {i})")),
            )
        },
    )?;
    sized(
        "many_element_segments",
        "{n} element segments into a 1-entry table",
        &[Refused],
        5000,
        &|n| {
            answering(
                &format!(
                    "(table 1 funcref) {}",
                    repeat(n, |_| "(elem (i32.const 0) $answer)".into())
                ),
                "",
            )
        },
    )?;
    sized(
        "element_segment_overflow",
        "an element segment of {n} entries into a 256-entry table",
        &[Refused],
        16000,
        &|n| {
            answering(
                &format!("(table 256 funcref) (elem (i32.const 0) {})", "$answer ".repeat(n)),
                "",
            )
        },
    )?;
    sized("many_custom_sections", "{n} empty custom sections", &[Refused], 8000, &|n| {
        answering(&repeat(n, |i| format!("(@custom \"c{i}\" \"\")")), "")
    })?;
    sized(
        "many_local_entries",
        "one function declaring {n} locals in alternating entries",
        &[Refused],
        8000,
        &|n| {
            answering(
                &format!(
                    "(func {})",
                    repeat(n, |i| format!("(local {})", if i % 2 == 0 { "i32" } else { "i64" }))
                ),
                "",
            )
        },
    )?;
    sized(
        "big_data_segment",
        "a counter with a {n}-byte data segment (a big module within its budgets)",
        &[Running],
        16000,
        &|n| answering(&format!("(data (i32.const 1024) \"{}\")", "z".repeat(n)), ""),
    )?;
    sized(
        "long_function_body",
        "a counter that runs {n} no-ops on every message",
        &[Running, Refused],
        16000,
        &|n| answering("", &"(nop)".repeat(n)),
    )?;
    let table = |elements: u32| answering(&format!("(table {elements} funcref)"), "");
    let once = |name: &str, class: &str, what: &str, expect: &[Outcome], wat: String| {
        let wasm = wat::parse_str(wat).map_err(|e| format!("{name}: {e}"))?;
        Ok::<_, String>(case(
            name,
            class,
            what.into(),
            expect,
            with_custom(wasm, "wasm-sdk.manifest", manifest),
        ))
    };
    cases.push(once(
        "huge_table",
        "install",
        "a table of 1,000,000 entries (8 MB on instantiation)",
        &[Refused],
        table(1_000_000),
    )?);
    cases.push(once(
        "huge_memory_min",
        "install",
        "a memory of 1,000 pages (64 MB) from the start",
        &[Refused],
        answering("", "")
            .replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") 1000)"),
    )?);
    cases.push(once(
        "two_memories",
        "install",
        "two memories (multi-memory)",
        &[Refused],
        answering("(memory $second 1)", ""),
    )?);
    cases.push(once(
        "memory64",
        "install",
        "a 64-bit memory",
        &[Refused],
        answering("", "")
            .replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") i64 1)"),
    )?);
    cases.push(once(
        "unknown_import",
        "install",
        "imports `env.system`, which no host provides",
        &[Refused],
        answering("", "").replacen(
            "(module",
            "(module (import \"env\" \"system\" (func (param i32)))",
            1,
        ),
    )?);
    cases.push(once(
        "start_spins",
        "install",
        "a start function that computes for ever (runs at instantiation, before any trial)",
        &[Refused, RolledBack],
        answering("(func $spin (loop $l (br $l))) (start $spin)", ""),
    )?);
    cases.push(once(
        "start_traps",
        "install",
        "a start function that traps",
        &[Refused, RolledBack],
        answering("(func $boom (unreachable)) (start $boom)", ""),
    )?);
    cases.push(once(
        "run_task_wrong_type",
        "install",
        "exports `run_task` taking a parameter",
        &[Refused],
        answering("", "").replace(
            "(func (export \"run_task\") (result i32)",
            "(func (export \"run_task\") (param i32) (result i32)",
        ),
    )?);
    cases.push(once(
        "control_echo",
        "control",
        "a well-behaved module: answers every message as is",
        &[Running],
        answering("", ""),
    )?);
    // The name section: parsed by no host check, but a decoder may walk it.
    let names = name_section_bomb();
    let wasm = wat::parse_str(answering("", "")).map_err(|e| e.to_string())?;
    let bomb = with_custom(with_custom(wasm, "name", &names), "wasm-sdk.manifest", manifest);
    cases.push(case(
        "name_section_bomb",
        "install",
        format!("a `name` section of {} B naming one function thousands of times", names.len()),
        &[Refused, Running],
        bomb,
    ));
    cases.extend(malformed(manifest)?);
    Ok(cases)
}

fn format_with_commas(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A `name` section whose function-names subsection names function 0
/// again and again with long names.
fn name_section_bomb() -> Vec<u8> {
    let (count, name) = (120u64, [b'n'; 100]);
    let mut map = leb(count);
    for _ in 0..count {
        map.extend(leb(0));
        map.extend(leb(name.len() as u64));
        map.extend_from_slice(&name);
    }
    let mut section = vec![1];
    section.extend(leb(map.len() as u64));
    section.extend(map);
    section
}

/// Binaries broken at the byte level, from a valid answering module.
fn malformed(manifest: &[u8]) -> Result<Vec<Case>, String> {
    let valid = wat::parse_str(answering("", "")).map_err(|e| e.to_string())?;
    let m = |name: &str, what: &str, wasm: Vec<u8>| {
        case(
            name,
            "malformed",
            what.into(),
            &[Outcome::Refused],
            with_custom(wasm, "wasm-sdk.manifest", manifest),
        )
    };
    let mut bad_magic = valid.clone();
    bad_magic[1] = b'W';
    let mut bad_version = valid.clone();
    bad_version[4] = 2;
    let truncated = valid[..valid.len() * 2 / 3].to_vec();
    // The first section's size claims more than the module has.
    let mut past_end = valid.clone();
    past_end.splice(9..10, [0xff, 0xff, 0x03]);
    // A section size in 6 LEB bytes (5 at most for a u32).
    let mut overlong = valid[..8].to_vec();
    overlong.extend_from_slice(&[0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    overlong.extend_from_slice(&valid[8..]);
    // The type section again after the last one.
    let type_section = section(&valid, 1).ok_or("no type section")?;
    let mut duplicate = valid.clone();
    let code_at = section_offset(&valid, 10).ok_or("no code section")?;
    duplicate.splice(code_at..code_at, type_section.iter().copied());
    // An unknown section id.
    let mut unknown = valid.clone();
    unknown.extend_from_slice(&[0x42, 0x03, 1, 2, 3]);
    Ok(vec![
        m("bad_magic", "`\\0Wsm` instead of `\\0asm`", bad_magic),
        m("bad_version", "binary format version 2", bad_version),
        m("truncated", "the first two thirds of a valid module", truncated),
        m("section_past_end", "a section size past the end of the module", past_end),
        m("overlong_leb", "a section size in 6 LEB128 bytes", overlong),
        m("duplicate_section", "its type section twice, the second after the others", duplicate),
        m("unknown_section", "a section with id 0x42", unknown),
    ])
}

/// Offset of the first section with `id` in `wasm` (a valid module).
fn section_offset(wasm: &[u8], id: u8) -> Option<usize> {
    let mut at = 8;
    while at < wasm.len() {
        if wasm[at] == id {
            return Some(at);
        }
        let (size, used) = read_leb(&wasm[at + 1..])?;
        at += 1 + used + size;
    }
    None
}

/// The whole first section with `id`: id, size and content.
fn section(wasm: &[u8], id: u8) -> Option<Vec<u8>> {
    let at = section_offset(wasm, id)?;
    let (size, used) = read_leb(&wasm[at + 1..])?;
    Some(wasm[at..at + 1 + used + size].to_vec())
}

fn read_leb(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Messages queued on the built-in counter's input `wasm_input`.
fn messages() -> Vec<Case> {
    let message = |name: &str, what: &str, bytes: Vec<u8>| Case {
        name: name.into(),
        class: "message".into(),
        what: what.into(),
        expect: vec![Outcome::Running],
        body: Body::Message(bytes),
    };
    vec![
        message(
            "poison_six_bytes",
            "6 bytes to the counter's input: longer than its receive buffer",
            vec![0xff; 6],
        ),
        message(
            "poison_one_byte_bad",
            "1 byte that is no Counter (0xff: an unfinished varint)",
            vec![0xff],
        ),
        message("poison_200_bytes", "200 bytes to the counter's input", vec![0x41; 200]),
    ]
}
