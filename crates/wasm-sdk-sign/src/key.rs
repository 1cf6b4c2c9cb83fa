//! The public key a firmware trusts.

use crate::SignatureError;

/// An Ed25519 public key, as wasmsign2 serializes it.
///
/// The file `wasm-sdk keygen --public-key FILE` (or `wasmsign2
/// keygen`) writes is exactly [`SERIALIZED_LEN`](Self::SERIALIZED_LEN)
/// bytes: `0x01` (Ed25519) and the 32 key bytes. A firmware can check it at
/// compile time:
///
/// ```
/// use wasm_sdk_sign::PublicKey;
///
/// # const KEY_FILE: &[u8; 33] = &[1; 33];
/// // In firmware: include_bytes!(env!("WASM_SDK_PUBLIC_KEY")) or the like.
/// const KEY: PublicKey = match PublicKey::from_bytes(KEY_FILE) {
///     Ok(key) => key,
///     Err(_) => panic!("not a wasmsign2 ed25519 public key"),
/// };
/// # let _ = KEY;
/// ```
///
/// Only the encoding is checked here; a key that is not a curve point
/// verifies nothing ([`SignatureError::WrongKey`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

/// wasmsign2's key type byte for an Ed25519 public key.
const ED25519_PUBLIC_KEY: u8 = 0x01;

impl PublicKey {
    /// Length of a serialized key: the type byte and 32 key bytes.
    pub const SERIALIZED_LEN: usize = 33;

    /// A key from wasmsign2's serialization: `0x01` and 32 bytes.
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidPublicKey`] for another length or type byte
    /// (a secret key starts with `0x81`; PEM, DER and OpenSSH keys are not
    /// read: convert them with `wasmsign2`).
    pub const fn from_bytes(bytes: &[u8]) -> Result<PublicKey, SignatureError> {
        match bytes {
            [ED25519_PUBLIC_KEY, key @ ..] if key.len() == 32 => {
                let mut raw = [0; 32];
                let mut i = 0;
                while i < 32 {
                    raw[i] = key[i];
                    i += 1;
                }
                Ok(PublicKey(raw))
            }
            _ => Err(SignatureError::InvalidPublicKey),
        }
    }

    /// A key from its 32 raw Ed25519 bytes.
    pub const fn from_raw(raw: [u8; 32]) -> PublicKey {
        PublicKey(raw)
    }

    /// The 32 raw Ed25519 bytes.
    pub const fn as_raw(&self) -> &[u8; 32] {
        &self.0
    }
}
