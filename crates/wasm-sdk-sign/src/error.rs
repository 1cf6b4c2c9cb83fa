//! Why a module or a key is refused.

/// Why [`verify`](crate::verify) refused a module, or
/// [`PublicKey::from_bytes`](crate::PublicKey::from_bytes) a key.
///
/// [`as_str`](Self::as_str) gives a short static reason for an SMP error's
/// `rsn` or a log line, without `core::fmt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// Not a WebAssembly module: no `\0asm` version 1 header.
    NotWasm,
    /// The module's first section is not a `signature` custom section.
    Unsigned,
    /// The signature section is truncated, has lengths past its end,
    /// trailing bytes, more entries than the limits, or a signature that is
    /// not 64 bytes.
    Malformed,
    /// The signature section uses a format version, content type, hash
    /// function or signature algorithm other than wasmsign2's version 1,
    /// module, SHA-256 and Ed25519.
    UnsupportedAlgorithm,
    /// No signed hash matches the module: it was changed after it was
    /// signed.
    Modified,
    /// The module's hash is signed, but no signature verifies with this
    /// key: signed with another key, or a forged signature.
    WrongKey,
    /// The public key is not a wasmsign2 Ed25519 public key: the byte
    /// `0x01` and 32 key bytes.
    InvalidPublicKey,
}

impl SignatureError {
    /// A short reason, e.g. for `{"rc": 11, "rsn": "..."}`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureError::NotWasm => "not a wasm module",
            SignatureError::Unsigned => "the module is not signed",
            SignatureError::Malformed => "malformed signature section",
            SignatureError::UnsupportedAlgorithm => "unsupported signature format or algorithm",
            SignatureError::Modified => "the module was changed after signing",
            SignatureError::WrongKey => "not signed with this device's key",
            SignatureError::InvalidPublicKey => "not a wasmsign2 ed25519 public key",
        }
    }
}

impl core::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for SignatureError {}
