//! A GPS receiver's NMEA 0183 sentences to position fixes (the `nmea`
//! crate's navigation state, GNSS sentences only): each message on
//! `sentence` is one sentence such as
//! `$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76`;
//! when the RMC and GGA sentences of one time agree on a valid fix, it is
//! sent as a [`Fix`].
//!
//! Input: `sentence` (raw bytes: ASCII). Output: `fix` ([`Fix`]). A
//! sentence that does not parse is logged and skipped. It stops when
//! `sentence` is closed.

#![no_std]

use nmea::{Nmea, SentenceType};
use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{
    LogLevel, Result, define_alloc_heap, define_panic_handlers, log, receive, task_run,
};

define_alloc_heap!(1024);
define_panic_handlers!();

/// A position fix.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Fix {
    /// Degrees north (negative: south).
    pub latitude: f64,
    /// Degrees east (negative: west).
    pub longitude: f64,
    /// Meters above the WGS-84 ellipsoid, if the receiver gave it.
    pub altitude: Option<f32>,
    /// Satellites used for the fix.
    pub satellites: u8,
    /// Speed over ground in knots, if given.
    pub speed_knots: Option<f32>,
}

#[task_run(inputs(sentence), outputs(fix: Fix))]
fn run() -> Result<()> {
    let required = [SentenceType::RMC, SentenceType::GGA];
    let mut nmea = Nmea::create_for_navigation(&required).unwrap_or_default();
    // NMEA 0183 caps a sentence at 82 characters.
    let mut buf = [0u8; 96];
    loop {
        let n = receive(&mut buf, Input::Sentence)?;
        let Ok(sentence) = core::str::from_utf8(&buf[..n]) else {
            log("sentence skipped: not ASCII", LogLevel::Warn)?;
            continue;
        };
        match nmea.parse_for_fix(sentence.trim_end()) {
            Ok(fix_type) if fix_type.is_valid() => {
                let (Some(latitude), Some(longitude)) = (nmea.latitude(), nmea.longitude()) else {
                    continue;
                };
                Output::Fix.send(&Fix {
                    latitude,
                    longitude,
                    altitude: nmea.altitude(),
                    satellites: nmea.fix_satellites().unwrap_or(0).min(255) as u8,
                    speed_knots: nmea.speed_over_ground,
                })?;
            }
            Ok(_) => {}
            Err(_) => log("sentence skipped: does not parse", LogLevel::Warn)?,
        }
    }
}
