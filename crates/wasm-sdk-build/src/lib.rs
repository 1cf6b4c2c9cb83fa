//! Linker settings for wasm-sdk guests, from the guest crate's `build.rs`.
//!
//! Rust links wasm modules with a 1 MiB stack, so a default guest needs 17
//! 64 KiB pages: more RAM than a microcontroller has. The stack and memory
//! size are linker arguments *of the guest crate*; a dependency cannot set
//! them. A build script can, and unlike `.cargo/config.toml` rustflags they
//! survive a `RUSTFLAGS` environment variable. So each guest has:
//!
//! ```no_run
//! // build.rs: `fn main() { ... }`
//! wasm_sdk_build::GuestMemory::new().stack_size(4 * 1024).emit();
//! ```
//!
//! with `wasm-sdk-build` under `[build-dependencies]`. Nothing is emitted
//! for non-wasm32 targets, so `cargo test` on the host links as usual; but
//! a native build (the guest's tests, which build its `.wasm`) fails at once
//! with one line if `wasm32-unknown-unknown` is not installed
//! ([`require_targets`]).
//!
//! # Memory modes
//!
//! Chosen at build time with the `WASM_SDK_MEMORY` environment variable:
//!
//! - `page` (default): `pages` standard 64 KiB pages (one by default),
//!   minimum = maximum, so the module can never grow memory. Runs on every
//!   Wasm runtime.
//! - `tight`: 1-byte pages (the custom-page-sizes proposal, `--page-size=1`);
//!   linear memory is exactly stack + static data + heap arena, and cannot
//!   grow. Needs a runtime with custom page sizes (wasmi 2:
//!   `Config::wasm_custom_page_sizes(true)`).
//!
//! `WASM_SDK_STACK_SIZE=<bytes>` overrides the crate's stack size.
//!
//! # Embedding guests in firmware
//!
//! [`EmbeddedGuests`] is for the other side: a firmware crate's `build.rs`
//! that builds a workspace's guests to wasm and embeds them. It and the test
//! host's `GuestBuilder` run the same nested build, [`GuestCargo`].
//! [`embed_public_key`] embeds the key a firmware trusts for signed modules.
//! `hostile` (feature `hostile`) reads the repository's hostile set for the
//! tests and firmware that run it, and `heavy` makes modules that are
//! small and heavy to load.

mod cargo;
mod embed;
#[cfg(feature = "hostile")]
pub mod heavy;
#[cfg(feature = "hostile")]
pub mod hostile;
mod key;

pub use cargo::{GuestCargo, MissingTarget, check_target, inherits_build_config, require_targets};
pub use embed::EmbeddedGuests;
pub use key::{PUBLIC_KEY_ENV, SIGNED_CFG, embed_public_key};

use std::fmt;

/// Size of a standard Wasm page.
pub const WASM_PAGE_SIZE: u32 = 64 * 1024;

/// Environment variable that selects the [`MemoryMode`].
pub const MEMORY_ENV: &str = "WASM_SDK_MEMORY";
/// Environment variable that overrides the stack size in bytes.
pub const STACK_SIZE_ENV: &str = "WASM_SDK_STACK_SIZE";

/// How linear memory is laid out; see the [crate docs](crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryMode {
    /// Standard 64 KiB pages, fixed count.
    Page,
    /// 1-byte pages: memory = stack + data + heap.
    Tight,
}

impl MemoryMode {
    /// Parses a [`MEMORY_ENV`] value.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        match value.trim() {
            "" | "page" => Ok(MemoryMode::Page),
            "tight" => Ok(MemoryMode::Tight),
            other => Err(ConfigError(format!(
                "{MEMORY_ENV}=`{other}` is not a memory mode; use `page` or `tight`"
            ))),
        }
    }

    /// The [`MEMORY_ENV`] value: `page` or `tight`.
    pub fn as_str(self) -> &'static str {
        match self {
            MemoryMode::Page => "page",
            MemoryMode::Tight => "tight",
        }
    }
}

/// A setting that cannot be linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// A guest's stack and linear memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestMemory {
    stack_size: u32,
    pages: u32,
}

impl Default for GuestMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl GuestMemory {
    /// 8 KiB of stack in one 64 KiB page.
    pub const fn new() -> Self {
        GuestMemory { stack_size: 8 * 1024, pages: 1 }
    }

    /// Stack size in bytes; a multiple of 16 (the wasm32 stack alignment).
    pub const fn stack_size(mut self, bytes: u32) -> Self {
        self.stack_size = bytes;
        self
    }

    /// Number of 64 KiB pages in `page` mode.
    pub const fn pages(mut self, pages: u32) -> Self {
        self.pages = pages;
        self
    }

    /// The linker arguments for `mode`, after checking the settings.
    pub fn link_args(&self, mode: MemoryMode) -> Result<Vec<String>, ConfigError> {
        if self.stack_size == 0 || !self.stack_size.is_multiple_of(16) {
            return Err(ConfigError(format!(
                "stack size {} is not a positive multiple of 16 bytes",
                self.stack_size
            )));
        }
        let mut args = vec![format!("-zstack-size={}", self.stack_size)];
        match mode {
            MemoryMode::Page => {
                let bytes =
                    self.pages.checked_mul(WASM_PAGE_SIZE).filter(|&b| b > 0).ok_or_else(|| {
                        ConfigError(format!("{} pages do not fit wasm32", self.pages))
                    })?;
                if self.stack_size >= bytes {
                    return Err(ConfigError(format!(
                        "a {} byte stack leaves no room in {} page(s)",
                        self.stack_size, self.pages
                    )));
                }
                args.push(format!("--initial-memory={bytes}"));
                args.push(format!("--max-memory={bytes}"));
            }
            MemoryMode::Tight => {
                // The linker sizes memory to stack + data + bss (the heap
                // arena); `--no-growable-memory` pins the maximum to it.
                args.push("--page-size=1".into());
                args.push("--no-growable-memory".into());
            }
        }
        Ok(args)
    }

    /// Prints the `cargo::` lines for the current build script's target.
    ///
    /// # Panics
    ///
    /// With a clear message when the settings or the environment variables
    /// are invalid: a build script reports errors by failing the build.
    pub fn emit(&self) {
        println!("cargo::rerun-if-env-changed={MEMORY_ENV}");
        println!("cargo::rerun-if-env-changed={STACK_SIZE_ENV}");
        if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
            // A guest built natively is built for its tests, which build
            // its `.wasm` too: fail now, in one line, if they cannot.
            require_targets(&["wasm32-unknown-unknown"]);
            return;
        }
        if let Err(err) = self.try_emit() {
            panic!("wasm-sdk-build: {err}");
        }
    }

    fn try_emit(&self) -> Result<(), ConfigError> {
        let mode = MemoryMode::parse(&std::env::var(MEMORY_ENV).unwrap_or_default())?;
        let mut memory = self.clone();
        if let Ok(stack) = std::env::var(STACK_SIZE_ENV) {
            memory.stack_size = stack.trim().parse().map_err(|_| {
                ConfigError(format!("{STACK_SIZE_ENV}=`{stack}` is not a size in bytes"))
            })?;
        }
        for arg in memory.link_args(mode)? {
            println!("cargo::rustc-link-arg-cdylib={arg}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_mode_pins_memory() {
        let args = GuestMemory::new().stack_size(4096).link_args(MemoryMode::Page).unwrap();
        assert_eq!(args, ["-zstack-size=4096", "--initial-memory=65536", "--max-memory=65536"]);
    }

    #[test]
    fn tight_mode_uses_byte_pages() {
        let args = GuestMemory::new().link_args(MemoryMode::Tight).unwrap();
        assert_eq!(args, ["-zstack-size=8192", "--page-size=1", "--no-growable-memory"]);
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(GuestMemory::new().stack_size(100).link_args(MemoryMode::Page).is_err());
        assert!(GuestMemory::new().stack_size(0).link_args(MemoryMode::Tight).is_err());
        assert!(GuestMemory::new().stack_size(65536).link_args(MemoryMode::Page).is_err());
        assert!(GuestMemory::new().pages(0).link_args(MemoryMode::Page).is_err());
        assert!(GuestMemory::new().pages(70_000).link_args(MemoryMode::Page).is_err());
        assert!(MemoryMode::parse("huge").is_err());
        assert_eq!(MemoryMode::parse(""), Ok(MemoryMode::Page));
        assert_eq!(MemoryMode::parse("tight"), Ok(MemoryMode::Tight));
    }
}
