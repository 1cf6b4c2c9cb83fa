//! The Wasm side: the embedded guest modules, their wiring to the channels by
//! port name, the host that checks and starts them, and one embassy task per
//! guest, exactly as in nrf53-host (same `HostConfig`, same
//! [`wasm_sdk_embassy::start`] and [`drive`]); only the log goes to the text
//! console instead of defmt.
//!
//! All guests share one executor with the services. A guest runs only
//! inside [`drive`]: blocked in `receive`, its task awaits the input's channel;
//! out of its fuel slice, its task yields. [`FUEL_PER_SLICE`] therefore
//! bounds how long a guest holds the CPU before timers and the other tasks
//! get their turn.

use alloc::boxed::Box;
use embassy_executor::Spawner;
use module_examples_common::Counter;
use wasm_sdk::StackStr;
use wasm_sdk_embassy::{ChannelEnv, Sink, Wire, Wiring, drive, start};
use wasm_sdk_host::{Guest, Host, HostConfig, LogLevel, Step};

use crate::channels::{COUNT_IN, COUNT_OUT, PRIMES_COUNT, PRIMES_LIMIT};
use crate::console::{Line, print, say};

/// Built by `build.rs` (`cargo build --release --target
/// wasm32-unknown-unknown`, `WASM_SDK_MEMORY=tight`).
macro_rules! guest_wasm {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".wasm"))
    };
}

/// Fuel (about one unit per Wasm instruction) a guest may use before it is
/// preempted, so the longest a guest holds the CPU. The nRF5340's figure:
/// the C6 runs at 160 MHz against the app core's 64 MHz, so a slice is
/// shorter here (not measured: no board in CI); the counter ticker prints
/// the lateness it actually sees, which is what to tune this by.
pub const FUEL_PER_SLICE: u64 = 20_000;

/// Largest linear memory a guest may have. The tight guests have well
/// under it: stack, data, heap arena.
const MEMORY_BUDGET: u64 = 16 * 1024;

/// Largest message a guest may send. Each queued message is a heap
/// allocation, so this bounds what a misbehaving guest can hold in its
/// output channels; the examples send a few bytes.
const MAX_MESSAGE_LEN: usize = 64;

/// One guest to start: its name (for logs), module and wiring.
struct GuestSpec {
    name: &'static str,
    wasm: &'static [u8],
    wiring: Wiring,
}

/// The guests and the channel of each port, by the names of their
/// `#[task_run(inputs(..), outputs(..))]`; [`start`] refuses a guest whose
/// manifest does not declare exactly these ports.
static GUESTS: [GuestSpec; 2] = [
    GuestSpec {
        name: "counter",
        wasm: guest_wasm!("counter"),
        wiring: Wiring {
            inputs: &[Wire::typed::<Counter>("wasm_input", &COUNT_IN)],
            outputs: &[Wire::typed::<Counter>("wasm_data", &COUNT_OUT)],
        },
    },
    GuestSpec {
        name: "primes",
        wasm: guest_wasm!("primes"),
        wiring: Wiring {
            inputs: &[Wire::typed::<u32>("limit", &PRIMES_LIMIT)],
            outputs: &[Wire::typed::<u32>("count", &PRIMES_COUNT)],
        },
    },
];

/// Guest logs and error reports to the console, tagged with the level.
pub struct ConsoleSink;

impl Sink for ConsoleSink {
    fn log(&self, guest: &str, level: LogLevel, message: &str) {
        let level = match level {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        };
        say(&["[", guest, "] ", level, ": ", message]);
    }

    fn report_error(&self, guest: &str, message: &str) {
        say(&["[", guest, "] reported: ", message]);
    }
}

/// The sink of every guest.
pub static SINK: ConsoleSink = ConsoleSink;

/// How every guest runs: nrf53-host's configuration.
fn host_config() -> HostConfig {
    HostConfig {
        fuel_per_slice: Some(FUEL_PER_SLICE),
        total_fuel: None,
        memory_budget: MEMORY_BUDGET,
        max_message_len: MAX_MESSAGE_LEN,
        // nrf53-host's: the built-in guests' estimates fit it.
        module_heap: 64 * 1024,
        ..HostConfig::default()
    }
}

/// Prints the budget every guest gets, the figures nrf53-host logs.
fn print_budget(budget: &HostConfig) {
    let mut line = StackStr::<320>::new();
    line.push_str("budget per guest: ")
        .push_u64(budget.fuel_per_slice.unwrap_or(0))
        .push_str(" fuel a slice, ")
        .push_u64(budget.memory_budget)
        .push_str(" B memory, ")
        .push_usize(budget.max_module_size)
        .push_str(" B modules, ")
        .push_u32(budget.max_functions)
        .push_str(" functions, ")
        .push_u32(budget.max_locals)
        .push_str(" locals a function, ")
        .push_usize(budget.max_table_elements)
        .push_str(" table elements, ")
        .push_usize(budget.max_value_stack)
        .push_str(" B value stack, ")
        .push_usize(budget.max_call_depth)
        .push_str(" calls deep, texts ")
        .push_usize(budget.text.max_len)
        .push_str(" B each and ")
        .push_usize(budget.text.per_step)
        .push_str(" B a step, ")
        .push_usize(budget.max_message_len)
        .push_str(" B messages\r\n");
    esp_println::Printer::write_bytes(line.as_bytes());
}

/// Checks, loads and wires every guest on one host (kept for the firmware's
/// lifetime) and spawns a task for each one that starts. A guest that fails
/// to start is printed and left out; the other runs.
pub fn spawn_all(spawner: Spawner) {
    let host: &'static Host<ChannelEnv> = Box::leak(Box::new(Host::new(host_config())));
    print_budget(host.config());
    for spec in &GUESTS {
        match start(host, spec.name, spec.wasm, &spec.wiring, &SINK) {
            Ok(guest) => {
                let mut line = Line::new();
                line.push_str(spec.name)
                    .push_str(": loaded, ")
                    .push_usize(spec.wasm.len())
                    .push_str(" B module, ")
                    .push_usize(guest.memory_size())
                    .push_str(" B memory");
                print(&line);
                match run_guest(guest) {
                    Ok(task) => spawner.spawn(task),
                    Err(_) => say(&[spec.name, ": no task slot"]),
                }
            }
            // `as_str` and `detail` rather than `StartError`'s `Display`,
            // which would link `core::fmt` formatting (flash).
            Err(error) => say(&[spec.name, ": not started: ", error.as_str(), " ", error.detail()]),
        }
    }
}

/// Runs one guest until it stops, then prints how and what it used.
#[embassy_executor::task(pool_size = 2)]
async fn run_guest(guest: Guest<ChannelEnv>) {
    let mut guest = guest;
    let step = drive(&mut guest).await;
    let name = guest.env().name();
    let mut line = Line::new();
    line.push_str(name).push_str(": ");
    match &step {
        Step::Finished { exit_code } => {
            line.push_str("finished with ").push_i32(*exit_code);
        }
        Step::Trapped(trap) => {
            line.push_str("trapped: ").push_str(trap.message());
        }
        Step::OutOfFuel => {
            line.push_str("out of fuel");
        }
        // `drive` returns final steps only.
        Step::Blocked { .. } | Step::Waiting { .. } | Step::Full { .. } | Step::Preempted => {}
    }
    print(&line);
    let env = guest.env();
    let mut line = Line::new();
    line.push_str(name)
        .push_str(": used ")
        .push_u64(guest.fuel_consumed())
        .push_str(" fuel, ")
        .push_u32(env.preemptions)
        .push_str(" preemptions, ")
        .push_u32(env.waits)
        .push_str(" waits, ")
        .push_usize(guest.memory_size())
        .push_str(" B memory");
    print(&line);
}
