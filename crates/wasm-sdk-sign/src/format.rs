//! The wasmsign2 signature section, read in place: no copies, every length
//! checked against what is left, every count against wasmsign2's limits.
//!
//! ```text
//! module    = "\0asm" 01 00 00 00, section*
//! section   = id: u8, size: u32, payload
//! first     = id 0, size, name "signature", data      (a custom section)
//! data      = version 01, content type 01 (module), hash 01 (SHA-256),
//!             n: u32 (≤ 64), n × (len: u32, set)
//! set       = k: u32 (≤ 64), k × 32-byte hash, m: u32 (≤ 256), m × (len: u32, signature)
//! signature = key id (len: u32, bytes; empty: none), algorithm 01 (Ed25519),
//!             len: u32 (64), 64 signature bytes
//! ```
//!
//! Integers `u32` are unsigned LEB128. A signature signs
//! `"wasmsig" ‖ 01 ‖ 01 ‖ 01 ‖ the set's hashes`; the module is covered when
//! one of those hashes is the SHA-256 of every byte after the section.

use crate::{MAX_HASHES, MAX_SIGNATURES, MAX_SIGNED_SETS, SECTION_NAME, SignatureError};

/// The WebAssembly module header: magic and version 1.
const WASM_HEADER: [u8; 8] = *b"\0asm\x01\0\0\0";

/// wasmsign2's version 1 of the format, for whole modules, with SHA-256.
const FORMAT: [u8; 3] = [0x01, 0x01, 0x01];

/// wasmsign2's algorithm byte for Ed25519.
pub(crate) const ED25519: u8 = 0x01;

/// What each signature signs, before the set's hashes.
pub(crate) const MESSAGE_PREFIX: &[u8] = b"wasmsig\x01\x01\x01";

/// A cursor over bytes; running out is [`SignatureError::Malformed`].
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader(bytes)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], SignatureError> {
        if n > self.0.len() {
            return Err(SignatureError::Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, SignatureError> {
        Ok(self.take(1)?[0])
    }

    /// An unsigned LEB128 of at most 5 bytes that fits in a `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, SignatureError> {
        let mut value = 0u32;
        for i in 0..5 {
            let byte = self.byte()?;
            if i == 4 && byte > 0x0f {
                return Err(SignatureError::Malformed);
            }
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(SignatureError::Malformed)
    }

    /// A count of at most `max`.
    pub(crate) fn count(&mut self, max: usize) -> Result<usize, SignatureError> {
        match usize::try_from(self.u32()?) {
            Ok(n) if n <= max => Ok(n),
            _ => Err(SignatureError::Malformed),
        }
    }

    /// A length-prefixed byte string.
    pub(crate) fn slice(&mut self) -> Result<&'a [u8], SignatureError> {
        let len = usize::try_from(self.u32()?).map_err(|_| SignatureError::Malformed)?;
        self.take(len)
    }

    /// Nothing may follow.
    pub(crate) fn end(&self) -> Result<(), SignatureError> {
        if self.is_empty() { Ok(()) } else { Err(SignatureError::Malformed) }
    }
}

/// A module split at its signature section.
pub(crate) struct Signed<'a> {
    /// The signed hash sets: a reader after the format bytes, at the count.
    pub(crate) sets: Reader<'a>,
    /// Every byte after the signature section: what the hashes cover.
    pub(crate) covered: &'a [u8],
}

/// Splits `module` at its signature section and checks the format bytes.
pub(crate) fn split(module: &[u8]) -> Result<Signed<'_>, SignatureError> {
    let Some(sections) = module.strip_prefix(&WASM_HEADER) else {
        return Err(SignatureError::NotWasm);
    };
    let mut module = Reader::new(sections);
    if module.is_empty() || module.byte()? != 0 {
        return Err(SignatureError::Unsigned);
    }
    let size = usize::try_from(module.u32()?).map_err(|_| SignatureError::Malformed)?;
    let mut section = Reader::new(module.take(size)?);
    if section.slice()? != SECTION_NAME.as_bytes() {
        return Err(SignatureError::Unsigned);
    }
    if section.take(FORMAT.len())? != FORMAT {
        return Err(SignatureError::UnsupportedAlgorithm);
    }
    Ok(Signed { sets: section, covered: module.0 })
}

/// One signed hash set.
pub(crate) struct SignedSet<'a> {
    /// The hashes, 32 bytes each, as signed.
    pub(crate) hashes: &'a [u8],
    /// The signatures: a reader at the first one.
    signatures: Reader<'a>,
    /// Signatures left to read.
    left: usize,
}

impl<'a> SignedSet<'a> {
    /// Reads a set (one length-prefixed entry of the section).
    pub(crate) fn read(bytes: &'a [u8]) -> Result<Self, SignatureError> {
        let mut set = Reader::new(bytes);
        let n = set.count(MAX_HASHES)?;
        let hashes = set.take(n * 32)?;
        let left = set.count(MAX_SIGNATURES)?;
        Ok(SignedSet { hashes, signatures: set, left })
    }

    /// Whether the set lists `hash`.
    pub(crate) fn lists(&self, hash: &[u8; 32]) -> bool {
        self.hashes.chunks_exact(32).any(|h| h == hash)
    }

    /// The next signature: its algorithm byte and its 64 bytes; `None` after
    /// the last, when the set must end.
    pub(crate) fn next_signature(&mut self) -> Result<Option<(u8, &'a [u8; 64])>, SignatureError> {
        if self.left == 0 {
            self.signatures.end()?;
            return Ok(None);
        }
        self.left -= 1;
        let mut entry = Reader::new(self.signatures.slice()?);
        let _key_id = entry.slice()?;
        let algorithm = entry.byte()?;
        let signature = entry.slice()?.try_into().map_err(|_| SignatureError::Malformed)?;
        entry.end()?;
        Ok(Some((algorithm, signature)))
    }
}

/// The number of sets, read from the section after the format bytes.
pub(crate) fn set_count(sets: &mut Reader<'_>) -> Result<usize, SignatureError> {
    sets.count(MAX_SIGNED_SETS)
}
