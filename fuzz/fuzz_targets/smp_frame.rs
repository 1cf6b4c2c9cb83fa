//! SMP serial framing and headers (`wasm-sdk-smp`): `FrameDecoder::push`
//! byte by byte on arbitrary console bytes, `header::Header::parse` on
//! every decoded message, and `frame::encode` round trips.
//!
//! Checks: no panic; a decoded message fits the reassembly buffer
//! (`N - 4`: length field and CRC); it frames again with `encode` into
//! lines of at most `MAX_LINE` bytes that a fresh decoder turns back into
//! exactly that message; a parsed header re-encodes (`to_bytes`) to the
//! message's first 8 bytes (but the 3 reserved bits) and parses to itself.
//! The input is decoded with a 384-byte (the default) and a 64-byte
//! buffer, and is itself encoded and decoded as a message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_sdk_smp::frame::{self, MAX_LINE};
use wasm_sdk_smp::header::{HEADER_LEN, Header};
use wasm_sdk_smp::{FrameDecoder, Received};

/// Decodes `bytes`, checking every message; returns the messages.
fn decode<const N: usize>(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut decoder = FrameDecoder::<N>::new();
    let mut messages = Vec::new();
    for &b in bytes {
        if let Received::Message(m) = decoder.push(b) {
            assert!(m.len() + 4 <= N, "{} bytes from a {N}-byte buffer", m.len());
            messages.push(m.to_vec());
        }
    }
    for m in &messages {
        check_header(m);
        assert_eq!(round_trip::<N>(m), Some(m.clone()));
    }
    messages
}

/// `message` framed and decoded again by a fresh decoder; `None` when it
/// does not fit a frame.
fn round_trip<const N: usize>(message: &[u8]) -> Option<Vec<u8>> {
    let mut scratch = [0u8; 2048];
    let mut lines = Vec::new();
    frame::encode(message, &mut scratch, |line| {
        assert!(line.len() <= MAX_LINE && line.ends_with(b"\n"));
        lines.extend_from_slice(line);
    })
    .ok()?;
    let mut decoder = FrameDecoder::<N>::new();
    let mut got = Vec::new();
    for &b in &lines {
        match decoder.push(b) {
            Received::Pending => {}
            Received::Message(m) => got.push(m.to_vec()),
            Received::Dropped(_) if message.len() + 4 > N => return None,
            Received::Dropped(e) => panic!("own frame of {} bytes dropped: {e:?}", message.len()),
        }
    }
    assert_eq!(got.len(), 1, "one frame, one message");
    got.pop()
}

fn check_header(message: &[u8]) {
    let Some(h) = Header::parse(message) else {
        assert!(message.len() < HEADER_LEN || message[0] & 0x07 > 3);
        return;
    };
    let bytes = h.to_bytes();
    assert_eq!(bytes[0], message[0] & 0x1f, "all but the reserved bits");
    assert_eq!(bytes[1..], message[1..HEADER_LEN]);
    assert_eq!(Header::parse(&bytes), Some(h));
}

fuzz_target!(|data: &[u8]| {
    decode::<384>(data);
    decode::<64>(data);
    check_header(data);
    if data.len() + 4 <= 384 {
        assert_eq!(round_trip::<384>(data).as_deref(), Some(data));
    }
});
