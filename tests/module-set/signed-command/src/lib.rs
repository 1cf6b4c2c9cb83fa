//! Commands passed on only when signed by the operator's key (Ed25519,
//! the `ed25519-dalek` crate, verification only): each message on
//! `signed` is a 64-byte signature followed by the command it signs; a
//! command whose signature verifies against [`OPERATOR_KEY`] goes out on
//! `command`, and every message is answered with a [`Verdict`].
//!
//! Input: `signed` (raw bytes). Outputs: `command` (raw bytes: the
//! verified command) and `verdict` ([`Verdict`]). It stops when `signed`
//! is closed.

#![no_std]

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, receive, send, task_run};

define_alloc_heap!(1024);
define_panic_handlers!();

/// The operator's public key (RFC 8032's first test vector's).
pub const OPERATOR_KEY: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

/// What became of one signed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub enum Verdict {
    /// Verified and passed on; the command's length.
    Accepted(u16),
    /// Shorter than a signature.
    Truncated,
    /// The signature does not verify.
    BadSignature,
}

#[task_run(inputs(signed), outputs(command, verdict: Verdict))]
fn run() -> Result<()> {
    // Decompressed once: a point on the curve, checked at start.
    let key = VerifyingKey::from_bytes(&OPERATOR_KEY).ok();
    let mut buf = [0u8; 256];
    loop {
        let n = receive(&mut buf, Input::Signed)?;
        let verdict = match buf[..n].split_first_chunk::<64>() {
            None => Verdict::Truncated,
            Some((signature, command)) => {
                let signature = Signature::from_bytes(signature);
                if key.is_some_and(|key| key.verify(command, &signature).is_ok()) {
                    send(command, Output::Command)?;
                    Verdict::Accepted(command.len() as u16)
                } else {
                    Verdict::BadSignature
                }
            }
        };
        Output::Verdict.send(&verdict)?;
    }
}
