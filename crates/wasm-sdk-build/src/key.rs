//! The public key a firmware trusts for signed modules, embedded at build
//! time.

use std::env;
use std::fs;
use std::path::PathBuf;

/// Environment variable naming the public key file (as written by
/// `wasm-sdk keygen --public-key FILE`; an absolute path, since a
/// build script runs in its package's directory).
pub const PUBLIC_KEY_ENV: &str = "WASM_SDK_PUBLIC_KEY";

/// The `cfg` set when a key is embedded: `#[cfg(signed_modules)]`.
pub const SIGNED_CFG: &str = "signed_modules";

/// From a firmware's `build.rs`: if [`PUBLIC_KEY_ENV`] names a key file,
/// copies it to `$OUT_DIR/public_key.bin` (for `wasm_sdk_sign::embedded_key!`)
/// and sets `cfg(signed_modules)`, so the firmware refuses modules not
/// signed with that key; without the variable the firmware takes unsigned
/// modules. Returns whether a key was embedded.
///
/// # Panics
///
/// The key file cannot be read (a build script reports by panicking).
pub fn embed_public_key() -> bool {
    println!("cargo::rustc-check-cfg=cfg({SIGNED_CFG})");
    println!("cargo::rerun-if-env-changed={PUBLIC_KEY_ENV}");
    let Some(path) = env::var_os(PUBLIC_KEY_ENV).filter(|p| !p.is_empty()) else {
        return false;
    };
    let path = PathBuf::from(path);
    println!("cargo::rerun-if-changed={}", path.display());
    let key = fs::read(&path)
        .unwrap_or_else(|e| panic!("{PUBLIC_KEY_ENV}={}: cannot read it: {e}", path.display()));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    fs::write(out.join("public_key.bin"), key).expect("write public_key.bin");
    println!("cargo::rustc-cfg={SIGNED_CFG}");
    true
}
