//! Message types shared by the example guests and the hosts that drive them.
//!
//! Every type travels as postcard bytes through [`wasm_sdk::Payload`]; the
//! inherent `from_payload` / `serialize_into` methods let module code use
//! them without importing a trait, as the talk's counter does.

#![no_std]

use serde::{Deserialize, Serialize};
use wasm_sdk::Result;

/// The counter module's message: a count to increment.
///
/// Postcard encodes `count` as a varint, so `Counter { count: 5 }` is the
/// single byte `05` and `Counter { count: 300 }` is `ac 02`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    /// The current count.
    pub count: u32,
}

impl Counter {
    /// Decodes a counter from the start of `bytes` (trailing bytes ignored).
    ///
    /// # Errors
    ///
    /// Truncated or malformed bytes.
    pub fn from_payload(bytes: &[u8]) -> Result<Self> {
        wasm_sdk::from_payload(bytes)
    }

    /// Adds one, wrapping at `u32::MAX` so a hostile input cannot make the
    /// module panic.
    pub fn increment(&mut self) {
        self.count = self.count.wrapping_add(1);
    }

    /// Encodes the counter into `buf`; returns the bytes written.
    ///
    /// # Errors
    ///
    /// `buf` is too short.
    #[inline(always)]
    pub fn serialize_into(&self, buf: &mut [u8]) -> Result<usize> {
        wasm_sdk::serialize_into(self, buf)
    }
}

/// A temperature sample for the alarm module, in tenths of a degree Celsius.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// Temperature in 0.1 °C.
    pub deci_celsius: i16,
}

/// New alarm thresholds, in tenths of a degree Celsius.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The alarm raises at or above this.
    pub high: i16,
    /// A raised alarm clears at or below this (hysteresis).
    pub low: i16,
}

/// What the alarm module sends on its `alarm` output when the state changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmEvent {
    /// The reading reached the high threshold.
    Raised {
        /// The reading that raised it.
        deci_celsius: i16,
    },
    /// The reading fell to the low threshold.
    Cleared {
        /// The reading that cleared it.
        deci_celsius: i16,
    },
}

/// What the faulty module does with a command byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// Echo the command back (the module works).
    Echo,
    /// Return an error from `run` (the error path).
    Fail,
    /// Panic with an out-of-bounds index (the panic path).
    Panic,
    /// Allocate more than the heap holds (the out-of-memory path).
    Exhaust,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_wire_format() {
        let mut buf = [0u8; 8];
        let n = Counter { count: 5 }.serialize_into(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[0x05]);
        let n = Counter { count: 300 }.serialize_into(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[0xac, 0x02]);
        assert_eq!(Counter::from_payload(&[0x05, 0xff, 0xff]).unwrap().count, 5);
    }

    #[test]
    fn counter_increment_wraps() {
        let mut c = Counter { count: u32::MAX };
        c.increment();
        assert_eq!(c.count, 0);
    }

    #[test]
    fn counter_rejects_bad_bytes() {
        assert!(Counter::from_payload(&[]).is_err());
        assert!(Counter::from_payload(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(Counter { count: 300 }.serialize_into(&mut [0u8; 1]).is_err());
    }
}
