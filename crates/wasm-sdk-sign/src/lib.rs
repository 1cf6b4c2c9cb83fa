#![doc = include_str!("../README.md")]
#![no_std]

mod error;
mod format;
mod key;
mod verify;

pub use error::SignatureError;
pub use key::PublicKey;
pub use verify::verify;

/// The public key embedded by `wasm_sdk_build::embed_public_key` in the
/// firmware's build script, as a [`PublicKey`] constant; use it under
/// `#[cfg(signed_modules)]`. A file that is not a key fails the build.
///
/// ```ignore
/// #[cfg(signed_modules)]
/// const KEY: wasm_sdk_sign::PublicKey = wasm_sdk_sign::embedded_key!();
/// ```
#[macro_export]
macro_rules! embedded_key {
    () => {
        match $crate::PublicKey::from_bytes(include_bytes!(concat!(
            env!("OUT_DIR"),
            "/public_key.bin"
        ))) {
            Ok(key) => key,
            Err(_) => panic!("WASM_SDK_PUBLIC_KEY is not a wasmsign2 ed25519 public key"),
        }
    };
}

/// The custom section that holds the signatures: the module's first
/// section.
pub const SECTION_NAME: &str = "signature";

/// The most signed hash sets a signature section may hold (wasmsign2's
/// `MAX_HASHES`, which it applies to sets too).
pub const MAX_SIGNED_SETS: usize = 64;

/// The most hashes one signed set may hold (wasmsign2's `MAX_HASHES`).
pub const MAX_HASHES: usize = 64;

/// The most signatures one signed set may hold (wasmsign2's
/// `MAX_SIGNATURES`).
pub const MAX_SIGNATURES: usize = 256;

/// The most Ed25519 verifications one [`verify`] call runs: only signatures
/// of sets that list the module's hash are checked, and at most this many.
/// A module signed by `wasm-sdk sign` or `wasmsign2 sign` has one.
pub const MAX_VERIFICATIONS: usize = 4;
