//! Message types of typed ports: their schema, their key, and the one rule
//! that says whether a module's port and a host's channel agree.
//!
//! A typed port carries one Rust message type, described by
//! [`postcard_schema`]'s data model ([`NamedType`], from
//! `#[derive(Schema)]`). Two things about it travel in the module's
//! manifest:
//!
//! - its [`TypeKey`]: postcard-schema's own 8-byte FNV-1a hash of the
//!   schema (the hash postcard-rpc keys its endpoints with), computed at
//!   compile time. It covers the wire shape and every field and variant
//!   name, but not type names, so a `Vec<u8>` on the desktop and a
//!   `heapless::Vec<u8, N>` on the device agree. Hosts compare keys only;
//! - the schema itself, as postcard encodes a [`NamedType`] (so the
//!   desktop reads it back as postcard-schema's `OwnedNamedType`), for
//!   tools that encode and decode messages without the Rust source.
//!
//! [`encode_schema`] writes that encoding in `const` context, which is how
//! `#[task_run]` embeds it; a test checks it byte for byte against
//! postcard's own serializer.

use postcard_schema::Schema;

use crate::manifest::PortKind;
use postcard_schema::schema::{DataModelType, DataModelVariant, NamedType, NamedValue};

pub use postcard_schema;

/// Largest encoded schema a manifest may carry, in bytes. A message type
/// with dozens of fields stays far below; a larger one fails to compile.
pub const MAX_SCHEMA_LEN: usize = 4096;

/// The 8-byte identity of a message type: postcard-schema's FNV-1a hash of
/// its schema.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeKey(pub [u8; 8]);

impl TypeKey {
    /// The key of `T`'s schema; `const`, so firmware declares its
    /// channels' types in `static`s.
    pub const fn of<T: Schema + ?Sized>() -> Self {
        TypeKey(postcard_schema::key::hash::fnv1a64::hash_ty_path::<T>(""))
    }
}

impl core::fmt::Debug for TypeKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TypeKey({self})")
    }
}

impl core::fmt::Display for TypeKey {
    /// Sixteen lowercase hex digits, in byte order.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A message type as a host declares it for a channel: its name (for
/// error messages) and its key (for the check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortType {
    /// The type's name as its schema gives it (`"Counter"`).
    pub name: &'static str,
    /// The type's key.
    pub key: TypeKey,
}

impl PortType {
    /// The declaration for `T`.
    pub const fn of<T: Schema + ?Sized>() -> Self {
        PortType { name: T::SCHEMA.name, key: TypeKey::of::<T>() }
    }
}

/// The one rule for typed ports: a module's port and a host's channel
/// agree unless both name a type and the keys differ. An untyped side
/// (raw bytes) agrees with anything, so an untyped module runs on a
/// firmware that types its channels, and the other way round.
pub const fn compatible(declared: Option<TypeKey>, module: Option<TypeKey>) -> bool {
    match (declared, module) {
        (Some(a), Some(b)) => {
            let mut i = 0;
            while i < 8 {
                if a.0[i] != b.0[i] {
                    return false;
                }
                i += 1;
            }
            true
        }
        _ => true,
    }
}

/// What a host declares about one of its channels: the port it feeds (an
/// input) or drains (an output), by name, and the message type it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelType<'a> {
    /// Input or output.
    pub kind: PortKind,
    /// The port's name.
    pub port: &'a str,
    /// The message type the host's channel carries.
    pub ty: PortType,
}

/// A typed port whose type is not the one the host's channel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch<'a> {
    /// Input or output.
    pub kind: PortKind,
    /// The port's name.
    pub port: &'a str,
    /// What the host's channel carries.
    pub declared: PortType,
    /// The module's type for the port: its key and name.
    pub found: (TypeKey, &'a str),
}

impl core::fmt::Display for Mismatch<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} `{}` carries `{}` (key {}) but the module declares `{}` (key {})",
            self.kind.as_str(),
            self.port,
            self.declared.name,
            self.declared.key,
            self.found.1,
            self.found.0
        )
    }
}

/// Checks every declared channel against a module's ports with
/// [`compatible`]: the load-time check every host runs. `module` gives the
/// module's type of a port by kind and name (`None`: untyped, or no such
/// port; whether every port is wired is the host's other check).
///
/// # Errors
///
/// The first channel, in order, whose type differs.
pub fn check_channels<'a>(
    declared: &[ChannelType<'a>],
    module: impl Fn(PortKind, &str) -> Option<(TypeKey, &'a str)>,
) -> Result<(), Mismatch<'a>> {
    for channel in declared {
        if let Some(found) = module(channel.kind, channel.port)
            && !compatible(Some(channel.ty.key), Some(found.0))
        {
            return Err(Mismatch {
                kind: channel.kind,
                port: channel.port,
                declared: channel.ty,
                found,
            });
        }
    }
    Ok(())
}

/// Length in bytes of [`encode_schema`]'s output for `ty`.
///
/// # Panics
///
/// If the encoding exceeds [`MAX_SCHEMA_LEN`] (at compile time in a
/// `const`).
pub const fn schema_len(ty: &NamedType) -> usize {
    let len = write_named_type(&mut [], 0, ty);
    assert!(len <= MAX_SCHEMA_LEN, "a port type's schema is larger than MAX_SCHEMA_LEN");
    len
}

/// `ty` as postcard serializes a [`NamedType`]. `N` must be
/// [`schema_len`]`(ty)`.
///
/// # Panics
///
/// If `N` is wrong (at compile time in a `const`).
pub const fn encode_schema<const N: usize>(ty: &NamedType) -> [u8; N] {
    let mut out = [0u8; N];
    assert!(write_named_type(&mut out, 0, ty) == N, "schema length mismatch");
    out
}

/// Writes `ty`'s encoding (as [`encode_schema`]) into `out` when it fits,
/// and returns its length either way: a device encodes the schemas of its
/// services on request, straight into a response.
pub fn write_schema(ty: &NamedType, out: &mut [u8]) -> usize {
    let len = write_named_type(&mut [], 0, ty);
    if let Some(out) = out.get_mut(..len) {
        write_named_type(out, 0, ty);
    }
    len
}

/// Writes `ty`'s encoding into `out` at `at`, or only counts it when
/// `out` is empty; returns the position after it. Also the writer the
/// manifest's encoder uses.
pub(crate) const fn write_named_type(out: &mut [u8], at: usize, ty: &NamedType) -> usize {
    let at = write_str(out, at, ty.name);
    write_model(out, at, ty.ty)
}

/// Variant indices as serde numbers them: declaration order in
/// postcard-schema's enums.
const fn write_model(out: &mut [u8], at: usize, ty: &DataModelType) -> usize {
    use DataModelType as T;
    match ty {
        T::Bool => put(out, at, 0),
        T::I8 => put(out, at, 1),
        T::U8 => put(out, at, 2),
        T::I16 => put(out, at, 3),
        T::I32 => put(out, at, 4),
        T::I64 => put(out, at, 5),
        T::I128 => put(out, at, 6),
        T::U16 => put(out, at, 7),
        T::U32 => put(out, at, 8),
        T::U64 => put(out, at, 9),
        T::U128 => put(out, at, 10),
        T::Usize => put(out, at, 11),
        T::Isize => put(out, at, 12),
        T::F32 => put(out, at, 13),
        T::F64 => put(out, at, 14),
        T::Char => put(out, at, 15),
        T::String => put(out, at, 16),
        T::ByteArray => put(out, at, 17),
        T::Option(inner) => {
            let at = put(out, at, 18);
            write_named_type(out, at, inner)
        }
        T::Unit => put(out, at, 19),
        T::UnitStruct => put(out, at, 20),
        T::NewtypeStruct(inner) => {
            let at = put(out, at, 21);
            write_named_type(out, at, inner)
        }
        T::Seq(inner) => {
            let at = put(out, at, 22);
            write_named_type(out, at, inner)
        }
        T::Tuple(items) => {
            let at = put(out, at, 23);
            write_types(out, at, items)
        }
        T::TupleStruct(items) => {
            let at = put(out, at, 24);
            write_types(out, at, items)
        }
        T::Map { key, val } => {
            let at = {
                let at = put(out, at, 25);
                write_named_type(out, at, key)
            };
            write_named_type(out, at, val)
        }
        T::Struct(fields) => {
            let at = put(out, at, 26);
            write_values(out, at, fields)
        }
        T::Enum(variants) => {
            let at = put(out, at, 27);
            let mut at = write_varint(out, at, variants.len());
            let mut i = 0;
            while i < variants.len() {
                at = write_str(out, at, variants[i].name);
                at = write_variant(out, at, variants[i].ty);
                i += 1;
            }
            at
        }
        T::Schema => put(out, at, 28),
    }
}

const fn write_variant(out: &mut [u8], at: usize, ty: &DataModelVariant) -> usize {
    use DataModelVariant as V;
    match ty {
        V::UnitVariant => put(out, at, 0),
        V::NewtypeVariant(inner) => {
            let at = put(out, at, 1);
            write_named_type(out, at, inner)
        }
        V::TupleVariant(items) => {
            let at = put(out, at, 2);
            write_types(out, at, items)
        }
        V::StructVariant(fields) => {
            let at = put(out, at, 3);
            write_values(out, at, fields)
        }
    }
}

const fn write_types(out: &mut [u8], at: usize, items: &[&NamedType]) -> usize {
    let mut at = write_varint(out, at, items.len());
    let mut i = 0;
    while i < items.len() {
        at = write_named_type(out, at, items[i]);
        i += 1;
    }
    at
}

const fn write_values(out: &mut [u8], at: usize, fields: &[&NamedValue]) -> usize {
    let mut at = write_varint(out, at, fields.len());
    let mut i = 0;
    while i < fields.len() {
        at = write_str(out, at, fields[i].name);
        at = write_named_type(out, at, fields[i].ty);
        i += 1;
    }
    at
}

/// A string as postcard writes it: varint length, then the bytes.
pub(crate) const fn write_str(out: &mut [u8], at: usize, s: &str) -> usize {
    const fn copy(out: &mut [u8], mut at: usize, bytes: &[u8]) -> usize {
        let mut i = 0;
        while i < bytes.len() {
            at = put(out, at, bytes[i]);
            i += 1;
        }
        at
    }
    let at = write_varint(out, at, s.len());
    copy(out, at, s.as_bytes())
}

/// An unsigned LEB128 varint, as postcard writes lengths.
pub(crate) const fn write_varint(out: &mut [u8], mut at: usize, mut n: usize) -> usize {
    while n >= 0x80 {
        at = put(out, at, (n as u8) | 0x80);
        n >>= 7;
    }
    put(out, at, n as u8)
}

/// One byte at `at`, unless `out` is empty (counting only).
pub(crate) const fn put(out: &mut [u8], at: usize, byte: u8) -> usize {
    if !out.is_empty() {
        out[at] = byte;
    }
    at + 1
}

/// Reads the type name at the start of an encoded schema (its first
/// field), without decoding the rest: what a device prints in errors.
pub fn schema_name(schema: &[u8]) -> Option<&str> {
    let (len, rest) = read_varint(schema)?;
    core::str::from_utf8(rest.get(..len)?).ok()
}

/// Whether an encoded schema (as [`encode_schema`] writes it) is well
/// formed and nests no deeper than `max_depth` types, checked without
/// recursing deeper than that: run it before handing a schema from a module
/// to a decoder that recurses (serde's), so a hostile 4 KiB schema of 2,000
/// nested `Option`s cannot overflow the reader's stack.
pub fn schema_within_depth(schema: &[u8], max_depth: usize) -> bool {
    scan_named_type(schema, max_depth).is_some_and(|rest| rest.is_empty())
}

/// One `NamedType`; the bytes after it, or `None` if malformed or too deep.
fn scan_named_type(bytes: &[u8], depth: usize) -> Option<&[u8]> {
    let depth = depth.checked_sub(1)?;
    let bytes = scan_str(bytes)?;
    let (tag, bytes) = read_varint(bytes)?;
    match tag {
        0..=17 | 19 | 20 | 28 => Some(bytes),
        18 | 21 | 22 => scan_named_type(bytes, depth),
        23 | 24 => scan_list(bytes, |b| scan_named_type(b, depth)),
        25 => scan_named_type(scan_named_type(bytes, depth)?, depth),
        26 => scan_list(bytes, |b| scan_named_type(scan_str(b)?, depth)),
        27 => scan_list(bytes, |b| {
            let (variant, b) = read_varint(scan_str(b)?)?;
            match variant {
                0 => Some(b),
                1 => scan_named_type(b, depth),
                2 => scan_list(b, |b| scan_named_type(b, depth)),
                3 => scan_list(b, |b| scan_named_type(scan_str(b)?, depth)),
                _ => None,
            }
        }),
        _ => None,
    }
}

fn scan_list<'a>(bytes: &'a [u8], item: impl Fn(&'a [u8]) -> Option<&'a [u8]>) -> Option<&'a [u8]> {
    let (count, mut bytes) = read_varint(bytes)?;
    for _ in 0..count {
        bytes = item(bytes)?;
    }
    Some(bytes)
}

fn scan_str(bytes: &[u8]) -> Option<&[u8]> {
    let (len, rest) = read_varint(bytes)?;
    rest.get(len..)
}

fn read_varint(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        n |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use postcard_schema::schema::NamedVariant;

    /// Hand-built schemas covering every data model type and variant kind.
    const U32: NamedType = NamedType { name: "u32", ty: &DataModelType::U32 };
    const LONG: NamedType = NamedType {
        name: "a-name-longer-than-one-hundred-and-twenty-seven-bytes-so-its-length-takes-two-varint-bytes-in-postcards-encoding-of-the-schema",
        ty: &DataModelType::Unit,
    };
    const ALL: NamedType = NamedType {
        name: "All",
        ty: &DataModelType::Struct(&[
            &NamedValue { name: "b", ty: &NamedType { name: "bool", ty: &DataModelType::Bool } },
            &NamedValue {
                name: "o",
                ty: &NamedType { name: "Option", ty: &DataModelType::Option(&U32) },
            },
            &NamedValue {
                name: "n",
                ty: &NamedType { name: "N", ty: &DataModelType::NewtypeStruct(&U32) },
            },
            &NamedValue {
                name: "s",
                ty: &NamedType { name: "Vec", ty: &DataModelType::Seq(&U32) },
            },
            &NamedValue {
                name: "t",
                ty: &NamedType { name: "(u32,u32)", ty: &DataModelType::Tuple(&[&U32, &U32]) },
            },
            &NamedValue {
                name: "ts",
                ty: &NamedType { name: "Ts", ty: &DataModelType::TupleStruct(&[&U32]) },
            },
            &NamedValue {
                name: "m",
                ty: &NamedType { name: "Map", ty: &DataModelType::Map { key: &U32, val: &LONG } },
            },
            &NamedValue { name: "f", ty: &NamedType { name: "f64", ty: &DataModelType::F64 } },
            &NamedValue {
                name: "str",
                ty: &NamedType { name: "String", ty: &DataModelType::String },
            },
            &NamedValue {
                name: "bytes",
                ty: &NamedType { name: "[u8]", ty: &DataModelType::ByteArray },
            },
            &NamedValue {
                name: "schema",
                ty: &NamedType { name: "NamedType", ty: &DataModelType::Schema },
            },
            &NamedValue { name: "u", ty: &NamedType { name: "U", ty: &DataModelType::UnitStruct } },
            &NamedValue {
                name: "e",
                ty: &NamedType {
                    name: "E",
                    ty: &DataModelType::Enum(&[
                        &NamedVariant { name: "A", ty: &DataModelVariant::UnitVariant },
                        &NamedVariant { name: "B", ty: &DataModelVariant::NewtypeVariant(&U32) },
                        &NamedVariant {
                            name: "C",
                            ty: &DataModelVariant::TupleVariant(&[&U32, &LONG]),
                        },
                        &NamedVariant {
                            name: "D",
                            ty: &DataModelVariant::StructVariant(&[&NamedValue {
                                name: "x",
                                ty: &U32,
                            }]),
                        },
                    ]),
                },
            },
        ]),
    };

    const ALL_LEN: usize = schema_len(&ALL);
    const ALL_BYTES: [u8; ALL_LEN] = encode_schema::<ALL_LEN>(&ALL);

    #[test]
    fn const_encoding_is_postcards() {
        for ty in [&U32, &LONG, &ALL] {
            let mut expected = [0u8; 2048];
            let expected = postcard::to_slice(ty, &mut expected).unwrap();
            let mut out = [0u8; 2048];
            let n = write_named_type(&mut out, 0, ty);
            assert_eq!(&out[..n], &expected[..], "{}", ty.name);
            assert_eq!(schema_len(ty), n);
        }
        assert_eq!(postcard::to_slice(&ALL, &mut [0u8; 2048]).unwrap(), &ALL_BYTES[..]);
    }

    #[test]
    fn every_primitive_index_matches_serde() {
        use DataModelType as T;
        let prims = [
            T::Bool,
            T::I8,
            T::U8,
            T::I16,
            T::I32,
            T::I64,
            T::I128,
            T::U16,
            T::U32,
            T::U64,
            T::U128,
            T::Usize,
            T::Isize,
            T::F32,
            T::F64,
            T::Char,
            T::String,
            T::ByteArray,
            T::Unit,
            T::UnitStruct,
            T::Schema,
        ];
        for p in &prims {
            let leaked: &'static DataModelType = std::boxed::Box::leak(std::boxed::Box::new(*p));
            let ty = NamedType { name: "x", ty: leaked };
            let mut out = [0u8; 8];
            let n = write_named_type(&mut out, 0, &ty);
            let expected = postcard::to_slice(&ty, &mut [0u8; 8]).unwrap().to_vec();
            assert_eq!(&out[..n], &expected[..], "{p:?}");
        }
    }

    #[test]
    fn depth_scan_reads_what_the_encoder_writes() {
        assert!(schema_within_depth(&ALL_BYTES, 3));
        assert!(!schema_within_depth(&ALL_BYTES, 2));
        for cut in 0..ALL_BYTES.len() {
            assert!(!schema_within_depth(&ALL_BYTES[..cut], 32), "cut at {cut}");
        }
        let mut trailing = ALL_BYTES.to_vec();
        trailing.push(0);
        assert!(!schema_within_depth(&trailing, 32));
        // 2,000 nested `Option`s in 4 KiB: refused at depth 33, no deeper.
        let mut deep = std::vec::Vec::new();
        for _ in 0..2000 {
            deep.extend_from_slice(&[0, 18]);
        }
        deep.extend_from_slice(&[0, 2]);
        assert!(!schema_within_depth(&deep, 32));
        assert!(schema_within_depth(&deep, 2001));
    }

    #[test]
    fn names_and_keys() {
        assert_eq!(schema_name(&ALL_BYTES), Some("All"));
        assert_eq!(schema_name(&[]), None);
        assert_eq!(schema_name(&[5, b'a']), None);
        // Keys ignore type names but not field names.
        #[derive(postcard_schema::Schema)]
        #[allow(dead_code)]
        struct A {
            count: u32,
        }
        #[derive(postcard_schema::Schema)]
        #[allow(dead_code)]
        struct B {
            count: u32,
        }
        #[derive(postcard_schema::Schema)]
        #[allow(dead_code)]
        struct C {
            total: u32,
        }
        assert_eq!(TypeKey::of::<A>(), TypeKey::of::<B>());
        assert_ne!(TypeKey::of::<A>(), TypeKey::of::<C>());
        assert!(compatible(Some(TypeKey::of::<A>()), Some(TypeKey::of::<B>())));
        assert!(!compatible(Some(TypeKey::of::<A>()), Some(TypeKey::of::<C>())));
        assert!(compatible(None, Some(TypeKey::of::<C>())));
        assert!(compatible(Some(TypeKey::of::<C>()), None));
        assert_eq!(PortType::of::<C>().name, "C");
        assert_eq!(
            std::format!("{}", TypeKey([0, 1, 2, 3, 0xa, 0xb, 0xc, 0xff])),
            "000102030a0b0cff"
        );
    }
}
