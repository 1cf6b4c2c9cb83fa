//! A device's service catalog on the desktop: saved from a device
//! (`wasm-sdk guests services --save FILE`) or written by its firmware's
//! build, then used to check a module before it is uploaded.
//!
//! The file is JSON: each service's name, direction, type name and key,
//! its schema (postcard's encoding of a postcard-schema `NamedType`, in
//! hex: the bytes the device sends and a module's manifest embeds) and its
//! shape as Rust-like text, for people.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use wasm_sdk_host::ModuleInfo;
use wasm_sdk_host::abi::catalog::{Bind, Direction, bind};
use wasm_sdk_host::abi::manifest::{Manifest, PortKind};
use wasm_sdk_host::abi::schema::postcard_schema::Schema;
use wasm_sdk_host::abi::schema::postcard_schema::schema::NamedType;
use wasm_sdk_host::abi::schema::{Mismatch, PortType, TypeKey, compatible, write_schema};

use crate::error::TestHostError;
use crate::types::PortSchema;

/// The version of the catalog file's format this crate reads and writes.
pub const CATALOG_FORMAT: u32 = 1;

/// One service of a device's catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogService {
    /// The name a guest's port binds it by.
    pub name: String,
    /// Which way its messages go.
    pub direction: Direction,
    /// Its message type, with the schema to encode and decode it.
    pub ty: PortSchema,
}

impl CatalogService {
    /// The service from the parts a device reports: the type's key and its
    /// schema as postcard encodes it.
    ///
    /// # Errors
    ///
    /// The schema does not decode, is not the key's, or is one a hostile
    /// device could choose to exhaust the desktop ([`PortSchema::from_manifest`]).
    pub fn from_parts(
        name: &str,
        direction: Direction,
        key: TypeKey,
        schema: &[u8],
    ) -> Result<Self, String> {
        let ty =
            PortSchema::from_manifest(key, schema).map_err(|e| format!("service `{name}`: {e}"))?;
        Ok(CatalogService { name: name.to_owned(), direction, ty })
    }

    /// The service for a Rust message type: how a firmware's build writes
    /// its catalog file, and how a test declares a device's.
    pub fn of<T: Schema + ?Sized>(name: &str, direction: Direction) -> Self {
        Self::from_schema(name, direction, TypeKey::of::<T>(), T::SCHEMA)
            .unwrap_or_else(|e| panic!("a Rust type's schema reads back: {e}"))
    }

    /// The service from a firmware's declaration: its type's key and
    /// schema (a build script writing the firmware's catalog file).
    ///
    /// # Errors
    ///
    /// As [`from_parts`](Self::from_parts).
    pub fn from_schema(
        name: &str,
        direction: Direction,
        key: TypeKey,
        schema: &NamedType,
    ) -> Result<Self, String> {
        let mut bytes = vec![0; write_schema(schema, &mut [])];
        write_schema(schema, &mut bytes);
        Self::from_parts(name, direction, key, &bytes)
    }

    /// The type as a host declares a channel's: its name is kept for the
    /// life of the program (a test host's channels are `'static`).
    fn port_type(&self) -> PortType {
        PortType { name: Box::leak(self.ty.name().into()), key: self.ty.key }
    }
}

/// The services a device offers the modules installed into its free
/// slots, read from a catalog file (`wasm-sdk guests services --save
/// FILE`, or the one the firmware's build writes).
///
/// ```no_run
/// use wasm_sdk_testhost::{DeviceCatalog, TestHost};
///
/// let catalog = DeviceCatalog::load("qemu-host.catalog.json")?;
/// // Each port: what it would bind on the device, or why it would not.
/// let wasm = std::fs::read("thermostat.wasm")?;
/// for port in catalog.check(&wasm)? {
///     println!("{port}");
/// }
/// // A test host that refuses what the device refuses.
/// let host = TestHost::builder().catalog(&catalog).build();
/// let guest = host.load(&wasm)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceCatalog {
    services: Vec<CatalogService>,
}

/// One service in the catalog file.
#[derive(Serialize, Deserialize)]
struct FileService {
    name: String,
    direction: String,
    #[serde(rename = "type")]
    ty: String,
    key: String,
    schema: String,
    #[serde(default)]
    shape: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    catalog: u32,
    services: Vec<FileService>,
}

impl DeviceCatalog {
    /// A catalog of `services`.
    pub fn new(services: Vec<CatalogService>) -> Self {
        DeviceCatalog { services }
    }

    /// Every service, in the device's order.
    pub fn services(&self) -> &[CatalogService] {
        &self.services
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&CatalogService> {
        self.services.iter().find(|service| service.name == name)
    }

    /// The service whose message type has key `key`: how a tool finds the
    /// schema of a port the device reports by its type's key.
    pub fn schema_of(&self, key: TypeKey) -> Option<&PortSchema> {
        self.services.iter().map(|service| &service.ty).find(|ty| ty.key == key)
    }

    /// Reads a catalog file.
    ///
    /// # Errors
    ///
    /// [`TestHostError::Io`], or [`TestHostError::Catalog`] for a file
    /// that is not a catalog.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, TestHostError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|error| TestHostError::Io { path: path.to_owned(), error })?;
        Self::from_json(&text)
            .map_err(|e| TestHostError::Catalog(format!("`{}`: {e}", path.display())))
    }

    /// Writes the catalog file.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TestHostError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json())
            .map_err(|error| TestHostError::Io { path: path.to_owned(), error })
    }

    /// The catalog a firmware declares, from each service's name,
    /// direction, type key and schema: what its build script writes with
    /// [`save_beside_firmware`](Self::save_beside_firmware).
    ///
    /// # Panics
    ///
    /// If a schema does not read back as its key's: the build fails with
    /// the service's name.
    pub fn declared<'a>(
        services: impl IntoIterator<Item = (&'a str, Direction, TypeKey, &'a NamedType)>,
    ) -> Self {
        let services = services
            .into_iter()
            .map(|(name, direction, key, schema)| {
                CatalogService::from_schema(name, direction, key, schema)
                    .unwrap_or_else(|e| panic!("the catalog's own schema: {e}"))
            })
            .collect();
        DeviceCatalog { services }
    }

    /// Writes the catalog file of a firmware from its build script:
    /// `<name>.catalog.json` beside the firmware's binary
    /// (`target/<target>/<profile>/`), where `wasm-sdk inspect --catalog`
    /// and `new --catalog` users find it. Returns its path.
    ///
    /// # Panics
    ///
    /// Outside a build script (no `OUT_DIR`), or if the file cannot be
    /// written: the build fails with the reason.
    pub fn save_beside_firmware(&self, name: &str) -> std::path::PathBuf {
        let path = crate::profile::beside_firmware(&format!("{name}.catalog.json"));
        self.save(&path).unwrap_or_else(|e| panic!("write the catalog file: {e}"));
        path
    }

    /// Reads the catalog file's JSON.
    ///
    /// # Errors
    ///
    /// What is wrong with it, naming the service.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: File = serde_json::from_str(text).map_err(|e| format!("not a catalog: {e}"))?;
        if file.catalog != CATALOG_FORMAT {
            return Err(format!(
                "catalog format {} (this tool reads {CATALOG_FORMAT}): update the tool",
                file.catalog
            ));
        }
        let services = file
            .services
            .iter()
            .map(|s| {
                let direction = Direction::parse(&s.direction).ok_or_else(|| {
                    format!(
                        "service `{}`: direction `{}` is not provides or takes",
                        s.name, s.direction
                    )
                })?;
                let key = parse_key(&s.key).ok_or_else(|| {
                    format!("service `{}`: key `{}` is not 16 hex digits", s.name, s.key)
                })?;
                let schema = hex::decode(&s.schema)
                    .map_err(|e| format!("service `{}`: schema is not hex: {e}", s.name))?;
                CatalogService::from_parts(&s.name, direction, key, &schema)
            })
            .collect::<Result<_, _>>()?;
        Ok(DeviceCatalog { services })
    }

    /// The catalog file's JSON.
    pub fn to_json(&self) -> String {
        let services = self
            .services
            .iter()
            .map(|s| FileService {
                name: s.name.clone(),
                direction: s.direction.as_str().to_owned(),
                ty: s.ty.name().to_owned(),
                key: s.ty.key.to_string(),
                schema: hex::encode(postcard::to_stdvec(&s.ty.schema).unwrap_or_default()),
                shape: s.ty.describe(),
            })
            .collect();
        let file = File { catalog: CATALOG_FORMAT, services };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The services as a host's load check declares its channels: a port
    /// named as a service of its direction must carry its type.
    pub fn channel_types(&self) -> Vec<(PortKind, String, PortType)> {
        self.services
            .iter()
            .map(|s| (s.direction.port_kind(), s.name.clone(), s.port_type()))
            .collect()
    }

    /// What each port of a module would bind on the device, or why it
    /// would not: the device's rules, port by port (inputs first).
    ///
    /// # Errors
    ///
    /// The module has no manifest the host can read.
    pub fn check(&self, wasm: &[u8]) -> Result<Vec<PortCheck>, TestHostError> {
        let info = ModuleInfo::parse(wasm).map_err(|e| TestHostError::Catalog(e.clone()))?;
        let raw = info.manifest.ok_or_else(|| {
            TestHostError::Catalog("the module has no manifest (not built with #[task_run])".into())
        })?;
        let manifest =
            Manifest::parse(&raw).map_err(|e| TestHostError::Catalog(e.as_str().to_owned()))?;
        let mut checks = Vec::new();
        for kind in [PortKind::Input, PortKind::Output] {
            for (index, port) in manifest.ports(kind).iter().enumerate() {
                let declared = manifest.port_type(kind, index);
                let find = |name: &str| self.service(name).map(|s| (s, s.direction));
                let outcome = match bind(kind, port, find) {
                    Ok(Bind::Topic(topic)) => Ok(Binds::Topic(topic.to_owned())),
                    Ok(Bind::Service(service)) => {
                        let offered = service.port_type();
                        match declared {
                            Some(ty) if !compatible(Some(offered.key), Some(ty.key)) => {
                                let name = wasm_sdk_host::abi::schema::schema_name(ty.schema)
                                    .unwrap_or("?");
                                let mismatch = Mismatch {
                                    kind,
                                    port,
                                    declared: offered,
                                    found: (ty.key, name),
                                };
                                Err(mismatch.to_string())
                            }
                            _ => Ok(Binds::Service(service.name.clone(), service.direction)),
                        }
                    }
                    Err(refusal) => Err(Refusal(refusal, kind, port).to_string()),
                };
                checks.push(PortCheck { kind, port: port.to_owned(), outcome });
            }
        }
        Ok(checks)
    }
}

/// A refusal with the port it is about, written as the device writes it.
struct Refusal<'a>(wasm_sdk_host::abi::catalog::Refusal, PortKind, &'a str);

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, self.1, self.2)
    }
}

fn parse_key(text: &str) -> Option<TypeKey> {
    let bytes = hex::decode(text).ok()?;
    Some(TypeKey(bytes.try_into().ok()?))
}

/// What a port binds on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binds {
    /// The service of this name, going this way.
    Service(String, Direction),
    /// The topic of this name (guests to guests).
    Topic(String),
}

/// One port of a module checked against a catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortCheck {
    /// Input or output.
    pub kind: PortKind,
    /// The port's name in the module.
    pub port: String,
    /// What it binds, or why it would be refused, in the device's words.
    pub outcome: Result<Binds, String>,
}

impl fmt::Display for PortCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(Binds::Service(name, direction)) => write!(
                f,
                "ok    {} `{}`: binds service `{name}` (the firmware {} it)",
                self.kind.as_str(),
                self.port,
                direction.as_str()
            ),
            Ok(Binds::Topic(topic)) => {
                write!(f, "ok    {} `{}`: binds topic `{topic}`", self.kind.as_str(), self.port)
            }
            Err(reason) => write!(f, "FAILS {reason}"),
        }
    }
}
