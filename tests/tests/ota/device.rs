//! The serve firmware under QEMU (`examples/qemu-host/serve`, slots in
//! RAM: a fresh QEMU starts from the built-in counter) and an SMP client
//! on its pty: mcumgr-toolkit, the standard client `wasm-sdk
//! deploy` uses, held open for the firmware's life (a client process per
//! request would add seconds a case).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mcumgr_toolkit::MCUmgrClient;
use mcumgr_toolkit::commands::McuMgrCommand;
use serde::{Deserialize, Serialize};

use super::observe;

/// One QEMU running the serve firmware, its console and a client.
pub struct Firmware {
    child: Child,
    console: Arc<Mutex<Vec<String>>>,
    /// The SMP client on the firmware's pty.
    pub client: MCUmgrClient,
    /// The size of the module the counter runs: the built-in one, or the
    /// counter put back after a case.
    pub module_len: usize,
}

impl Firmware {
    /// Builds the serve firmware as `serve` runs it, with the suite's tick
    /// (`super::TICK_MS`) and no public key, so that starting it builds
    /// nothing new and no step's time goes to a build.
    pub fn build(qemu_host: &Path) {
        let status = Command::new("cargo")
            .args(["build", "--release", "--locked", "--features", "update"])
            .env("WASM_SDK_PUBLIC_KEY", "")
            .env("WASM_SDK_SERVE_TICK_MS", super::TICK_MS)
            .current_dir(qemu_host)
            .status()
            .expect("cargo");
        assert!(status.success(), "the serve firmware does not build");
    }

    /// Starts `serve` (built already: `SERVE_LOCKED` builds nothing new)
    /// and connects to its pty.
    pub fn start(qemu_host: &Path) -> Result<Self, String> {
        Self::start_with(qemu_host, None)
    }

    /// [`start`](Self::start), its slots in `storage` (kept across starts)
    /// when given.
    pub fn start_with(qemu_host: &Path, storage: Option<&Path>) -> Result<Self, String> {
        let mut command = Command::new(qemu_host.join("serve"));
        if let Some(storage) = storage {
            command.arg("--storage").arg(storage);
        }
        command
            .args(["--tick-ms", super::TICK_MS])
            .env("SERVE_LOCKED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // A group of its own: QEMU and the script's pipeline end with it.
            .process_group(0);
        let mut child = command.spawn().map_err(|e| format!("cannot run serve: {e}"))?;
        let console = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let lines = Arc::clone(&console);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                // Guest logs may hold any bytes: a bad line ends nothing.
                let Ok(line) = line else { continue };
                lines.lock().unwrap_or_else(PoisonError::into_inner).push(line);
            }
        });
        let mut firmware = None;
        let deadline = Instant::now() + Duration::from_secs(180);
        let (mut port, mut builtin_len) = (None, None);
        while Instant::now() < deadline {
            {
                let lines = console.lock().unwrap_or_else(PoisonError::into_inner);
                port = port.or_else(|| {
                    lines.iter().find_map(|l| l.strip_prefix("smp: ").map(str::to_owned))
                });
                builtin_len = builtin_len.or_else(|| observe::boot_module_len(&lines));
            }
            if let (Some(port), Some(len)) = (&port, builtin_len) {
                firmware = Some((port.clone(), len));
                break;
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let Some((port, builtin_len)) = firmware else {
            kill(&mut child);
            let lines = console.lock().unwrap_or_else(PoisonError::into_inner).join("\n");
            return Err(format!("the firmware did not start:\n{lines}"));
        };
        let client = match connect(&port) {
            Ok(client) => client,
            Err(e) => {
                kill(&mut child);
                return Err(e);
            }
        };
        Ok(Firmware { child, console, client, module_len: builtin_len })
    }

    /// Whether QEMU still runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The console's length now: what comes after is the case's.
    pub fn mark(&self) -> usize {
        self.console.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// The console lines since `mark`.
    pub fn since(&self, mark: usize) -> Vec<String> {
        let lines = self.console.lock().unwrap_or_else(PoisonError::into_inner);
        lines.get(mark..).unwrap_or_default().to_vec()
    }

    /// Whether the device answers `os echo`.
    pub fn echoes(&self, token: &str) -> bool {
        self.client.os_echo(token).is_ok_and(|answer| answer == token)
    }

    /// Queues `data` on the counter's input `wasm_input` (the guest
    /// group's `send`); `Err` with the device's reason.
    pub fn send(&self, data: &[u8]) -> Result<(), String> {
        let body = SendBody { name: "counter", port: "wasm_input", data };
        self.client.raw_command(&GuestSend { body }).map(|_: Empty| ()).map_err(|e| describe(&e))
    }

    /// The counter's `received` count and state (the guest group's `list`).
    pub fn counter(&self) -> Option<(u32, String)> {
        self.guest("counter").map(|g| (g.received, g.state))
    }

    /// Guest `name` as the guest group's `list` reports it.
    pub fn guest(&self, name: &str) -> Option<Guest> {
        let list: GuestList = self.client.raw_command(&GuestList::REQUEST).ok()?;
        list.guests.into_iter().find(|g| g.name == name)
    }
}

impl Drop for Firmware {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// Ends the process group `child` leads (the script, QEMU, `sed`).
fn kill(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: a plain syscall on the group of a child this process
        // started; it has not been waited for, so the id is still ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.wait();
}

/// Opens `port`. QEMU notices a new client on its pty with a poll: until
/// then what the device answers is lost, so the first echo is retried.
fn connect(port: &str) -> Result<MCUmgrClient, String> {
    let serial = serialport::new(port, 115_200)
        .timeout(Duration::from_secs(1))
        .open()
        .map_err(|e| format!("cannot open {port}: {e}"))?;
    let client = MCUmgrClient::new_from_serial(serial);
    client.set_timeout(Duration::from_secs(1)).map_err(|e| describe(&e))?;
    if !(0..10).any(|_| client.os_echo("hello").is_ok()) {
        return Err(format!("no echo on {port}"));
    }
    // A spinning guest slows the firmware's SMP task down: generous.
    client.set_timeout(Duration::from_secs(5)).map_err(|e| describe(&e))?;
    client.use_auto_frame_size().map_err(|e| describe(&e))?;
    Ok(client)
}

/// An error with its sources, on one line: the device's `rc` and reason
/// are in the sources.
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        parts.push(inner.to_string());
        source = inner.source();
    }
    parts.join(": ")
}

/// The guest group (`wasm_sdk_smp::guests`, group 64).
const GROUP_GUESTS: u16 = 64;

#[derive(Serialize)]
struct SendBody<'a> {
    name: &'a str,
    port: &'a str,
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
}

/// `send` (command 3).
struct GuestSend<'a> {
    body: SendBody<'a>,
}

impl<'a> McuMgrCommand for GuestSend<'a> {
    type Payload = SendBody<'a>;
    type Response = Empty;
    fn is_write_operation(&self) -> bool {
        true
    }
    fn group_id(&self) -> u16 {
        GROUP_GUESTS
    }
    fn command_id(&self) -> u8 {
        3
    }
    fn data(&self) -> &SendBody<'a> {
        &self.body
    }
}

#[derive(Serialize, Deserialize)]
struct Empty {}

/// One guest of the guest group's `list`.
#[derive(Clone, Debug, Deserialize)]
pub struct Guest {
    /// Its name.
    pub name: String,
    /// `waiting`, `running`, `stopped` or `empty`.
    pub state: String,
    /// Messages it received.
    pub received: u32,
    /// Which module it runs (`built-in`, `trial`, `uploaded`, `fallback`,
    /// `empty`).
    #[serde(default)]
    #[allow(dead_code, reason = "read by the catalog suite, not the OTA one")]
    pub module: String,
}

#[derive(Deserialize)]
struct GuestList {
    guests: Vec<Guest>,
}

/// `list` (command 0).
struct ListRequest(Empty);

impl GuestList {
    const REQUEST: ListRequest = ListRequest(Empty {});
}

impl McuMgrCommand for ListRequest {
    type Payload = Empty;
    type Response = GuestList;
    fn is_write_operation(&self) -> bool {
        false
    }
    fn group_id(&self) -> u16 {
        GROUP_GUESTS
    }
    fn command_id(&self) -> u8 {
        0
    }
    fn data(&self) -> &Empty {
        &self.0
    }
}
