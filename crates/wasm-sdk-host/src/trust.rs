//! Trusted loading: modules validated off the device.
//!
//! Validating a module is wasmparser's validator, a large part of the
//! nRF5340 firmware's flash (the book's figures page, "Firmware flash"). A firmware built without this crate's `validate`
//! feature leaves it out and loads modules with
//! [`Host::load_trusted`](crate::Host::load_trusted), which skips it. The
//! validation is then done where flash is cheap, with the device's engine
//! configuration:
//!
//! 1. [`Host::stamp`](crate::Host::stamp) (on the desktop, or in a
//!    firmware's build script) checks the module exactly as
//!    [`Host::load`](crate::Host::load) would and appends a
//!    `wasm-sdk.validated` section naming the engine configuration that
//!    accepted it ([`HostConfig::engine_stamp`]);
//! 2. the stamped module is signed (`wasm-sdk sign` stamps and
//!    signs), so the stamp cannot be forged or moved to another module;
//! 3. the device verifies the signature, then
//!    [`Host::load_trusted`](crate::Host::load_trusted) runs every check of
//!    its own (imports, exports, limits, manifest, port types) and refuses
//!    a module whose stamp is missing or names another configuration
//!    ([`LoadError::NotValidated`](crate::LoadError::NotValidated)).
//!
//! The trust model: whoever holds the signing key vouches that the module
//! was validated; the device trusts the key, not the module. A module that
//! reached [`Trusted::new`] without that (unsigned, or validated for other
//! Wasm features) can make wasmi misbehave: that is why it is `unsafe`.
//! Modules built into the firmware image are as trusted as the firmware's
//! code, and are stamped by its build script.

use crate::HostConfig;

/// The custom section holding a module's validation stamp.
pub const STAMP_SECTION: &str = "wasm-sdk.validated";

/// Length of a stamp ([`HostConfig::engine_stamp`]).
pub const STAMP_LEN: usize = 4;

/// Version of the stamp's layout.
const STAMP_VERSION: u8 = 1;

/// The wasmi release line whose validator the stamp vouches for; a new
/// minor release may validate differently (checked against `Cargo.lock` by
/// a test).
pub(crate) const WASMI_LINE: (u8, u8) = (2, 0);

impl HostConfig {
    /// What a module's validation depends on in this configuration: the
    /// stamp's layout version, the wasmi release line, and the Wasm
    /// features the engine enables (bit 0: custom page sizes). Limits are
    /// not in it: [`Host::load_trusted`](crate::Host::load_trusted) checks
    /// them on the device.
    pub fn engine_stamp(&self) -> [u8; STAMP_LEN] {
        [STAMP_VERSION, WASMI_LINE.0, WASMI_LINE.1, u8::from(self.custom_page_sizes)]
    }
}

/// Module bytes vouched for as validated with this host's engine
/// configuration; what [`Host::load_trusted`](crate::Host::load_trusted)
/// takes.
#[derive(Clone, Copy, Debug)]
pub struct Trusted<'a>(&'a [u8]);

impl<'a> Trusted<'a> {
    /// Vouches for `wasm`.
    ///
    /// # Safety
    ///
    /// `wasm` must be a module that [`Host::stamp`](crate::Host::stamp)
    /// accepted (and stamped) with a configuration whose
    /// [`HostConfig::engine_stamp`] equals the loading host's, unchanged
    /// since: in practice, a module whose signature the device verified
    /// with a key that signs only stamped modules, or one built into the
    /// firmware image and stamped by its build script. wasmi translates and
    /// runs such a module without validating it; an invalid module can
    /// then break wasmi's memory safety.
    pub const unsafe fn new(wasm: &'a [u8]) -> Self {
        Trusted(wasm)
    }

    /// The module's bytes.
    pub const fn bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// `wasm` with a custom section `name` holding `payload` appended.
#[cfg(feature = "validate")]
pub(crate) fn append_custom_section(
    wasm: &[u8],
    name: &str,
    payload: &[u8],
) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec::Vec::with_capacity(wasm.len() + name.len() + payload.len() + 8);
    out.extend_from_slice(wasm);
    wasm_sdk_abi::manifest::append_custom_section(&mut out, name, payload);
    out
}

#[cfg(test)]
mod tests {
    /// The stamp names the wasmi release line the workspace locks.
    #[test]
    fn the_stamp_names_the_locked_wasmi_line() {
        let lock = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"));
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"wasmi\"\n"))
            .and_then(|p| p.split("\nversion = \"").nth(1))
            .and_then(|v| v.split('"').next())
            .expect("wasmi in Cargo.lock");
        let line = alloc::format!("{}.{}.", super::WASMI_LINE.0, super::WASMI_LINE.1);
        assert!(
            version.starts_with(&line),
            "Cargo.lock has wasmi {version}; the stamp says {line}x"
        );
    }
}
