//! Typed ports on the desktop: each port's message type read from the
//! module's manifest (or a native task), and JSON <-> postcard with it.
//!
//! The schema a module embeds is postcard's encoding of a postcard-schema
//! `NamedType`; here it is read back as `OwnedNamedType`, and
//! [`postcard_dyn`] converts between JSON (serde_json's representation of
//! the same Rust type: structs as objects, enums externally tagged) and the
//! postcard bytes the guest reads and writes.

use postcard_schema::key::hash::fnv1a64_owned::hash_ty_path_owned;
use postcard_schema::schema::owned::{
    OwnedDataModelType, OwnedDataModelVariant, OwnedNamedType, OwnedNamedValue,
};
use serde_json::Value;
use wasm_sdk_host::abi::manifest::{Manifest, PortKind, TypeDecl};
use wasm_sdk_host::abi::schema::{ChannelType, PortType, TypeKey, schema_within_depth};

/// A typed port's message type, with what it takes to encode and decode
/// its messages without the Rust source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSchema {
    /// The key the module declares.
    pub key: TypeKey,
    /// The schema, decoded.
    pub schema: OwnedNamedType,
}

impl PortSchema {
    /// Reads a manifest's schema bytes. A schema whose key is not the one
    /// the manifest gives (a module built by something else than
    /// `#[task_run]`) is refused: tools would encode a type the module
    /// does not expect.
    ///
    /// # Errors
    ///
    /// The bytes are not a schema, or the key differs.
    pub fn from_manifest(key: TypeKey, schema: &[u8]) -> Result<Self, String> {
        // Before serde, which recurses once per nested type.
        if !schema_within_depth(schema, MAX_DEPTH) {
            return Err(format!(
                "the manifest's schema is malformed or nests types deeper than {MAX_DEPTH}"
            ));
        }
        let schema: OwnedNamedType = postcard::from_bytes(schema)
            .map_err(|e| format!("the manifest's schema does not decode: {e}"))?;
        min_size(&schema.ty)?;
        let computed = TypeKey(hash_ty_path_owned("", &schema));
        if computed != key {
            return Err(format!(
                "the manifest's key {key} for `{}` is not its schema's key {computed}",
                schema.name
            ));
        }
        Ok(PortSchema { key, schema })
    }

    /// The type's name (`Counter`).
    pub fn name(&self) -> &str {
        &self.schema.name
    }

    /// The type as Rust-like pseudocode (`struct Counter { count: u32 }`).
    pub fn describe(&self) -> String {
        self.schema.to_pseudocode()
    }

    /// A JSON template of the type, a placeholder for each scalar:
    /// `{"count": <u32>}`, `"Low" | {"High": <i16>}` for an enum. Shown
    /// beside a value that is not one, so the error says what would be.
    pub fn example(&self) -> String {
        let mut text = template(&self.schema.ty);
        // A schema comes from the module: keep the hint to a line or two.
        if let Some((cut, _)) = text.char_indices().nth(200) {
            text.truncate(cut);
            text.push_str(" ...");
        }
        text
    }

    /// Encodes a JSON value as this type's postcard bytes.
    ///
    /// # Errors
    ///
    /// The value does not fit the type.
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        postcard_dyn::to_stdvec_dyn(&self.schema, value).map_err(|e| {
            let why = mismatch(&self.schema.ty, value, "").unwrap_or_else(|| format!("{e:?}"));
            format!("{value} is not a `{}`: {why}", self.name())
        })
    }

    /// Decodes postcard bytes of this type as JSON. Trailing bytes are an
    /// error here (the guest SDK ignores them).
    ///
    /// # Errors
    ///
    /// The bytes are not a value of the type.
    pub fn decode(&self, bytes: &[u8]) -> Result<Value, String> {
        let mut value = postcard_dyn::from_slice_dyn(&self.schema, bytes)
            .map_err(|e| format!("not a `{}`: {e:?}", self.name()))?;
        narrow(&self.schema.ty, &mut value);
        Ok(value)
    }
}

/// Deepest nesting of types a schema from a module may have.
const MAX_DEPTH: usize = 32;

/// The fewest bytes a value of `ty` encodes in; refuses types the JSON
/// conversion cannot handle, and sequences and maps
/// whose entries can take no bytes, for which the decoder would build as
/// many entries as a 5-byte length names, from a 5-byte message. A schema
/// comes from the module, so a hostile module chooses it; with this, every
/// entry costs at least one byte of a message that is at most the host's
/// message limit. (The nesting was bounded before the schema was decoded,
/// so this recursion is too.)
fn min_size(ty: &OwnedDataModelType) -> Result<usize, String> {
    use OwnedDataModelType as T;
    let all = |types: &mut dyn Iterator<Item = &OwnedDataModelType>| {
        let mut sum = 0usize;
        for ty in types {
            sum += min_size(ty)?;
        }
        Ok::<_, String>(sum)
    };
    let entries = |min: usize| match min {
        0 => Err("the schema has a sequence or map of entries that take no bytes".to_owned()),
        _ => Ok(1),
    };
    Ok(match ty {
        T::Unit | T::UnitStruct => 0,
        T::NewtypeStruct(inner) => min_size(&inner.ty)?,
        T::Option(inner) => {
            min_size(&inner.ty)?;
            1
        }
        T::Seq(inner) => entries(min_size(&inner.ty)?)?,
        T::Map { key, val } => entries(min_size(&key.ty)? + min_size(&val.ty)?)?,
        T::Tuple(items) | T::TupleStruct(items) => all(&mut items.iter().map(|t| &t.ty))?,
        T::Struct(fields) => all(&mut fields.iter().map(|f| &f.ty.ty))?,
        T::Enum(variants) => {
            for variant in variants {
                match &variant.ty {
                    OwnedDataModelVariant::UnitVariant => 0,
                    OwnedDataModelVariant::NewtypeVariant(inner) => min_size(&inner.ty)?,
                    OwnedDataModelVariant::TupleVariant(items) => {
                        all(&mut items.iter().map(|t| &t.ty))?
                    }
                    OwnedDataModelVariant::StructVariant(fields) => {
                        all(&mut fields.iter().map(|f| &f.ty.ty))?
                    }
                };
            }
            // The variant index.
            1
        }
        // postcard-dyn, which converts JSON, has no conversion for these
        // (it panics: found by `fuzz/` target `payload`).
        T::Char => return Err("the schema has a `char`, which JSON conversion lacks".to_owned()),
        T::Schema => {
            return Err("the schema has a schema type, which JSON conversion lacks".to_owned());
        }
        // Every other scalar, string and byte array takes at least one byte.
        _ => 1,
    })
}

/// Where `value` departs from `ty`, the first place found, for an error
/// that names the field: "field `count` is missing", "`count`: expected
/// <u32>, found "x"". `None` when no departure is found here (a number out
/// of the type's range: postcard-dyn's reason is given instead).
fn mismatch(ty: &OwnedDataModelType, value: &Value, at: &str) -> Option<String> {
    use OwnedDataModelType as T;
    let here = |what: &str| match at {
        "" => format!("expected {what}, found {}", short(value)),
        at => format!("`{at}`: expected {what}, found {}", short(value)),
    };
    let path = |name: &str| if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") };
    match (ty, value) {
        (T::NewtypeStruct(inner), _) => mismatch(&inner.ty, value, at),
        (T::Option(_), Value::Null) => None,
        (T::Option(inner), _) => mismatch(&inner.ty, value, at),
        (T::Struct(fields), Value::Object(map)) => {
            for field in fields {
                match map.get(field.name.as_str()) {
                    None => return Some(format!("field `{}` is missing", path(&field.name))),
                    Some(v) => {
                        if let Some(why) = mismatch(&field.ty.ty, v, &path(&field.name)) {
                            return Some(why);
                        }
                    }
                }
            }
            let unknown = map.keys().find(|k| !fields.iter().any(|f| f.name == k.as_str()))?;
            let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            Some(format!(
                "field `{}` is not one of the type's ({})",
                path(unknown),
                known.join(", ")
            ))
        }
        (T::Struct(_), _) => Some(here("an object")),
        (T::Seq(inner), Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| mismatch(&inner.ty, v, &path(&i.to_string()))),
        (T::Tuple(items) | T::TupleStruct(items), Value::Array(values)) => {
            if items.len() != values.len() {
                return Some(here(&format!("{} items", items.len())));
            }
            items
                .iter()
                .zip(values)
                .enumerate()
                .find_map(|(i, (t, v))| mismatch(&t.ty, v, &path(&i.to_string())))
        }
        (T::Seq(_) | T::Tuple(_) | T::TupleStruct(_) | T::ByteArray, _) if !value.is_array() => {
            Some(here("an array"))
        }
        (T::Enum(variants), _) => {
            let names = || variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ");
            let (name, inner) = match value {
                Value::String(name) => (name.as_str(), None),
                Value::Object(map) if map.len() == 1 => {
                    let (name, inner) = map.iter().next()?;
                    (name.as_str(), Some(inner))
                }
                _ => return Some(here(&format!("a variant of {}", names()))),
            };
            let Some(variant) = variants.iter().find(|v| v.name == name) else {
                return Some(format!("`{name}` is not a variant; the variants: {}", names()));
            };
            match (&variant.ty, inner) {
                (OwnedDataModelVariant::UnitVariant, None) => None,
                (OwnedDataModelVariant::UnitVariant, Some(_)) => {
                    Some(format!("variant `{name}` carries nothing: write \"{name}\""))
                }
                (_, None) => {
                    Some(format!("variant `{name}` carries a value: write {{\"{name}\": ...}}"))
                }
                (OwnedDataModelVariant::NewtypeVariant(t), Some(v)) => {
                    mismatch(&t.ty, v, &path(name))
                }
                (OwnedDataModelVariant::TupleVariant(items), Some(v)) => {
                    mismatch(&T::Tuple(items.clone()), v, &path(name))
                }
                (OwnedDataModelVariant::StructVariant(fields), Some(v)) => {
                    mismatch(&T::Struct(fields.clone()), v, &path(name))
                }
            }
        }
        (T::Bool, Value::Bool(_)) | (T::String | T::Char, Value::String(_)) => None,
        (T::Bool, _) => Some(here("true or false")),
        (T::String | T::Char, _) => Some(here("a string")),
        (T::F32 | T::F64, Value::Number(_)) => None,
        (T::F32 | T::F64, _) => Some(here("a number")),
        (T::Unit | T::UnitStruct, Value::Null) => None,
        (T::Unit | T::UnitStruct, _) => Some(here("null")),
        (T::Map { .. } | T::Schema, _) => None,
        // An integer type.
        (scalar, Value::Number(n)) if n.is_f64() => {
            Some(here(&format!("a whole number (<{scalar:?}>)").to_lowercase()))
        }
        (_, Value::Number(_)) => None,
        (scalar, _) => Some(here(&format!("<{scalar:?}>").to_lowercase())),
    }
}

/// Prints each `f32` of a decoded `value` at its own precision: the
/// decoder widens it to `f64`, so 6.6 would read `6.599999904632568`. The
/// shortest decimal that reads back as the same `f32` replaces it, which
/// encodes to the same bytes. (The nesting was bounded when the schema
/// was read, so this recursion is too.)
pub(crate) fn narrow(ty: &OwnedDataModelType, value: &mut Value) {
    use OwnedDataModelType as T;
    match (ty, value) {
        (T::F32, Value::Number(n)) => {
            let shortest = n.as_f64().and_then(|wide| (wide as f32).to_string().parse().ok());
            if let Some(number) = shortest.and_then(serde_json::Number::from_f64) {
                *n = number;
            }
        }
        (T::NewtypeStruct(inner) | T::Option(inner), value) => narrow(&inner.ty, value),
        (T::Seq(inner), Value::Array(items)) => {
            items.iter_mut().for_each(|v| narrow(&inner.ty, v));
        }
        (T::Tuple(types) | T::TupleStruct(types), value) => narrow_items(types, value),
        (T::Struct(fields), value) => narrow_fields(fields, value),
        (T::Map { val, .. }, Value::Object(map)) => {
            map.values_mut().for_each(|v| narrow(&val.ty, v));
        }
        (T::Enum(variants), Value::Object(map)) => {
            for (name, inner) in map.iter_mut() {
                match variants.iter().find(|v| v.name == name.as_str()).map(|v| &v.ty) {
                    Some(OwnedDataModelVariant::NewtypeVariant(t)) => narrow(&t.ty, inner),
                    Some(OwnedDataModelVariant::TupleVariant(types)) => narrow_items(types, inner),
                    Some(OwnedDataModelVariant::StructVariant(fields)) => {
                        narrow_fields(fields, inner)
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// [`narrow`] for a tuple's items (a tuple, a tuple struct or variant).
fn narrow_items(types: &[OwnedNamedType], value: &mut Value) {
    if let Value::Array(items) = value {
        types.iter().zip(items).for_each(|(t, v)| narrow(&t.ty, v));
    }
}

/// [`narrow`] for a struct's fields (a struct or a struct variant).
fn narrow_fields(fields: &[OwnedNamedValue], value: &mut Value) {
    if let Value::Object(map) = value {
        for field in fields {
            if let Some(v) = map.get_mut(field.name.as_str()) {
                narrow(&field.ty.ty, v);
            }
        }
    }
}

/// A JSON value for an error line, cut to a few dozen characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{} ...", &text[..cut]),
        None => text,
    }
}

/// [`PortSchema::example`]'s text for `ty` (serde's JSON forms, which
/// postcard-dyn converts: an enum's unit variant is its name, another
/// variant an object with its name as the one key). The nesting was
/// bounded when the schema was read, so this recursion is too.
fn template(ty: &OwnedDataModelType) -> String {
    use OwnedDataModelType as T;
    let list = |items: &[OwnedNamedType]| {
        items.iter().map(|t| template(&t.ty)).collect::<Vec<_>>().join(", ")
    };
    let fields = |fields: &[postcard_schema::schema::owned::OwnedNamedValue]| {
        let fields: Vec<String> =
            fields.iter().map(|f| format!("\"{}\": {}", f.name, template(&f.ty.ty))).collect();
        format!("{{{}}}", fields.join(", "))
    };
    match ty {
        T::Unit | T::UnitStruct => "null".into(),
        T::NewtypeStruct(inner) => template(&inner.ty),
        T::Option(inner) => format!("{} or null", template(&inner.ty)),
        T::String => "\"<text>\"".into(),
        T::Char => "\"<char>\"".into(),
        T::ByteArray => "[<u8>, ...]".into(),
        T::Seq(inner) => format!("[{}, ...]", template(&inner.ty)),
        T::Map { key, val } => format!("{{{}: {}, ...}}", template(&key.ty), template(&val.ty)),
        T::Tuple(items) | T::TupleStruct(items) => format!("[{}]", list(items)),
        T::Struct(named) => fields(named),
        T::Enum(variants) => {
            let forms: Vec<String> = variants
                .iter()
                .map(|v| match &v.ty {
                    OwnedDataModelVariant::UnitVariant => format!("\"{}\"", v.name),
                    OwnedDataModelVariant::NewtypeVariant(inner) => {
                        format!("{{\"{}\": {}}}", v.name, template(&inner.ty))
                    }
                    OwnedDataModelVariant::TupleVariant(items) => {
                        format!("{{\"{}\": [{}]}}", v.name, list(items))
                    }
                    OwnedDataModelVariant::StructVariant(named) => {
                        format!("{{\"{}\": {}}}", v.name, fields(named))
                    }
                })
                .collect();
            forms.join(" | ")
        }
        // A scalar: its name (`<u32>`, `<f32>`, `<bool>`).
        scalar => format!("<{scalar:?}>").to_lowercase(),
    }
}

impl From<&TypeDecl> for PortSchema {
    fn from(decl: &TypeDecl) -> Self {
        PortSchema { key: decl.key, schema: decl.schema.into() }
    }
}

/// Message types declared for channels by name, owned: what a test host
/// or a scenario checks a module's ports against at load.
#[derive(Clone, Debug, Default)]
pub(crate) struct Channels(Vec<(PortKind, String, PortType)>);

impl Channels {
    pub(crate) fn push(&mut self, kind: PortKind, port: &str, ty: PortType) {
        self.0.push((kind, port.to_owned(), ty));
    }

    /// The list as the hosts' check takes it.
    pub(crate) fn borrowed(&self) -> Vec<ChannelType<'_>> {
        self.0.iter().map(|(kind, port, ty)| ChannelType { kind: *kind, port, ty: *ty }).collect()
    }
}

/// Each port's message type, index order, for inputs and outputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSchemas {
    /// Inputs; `None`: untyped, or a schema that could not be read.
    pub inputs: Vec<Option<PortSchema>>,
    /// Outputs, likewise.
    pub outputs: Vec<Option<PortSchema>>,
}

impl PortSchemas {
    /// The types a manifest declares. Unreadable schemas are `None` (the
    /// port is then handled as raw bytes, as every host does).
    pub fn from_manifest(manifest: &Manifest<'_>) -> Self {
        let list = |kind: PortKind| {
            (0..manifest.ports(kind).len())
                .map(|i| {
                    let ty = manifest.port_type(kind, i)?;
                    PortSchema::from_manifest(ty.key, ty.schema).ok()
                })
                .collect()
        };
        PortSchemas { inputs: list(PortKind::Input), outputs: list(PortKind::Output) }
    }

    /// The types a native task declares.
    pub fn from_task(task: &wasm_sdk::native::Task) -> Self {
        let list =
            |types: &[Option<TypeDecl>]| types.iter().map(|t| t.as_ref().map(Into::into)).collect();
        PortSchemas { inputs: list(task.input_types), outputs: list(task.output_types) }
    }

    /// The schema of port `index` of `kind`.
    pub fn get(&self, kind: PortKind, index: u8) -> Option<&PortSchema> {
        let list = match kind {
            PortKind::Input => &self.inputs,
            PortKind::Output => &self.outputs,
        };
        list.get(usize::from(index))?.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_examples_common::{AlarmEvent, Counter};
    use postcard_schema::Schema;
    use serde_json::json;

    fn schema_of<T: Schema>() -> PortSchema {
        let mut bytes = [0u8; 256];
        let bytes = postcard::to_slice(T::SCHEMA, &mut bytes).unwrap();
        PortSchema::from_manifest(TypeKey::of::<T>(), bytes).unwrap()
    }

    /// Decoded JSON reads as the Rust value does: fields in their declared
    /// order, each `f32` at its own precision (and back to the same bytes).
    #[test]
    fn decoded_json_keeps_field_order_and_f32_precision() {
        #[derive(serde::Serialize, Schema)]
        struct Gains {
            kp: f32,
            ki: f32,
            alpha: f32,
            wide: f64,
        }
        let gains = Gains { kp: 6.6, ki: 1.0, alpha: -0.0, wide: 0.1 };
        let bytes = postcard::to_allocvec(&gains).unwrap();
        let schema = schema_of::<Gains>();
        let value = schema.decode(&bytes).unwrap();
        assert_eq!(value.to_string(), r#"{"kp":6.6,"ki":1.0,"alpha":-0.0,"wide":0.1}"#);
        assert_eq!(schema.encode(&value).unwrap(), bytes);
        // Inside enum variants too.
        #[derive(serde::Serialize, Schema)]
        enum Command {
            Set { gain: f32 },
            Pair(f32, f32),
        }
        let schema = schema_of::<Command>();
        for (command, json) in [
            (Command::Set { gain: 6.6 }, r#"{"Set":{"gain":6.6}}"#),
            (Command::Pair(0.1, -2.5), r#"{"Pair":[0.1,-2.5]}"#),
        ] {
            let bytes = postcard::to_allocvec(&command).unwrap();
            assert_eq!(schema.decode(&bytes).unwrap().to_string(), json);
        }
    }

    #[test]
    fn json_round_trips_through_postcard() {
        let counter = schema_of::<Counter>();
        assert_eq!(counter.name(), "Counter");
        assert_eq!(counter.encode(&json!({"count": 300})).unwrap(), [0xac, 0x02]);
        assert_eq!(counter.decode(&[0xac, 0x02]).unwrap(), json!({"count": 300}));
        assert!(counter.encode(&json!({"count": -3})).is_err());
        assert!(counter.encode(&json!(5)).is_err());
        assert!(counter.decode(&[0xff; 5]).is_err());
        let alarm = schema_of::<AlarmEvent>();
        let raised = json!({"Raised": {"deci_celsius": -3}});
        let bytes = alarm.encode(&raised).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&AlarmEvent::Raised { deci_celsius: -3 }).unwrap());
        assert_eq!(alarm.decode(&bytes).unwrap(), raised);
    }

    /// A value that is not of the type is told where it departs, with the
    /// type's shape beside it.
    #[test]
    fn a_mismatch_names_the_field_and_the_shape() {
        let counter = schema_of::<Counter>();
        assert_eq!(counter.example(), r#"{"count": <u32>}"#);
        let why = |schema: &PortSchema, value| schema.encode(&value).unwrap_err();
        assert_eq!(why(&counter, json!(5)), "5 is not a `Counter`: expected an object, found 5");
        assert_eq!(why(&counter, json!({})), "{} is not a `Counter`: field `count` is missing");
        assert!(
            why(&counter, json!({"count": true})).ends_with("`count`: expected <u32>, found true")
        );
        assert!(
            why(&counter, json!({"count": 1, "c": 2}))
                .ends_with("field `c` is not one of the type's (count)")
        );
        // Out of range: no departure of shape, postcard-dyn's reason.
        assert!(why(&counter, json!({"count": -3})).ends_with("SchemaMismatch"));
        let alarm = schema_of::<AlarmEvent>();
        assert!(
            alarm.example().starts_with(r#"{"Raised": {"deci_celsius": <i16>}}"#),
            "{}",
            alarm.example()
        );
        assert!(
            why(&alarm, json!("Lowered"))
                .contains("`Lowered` is not a variant; the variants: Raised")
        );
        assert!(
            why(&alarm, json!({"Raised": {"deci": 1}}))
                .ends_with("field `Raised.deci_celsius` is missing")
        );
        assert!(
            why(&alarm, json!("Raised"))
                .ends_with(r#"variant `Raised` carries a value: write {"Raised": ...}"#)
        );
    }

    /// A hostile module's schemas: a sequence of units (a 5-byte message
    /// would decode to four billion entries) and deep nesting (the decoders
    /// recurse) are refused when the schema is read, so no message of
    /// theirs is ever decoded.
    #[test]
    fn schemas_that_make_decoding_unbounded_are_refused() {
        use postcard_schema::key::hash::fnv1a64_owned::hash_ty_path_owned;
        let unit = OwnedNamedType { name: "()".into(), ty: OwnedDataModelType::Unit };
        let units = OwnedNamedType {
            name: "Vec<()>".into(),
            ty: OwnedDataModelType::Seq(Box::new(unit.clone())),
        };
        let mut nested = OwnedNamedType { name: "u8".into(), ty: OwnedDataModelType::U8 };
        for _ in 0..=MAX_DEPTH {
            nested = OwnedNamedType {
                name: "Option".into(),
                ty: OwnedDataModelType::Option(Box::new(nested)),
            };
        }
        // JSON conversion would panic on these (fuzz/regressions/payload).
        let char_ty = OwnedNamedType { name: "char".into(), ty: OwnedDataModelType::Char };
        let schema_ty = OwnedNamedType { name: "S".into(), ty: OwnedDataModelType::Schema };
        let cases = [
            (units, "take no bytes"),
            (nested, "deeper than"),
            (char_ty, "`char`"),
            (schema_ty, "schema type"),
        ];
        for (hostile, reason) in cases {
            // (The nesting case is small here; `wasm-sdk-abi`'s test shows
            // the scan stopping a 2,000-deep one without recursing.)
            let bytes = postcard::to_allocvec(&hostile).unwrap();
            let key = TypeKey(hash_ty_path_owned("", &hostile));
            let err = PortSchema::from_manifest(key, &bytes).unwrap_err();
            assert!(err.contains(reason), "{err}");
        }
        // A map of units to bytes and a sequence of unit-variant enums are
        // fine: each entry takes a byte.
        let mut bytes = [0u8; 256];
        let bytes =
            postcard::to_slice(<std::collections::BTreeMap<(), u8> as Schema>::SCHEMA, &mut bytes)
                .unwrap();
        let key = TypeKey::of::<std::collections::BTreeMap<(), u8>>();
        assert!(PortSchema::from_manifest(key, bytes).is_ok());
    }

    #[test]
    fn a_schema_with_a_foreign_key_is_refused() {
        let mut bytes = [0u8; 64];
        let bytes = postcard::to_slice(Counter::SCHEMA, &mut bytes).unwrap();
        let err = PortSchema::from_manifest(TypeKey([0; 8]), bytes).unwrap_err();
        assert!(err.contains("is not its schema's key"), "{err}");
        assert!(PortSchema::from_manifest(TypeKey([0; 8]), &[0xff]).is_err());
    }
}
