//! `Manifest::parse` on arbitrary bytes, then every accessor.
//!
//! Checks that parsing never panics, and that a manifest that parses is
//! consistent: the lists are within `MAX_PORTS`, every name is non-empty,
//! unique in its list and found again by `index_of`/`get`; `port_type` for
//! every index (and one past the end) matches `types()`; `type_of` by every
//! name agrees with `port_type`; `types()` yields `type_count` entries of at
//! most `MAX_SCHEMA_LEN` bytes. The schemas then go down the desktop's path:
//! `schema_name`, `schema_within_depth` and the test host's
//! `PortSchemas::from_manifest` (depth check, serde decode, key check).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_sdk_abi::manifest::{MAX_PORTS, Manifest, PortKind};
use wasm_sdk_abi::schema::{MAX_SCHEMA_LEN, schema_name, schema_within_depth};
use wasm_sdk_testhost::PortSchemas;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Manifest::parse(data) else { return };
    assert!((1..=2).contains(&m.abi_version()));
    let types: Vec<_> = m.types().collect();
    assert!(m.abi_version() >= 2 || types.is_empty(), "version 1 has no types");
    for ty in &types {
        assert!(ty.schema.len() <= MAX_SCHEMA_LEN);
        let _ = ty.name();
        let _ = schema_name(ty.schema);
        let _ = schema_within_depth(ty.schema, 32);
    }
    for kind in [PortKind::Input, PortKind::Output] {
        let names = m.ports(kind);
        let list = match kind {
            PortKind::Input => m.inputs(),
            PortKind::Output => m.outputs(),
        };
        assert_eq!(names, list);
        let all: Vec<&str> = names.iter().collect();
        assert_eq!(all.len(), names.len(), "every entry of a parsed list is readable");
        assert!(names.len() <= MAX_PORTS);
        assert_eq!(names.is_empty(), all.is_empty());
        for (i, name) in all.iter().enumerate() {
            assert!(!name.is_empty());
            assert_eq!(names.get(i), Some(*name));
            assert_eq!(names.index_of(name), Some(i), "names are unique");
            let ty = m.port_type(kind, i);
            if let Some(ty) = ty {
                assert!(types.contains(&ty), "a port's type is in the type list");
            }
            assert_eq!(m.type_of(kind, name), ty.map(|t| (t.key, t.name())));
        }
        assert_eq!(names.get(all.len()), None);
        assert_eq!(m.port_type(kind, all.len()), None);
    }
    let schemas = PortSchemas::from_manifest(&m);
    assert_eq!(schemas.inputs.len(), m.inputs().len());
    assert_eq!(schemas.outputs.len(), m.outputs().len());
    for schema in schemas.inputs.iter().chain(&schemas.outputs).flatten() {
        let _ = schema.describe();
    }
});
