//! A serial link's frames: each message on `frame` is one COBS-encoded
//! frame (the `cobs` crate; the 0 delimiter already stripped) whose
//! payload ends in a CRC-16/IBM-SDLC of the rest (the `crc` crate). A good
//! frame's [`Packet`] is passed on, and every frame is answered on `reply`
//! with an acknowledgement frame, COBS-encoded with its own CRC: the
//! packet's sequence number and whether it was taken.
//!
//! Input: `frame` (raw bytes). Outputs: `packet` ([`Packet`]) and `reply`
//! (raw bytes: a frame). It stops when `frame` is closed.

#![no_std]

use crc::{CRC_16_IBM_SDLC, Crc};
use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, receive, send, task_run};

define_alloc_heap!(1024);
define_panic_handlers!();

/// The link's checksum (X.25, as HDLC uses).
const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_SDLC);

/// A decoded packet: sequence number, channel and a little-endian value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Packet {
    /// The sender's sequence number.
    pub seq: u8,
    /// Which channel the value is of.
    pub channel: u8,
    /// The value.
    pub value: i32,
}

/// A checked packet from a decoded frame, if its CRC and length are right.
fn packet(frame: &[u8]) -> Option<Packet> {
    let (body, crc) = frame.split_last_chunk::<2>()?;
    if CRC16.checksum(body) != u16::from_le_bytes(*crc) {
        return None;
    }
    let [seq, channel, a, b, c, d] = *body else { return None };
    Some(Packet { seq, channel, value: i32::from_le_bytes([a, b, c, d]) })
}

#[task_run(inputs(frame), outputs(packet: Packet, reply))]
fn run() -> Result<()> {
    let mut encoded = [0u8; 64];
    let mut decoded = [0u8; 64];
    loop {
        let n = receive(&mut encoded, Input::Frame)?;
        let good = match cobs::decode(&encoded[..n], &mut decoded) {
            Ok(len) => packet(&decoded[..len]),
            Err(_) => None,
        };
        if let Some(packet) = good {
            Output::Packet.send(&packet)?;
        }
        // The acknowledgement: sequence number (0 if unknown), taken or not.
        let mut ack = [good.map_or(0, |p| p.seq), u8::from(good.is_some()), 0, 0];
        let crc = CRC16.checksum(&ack[..2]).to_le_bytes();
        ack[2..].copy_from_slice(&crc);
        let mut out = [0u8; 8];
        let len = cobs::encode(&ack, &mut out);
        send(&out[..len], Output::Reply)?;
    }
}
