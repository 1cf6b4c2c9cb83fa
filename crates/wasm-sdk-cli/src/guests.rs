//! `wasm-sdk guests`: the guest group (SMP group 64) of a device
//! running wasm-sdk firmware: list its guests, stop and start one, send an
//! input, read outputs, list the catalog and each port's binding. The
//! group's requests and responses are documented in `wasm_sdk_smp::guests`.
//!
//! Messages of typed ports are JSON both ways: the schema of a port's type
//! comes from the device's catalog (by the type's key, which `bindings`
//! gives for every port), or from a module or catalog file given with
//! `--schemas`. Raw bytes are hex (`--hex` for a typed port).

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use mcumgr_toolkit::MCUmgrClient;
use mcumgr_toolkit::commands::McuMgrCommand;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_sdk_host::abi::catalog::Direction;
use wasm_sdk_host::abi::manifest::{Manifest, PortKind};
use wasm_sdk_host::inspect::ModuleInfo;
use wasm_sdk_testhost::{CatalogService, DeviceCatalog, PortSchema, TypeKey};

/// The guest group's number.
const GROUP: u16 = 64;

/// Arguments of `guests`.
#[derive(Args)]
pub struct GuestsArgs {
    #[command(flatten)]
    device: crate::port::PortArgs,
    #[command(subcommand)]
    command: GuestCommand,
}

#[derive(Subcommand)]
enum GuestCommand {
    /// Each guest: slot, state, fuel used, linear memory, messages.
    List,
    /// Stop a guest at a safe point (waiting for input, not mid-message).
    Stop {
        /// The guest's name.
        name: String,
    },
    /// Start a stopped guest again, from its slot's module.
    Start {
        /// The guest's name.
        name: String,
    },
    /// Queue a message on one of a guest's inputs: JSON for a typed input
    /// (`temperature='{"deci_celsius": 250}'`), hex bytes for an untyped
    /// one (`raw=0a0b`).
    Send {
        /// The guest's name.
        name: String,
        /// Input name and the message.
        #[arg(value_name = "INPUT=VALUE", value_parser = crate::parse_input)]
        message: (String, String),
        /// The value is the message's bytes in hex, whatever the input's
        /// type.
        #[arg(long)]
        hex: bool,
        /// Module (`.wasm`) or catalog (`.json`) files with the schemas of
        /// types the device's catalog lacks (a topic's, a wired port's).
        #[arg(long, value_name = "FILE")]
        schemas: Vec<PathBuf>,
    },
    /// Print the guest's latest outputs not read yet, oldest first (the
    /// device keeps the last few): JSON for a typed port whose schema is
    /// known, hex otherwise.
    Outputs {
        /// The guest's name.
        name: String,
        /// Print every message as hex bytes.
        #[arg(long)]
        hex: bool,
        /// As for `send`.
        #[arg(long, value_name = "FILE")]
        schemas: Vec<PathBuf>,
    },
    /// The device's service catalog: what a module uploaded into a free
    /// slot may bind its ports to, with each message type's shape.
    Services {
        /// Also write it as a catalog file, for `inspect --catalog`, `new
        /// --catalog` and the test host.
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
    },
    /// Each guest's ports and what they are bound to.
    Bindings,
    /// Remove a guest's uploaded module (`image erase` of its running
    /// slot): a guest of a free slot goes, and its memory with it.
    Remove {
        /// The guest's name.
        name: String,
    },
}

/// One request of the guest group: its command number, direction, body
/// and response type.
struct Request<P, R> {
    id: u8,
    write: bool,
    body: P,
    response: PhantomData<R>,
}

impl<P: Serialize, R: DeserializeOwned> McuMgrCommand for Request<P, R> {
    type Payload = P;
    type Response = R;
    fn is_write_operation(&self) -> bool {
        self.write
    }
    fn group_id(&self) -> u16 {
        GROUP
    }
    fn command_id(&self) -> u8 {
        self.id
    }
    fn data(&self) -> &P {
        &self.body
    }
}

fn request<P: Serialize, R: DeserializeOwned>(id: u8, write: bool, body: P) -> Request<P, R> {
    Request { id, write, body, response: PhantomData }
}

#[derive(Serialize)]
struct Empty {}

#[derive(Deserialize)]
struct Done {}

#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Send<'a> {
    name: &'a str,
    port: &'a str,
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
}

/// One entry of the guest list.
#[derive(Deserialize)]
struct Guest {
    name: String,
    image: u32,
    state: String,
    fuel: u64,
    memory: u32,
    received: u32,
    sent: u32,
    // Firmware older than these fields does not send them.
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    restarts: u32,
    #[serde(default)]
    dead_letters: u32,
    #[serde(default)]
    dropped_lines: u32,
}

#[derive(Deserialize)]
struct GuestList {
    guests: Vec<Guest>,
}

#[derive(Deserialize)]
struct Output {
    port: String,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
}

#[derive(Deserialize)]
struct Outputs {
    outputs: Vec<Output>,
}

#[derive(Serialize)]
struct From {
    from: u32,
}

/// One page of `services` or `bindings`.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(alias = "services", alias = "bindings")]
    entries: Vec<T>,
    #[serde(default)]
    next: Option<u32>,
}

/// One service as the device reports it.
#[derive(Deserialize)]
struct Service {
    name: String,
    direction: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(with = "serde_bytes")]
    key: Vec<u8>,
    #[serde(with = "serde_bytes")]
    schema: Vec<u8>,
}

/// One port's binding as the device reports it.
#[derive(Deserialize)]
struct Binding {
    guest: String,
    image: u32,
    kind: String,
    port: String,
    to: String,
    target: String,
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(default, with = "serde_bytes")]
    key: Option<Vec<u8>>,
}

impl Binding {
    fn key(&self) -> Option<TypeKey> {
        Some(TypeKey(self.key.as_deref()?.try_into().ok()?))
    }
}

/// Most entries a paged list may have: far more than a device's catalog
/// or ports, and a bound on what a device that keeps sending pages can make
/// this tool hold.
const MAX_ENTRIES: usize = 4096;

/// Every entry of a paged list (`services`, `bindings`).
fn pages<T: DeserializeOwned>(
    client: &MCUmgrClient,
    cmd: u8,
    what: &str,
) -> Result<Vec<T>, String> {
    collect_pages(what, |from| {
        client
            .raw_command(&request(cmd, false, From { from }))
            .map_err(|e| format!("{what}: {}", crate::deploy::describe(&e)))
    })
}

/// The entries of the pages `fetch` gives from each `from`, until a page
/// has no `next`.
fn collect_pages<T>(
    what: &str,
    mut fetch: impl FnMut(u32) -> Result<Page<T>, String>,
) -> Result<Vec<T>, String> {
    let mut all = Vec::new();
    let mut from = 0;
    loop {
        let page = fetch(from)?;
        let got = page.entries.len();
        all.extend(page.entries);
        if all.len() > MAX_ENTRIES {
            return Err(format!("{what}: the device lists more than {MAX_ENTRIES} entries"));
        }
        match page.next {
            // A device that sends a `next` without progress would loop.
            Some(next) if got > 0 && next > from => from = next,
            Some(_) => return Err(format!("{what}: the device's pages do not advance")),
            None => return Ok(all),
        }
    }
}

/// The device's catalog.
///
/// # Errors
///
/// The device did not answer, or sent a service that does not read.
pub fn catalog(client: &MCUmgrClient) -> Result<DeviceCatalog, String> {
    let services: Vec<Service> = pages(client, 5, "services")?;
    let services = services
        .iter()
        .map(|s| {
            let direction = Direction::parse(&s.direction).ok_or_else(|| {
                format!("service `{}`: unknown direction `{}`", s.name, s.direction)
            })?;
            let key = TypeKey(
                s.key
                    .as_slice()
                    .try_into()
                    .map_err(|_| format!("service `{}`: bad key", s.name))?,
            );
            let service = CatalogService::from_parts(&s.name, direction, key, &s.schema)?;
            if service.ty.name() != s.ty {
                return Err(format!(
                    "service `{}`: type `{}` but its schema is `{}`",
                    s.name,
                    s.ty,
                    service.ty.name()
                ));
            }
            Ok(service)
        })
        .collect::<Result<_, String>>()?;
    Ok(DeviceCatalog::new(services))
}

/// The schemas of a module's ports or a catalog's services, from a file.
fn schemas_in(path: &Path) -> Result<Vec<PortSchema>, String> {
    if path.extension().is_some_and(|e| e == "json") {
        let catalog = DeviceCatalog::load(path).map_err(|e| e.to_string())?;
        return Ok(catalog.services().iter().map(|s| s.ty.clone()).collect());
    }
    let wasm = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let info = ModuleInfo::parse(&wasm).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let raw = info.manifest.ok_or_else(|| format!("`{}` has no manifest", path.display()))?;
    let manifest =
        Manifest::parse(&raw).map_err(|e| format!("`{}`: {}", path.display(), e.as_str()))?;
    let mut found = Vec::new();
    for kind in [PortKind::Input, PortKind::Output] {
        for index in 0..manifest.ports(kind).len() {
            if let Some(ty) = manifest.port_type(kind, index)
                && let Ok(schema) = PortSchema::from_manifest(ty.key, ty.schema)
            {
                found.push(schema);
            }
        }
    }
    Ok(found)
}

/// What `send` and `outputs` know of a guest's ports: their bindings, and
/// the schemas by key.
struct Types {
    bindings: Vec<Binding>,
    schemas: Vec<PortSchema>,
}

impl Types {
    fn read(client: &MCUmgrClient, files: &[PathBuf]) -> Result<Self, String> {
        // A firmware from before `services` and `bindings` types nothing:
        // its ports take and give bytes, as before.
        let bindings = pages(client, 6, "bindings").unwrap_or_default();
        let catalog = catalog(client).unwrap_or_default();
        let mut schemas: Vec<PortSchema> =
            catalog.services().iter().map(|s| s.ty.clone()).collect();
        for file in files {
            schemas.extend(schemas_in(file)?);
        }
        Ok(Types { bindings, schemas })
    }

    /// The port's type as the device reports it (`None`: untyped, or no
    /// such port), with its schema if known.
    fn of(&self, guest: &str, kind: PortKind, port: &str) -> Option<(&str, Option<&PortSchema>)> {
        let binding = self
            .bindings
            .iter()
            .find(|b| b.guest == guest && b.kind == kind.as_str() && b.port == port)?;
        let (name, key) = (binding.ty.as_deref()?, binding.key()?);
        Some((name, self.schemas.iter().find(|s| s.key == key)))
    }
}

/// The bytes to send on `port` of `guest`.
fn message(types: &Types, guest: &str, port: &str, value: &str) -> Result<Vec<u8>, String> {
    match types.of(guest, PortKind::Input, port) {
        None => crate::hex_bytes(value),
        Some((_, Some(schema))) => {
            let json: serde_json::Value = serde_json::from_str(value).map_err(|e| {
                format!(
                    "`{value}` is not JSON: {e}; input `{port}` takes a `{}`: {}",
                    schema.name(),
                    schema.describe()
                )
            })?;
            schema.encode(&json).map_err(|e| format!("{e}; expected {}", schema.describe()))
        }
        Some((name, None)) => Err(format!(
            "input `{port}` takes a `{name}`, whose schema the device's catalog lacks: give the module with `--schemas FILE.wasm`, or bytes with `--hex`"
        )),
    }
}

/// Prints the device's guests, one line each.
///
/// # Errors
///
/// The device has no guest group or did not answer.
pub fn print_list(client: &MCUmgrClient) -> Result<(), String> {
    let list: GuestList = client
        .raw_command(&request(0, false, Empty {}))
        .map_err(|e| format!("list: {}", crate::deploy::describe(&e)))?;
    for g in &list.guests {
        outln!("{}", list_line(g));
    }
    Ok(())
}

/// One guest of `list`, as `guests list` prints it.
fn list_line(g: &Guest) -> String {
    let module = g.module.as_ref().map(|module| format!(", {module} module")).unwrap_or_default();
    format!(
        "guest {} (slot {}): {}, fuel {}, memory {} B, {} received, {} sent{module}, {} restarts, {} dead letters, {} lines dropped",
        g.name,
        g.image,
        g.state,
        g.fuel,
        g.memory,
        g.received,
        g.sent,
        g.restarts,
        g.dead_letters,
        g.dropped_lines
    )
}

/// Runs `guests`.
///
/// # Errors
///
/// One line for the user: the port, or the device's refusal with its
/// reason.
pub fn guests(args: GuestsArgs) -> Result<(), String> {
    // A usage error before any port is opened.
    if let GuestCommand::Send { message: (_, value), hex: true, .. } = &args.command {
        crate::hex_bytes(value)?;
    }
    let client = args.device.connect()?;
    let done = |what: &str, result: Result<Done, mcumgr_toolkit::client::MCUmgrClientError>| {
        result.map(drop).map_err(|e| format!("{what}: {}", crate::deploy::describe(&e)))
    };
    match &args.command {
        GuestCommand::List => print_list(&client)?,
        GuestCommand::Stop { name } => {
            done("stop", client.raw_command(&request(1, true, Named { name })))?;
            outln!("stopped {name}");
        }
        GuestCommand::Start { name } => {
            done("start", client.raw_command(&request(2, true, Named { name })))?;
            outln!("started {name}");
        }
        GuestCommand::Send { name, message: (port, value), hex, schemas } => {
            let data = if *hex {
                crate::hex_bytes(value)?
            } else {
                message(&Types::read(&client, schemas)?, name, port, value)?
            };
            let body = Send { name, port, data: &data };
            done("send", client.raw_command(&request(3, true, body)))?;
            outln!("sent {} B to {name}.{port}", data.len());
        }
        GuestCommand::Outputs { name, hex, schemas } => {
            let types = if *hex { None } else { Some(Types::read(&client, schemas)?) };
            let outputs: Outputs = client
                .raw_command(&request(4, false, Named { name }))
                .map_err(|e| format!("outputs: {}", crate::deploy::describe(&e)))?;
            for output in outputs.outputs {
                let schema = types
                    .as_ref()
                    .and_then(|t| t.of(name, PortKind::Output, &output.port))
                    .and_then(|(_, schema)| schema);
                let shown = match schema.map(|s| s.decode(&output.data)) {
                    Some(Ok(json)) => json.to_string(),
                    // Not its type: the bytes, and why.
                    Some(Err(e)) => format!("{} ({e})", hex::encode(&output.data)),
                    None => hex::encode(&output.data),
                };
                outln!("{name}.{} {shown}", output.port);
            }
        }
        GuestCommand::Services { save } => {
            let catalog = catalog(&client)?;
            for s in catalog.services() {
                outln!(
                    "{:<16} {:<8} {}: {}",
                    s.name,
                    s.direction.as_str(),
                    s.ty.name(),
                    s.ty.describe()
                );
            }
            if let Some(path) = save {
                catalog.save(path).map_err(|e| e.to_string())?;
                outln!("saved {} services to {}", catalog.services().len(), path.display());
            }
        }
        GuestCommand::Remove { name } => {
            let list: GuestList = client
                .raw_command(&request(0, false, Empty {}))
                .map_err(|e| format!("list: {}", crate::deploy::describe(&e)))?;
            let guest =
                list.guests.iter().find(|g| g.name == *name).ok_or(format!("no guest `{name}`"))?;
            // MCUboot numbering: image `i`'s running slot is `2i`.
            client
                .image_erase(Some(2 * guest.image))
                .map_err(|e| format!("remove: {}", crate::deploy::describe(&e)))?;
            outln!("removed the module of {name} (slot {})", guest.image);
        }
        GuestCommand::Bindings => {
            let bindings: Vec<Binding> = pages(&client, 6, "bindings")?;
            for b in &bindings {
                let ty = b.ty.as_deref().unwrap_or("bytes");
                outln!(
                    "{} (slot {}) {} {} ({ty}) -> {} {}",
                    b.guest,
                    b.image,
                    b.kind,
                    b.port,
                    b.to,
                    b.target
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One guest as the device's server encodes it (its keys: see
    /// `crates/wasm-sdk-smp/src/server.rs`, checked by its `tests/protocol.rs`).
    #[derive(Serialize)]
    struct New<'a> {
        name: &'a str,
        image: u32,
        state: &'a str,
        fuel: u64,
        memory: u32,
        received: u32,
        sent: u32,
        module: &'a str,
        restarts: u32,
        dead_letters: u32,
        dropped_lines: u32,
    }

    #[derive(Serialize)]
    struct List<T> {
        guests: [T; 1],
    }

    fn decode<T: Serialize>(list: &List<T>) -> GuestList {
        let mut body = Vec::new();
        ciborium::into_writer(list, &mut body).unwrap();
        ciborium::from_reader(&body[..]).expect("decodes")
    }

    #[test]
    fn the_list_shows_which_module_runs_and_what_was_dropped() {
        let list = decode(&List {
            guests: [New {
                name: "counter",
                image: 0,
                state: "waiting",
                fuel: 10,
                memory: 4416,
                received: 3,
                sent: 2,
                module: "fallback",
                restarts: 4,
                dead_letters: 5,
                dropped_lines: 6,
            }],
        });
        assert_eq!(
            list_line(&list.guests[0]),
            "guest counter (slot 0): waiting, fuel 10, memory 4416 B, 3 received, 2 sent, fallback module, 4 restarts, 5 dead letters, 6 lines dropped"
        );
    }

    #[test]
    fn pages_end_at_the_last_and_a_device_cannot_make_them_endless() {
        let page = |from: u32, next: Option<u32>| Page { entries: vec![from], next };
        let three = collect_pages("x", |from| Ok(page(from, (from < 2).then_some(from + 1))));
        assert_eq!(three, Ok(vec![0, 1, 2]));
        let stuck = collect_pages("x", |from| Ok(page(from, Some(from))));
        assert_eq!(stuck, Err("x: the device's pages do not advance".into()));
        let endless = collect_pages("x", |from| Ok(page(from, Some(from + 1))));
        assert_eq!(endless, Err(format!("x: the device lists more than {MAX_ENTRIES} entries")));
    }

    #[test]
    fn a_list_without_the_newer_fields_decodes() {
        #[derive(Serialize)]
        struct Old<'a> {
            name: &'a str,
            image: u32,
            state: &'a str,
            fuel: u64,
            memory: u32,
            received: u32,
            sent: u32,
        }
        let list = decode(&List {
            guests: [Old {
                name: "counter",
                image: 0,
                state: "stopped",
                fuel: 1,
                memory: 2,
                received: 3,
                sent: 4,
            }],
        });
        assert_eq!(
            list_line(&list.guests[0]),
            "guest counter (slot 0): stopped, fuel 1, memory 2 B, 3 received, 4 sent, 0 restarts, 0 dead letters, 0 lines dropped"
        );
    }
}
