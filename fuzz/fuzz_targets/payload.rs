//! Message payloads: `wasm_sdk::from_payload` for the example message types
//! (`module-examples-common`), and the desktop's schema path (the test
//! host's `PortSchema`: a schema from a manifest, JSON <-> postcard).
//!
//! The first byte picks the mode. Modes 0 to 4 decode the rest as
//! `Counter`, `Reading`, `Thresholds`, `AlarmEvent` or `Fault`: never a
//! panic, and a decoded value re-encodes (`serialize_into`, `to_message`:
//! the same bytes) within its `MaxSize`, decodes to itself, and the test
//! host's schema of the type decodes those bytes to JSON that encodes back
//! to the same bytes. Mode 5 on is `schema_len: u16 LE, schema, message`:
//! `PortSchema::from_manifest` on a hostile schema (with its real key when
//! it is readable, so the key check passes), then `decode` of the message
//! and, for a decoded value, `encode` and `decode` again to the same JSON
//! (when the schema's field and variant names are distinct, as a Rust
//! type's are: JSON cannot tell two variants of one name apart).
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use module_examples_common::{AlarmEvent, Counter, Fault, Reading, Thresholds, to_message};
use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use postcard_schema::key::hash::fnv1a64_owned::hash_ty_path_owned;
use postcard_schema::schema::owned::{
    OwnedDataModelType, OwnedDataModelVariant, OwnedNamedType, OwnedNamedValue,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_sdk_abi::schema::{TypeKey, schema_within_depth};
use wasm_sdk_testhost::PortSchema;

/// The test host's depth limit for a module's schemas.
const MAX_DEPTH: usize = 32;

fn typed<T>(bytes: &[u8])
where
    T: Serialize + DeserializeOwned + Schema + MaxSize + PartialEq + Debug,
{
    let Ok(value) = wasm_sdk::from_payload::<T>(bytes) else { return };
    let mut buf = [0u8; 64];
    let n = wasm_sdk::serialize_into(&value, &mut buf).expect("a decoded value encodes");
    let encoded = &buf[..n];
    assert!(n <= T::POSTCARD_MAX_SIZE, "{n} bytes, MaxSize {}", T::POSTCARD_MAX_SIZE);
    assert_eq!(wasm_sdk::from_payload::<T>(encoded).as_ref(), Ok(&value));
    assert_eq!(to_message(&value).expect("to_message"), encoded);
    let mut schema = [0u8; 512];
    let schema = postcard::to_slice(T::SCHEMA, &mut schema).expect("schema fits");
    let port = PortSchema::from_manifest(TypeKey::of::<T>(), schema).expect("own schema");
    let json = port.decode(encoded).expect("the schema decodes what serde encoded");
    assert_eq!(port.encode(&json).expect("and encodes it back"), encoded, "{json}");
}

fn schema(data: &[u8]) {
    let Some((len, rest)) = data.split_first_chunk::<2>() else { return };
    let (schema, message) = rest.split_at(usize::from(u16::from_le_bytes(*len)).min(rest.len()));
    // The key a well-formed schema hashes to, so `from_manifest` gets past
    // its key check; serde reads the schema only after the depth check the
    // test host makes too.
    let key = schema_within_depth(schema, MAX_DEPTH)
        .then(|| postcard::from_bytes::<OwnedNamedType>(schema).ok())
        .flatten()
        .map_or(TypeKey([0; 8]), |s| TypeKey(hash_ty_path_owned("", &s)));
    let Ok(port) = PortSchema::from_manifest(key, schema) else { return };
    let _ = (port.name(), port.describe());
    let Ok(json) = port.decode(message) else { return };
    // JSON names fields and variants: with two of one name (no Rust type
    // has that, a hand-made schema may) it cannot say which was meant.
    if !unique_names(&port.schema.ty) {
        return;
    }
    if let Ok(bytes) = port.encode(&json) {
        assert_eq!(port.decode(&bytes).as_ref(), Ok(&json), "{bytes:?}");
    }
}

/// Whether every struct's fields and every enum's variants have distinct
/// names, all the way down.
fn unique_names(ty: &OwnedDataModelType) -> bool {
    use OwnedDataModelType as T;
    use OwnedDataModelVariant as V;
    let distinct = |names: Vec<&str>| {
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.len() == names.len()
    };
    let fields = |fields: &[OwnedNamedValue]| {
        distinct(fields.iter().map(|f| f.name.as_str()).collect())
            && fields.iter().all(|f| unique_names(&f.ty.ty))
    };
    match ty {
        T::Option(inner) | T::NewtypeStruct(inner) | T::Seq(inner) => unique_names(&inner.ty),
        T::Tuple(items) | T::TupleStruct(items) => items.iter().all(|t| unique_names(&t.ty)),
        T::Map { key, val } => unique_names(&key.ty) && unique_names(&val.ty),
        T::Struct(fs) => fields(fs),
        T::Enum(variants) => {
            distinct(variants.iter().map(|v| v.name.as_str()).collect())
                && variants.iter().all(|v| match &v.ty {
                    V::UnitVariant => true,
                    V::NewtypeVariant(inner) => unique_names(&inner.ty),
                    V::TupleVariant(items) => items.iter().all(|t| unique_names(&t.ty)),
                    V::StructVariant(fs) => fields(fs),
                })
        }
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode {
        0 => typed::<Counter>(rest),
        1 => typed::<Reading>(rest),
        2 => typed::<Thresholds>(rest),
        3 => typed::<AlarmEvent>(rest),
        4 => typed::<Fault>(rest),
        _ => schema(rest),
    }
});
