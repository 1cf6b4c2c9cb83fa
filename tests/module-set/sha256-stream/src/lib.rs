//! The SHA-256 of a stream (the `sha2` crate), e.g. a file sent in chunks
//! to check before it is used: each message on `chunk` is the next part;
//! an empty message ends the stream, and its [`Digest`] is sent with the
//! stream's length. The next chunk starts a new stream.
//!
//! Input: `chunk` (raw bytes). Output: `digest` ([`Digest`]). It stops
//! when `chunk` is closed.

#![no_std]

use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use wasm_sdk::{Result, define_alloc_heap, define_panic_handlers, receive, task_run};

define_alloc_heap!(1024);
define_panic_handlers!();

/// A stream's digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Digest {
    /// Bytes hashed.
    pub len: u32,
    /// Their SHA-256.
    pub sha256: [u8; 32],
}

#[task_run(inputs(chunk), outputs(digest: Digest))]
fn run() -> Result<()> {
    let mut hasher = Sha256::new();
    let mut len = 0u32;
    let mut buf = [0u8; 256];
    loop {
        let n = receive(&mut buf, Input::Chunk)?;
        if n > 0 {
            hasher.update(&buf[..n]);
            len = len.wrapping_add(n as u32);
            continue;
        }
        let sha256: [u8; 32] = hasher.finalize_reset().into();
        Output::Digest.send(&Digest { len, sha256 })?;
        len = 0;
    }
}
