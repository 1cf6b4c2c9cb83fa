//! `new --catalog`: a module typed against a device's catalog. Its
//! messages crate declares the chosen services' types in Rust, from their
//! schemas (so their keys are the device's, which a `const` assertion
//! checks at compile time), its guest has a port per service, and its test
//! checks on the test host, with the catalog, that the device would
//! install it.

use std::collections::BTreeMap;
use std::fmt::Write;

use postcard_schema::schema::owned::{
    OwnedDataModelType, OwnedDataModelVariant, OwnedNamedType, OwnedNamedValue,
};
use wasm_sdk_host::abi::catalog::Direction;
use wasm_sdk_testhost::{CatalogService, DeviceCatalog};

/// The services a new module binds: inputs, then outputs, in the order
/// given.
pub struct Chosen<'a> {
    /// The catalog they come from.
    pub catalog: &'a DeviceCatalog,
    inputs: Vec<&'a CatalogService>,
    outputs: Vec<&'a CatalogService>,
}

impl<'a> Chosen<'a> {
    /// The services named `names`.
    ///
    /// # Errors
    ///
    /// A name the catalog lacks (the message lists what it has), a name
    /// that is not a Rust identifier, or no input service (a module waits
    /// on its inputs).
    pub fn new(catalog: &'a DeviceCatalog, names: &[String]) -> Result<Self, String> {
        let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
        for name in names {
            let service = catalog.service(name).ok_or_else(|| {
                let offered: Vec<&str> =
                    catalog.services().iter().map(|s| s.name.as_str()).collect();
                format!("the catalog has no service `{name}`; it offers: {}", offered.join(", "))
            })?;
            identifier(name).map_err(|e| format!("service `{name}`: {e}"))?;
            match service.direction {
                Direction::Provides => inputs.push(service),
                Direction::Takes => outputs.push(service),
            }
        }
        if inputs.is_empty() {
            return Err("choose at least one service the device provides (an input): a module waits on its inputs".into());
        }
        Ok(Chosen { catalog, inputs, outputs })
    }

    fn all(&self) -> impl Iterator<Item = &&'a CatalogService> {
        self.inputs.iter().chain(&self.outputs)
    }

    /// The messages crate's `lib.rs`: each type the chosen services carry,
    /// and the check that its key is the device's.
    ///
    /// # Errors
    ///
    /// A type `new` cannot write (one holding a string, sequence or map,
    /// whose size in a `no_std` guest is the author's choice), or two types
    /// of one name and different shapes.
    pub fn messages_lib(&self, module: &str) -> Result<String, String> {
        let mut items = Items::default();
        for service in self.all() {
            items.ty(&service.ty.schema).map_err(|e| format!("service `{}`: {e}", service.name))?;
        }
        let mut out = format!(
            "//! Messages of the `{module}` module: the types of the device services it\n\
             //! binds, written by `wasm-sdk new --catalog` from the device's catalog.\n\
             //!\n\
             //! Keep their shapes and names: a port binds a service only when its\n\
             //! type's key (a hash of the shape and the field and variant names) is\n\
             //! the service's. The check at the end fails to compile otherwise.\n\n\
             #![no_std] // linked into a no_std guest\n\n\
             use postcard::experimental::max_size::MaxSize;\n\
             use postcard_schema::Schema;\n\
             use serde::{{Deserialize, Serialize}};\n"
        );
        for item in items.written.values() {
            out.push('\n');
            out.push_str(item);
        }
        out.push_str(
            "\n/// Whether two type keys are equal, in `const`.\n\
             const fn same(a: [u8; 8], b: [u8; 8]) -> bool {\n    \
                 let mut i = 0;\n    \
                 while i < 8 {\n        \
                     if a[i] != b[i] {\n            \
                         return false;\n        \
                     }\n        \
                     i += 1;\n    \
                 }\n    \
                 true\n\
             }\n\n\
             // Each type has the key of the device's service.\n\
             const _: () = {\n    \
                 use postcard_schema::key::hash::fnv1a64::hash_ty_path;\n",
        );
        for service in self.all() {
            let ty = &service.ty;
            let key: Vec<String> = ty.key.0.iter().map(|b| format!("0x{b:02x}")).collect();
            let _ = writeln!(
                out,
                "    assert!(\n        same(\n            hash_ty_path::<{name}>(\"\"),\n            [{key}]\n        ),\n        \"`{name}` is not the type of the device's service `{service}`\"\n    );",
                name = ty.name(),
                key = key.join(", "),
                service = service.name,
            );
        }
        out.push_str("};\n");
        Ok(out)
    }

    /// The guest's `lib.rs`: a port per service, a loop that waits on the
    /// inputs.
    pub fn guest_lib(&self, module: &str, messages_crate: &str) -> String {
        let port = |s: &CatalogService| format!("{}: {}", s.name, s.ty.name());
        let inputs: Vec<String> = self.inputs.iter().map(|s| port(s)).collect();
        let outputs: Vec<String> = self.outputs.iter().map(|s| port(s)).collect();
        let mut types: Vec<&str> = self.all().map(|s| s.ty.name()).collect();
        types.sort_unstable();
        types.dedup();
        let handle = |s: &CatalogService| camel(&s.name);
        let mut arms = String::new();
        for (i, input) in self.inputs.iter().enumerate() {
            let _ = write!(
                arms,
                "{open}ready == Input::{handle} {{\n            \
                     let {name}: {ty} = Input::{handle}.receive()?;\n            \
                     // What the module does with it, e.g. send on an output.\n            \
                     let _ = {name};\n        \
                 }}",
                open = if i == 0 { "        if " } else { " else if " },
                handle = handle(input),
                name = input.name,
                ty = input.ty.name(),
            );
        }
        let waited: Vec<String> =
            self.inputs.iter().map(|s| format!("Input::{}.into()", handle(s))).collect();
        let sends = if self.outputs.is_empty() {
            String::new()
        } else {
            let list: Vec<String> =
                self.outputs.iter().map(|s| format!("`Output::{}`", handle(s))).collect();
            format!("//\n// Its outputs: {}; `Output::X.send(&message)?` sends.\n", list.join(", "))
        };
        format!(
            "//! `{module}`: a module on the device services {services}.\n\n\
             #![no_std] // wasm32-unknown-unknown guests have no operating system\n\n\
             // A fixed heap arena inside linear memory, and the panic handler a\n\
             // no_std module needs.\n\
             define_alloc_heap!(4 * 1024);\n\
             define_panic_handlers!();\n\n\
             use wasm_sdk::{{InputIdx, Result, define_alloc_heap, define_panic_handlers, task_run}};\n\n\
             use {messages_crate}::{{{types}}};\n\n\
             // A port per device service, of the service's type: the device binds\n\
             // each by its name at install.\n\
             {sends}\
             #[task_run(inputs({inputs}), outputs({outputs}))]\n\
             fn run() -> Result<()> {{\n    \
                 let inputs: [InputIdx; {count}] = [{waited}];\n    \
                 loop {{\n        \
                     // Waits, burning no fuel, until one of the inputs has a message.\n        \
                     let ready = Input::wait(&inputs)?;\n{arms}\n    \
                 }}\n\
             }}\n",
            services = self.all().map(|s| format!("`{}`", s.name)).collect::<Vec<_>>().join(", "),
            types = types.join(", "),
            inputs = inputs.join(", "),
            outputs = outputs.join(", "),
            count = self.inputs.len(),
            waited = waited.join(", "),
        )
    }
}

/// The test of a module typed against a catalog: the device would install
/// it, and it waits on its inputs.
pub const DEVICE_TEST: &str = r#"//! The module against the device's catalog (`device.catalog.json`, from
//! `wasm-sdk guests services --save` or the firmware's build): the device
//! would install it, and it waits for its inputs.

use wasm_sdk_testhost::{DeviceCatalog, GuestBuilder, Step, TestHost};

#[test]
fn the_device_would_install_it() {
    let catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/../device.catalog.json");
    let catalog = DeviceCatalog::load(catalog).unwrap_or_else(|e| panic!("{e}"));
    let wasm = GuestBuilder::for_tests()
        .build(env!("CARGO_MANIFEST_DIR"))
        .expect("build the guest");
    let host = TestHost::builder().catalog(&catalog).build();
    // Refused here as the device would refuse the upload, with its reason.
    let mut guest = host.load_file(&wasm).unwrap_or_else(|e| panic!("{e}"));
    let step = guest.run_until_idle().clone();
    assert!(
        matches!(step, Step::Waiting { .. } | Step::Blocked { .. }),
        "{step:?}"
    );
}
"#;

/// Rust items by type name, each written once.
#[derive(Default)]
struct Items {
    written: BTreeMap<String, String>,
    /// The shape of each, to refuse two types of one name.
    shapes: BTreeMap<String, OwnedDataModelType>,
}

impl Items {
    /// The Rust type for `ty`, writing the items it needs.
    fn ty(&mut self, ty: &OwnedNamedType) -> Result<String, String> {
        use OwnedDataModelType as T;
        Ok(match &ty.ty {
            T::Bool => "bool".into(),
            T::I8 => "i8".into(),
            T::U8 => "u8".into(),
            T::I16 => "i16".into(),
            T::I32 => "i32".into(),
            T::I64 => "i64".into(),
            T::I128 => "i128".into(),
            T::U16 => "u16".into(),
            T::U32 => "u32".into(),
            T::U64 => "u64".into(),
            T::U128 => "u128".into(),
            T::Usize => "usize".into(),
            T::Isize => "isize".into(),
            T::F32 => "f32".into(),
            T::F64 => "f64".into(),
            T::Char => "char".into(),
            T::Unit => "()".into(),
            T::Option(inner) => format!("Option<{}>", self.ty(inner)?),
            T::Tuple(items) => {
                let items: Vec<String> =
                    items.iter().map(|t| self.ty(t)).collect::<Result<_, _>>()?;
                format!("({},)", items.join(", "))
            }
            T::String | T::ByteArray | T::Seq(_) | T::Map { .. } => {
                return Err(format!(
                    "`{}` holds a string, bytes, a sequence or a map, whose size in a no_std guest is yours to choose (`heapless`): write the type by hand",
                    ty.name
                ));
            }
            T::UnitStruct | T::NewtypeStruct(_) | T::TupleStruct(_) | T::Struct(_) | T::Enum(_) => {
                self.item(ty)?;
                ty.name.clone()
            }
            other => {
                return Err(format!("`{}` has a shape `new` does not write: {other:?}", ty.name));
            }
        })
    }

    /// Writes the item declaring the named type `ty`.
    fn item(&mut self, ty: &OwnedNamedType) -> Result<(), String> {
        use OwnedDataModelType as T;
        identifier(&ty.name)?;
        if let Some(shape) = self.shapes.get(&ty.name) {
            return if *shape == ty.ty {
                Ok(())
            } else {
                Err(format!("two types are named `{}` with different shapes", ty.name))
            };
        }
        self.shapes.insert(ty.name.clone(), ty.ty.clone());
        let fields = |items: &mut Self, fields: &[OwnedNamedValue], indent: &str| {
            let mut out = String::new();
            for field in fields {
                identifier(&field.name)?;
                let _ = writeln!(out, "{indent}pub {}: {},", field.name, items.ty(&field.ty)?);
            }
            Ok::<_, String>(out)
        };
        let tuple = |items: &mut Self, types: &[OwnedNamedType]| {
            let types: Vec<String> = types
                .iter()
                .map(|t| items.ty(t).map(|t| format!("pub {t}")))
                .collect::<Result<_, _>>()?;
            Ok::<_, String>(types.join(", "))
        };
        let body = match &ty.ty {
            T::UnitStruct => format!("pub struct {};\n", ty.name),
            T::NewtypeStruct(inner) => {
                format!("pub struct {}(pub {});\n", ty.name, self.ty(inner)?)
            }
            T::TupleStruct(items) => format!("pub struct {}({});\n", ty.name, tuple(self, items)?),
            T::Struct(list) => {
                format!("pub struct {} {{\n{}}}\n", ty.name, fields(self, list, "    ")?)
            }
            T::Enum(variants) => {
                let mut out = format!("pub enum {} {{\n", ty.name);
                for variant in variants {
                    identifier(&variant.name)?;
                    let _ = match &variant.ty {
                        OwnedDataModelVariant::UnitVariant => {
                            writeln!(out, "    {},", variant.name)
                        }
                        OwnedDataModelVariant::NewtypeVariant(inner) => {
                            writeln!(out, "    {}({}),", variant.name, self.ty(inner)?)
                        }
                        OwnedDataModelVariant::TupleVariant(items) => {
                            let items: Vec<String> =
                                items.iter().map(|t| self.ty(t)).collect::<Result<_, _>>()?;
                            writeln!(out, "    {}({}),", variant.name, items.join(", "))
                        }
                        OwnedDataModelVariant::StructVariant(list) => {
                            // Enum variants' fields take no `pub`; on one
                            // line when short, as rustfmt writes them.
                            let body = fields(self, list, "        ")?.replace("pub ", "");
                            let line: Vec<&str> =
                                body.lines().map(|l| l.trim().trim_end_matches(',')).collect();
                            let line = line.join(", ");
                            if line.len() <= RUSTFMT_STRUCT_VARIANT_WIDTH {
                                writeln!(out, "    {} {{ {line} }},", variant.name)
                            } else {
                                writeln!(out, "    {} {{\n{body}    }},", variant.name)
                            }
                        }
                    };
                }
                out.push_str("}\n");
                out
            }
            _ => unreachable!("only named types are items"),
        };
        let item = format!(
            "/// `{name}`, as the device's catalog describes it.\n\
             #[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]\n{body}",
            name = ty.name
        );
        self.written.insert(ty.name.clone(), item);
        Ok(())
    }
}

/// rustfmt's default `struct_variant_width`: the generated crates pass
/// `cargo fmt --check` as written.
const RUSTFMT_STRUCT_VARIANT_WIDTH: usize = 35;

/// Refuses a name that is not a plain Rust identifier (a catalog file is
/// input: its names go into source code).
fn identifier(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || name == "_" {
        return Err(format!("`{name}` is not a Rust identifier"));
    }
    if crate::new::KEYWORDS.contains(&name) {
        return Err(format!("`{name}` is a Rust keyword: write this type by hand"));
    }
    Ok(())
}

/// A port's handle as `#[task_run]` names it: `low_temperature` is
/// `LowTemperature`.
fn camel(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_a_catalog_must_be_plain_identifiers() {
        assert!(identifier("deci_celsius").is_ok());
        for bad in ["", "_", "2x", "a-b", "a b", "type", "x\"); evil(\""] {
            assert!(identifier(bad).is_err(), "{bad:?}");
        }
        assert_eq!(camel("low_temperature"), "LowTemperature");
        assert_eq!(camel("tick"), "Tick");
    }
}
