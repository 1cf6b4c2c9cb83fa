//! `wasm-sdk keygen`, `sign` and `verify`: Ed25519-signed guest
//! modules in wasmsign2's format (a `signature` custom section first).
//!
//! Keys and signatures come from the `wasmsign2` crate, the format's
//! reference implementation, so its CLI reads and writes the same files.
//! `verify` runs `wasm_sdk_sign::verify`, exactly what a firmware built
//! with the public key runs before it installs a module.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use wasm_sdk_host::abi::queue::QueueEnv;
use wasm_sdk_host::{Host, HostConfig};
use wasm_sdk_testhost::GuestBuilder;
use wasmsign2::{KeyPair, Module, SecretKey};

/// Arguments of `keygen`.
#[derive(Args)]
pub struct KeygenArgs {
    /// Where to write the secret key (65 bytes; keep it private).
    #[arg(long, value_name = "FILE")]
    secret_key: PathBuf,
    /// Where to write the public key (33 bytes; the firmware embeds it).
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
}

/// Arguments of `sign`.
#[derive(Args)]
pub struct SignArgs {
    /// A `.wasm` file, or a guest crate directory to build first.
    module: PathBuf,
    /// The secret key `keygen` wrote (or a wasmsign2 PEM or DER key).
    #[arg(long, value_name = "FILE")]
    secret_key: PathBuf,
    /// The signed module (default: NAME.signed.wasm beside the module).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Target directory for building a guest crate (default: the crate's).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
}

/// Arguments of `verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// A signed `.wasm` file.
    module: PathBuf,
    /// The public key `keygen` wrote (or a wasmsign2 PEM or DER key).
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
}

/// Runs `keygen`: a new key pair; existing files are not overwritten.
///
/// # Errors
///
/// One line: a file exists or cannot be written.
pub fn keygen(args: KeygenArgs) -> Result<(), String> {
    let pair = KeyPair::generate();
    for path in [&args.secret_key, &args.public_key] {
        if path.exists() {
            return Err(format!("`{}` exists; remove it or choose another path", path.display()));
        }
    }
    write_new(&args.secret_key, &pair.sk.to_bytes(), true)?;
    write_new(&args.public_key, &pair.pk.to_bytes(), false)?;
    outln!(
        "wrote secret key {} (keep it private) and public key {} ({} B; the firmware embeds it)",
        args.secret_key.display(),
        args.public_key.display(),
        pair.pk.to_bytes().len()
    );
    Ok(())
}

/// Writes a file that must not exist yet; `private`: readable by its owner
/// only (on Unix).
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// Runs `sign`.
///
/// # Errors
///
/// One line: the module or key cannot be read or parsed, or the output
/// cannot be written.
pub fn sign(args: SignArgs) -> Result<(), String> {
    let path = crate::module_path(&args.module, args.target_dir.as_deref(), GuestBuilder::new())?;
    let wasm = read(&path)?;
    let signed = signed(&wasm, &args.secret_key)?;
    let output = args.output.unwrap_or_else(|| path.with_extension("signed.wasm"));
    std::fs::write(&output, &signed)
        .map_err(|e| format!("cannot write `{}`: {e}", output.display()))?;
    outln!(
        "signed {} ({} B) with {}: wrote {} ({} B)",
        path.display(),
        wasm.len(),
        args.secret_key.display(),
        output.display(),
        signed.len()
    );
    Ok(())
}

/// `wasm` stamped and signed with the secret key in `key_file` (a
/// signature it had is replaced). Used by `sign` and `deploy --sign`.
///
/// Signing vouches for the module, so it is first checked as a device
/// loads it, wasmi's validation included, with the reference firmwares'
/// configuration (`HostConfig::default()`), and stamped as validated
/// (`wasm_sdk_host::trust`): a firmware built without on-device validation
/// loads it once the signature verifies.
///
/// # Errors
///
/// One line: the key cannot be read or is not a secret key, or a host
/// would refuse the module (the reason).
pub fn signed(wasm: &[u8], key_file: &Path) -> Result<Vec<u8>, String> {
    let key = SecretKey::from_any(&read(key_file)?).map_err(|_| {
        format!("`{}` is not a secret key (`wasm-sdk keygen` writes one)", key_file.display())
    })?;
    let stamped = Host::<QueueEnv>::new(HostConfig::default())
        .stamp(wasm)
        .map_err(|e| format!("not signed: the module is refused: {e}"))?;
    let module =
        Module::deserialize(&mut &stamped[..]).map_err(|e| format!("not a wasm module: {e}"))?;
    let module = key.sign(module, None).map_err(|e| format!("cannot sign: {e}"))?;
    let mut out = Vec::with_capacity(wasm.len() + 128);
    module.serialize(&mut out).map_err(|e| format!("cannot sign: {e}"))?;
    Ok(out)
}

/// Runs `verify` with the firmware's verifier.
///
/// # Errors
///
/// One line: the module is refused (the reason the firmware would give),
/// or a file cannot be read.
pub fn verify(args: VerifyArgs) -> Result<(), String> {
    let key_bytes = read(&args.public_key)?;
    let key = wasm_sdk_sign::PublicKey::from_bytes(&key_bytes)
        .ok()
        .or_else(|| {
            let key = wasmsign2::PublicKey::from_any(&key_bytes).ok()?;
            Some(wasm_sdk_sign::PublicKey::from_raw(*key.pk))
        })
        .ok_or_else(|| {
            format!(
                "`{}` is not a public key (`wasm-sdk keygen` writes one)",
                args.public_key.display()
            )
        })?;
    let wasm = read(&args.module)?;
    wasm_sdk_sign::verify(&wasm, &key)
        .map_err(|e| format!("`{}` is refused: {}", args.module.display(), e.as_str()))?;
    outln!("{}: signed with {}", args.module.display(), args.public_key.display());
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}
