//! The device's SMP port, for every command that talks to a device:
//! `--port` (before or after a subcommand, or `$WASM_SDK_PORT`) and
//! `--timeout`, and the connection.

use std::time::Duration;

use clap::Args;
use mcumgr_toolkit::MCUmgrClient;

/// The environment variable a command reads the device's port from when
/// no `--port` is given.
pub const PORT_ENV: &str = "WASM_SDK_PORT";

/// `--port` and `--timeout`.
#[derive(Args)]
pub struct PortArgs {
    /// The device's SMP serial port (for QEMU: the pty `./serve` prints);
    /// before or after the subcommand.
    #[arg(long, value_name = "PORT", env = PORT_ENV, global = true)]
    port: Option<String>,
    /// Seconds to wait for each response.
    #[arg(long, value_name = "SECS", default_value_t = 5, global = true)]
    timeout: u64,
}

impl PortArgs {
    /// The port, or the error saying how to give one.
    pub fn port(&self) -> Result<&str, String> {
        self.port.as_deref().ok_or_else(|| {
            format!(
                "no device port: give `--port PORT` (e.g. the pty `./serve` prints) or set \
                 {PORT_ENV}"
            )
        })
    }

    /// Connects to the device on the port.
    ///
    /// # Errors
    ///
    /// No port was given, it does not open, or nothing answers SMP on it.
    pub fn connect(&self) -> Result<MCUmgrClient, String> {
        connect(self.port()?, self.timeout)
    }
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
