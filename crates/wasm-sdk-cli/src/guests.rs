//! `wasm-sdk guests`: the guest group (SMP group 64) of a device
//! running wasm-sdk firmware: list its guests, stop and start one, send an
//! input, read outputs. The group's requests and responses are documented
//! in `wasm_sdk_smp::guests`.

use std::marker::PhantomData;
use std::time::Duration;

use clap::{Args, Subcommand};
use mcumgr_toolkit::MCUmgrClient;
use mcumgr_toolkit::commands::McuMgrCommand;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The guest group's number.
const GROUP: u16 = 64;

/// Arguments of `guests`.
#[derive(Args)]
pub struct GuestsArgs {
    /// The device's SMP serial port (for QEMU: the pty `./serve` prints).
    #[arg(long, value_name = "PORT")]
    port: String,
    /// Seconds to wait for each response.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    timeout: u64,
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
    /// Queue a message on one of a guest's inputs.
    Send {
        /// The guest's name.
        name: String,
        /// Input name and the message bytes in hex, e.g. `wasm_input=05`.
        #[arg(value_name = "INPUT=HEX", value_parser = crate::parse_hex_input)]
        message: (String, Vec<u8>),
    },
    /// Print the guest's latest outputs not read yet, oldest first (the
    /// device keeps the last few).
    Outputs {
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

/// Opens the device's SMP port and agrees on a frame size.
///
/// # Errors
///
/// The port does not open or nothing answers SMP on it.
pub fn connect(port: &str, timeout: u64) -> Result<MCUmgrClient, String> {
    let timeout = Duration::from_secs(timeout.max(1));
    let serial = serialport::new(port, 115_200)
        .timeout(timeout)
        .open()
        .map_err(|e| format!("cannot open `{port}`: {e}"))?;
    let client = MCUmgrClient::new_from_serial(serial);
    client.set_timeout(timeout).map_err(|e| format!("{e}"))?;
    client.use_auto_frame_size().map_err(|e| format!("no SMP answer on `{port}`: {e}"))?;
    Ok(client)
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
    let client = connect(&args.port, args.timeout)?;
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
        GuestCommand::Send { name, message: (port, data) } => {
            let body = Send { name, port, data };
            done("send", client.raw_command(&request(3, true, body)))?;
            outln!("sent {} B to {name}.{port}", data.len());
        }
        GuestCommand::Outputs { name } => {
            let outputs: Outputs = client
                .raw_command(&request(4, false, Named { name }))
                .map_err(|e| format!("outputs: {}", crate::deploy::describe(&e)))?;
            for output in outputs.outputs {
                outln!("{name}.{} {}", output.port, hex::encode(&output.data));
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
