//! The repository's hostile set (`tests/fixtures/hostile/*.wat`): modules that
//! attack the host, each with what it does, the limit that stops it, and
//! the outcome the desktop test host and the firmware must show.
//!
//! One reader for every user: the desktop test runs the set on the test
//! host and writes the book's table from it; the QEMU firmware's build
//! script embeds the set and its firmware outcomes. Each module starts with
//! four comment lines:
//!
//! ```text
//! ;; hostile: recurses without end
//! ;; limit: max_call_depth (256 frames)
//! ;; test-host: trapped call stack exhausted
//! ;; firmware: trapped call stack exhausted
//! ```
//!
//! An outcome is a kind (`refused`, `trapped`, `finished`, `out-of-fuel`,
//! `full`, `running`, `blocked`) and optionally a text the host's
//! description must contain ([`Outcome::matches`]).

use std::path::Path;

/// One module of the hostile set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hostile {
    /// The file's stem, e.g. `deep_recursion`.
    pub name: String,
    /// What the module does.
    pub behaviour: String,
    /// The limit that applies.
    pub limit: String,
    /// Its outcome on the desktop test host.
    pub test_host: Outcome,
    /// Its outcome on the firmware, beside the counter.
    pub firmware: Outcome,
    /// The module, compiled from its WAT.
    pub wasm: Vec<u8>,
}

/// An expected outcome: a kind and a text its description contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `refused`, `trapped`, `finished`, `out-of-fuel`, `full`, `running`,
    /// `blocked` or `waiting` (the inputs, by index, space-separated).
    pub kind: String,
    /// Text the outcome's description must contain; may be empty.
    pub text: String,
}

/// The outcome kinds an expectation may name.
pub const KINDS: [&str; 8] =
    ["refused", "trapped", "finished", "out-of-fuel", "full", "running", "blocked", "waiting"];

impl Outcome {
    /// Parses `kind [text]`.
    ///
    /// # Errors
    ///
    /// The kind is not one of [`KINDS`].
    pub fn parse(line: &str) -> Result<Self, String> {
        let (kind, text) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        if !KINDS.contains(&kind) {
            return Err(format!("unknown outcome `{kind}`; one of {}", KINDS.join(", ")));
        }
        Ok(Outcome { kind: kind.into(), text: text.trim().into() })
    }

    /// Whether a host's `kind` and description of what happened match.
    pub fn matches(&self, kind: &str, description: &str) -> bool {
        self.kind == kind && description.contains(&self.text)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.text.as_str() {
            "" => f.write_str(&self.kind),
            text => write!(f, "{} ({text})", self.kind),
        }
    }
}

/// Reads every `*.wat` of `dir`, sorted by name, and compiles it.
///
/// # Errors
///
/// A file that cannot be read, lacks a header line, names an unknown
/// outcome or is not valid WAT.
pub fn read_set(dir: &Path) -> Result<Vec<Hostile>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wat"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| read_one(path).map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

/// The value of a fixture's header line `;; key: value`.
///
/// # Errors
///
/// The text has no such line.
pub fn header(text: &str, key: &str) -> Result<String, String> {
    let prefix = format!(";; {key}:");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|value| value.trim().to_owned())
        .ok_or_else(|| format!("no `{prefix}` line"))
}

fn read_one(path: &Path) -> Result<Hostile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let header = |key: &str| header(&text, key);
    let wasm = wat::parse_str(&text).map_err(|e| e.to_string())?;
    Ok(Hostile {
        name: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        behaviour: header("hostile")?,
        limit: header("limit")?,
        test_host: Outcome::parse(&header("test-host")?)?,
        firmware: Outcome::parse(&header("firmware")?)?,
        wasm,
    })
}
