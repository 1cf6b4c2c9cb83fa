//! The `wasm-sdk.manifest` custom section.
//!
//! Layout, version 2 (all integers little endian, no padding, no trailing
//! bytes):
//!
//! ```text
//! abi_version: u16
//! input_count: u8,  then input_count  x (name_len: u8, name: [u8; name_len], type: u8)
//! output_count: u8, then output_count x (name_len: u8, name: [u8; name_len], type: u8)
//! type_count: u8,   then type_count   x (key: [u8; 8], schema_len: u16, schema: [u8; schema_len])
//! ```
//!
//! Names are UTF-8, 1 to [`MAX_NAME_LEN`] bytes, unique within their list,
//! and list `i` names index `i`. A module has at most [`MAX_PORTS`] inputs
//! and at most as many outputs. A port's `type` is 0 for an untyped port
//! (raw bytes) or `t` for entry `t - 1` of the type list: the message
//! type's [`TypeKey`] and its schema as postcard encodes a postcard-schema
//! `NamedType` (see [`crate::schema`]); ports of one type share an entry.
//!
//! Version 1, from before typed ports, has no `type` bytes and no type
//! list; [`Manifest::parse`] reads both, every port of a version 1
//! manifest untyped.
//!
//! [`encode`] runs in `const` context so `#[task_run]` builds the section
//! at compile time; [`Manifest::parse`] reads it without allocating.

use postcard_schema::schema::NamedType;

use crate::ABI_VERSION;
use crate::schema::{
    MAX_SCHEMA_LEN, PortType, TypeKey, put, schema_len, schema_name, write_named_type,
};

/// Name of the custom section.
pub const MANIFEST_SECTION: &str = "wasm-sdk.manifest";

/// Appends a custom section `name` holding `payload` to the module
/// `wasm`: how a manifest, or a host's stamp, is added to a module built
/// without one (test fixtures, the host's `stamp`).
#[cfg(feature = "alloc")]
pub fn append_custom_section(wasm: &mut alloc::vec::Vec<u8>, name: &str, payload: &[u8]) {
    fn leb128(out: &mut alloc::vec::Vec<u8>, mut value: usize) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut name_len = alloc::vec::Vec::new();
    leb128(&mut name_len, name.len());
    wasm.push(0);
    leb128(wasm, name_len.len() + name.len() + payload.len());
    wasm.extend_from_slice(&name_len);
    wasm.extend_from_slice(name.as_bytes());
    wasm.extend_from_slice(payload);
}
/// Longest input or output name, in bytes.
pub const MAX_NAME_LEN: usize = 255;
/// Most inputs (and most outputs) a module can declare.
pub const MAX_PORTS: usize = 255;
/// Most distinct message types a manifest can list.
pub const MAX_TYPES: usize = 255;
/// Largest manifest section hosts read, in bytes; a larger one is refused
/// before it is copied ([`ManifestError::TooLong`]), and `#[task_run]`
/// does not build one.
pub const MAX_MANIFEST_LEN: usize = 8 * 1024;
/// The oldest manifest version hosts still read (untyped ports only).
pub const MIN_ABI_VERSION: u16 = 1;

/// Whether a port is an input or an output of a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortKind {
    /// A port the guest receives from.
    Input,
    /// A port the guest sends to.
    Output,
}

impl PortKind {
    /// `"input"` or `"output"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PortKind::Input => "input",
            PortKind::Output => "output",
        }
    }
}

/// One port as `#[task_run]` declares it to [`encode`].
#[derive(Clone, Copy, Debug)]
pub struct PortDecl<'a> {
    /// The port's name.
    pub name: &'a str,
    /// 0 (untyped), or 1 + its type's position in the type list.
    pub ty: u8,
}

/// One message type as `#[task_run]` declares it to [`encode`].
#[derive(Clone, Copy, Debug)]
pub struct TypeDecl {
    /// The type's key ([`TypeKey::of`]).
    pub key: TypeKey,
    /// The type's schema (`<T as Schema>::SCHEMA`).
    pub schema: &'static NamedType,
}

impl TypeDecl {
    /// The type as a host declares it for a channel.
    pub const fn port_type(&self) -> PortType {
        PortType { name: self.schema.name, key: self.key }
    }
}

/// Size in bytes of the section for these ports and types.
///
/// # Panics
///
/// If a list, name or schema exceeds the limits above, or a port names a
/// type past the list (at compile time when used in a `const`).
pub const fn encoded_len(
    inputs: &[PortDecl<'_>],
    outputs: &[PortDecl<'_>],
    types: &[TypeDecl],
) -> usize {
    write(&mut [], inputs, outputs, types)
}

/// Encodes the section for [`ABI_VERSION`]. `N` must be
/// [`encoded_len`]`(inputs, outputs, types)`.
///
/// # Panics
///
/// If `N` is wrong or a limit is exceeded (at compile time in a `const`).
pub const fn encode<const N: usize>(
    inputs: &[PortDecl<'_>],
    outputs: &[PortDecl<'_>],
    types: &[TypeDecl],
) -> [u8; N] {
    let mut out = [0u8; N];
    assert!(write(&mut out, inputs, outputs, types) == N, "manifest length mismatch");
    out
}

/// [`encode`] for ports known only at run time: test fixtures and tools
/// that write a manifest for a module built without one.
///
/// # Panics
///
/// If a limit is exceeded.
#[cfg(feature = "alloc")]
pub fn encode_to_vec(
    inputs: &[PortDecl<'_>],
    outputs: &[PortDecl<'_>],
    types: &[TypeDecl],
) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec![0u8; encoded_len(inputs, outputs, types)];
    write(&mut out, inputs, outputs, types);
    out
}

/// Writes the section into `out`, or only counts it when `out` is empty.
const fn write(
    out: &mut [u8],
    inputs: &[PortDecl<'_>],
    outputs: &[PortDecl<'_>],
    types: &[TypeDecl],
) -> usize {
    assert!(types.len() <= MAX_TYPES, "too many port types");
    let version = ABI_VERSION.to_le_bytes();
    let at = put(out, 0, version[0]);
    let at = put(out, at, version[1]);
    let at = write_ports(out, at, inputs, types.len());
    let mut at = write_ports(out, at, outputs, types.len());
    at = put(out, at, types.len() as u8);
    let mut i = 0;
    while i < types.len() {
        let mut k = 0;
        while k < 8 {
            at = put(out, at, types[i].key.0[k]);
            k += 1;
        }
        let len = (schema_len(types[i].schema) as u16).to_le_bytes();
        at = put(out, at, len[0]);
        at = put(out, at, len[1]);
        at = write_named_type(out, at, types[i].schema);
        i += 1;
    }
    at
}

const fn write_ports(out: &mut [u8], mut at: usize, ports: &[PortDecl<'_>], types: usize) -> usize {
    assert!(ports.len() <= MAX_PORTS, "too many inputs or outputs");
    at = put(out, at, ports.len() as u8);
    let mut i = 0;
    while i < ports.len() {
        let bytes = ports[i].name.as_bytes();
        assert!(
            !bytes.is_empty() && bytes.len() <= MAX_NAME_LEN,
            "input or output name length out of range"
        );
        assert!((ports[i].ty as usize) <= types, "a port names a type past the type list");
        at = put(out, at, bytes.len() as u8);
        let mut j = 0;
        while j < bytes.len() {
            at = put(out, at, bytes[j]);
            j += 1;
        }
        at = put(out, at, ports[i].ty);
        i += 1;
    }
    at
}

/// What a topic port's name starts with in the manifest: `#[task_run(
/// inputs(#[topic] smoothed: Reading))]` declares the input
/// `topic/smoothed`. A firmware with a service catalog binds a port so
/// named to the topic `smoothed` (every guest sending on it feeds every
/// guest receiving from it), and any other port to the catalog's service
/// of that name, refusing the module when there is none. The `/` cannot
/// occur in a Rust identifier, so no plain port is read as a topic.
pub const TOPIC_PREFIX: &str = "topic/";

/// The topic a port name declares (`topic/smoothed` declares `smoothed`),
/// or `None` for a plain port.
pub fn topic_of(port: &str) -> Option<&str> {
    port.strip_prefix(TOPIC_PREFIX).filter(|topic| !topic.is_empty())
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
    /// Bytes follow the type list.
    TrailingBytes,
    /// A name is empty.
    EmptyName,
    /// A name is not UTF-8.
    InvalidUtf8,
    /// A name appears twice in one list.
    DuplicateName,
    /// A port names a type past the type list.
    UnknownType,
    /// A schema is longer than [`MAX_SCHEMA_LEN`].
    SchemaTooLong,
    /// A version this crate cannot read (the number is the version).
    Version(u16),
    /// The section is longer than [`MAX_MANIFEST_LEN`].
    TooLong,
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
            ManifestError::UnknownType => "manifest port names a type it does not list",
            ManifestError::SchemaTooLong => "manifest schema is too long",
            ManifestError::Version(_) => "manifest version is not supported",
            ManifestError::TooLong => "manifest is too long",
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
/// Parsing checks the structure only; whether a host runs modules of
/// [`Manifest::abi_version`] is the host's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Manifest<'a> {
    abi_version: u16,
    inputs: Names<'a>,
    outputs: Names<'a>,
    types: &'a [u8],
    type_count: usize,
}

impl<'a> Manifest<'a> {
    /// Parses a section's payload, of version [`MIN_ABI_VERSION`] to
    /// [`ABI_VERSION`].
    ///
    /// # Errors
    ///
    /// The first structural problem; [`ManifestError::Version`] for any
    /// other version, whose layout is unknown.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ManifestError> {
        if bytes.len() > MAX_MANIFEST_LEN {
            return Err(ManifestError::TooLong);
        }
        let (version, rest) = bytes.split_first_chunk::<2>().ok_or(ManifestError::Truncated)?;
        let abi_version = u16::from_le_bytes(*version);
        if !(MIN_ABI_VERSION..=ABI_VERSION).contains(&abi_version) {
            return Err(ManifestError::Version(abi_version));
        }
        let typed = abi_version >= 2;
        let (inputs, rest) = Names::parse(rest, typed)?;
        let (outputs, rest) = Names::parse(rest, typed)?;
        let (types, type_count, rest) = if typed { parse_types(rest)? } else { (&[][..], 0, rest) };
        if !rest.is_empty() {
            return Err(ManifestError::TrailingBytes);
        }
        for list in [inputs, outputs] {
            if list.type_indices().any(|t| usize::from(t) > type_count) {
                return Err(ManifestError::UnknownType);
            }
        }
        Ok(Manifest { abi_version, inputs, outputs, types, type_count })
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

    /// The names of `kind`'s list.
    pub fn ports(&self, kind: PortKind) -> Names<'a> {
        match kind {
            PortKind::Input => self.inputs,
            PortKind::Output => self.outputs,
        }
    }

    /// The message type of port `index` of `kind`; `None` for an untyped
    /// port or an index past the list.
    pub fn port_type(&self, kind: PortKind, index: usize) -> Option<ModuleType<'a>> {
        let ty = self.ports(kind).type_indices().nth(index)?;
        self.types().nth(usize::from(ty).checked_sub(1)?)
    }

    /// The message type of the port `name` of `kind`, as
    /// [`schema::check_channels`](crate::schema::check_channels) takes it.
    pub fn type_of(&self, kind: PortKind, name: &str) -> Option<(TypeKey, &'a str)> {
        let ty = self.port_type(kind, self.ports(kind).index_of(name)?)?;
        Some((ty.key, ty.name()))
    }

    /// The type list, in order.
    pub fn types(&self) -> TypesIter<'a> {
        TypesIter { left: self.type_count, bytes: self.types }
    }
}

/// A message type as a module's manifest lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleType<'a> {
    /// The key the module was built with.
    pub key: TypeKey,
    /// The schema, as postcard encodes a postcard-schema `NamedType`.
    pub schema: &'a [u8],
}

impl<'a> ModuleType<'a> {
    /// The type's name, read from the schema; `"?"` if it has none.
    pub fn name(&self) -> &'a str {
        schema_name(self.schema).unwrap_or("?")
    }
}

fn parse_types(bytes: &[u8]) -> Result<(&[u8], usize, &[u8]), ManifestError> {
    let (&count, start) = bytes.split_first().ok_or(ManifestError::Truncated)?;
    let mut rest = start;
    for _ in 0..count {
        let (_key, tail) = rest.split_first_chunk::<8>().ok_or(ManifestError::Truncated)?;
        let (len, tail) = tail.split_first_chunk::<2>().ok_or(ManifestError::Truncated)?;
        let len = usize::from(u16::from_le_bytes(*len));
        if len > MAX_SCHEMA_LEN {
            return Err(ManifestError::SchemaTooLong);
        }
        rest = tail.get(len..).ok_or(ManifestError::Truncated)?;
    }
    let used = start.len() - rest.len();
    Ok((&start[..used], usize::from(count), rest))
}

/// Iterator over a manifest's type list.
#[derive(Clone, Debug)]
pub struct TypesIter<'a> {
    left: usize,
    bytes: &'a [u8],
}

impl<'a> Iterator for TypesIter<'a> {
    type Item = ModuleType<'a>;

    fn next(&mut self) -> Option<ModuleType<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // `parse_types` validated the list; `?` keeps a corrupted copy
        // from panicking anyway.
        let (key, tail) = self.bytes.split_first_chunk::<8>()?;
        let (len, tail) = tail.split_first_chunk::<2>()?;
        let (schema, tail) = tail.split_at_checked(usize::from(u16::from_le_bytes(*len)))?;
        self.bytes = tail;
        Some(ModuleType { key: TypeKey(*key), schema })
    }
}

/// One list of names in a [`Manifest`]; iterate it or look names up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Names<'a> {
    count: usize,
    bytes: &'a [u8],
    /// Version 2: each name is followed by its type byte.
    typed: bool,
}

impl<'a> Names<'a> {
    fn parse(bytes: &'a [u8], typed: bool) -> Result<(Self, &'a [u8]), ManifestError> {
        let (&count, mut rest) = bytes.split_first().ok_or(ManifestError::Truncated)?;
        let start = rest;
        for i in 0..usize::from(count) {
            let (&len, tail) = rest.split_first().ok_or(ManifestError::Truncated)?;
            let len = usize::from(len);
            if len == 0 {
                return Err(ManifestError::EmptyName);
            }
            if tail.len() < len + usize::from(typed) {
                return Err(ManifestError::Truncated);
            }
            let (name, tail) = tail.split_at(len);
            let name = core::str::from_utf8(name).map_err(|_| ManifestError::InvalidUtf8)?;
            let seen = Names { count: i, bytes: start, typed };
            if seen.iter().any(|earlier| earlier == name) {
                return Err(ManifestError::DuplicateName);
            }
            rest = &tail[usize::from(typed)..];
        }
        let used = start.len() - rest.len();
        Ok((Names { count: usize::from(count), bytes: &start[..used], typed }, rest))
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
        NamesIter { left: self.count, bytes: self.bytes, typed: self.typed, last_type: 0 }
    }

    /// Each port's type byte in index order (0: untyped).
    fn type_indices(&self) -> impl Iterator<Item = u8> + 'a {
        let mut entries = self.iter();
        core::iter::from_fn(move || {
            entries.next()?;
            Some(entries.last_type)
        })
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
    typed: bool,
    /// The type byte of the entry last returned.
    last_type: u8,
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
        let (name, mut tail) = tail.split_at_checked(usize::from(len))?;
        self.last_type = 0;
        if self.typed {
            let (&ty, rest) = tail.split_first()?;
            self.last_type = ty;
            tail = rest;
        }
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
    use postcard_schema::Schema;
    use std::{vec, vec::Vec};

    #[derive(Schema)]
    #[allow(dead_code)]
    struct Count {
        count: u32,
    }

    const COUNT: TypeDecl = TypeDecl { key: TypeKey::of::<Count>(), schema: Count::SCHEMA };
    const INPUTS: &[PortDecl<'_>] =
        &[PortDecl { name: "wasm_input", ty: 1 }, PortDecl { name: "b", ty: 0 }];
    const OUTPUTS: &[PortDecl<'_>] = &[PortDecl { name: "wasm_data", ty: 1 }];
    const TYPES: &[TypeDecl] = &[COUNT];
    const LEN: usize = encoded_len(INPUTS, OUTPUTS, TYPES);
    const BYTES: [u8; LEN] = encode::<LEN>(INPUTS, OUTPUTS, TYPES);

    fn schema_bytes() -> Vec<u8> {
        postcard::to_slice(Count::SCHEMA, &mut [0u8; 64]).unwrap().to_vec()
    }

    #[test]
    fn layout_is_as_documented() {
        let mut expected = vec![2, 0, 2, 10];
        expected.extend_from_slice(b"wasm_input");
        expected.extend_from_slice(&[1, 1, b'b', 0, 1, 9]);
        expected.extend_from_slice(b"wasm_data");
        expected.extend_from_slice(&[1, 1]);
        expected.extend_from_slice(&TypeKey::of::<Count>().0);
        let schema = schema_bytes();
        expected.extend_from_slice(&(schema.len() as u16).to_le_bytes());
        expected.extend_from_slice(&schema);
        assert_eq!(&BYTES[..], &expected[..]);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn run_time_encoding_is_the_const_one() {
        assert_eq!(encode_to_vec(INPUTS, OUTPUTS, TYPES), BYTES);
    }

    #[test]
    fn round_trip() {
        let m = Manifest::parse(&BYTES).unwrap();
        assert_eq!(m.abi_version(), ABI_VERSION);
        assert_eq!(m.inputs().iter().collect::<Vec<_>>(), ["wasm_input", "b"]);
        assert_eq!(m.outputs().iter().collect::<Vec<_>>(), ["wasm_data"]);
        assert_eq!(m.inputs().index_of("b"), Some(1));
        assert_eq!(m.outputs().get(0), Some("wasm_data"));
        assert_eq!(m.outputs().get(1), None);
        let ty = m.port_type(PortKind::Input, 0).unwrap();
        assert_eq!(ty.key, TypeKey::of::<Count>());
        assert_eq!(ty.schema, schema_bytes().as_slice());
        assert_eq!(ty.name(), "Count");
        assert_eq!(m.port_type(PortKind::Input, 1), None);
        assert_eq!(m.port_type(PortKind::Output, 0), Some(ty));
        assert_eq!(m.port_type(PortKind::Output, 1), None);
        assert_eq!(m.types().count(), 1);
    }

    #[test]
    fn empty_lists() {
        let bytes = encode::<5>(&[], &[], &[]);
        let m = Manifest::parse(&bytes).unwrap();
        assert!(m.inputs().is_empty() && m.outputs().is_empty());
        assert_eq!(m.types().count(), 0);
    }

    #[test]
    fn version_1_is_read_untyped() {
        let mut v1 = vec![1, 0, 2, 10];
        v1.extend_from_slice(b"wasm_input");
        v1.extend_from_slice(&[1, b'b', 1, 9]);
        v1.extend_from_slice(b"wasm_data");
        let m = Manifest::parse(&v1).unwrap();
        assert_eq!(m.abi_version(), 1);
        assert_eq!(m.inputs().iter().collect::<Vec<_>>(), ["wasm_input", "b"]);
        assert_eq!(m.outputs().iter().collect::<Vec<_>>(), ["wasm_data"]);
        assert_eq!(m.port_type(PortKind::Input, 0), None);
        assert_eq!(Manifest::parse(&[3, 0, 0, 0, 0]), Err(ManifestError::Version(3)));
        assert_eq!(Manifest::parse(&[0, 0, 0, 0]), Err(ManifestError::Version(0)));
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
    fn every_byte_flip_is_handled() {
        // No panic, and a parse that succeeds yields only in-bounds types.
        for at in 0..BYTES.len() {
            for value in [0u8, 1, 2, 0x7f, 0x80, 0xff] {
                let mut bytes = BYTES;
                bytes[at] = value;
                if let Ok(m) = Manifest::parse(&bytes) {
                    for kind in [PortKind::Input, PortKind::Output] {
                        for i in 0..m.ports(kind).len() {
                            let _ = m.port_type(kind, i).map(|t| t.name());
                        }
                    }
                }
            }
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
        // Input `a` of type 2 with one type listed.
        let mut unknown = vec![2, 0, 1, 1, b'a', 2, 0, 1];
        unknown.extend_from_slice(&[0; 8]);
        unknown.extend_from_slice(&[0, 0]);
        assert_eq!(Manifest::parse(&unknown), Err(ManifestError::UnknownType));
        let mut long = vec![2, 0, 0, 0, 1];
        long.extend_from_slice(&[0; 8]);
        long.extend_from_slice(&((MAX_SCHEMA_LEN + 1) as u16).to_le_bytes());
        assert_eq!(Manifest::parse(&long), Err(ManifestError::SchemaTooLong));
    }
}
