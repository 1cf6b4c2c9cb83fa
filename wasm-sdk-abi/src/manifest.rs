//! The `wasm-sdk.manifest` custom section.
//!
//! Layout, version 1 (all integers little endian, no padding, no trailing
//! bytes):
//!
//! ```text
//! abi_version: u16
//! input_count: u8,  then input_count  x (name_len: u8, name: [u8; name_len])
//! output_count: u8, then output_count x (name_len: u8, name: [u8; name_len])
//! ```
//!
//! Names are UTF-8, 1 to [`MAX_NAME_LEN`] bytes, unique within their list,
//! and list `i` names index `i`. A module has at most [`MAX_PORTS`] inputs
//! and at most as many outputs.
//!
//! [`encode`] runs in `const` context so `#[task_run]` builds the section
//! at compile time; [`Manifest::parse`] reads it without allocating.

use crate::ABI_VERSION;

/// Name of the custom section.
pub const MANIFEST_SECTION: &str = "wasm-sdk.manifest";
/// Longest input or output name, in bytes.
pub const MAX_NAME_LEN: usize = 255;
/// Most inputs (and most outputs) a module can declare.
pub const MAX_PORTS: usize = 255;

/// Size in bytes of the section for these names.
///
/// # Panics
///
/// If a list or name exceeds the limits above (at compile time when used
/// in a `const`).
pub const fn encoded_len(inputs: &[&str], outputs: &[&str]) -> usize {
    2 + list_len(inputs) + list_len(outputs)
}

const fn list_len(names: &[&str]) -> usize {
    assert!(names.len() <= MAX_PORTS, "too many inputs or outputs");
    let mut len = 1;
    let mut i = 0;
    while i < names.len() {
        let n = names[i].len();
        assert!(n > 0 && n <= MAX_NAME_LEN, "input or output name length out of range");
        len += 1 + n;
        i += 1;
    }
    len
}

/// Encodes the section for [`ABI_VERSION`]. `N` must be
/// [`encoded_len`]`(inputs, outputs)`.
///
/// # Panics
///
/// If `N` is wrong or a limit is exceeded (at compile time in a `const`).
pub const fn encode<const N: usize>(inputs: &[&str], outputs: &[&str]) -> [u8; N] {
    assert!(N == encoded_len(inputs, outputs), "manifest length mismatch");
    let mut out = [0u8; N];
    let version = ABI_VERSION.to_le_bytes();
    out[0] = version[0];
    out[1] = version[1];
    let at = write_list(&mut out, 2, inputs);
    write_list(&mut out, at, outputs);
    out
}

const fn write_list<const N: usize>(out: &mut [u8; N], mut at: usize, names: &[&str]) -> usize {
    out[at] = names.len() as u8;
    at += 1;
    let mut i = 0;
    while i < names.len() {
        let bytes = names[i].as_bytes();
        out[at] = bytes.len() as u8;
        at += 1;
        let mut j = 0;
        while j < bytes.len() {
            out[at] = bytes[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    at
}

/// The index of `name` in a list of port names (index order), as a port
/// index. Every host and tool resolves names to indices with this.
pub fn position<S: AsRef<str>>(names: &[S], name: &str) -> Option<u8> {
    let index = names.iter().position(|n| n.as_ref() == name)?;
    u8::try_from(index).ok()
}

/// Why a manifest section could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestError {
    /// The section ends inside a field.
    Truncated,
    /// Bytes follow the output list.
    TrailingBytes,
    /// A name is empty.
    EmptyName,
    /// A name is not UTF-8.
    InvalidUtf8,
    /// A name appears twice in one list.
    DuplicateName,
}

impl ManifestError {
    /// A short lowercase description.
    pub const fn as_str(self) -> &'static str {
        match self {
            ManifestError::Truncated => "manifest is truncated",
            ManifestError::TrailingBytes => "manifest has trailing bytes",
            ManifestError::EmptyName => "manifest has an empty name",
            ManifestError::InvalidUtf8 => "manifest name is not UTF-8",
            ManifestError::DuplicateName => "manifest has a duplicate name",
        }
    }
}

impl core::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for ManifestError {}

/// A parsed manifest borrowing the section bytes.
///
/// Parsing checks the structure only; comparing [`Manifest::abi_version`]
/// with the versions a host supports is the host's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Manifest<'a> {
    abi_version: u16,
    inputs: Names<'a>,
    outputs: Names<'a>,
}

impl<'a> Manifest<'a> {
    /// Parses a section's payload.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ManifestError> {
        let (version, rest) = bytes.split_first_chunk::<2>().ok_or(ManifestError::Truncated)?;
        let (inputs, rest) = Names::parse(rest)?;
        let (outputs, rest) = Names::parse(rest)?;
        if !rest.is_empty() {
            return Err(ManifestError::TrailingBytes);
        }
        Ok(Manifest { abi_version: u16::from_le_bytes(*version), inputs, outputs })
    }

    /// The ABI version the module was built against.
    pub fn abi_version(&self) -> u16 {
        self.abi_version
    }

    /// Input names; position is the input index.
    pub fn inputs(&self) -> Names<'a> {
        self.inputs
    }

    /// Output names; position is the output index.
    pub fn outputs(&self) -> Names<'a> {
        self.outputs
    }
}

/// One list of names in a [`Manifest`]; iterate it or look names up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Names<'a> {
    count: usize,
    bytes: &'a [u8],
}

impl<'a> Names<'a> {
    fn parse(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), ManifestError> {
        let (&count, mut rest) = bytes.split_first().ok_or(ManifestError::Truncated)?;
        let start = rest;
        for i in 0..usize::from(count) {
            let (&len, tail) = rest.split_first().ok_or(ManifestError::Truncated)?;
            let len = usize::from(len);
            if len == 0 {
                return Err(ManifestError::EmptyName);
            }
            if tail.len() < len {
                return Err(ManifestError::Truncated);
            }
            let (name, tail) = tail.split_at(len);
            let name = core::str::from_utf8(name).map_err(|_| ManifestError::InvalidUtf8)?;
            let seen = Names { count: i, bytes: start };
            if seen.iter().any(|earlier| earlier == name) {
                return Err(ManifestError::DuplicateName);
            }
            rest = tail;
        }
        let used = start.len() - rest.len();
        Ok((Names { count: usize::from(count), bytes: &start[..used] }, rest))
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The names in index order.
    pub fn iter(&self) -> NamesIter<'a> {
        NamesIter { left: self.count, bytes: self.bytes }
    }

    /// The name at `index`.
    pub fn get(&self, index: usize) -> Option<&'a str> {
        self.iter().nth(index)
    }

    /// The index of `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.iter().position(|n| n == name)
    }
}

impl<'a> IntoIterator for Names<'a> {
    type Item = &'a str;
    type IntoIter = NamesIter<'a>;
    fn into_iter(self) -> NamesIter<'a> {
        self.iter()
    }
}

/// Iterator over a [`Names`] list.
#[derive(Clone, Debug)]
pub struct NamesIter<'a> {
    left: usize,
    bytes: &'a [u8],
}

impl<'a> Iterator for NamesIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // `Names::parse` validated every entry, so these splits succeed;
        // `?` keeps a corrupted copy from panicking anyway.
        let (&len, tail) = self.bytes.split_first()?;
        let (name, tail) = tail.split_at_checked(usize::from(len))?;
        self.bytes = tail;
        core::str::from_utf8(name).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{vec, vec::Vec};

    const INPUTS: &[&str] = &["wasm_input", "b"];
    const OUTPUTS: &[&str] = &["wasm_data"];
    const LEN: usize = encoded_len(INPUTS, OUTPUTS);
    const BYTES: [u8; LEN] = encode::<LEN>(INPUTS, OUTPUTS);

    #[test]
    fn layout_is_as_documented() {
        let mut expected = vec![1, 0, 2, 10];
        expected.extend_from_slice(b"wasm_input");
        expected.extend_from_slice(&[1, b'b', 1, 9]);
        expected.extend_from_slice(b"wasm_data");
        assert_eq!(BYTES.as_slice(), expected.as_slice());
    }

    #[test]
    fn round_trip() {
        let m = Manifest::parse(&BYTES).unwrap();
        assert_eq!(m.abi_version(), ABI_VERSION);
        assert_eq!(m.inputs().iter().collect::<Vec<_>>(), INPUTS);
        assert_eq!(m.outputs().iter().collect::<Vec<_>>(), OUTPUTS);
        assert_eq!(m.inputs().index_of("b"), Some(1));
        assert_eq!(m.outputs().get(0), Some("wasm_data"));
        assert_eq!(m.outputs().get(1), None);
    }

    #[test]
    fn empty_lists() {
        let bytes = encode::<4>(&[], &[]);
        let m = Manifest::parse(&bytes).unwrap();
        assert!(m.inputs().is_empty() && m.outputs().is_empty());
    }

    #[test]
    fn every_truncation_is_an_error() {
        for cut in 0..BYTES.len() {
            assert_eq!(
                Manifest::parse(&BYTES[..cut]),
                Err(ManifestError::Truncated),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn malformed_sections_are_errors() {
        let mut trailing = BYTES.to_vec();
        trailing.push(0);
        assert_eq!(Manifest::parse(&trailing), Err(ManifestError::TrailingBytes));
        assert_eq!(Manifest::parse(&[1, 0, 1, 0, 0]), Err(ManifestError::EmptyName));
        assert_eq!(Manifest::parse(&[1, 0, 1, 1, 0xff, 0]), Err(ManifestError::InvalidUtf8));
        assert_eq!(
            Manifest::parse(&[1, 0, 2, 1, b'a', 1, b'a', 0]),
            Err(ManifestError::DuplicateName)
        );
    }
}
