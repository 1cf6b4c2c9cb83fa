//! Statistics per sensor over a sliding window, in fixed-capacity
//! collections (the `heapless` crate): a map from sensor to its last
//! [`WINDOW`] readings, and the median sorted in a stack vector.
//!
//! Input: `reading` ([`Reading`], from one of up to [`SENSORS`] sensors).
//! Output: `stats` ([`Stats`] of that sensor's window, after each
//! reading). A reading from a sensor past the map's capacity is dropped.
//! It stops when `reading` is closed.

#![no_std]

use heapless::index_map::FnvIndexMap;
use heapless::{HistoryBuf, Vec};
use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{LogLevel, Result, define_alloc_heap, define_panic_handlers, log, task_run};

define_alloc_heap!(1024);
define_panic_handlers!();

/// Readings kept per sensor.
pub const WINDOW: usize = 16;
/// Sensors tracked at once (a power of two, as the map needs).
pub const SENSORS: usize = 8;

/// One reading of one sensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Reading {
    /// The sensor's id.
    pub sensor: u16,
    /// The value, in the sensor's unit.
    pub value: i32,
}

/// A sensor's statistics over its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Stats {
    /// The sensor's id.
    pub sensor: u16,
    /// Readings in the window.
    pub count: u8,
    /// The smallest.
    pub min: i32,
    /// The largest.
    pub max: i32,
    /// The median (the upper one of an even count).
    pub median: i32,
    /// The mean, rounded toward zero.
    pub mean: i32,
}

fn stats(sensor: u16, window: &HistoryBuf<i32, WINDOW>) -> Stats {
    let mut sorted: Vec<i32, WINDOW> = window.oldest_ordered().copied().collect();
    sorted.sort_unstable();
    let sum: i64 = sorted.iter().map(|&v| i64::from(v)).sum();
    let count = sorted.len();
    Stats {
        sensor,
        count: count as u8,
        min: sorted.first().copied().unwrap_or(0),
        max: sorted.last().copied().unwrap_or(0),
        median: sorted.get(count / 2).copied().unwrap_or(0),
        mean: if count == 0 { 0 } else { (sum / count as i64) as i32 },
    }
}

#[task_run(inputs(reading: Reading), outputs(stats: Stats))]
fn run() -> Result<()> {
    let mut sensors: FnvIndexMap<u16, HistoryBuf<i32, WINDOW>, SENSORS> = FnvIndexMap::new();
    loop {
        let reading = Input::Reading.receive()?;
        if !sensors.contains_key(&reading.sensor)
            && sensors.insert(reading.sensor, HistoryBuf::new()).is_err()
        {
            log("reading dropped: too many sensors", LogLevel::Warn)?;
            continue;
        }
        if let Some(window) = sensors.get_mut(&reading.sensor) {
            window.write(reading.value);
            Output::Stats.send(&stats(reading.sensor, window))?;
        }
    }
}
