//! The guests' message types as postcard bytes, encoded by hand.
//!
//! The types live in `module-examples-common`, but that crate depends on
//! `wasm-sdk`, which links `std` off wasm32 (for its native mock host) and
//! so cannot build for `thumbv8m.main-none-eabihf`. The wire format is
//! small and fixed, so it is spelled out here instead:
//!
//! | type | postcard encoding |
//! |---|---|
//! | `Counter { count: u32 }`, `u32` | LEB128 varint, at most 5 bytes |
//! | `Reading { deci_celsius: i16 }` | zigzag, then varint, at most 3 bytes |
//! | `Thresholds { high: i16, low: i16 }` | two zigzag varints |
//! | `AlarmEvent::{Raised, Cleared} { deci_celsius }` | varint variant index (0, 1), then zigzag varint |
//!
//! Decoders follow postcard: trailing bytes are ignored, a varint longer
//! than its type allows or out of range is rejected.

use alloc::vec::Vec;

use embassy_runner::Message;

/// What the alarm guest sends on its `alarm` output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum AlarmEvent {
    /// The reading reached the high threshold (tenths of °C).
    Raised(i16),
    /// The reading fell to the low threshold (tenths of °C).
    Cleared(i16),
}

/// A `u32` (or `Counter`) message.
pub fn u32_message(value: u32) -> Message {
    let mut out = Vec::with_capacity(5);
    push_varint(&mut out, value);
    out
}

/// A `Reading` message.
pub fn reading_message(deci_celsius: i16) -> Message {
    let mut out = Vec::with_capacity(3);
    push_varint(&mut out, zigzag(deci_celsius));
    out
}

/// A `Thresholds` message.
pub fn thresholds_message(high: i16, low: i16) -> Message {
    let mut out = Vec::with_capacity(6);
    push_varint(&mut out, zigzag(high));
    push_varint(&mut out, zigzag(low));
    out
}

/// An `AlarmEvent` message (what the alarm guest sends; used by the
/// native stand-in).
#[cfg_attr(not(feature = "no-wasm"), allow(dead_code))]
pub fn alarm_message(event: AlarmEvent) -> Message {
    let (variant, deci_celsius) = match event {
        AlarmEvent::Raised(t) => (0, t),
        AlarmEvent::Cleared(t) => (1, t),
    };
    let mut out = Vec::with_capacity(4);
    push_varint(&mut out, variant);
    push_varint(&mut out, zigzag(deci_celsius));
    out
}

/// Decodes a `u32` (or `Counter`) message.
pub fn decode_u32(bytes: &[u8]) -> Option<u32> {
    read_varint(bytes, 5).map(|(value, _)| value)
}

/// Decodes a `Reading` message.
pub fn decode_reading(bytes: &[u8]) -> Option<i16> {
    read_i16(bytes).map(|(value, _)| value)
}

/// Decodes an `AlarmEvent` message.
pub fn decode_alarm(bytes: &[u8]) -> Option<AlarmEvent> {
    let (variant, used) = read_varint(bytes, 5)?;
    let (deci_celsius, _) = read_i16(bytes.get(used..)?)?;
    match variant {
        0 => Some(AlarmEvent::Raised(deci_celsius)),
        1 => Some(AlarmEvent::Cleared(deci_celsius)),
        _ => None,
    }
}

/// Decodes a `Thresholds` message into `(high, low)`.
#[cfg_attr(not(feature = "no-wasm"), allow(dead_code))]
pub fn decode_thresholds(bytes: &[u8]) -> Option<(i16, i16)> {
    let (high, used) = read_i16(bytes)?;
    let (low, _) = read_i16(bytes.get(used..)?)?;
    Some((high, low))
}

/// Zigzag: small magnitudes of either sign become small unsigned numbers.
fn zigzag(value: i16) -> u32 {
    // `value >> 15` is all ones for negatives; the casts keep the bits.
    u32::from(((value << 1) ^ (value >> 15)) as u16)
}

fn unzigzag(value: u16) -> i16 {
    ((value >> 1) as i16) ^ -((value & 1) as i16)
}

fn push_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A varint of at most `max_len` bytes whose value fits `u32`; returns it
/// and the bytes it used.
fn read_varint(bytes: &[u8], max_len: usize) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for (i, &byte) in bytes.iter().take(max_len).enumerate() {
        let shift = 7 * i as u32;
        let bits = u32::from(byte & 0x7f);
        // Bits shifted out of a u32 mean the value does not fit (`shift`
        // is at most 28 here).
        if (bits << shift) >> shift != bits {
            return None;
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// A zigzag `i16`: a varint of at most 3 bytes that fits `u16`.
fn read_i16(bytes: &[u8]) -> Option<(i16, usize)> {
    let (raw, used) = read_varint(bytes, 3)?;
    let raw = u16::try_from(raw).ok()?;
    Some((unzigzag(raw), used))
}
