//! Is this module signed with this key?

use sha2::{Digest, Sha256};

use crate::format::{self, ED25519, MESSAGE_PREFIX, SignedSet};
use crate::{MAX_VERIFICATIONS, PublicKey, SignatureError};

/// Checks that `module` carries a wasmsign2 signature by `key` that covers
/// every byte after the signature section.
///
/// Work is bounded whatever the module holds: one SHA-256 pass over the
/// module, a parse of the signature section that reads each byte at most
/// once and stops at wasmsign2's limits ([`MAX_SIGNED_SETS`] sets,
/// [`MAX_HASHES`] hashes and [`MAX_SIGNATURES`] signatures per set), and at
/// most [`MAX_VERIFICATIONS`] Ed25519 verifications, only of sets that list
/// the module's hash. Nothing is allocated and nothing panics.
///
/// [`MAX_SIGNED_SETS`]: crate::MAX_SIGNED_SETS
/// [`MAX_HASHES`]: crate::MAX_HASHES
/// [`MAX_SIGNATURES`]: crate::MAX_SIGNATURES
///
/// # Errors
///
/// The first that applies: [`SignatureError::NotWasm`],
/// [`Unsigned`](SignatureError::Unsigned) (no signature section, or one
/// without signatures), [`UnsupportedAlgorithm`](SignatureError::UnsupportedAlgorithm)
/// (another format version or hash function; or only other algorithms sign
/// the module's hash), [`Malformed`](SignatureError::Malformed),
/// [`Modified`](SignatureError::Modified) (no signed hash is the module's),
/// [`WrongKey`](SignatureError::WrongKey) (the hash is signed, but not
/// verifiably by `key`).
pub fn verify(module: &[u8], key: &PublicKey) -> Result<(), SignatureError> {
    let format::Signed { mut sets, covered } = format::split(module)?;
    let hash: [u8; 32] = Sha256::digest(covered).into();

    let mut signatures = 0usize;
    let mut listed = false;
    let mut other_algorithm = false;
    let mut tried = 0usize;
    let mut verified = false;
    // Read to the end even after a valid signature: a malformed section is
    // refused whatever it also holds.
    for _ in 0..format::set_count(&mut sets)? {
        let mut set = SignedSet::read(sets.slice()?)?;
        let lists = set.lists(&hash);
        listed |= lists;
        while let Some((algorithm, signature)) = set.next_signature()? {
            signatures += 1;
            if !lists || verified {
                continue;
            }
            if algorithm != ED25519 {
                other_algorithm = true;
            } else if tried < MAX_VERIFICATIONS {
                tried += 1;
                verified = ed25519(key, signature, set.hashes);
            }
        }
    }
    sets.end()?;

    if verified {
        Ok(())
    } else if signatures == 0 {
        Err(SignatureError::Unsigned)
    } else if !listed {
        Err(SignatureError::Modified)
    } else if tried == 0 && other_algorithm {
        Err(SignatureError::UnsupportedAlgorithm)
    } else {
        Err(SignatureError::WrongKey)
    }
}

/// Whether `signature` signs `MESSAGE_PREFIX ‖ hashes` with `key`: the one
/// place the Ed25519 crate is used.
fn ed25519(key: &PublicKey, signature: &[u8; 64], hashes: &[u8]) -> bool {
    let key = ed25519_compact::PublicKey::new(*key.as_raw());
    let signature = ed25519_compact::Signature::new(*signature);
    let Ok(mut state) = key.verify_incremental(&signature) else { return false };
    state.absorb(MESSAGE_PREFIX);
    state.absorb(hashes);
    state.verify().is_ok()
}
