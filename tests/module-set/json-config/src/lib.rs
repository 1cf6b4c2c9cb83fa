//! A device's configuration as JSON (the `serde-json-core` crate): each
//! message on `config` is a JSON object such as
//! `{"setpoint":21.5,"band":0.5,"fan":"auto"}`, checked and passed on as
//! typed [`Settings`], and answered with a JSON acknowledgement on `ack`:
//! `{"ok":true,"error":null}`, or the reason it was refused.
//!
//! Input: `config` (raw bytes: JSON). Outputs: `settings` ([`Settings`])
//! and `ack` (raw bytes: JSON). It stops when `config` is closed.

#![no_std]

use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, receive, send, task_run};

define_alloc_heap!(1024);
define_panic_handlers!();

/// The fan's mode, as the JSON names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
#[serde(rename_all = "lowercase")]
pub enum Fan {
    /// Off.
    Off,
    /// On when heating or cooling.
    Auto,
    /// Always on.
    On,
}

/// The configuration as received.
#[derive(Deserialize)]
struct Config {
    setpoint: f32,
    band: f32,
    fan: Fan,
}

/// The checked configuration, for the firmware.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Settings {
    /// Target temperature in °C.
    pub setpoint: f32,
    /// Hysteresis in °C either side of it.
    pub band: f32,
    /// The fan's mode.
    pub fan: Fan,
}

/// The answer to one `config` message.
#[derive(Serialize)]
struct Ack<'a> {
    ok: bool,
    error: Option<&'a str>,
}

fn check(json: &[u8]) -> core::result::Result<Settings, &'static str> {
    let (config, _) = serde_json_core::from_slice::<Config>(json).map_err(|_| "not a config")?;
    if !(5.0..=35.0).contains(&config.setpoint) {
        return Err("setpoint out of 5..35");
    }
    if !(0.1..=5.0).contains(&config.band) {
        return Err("band out of 0.1..5");
    }
    Ok(Settings { setpoint: config.setpoint, band: config.band, fan: config.fan })
}

#[task_run(inputs(config), outputs(settings: Settings, ack))]
fn run() -> Result<()> {
    let mut json = [0u8; 256];
    let mut answer = [0u8; 64];
    loop {
        let n = receive(&mut json, Input::Config)?;
        let ack = match check(&json[..n]) {
            Ok(settings) => {
                Output::Settings.send(&settings)?;
                Ack { ok: true, error: None }
            }
            Err(error) => Ack { ok: false, error: Some(error) },
        };
        let len = serde_json_core::to_slice(&ack, &mut answer).unwrap_or(0);
        send(&answer[..len], Output::Ack)?;
    }
}
