#![doc = include_str!("../README.md")]

mod cargo;
mod embed;
#[cfg(feature = "fixtures")]
pub mod fixture;
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

/// binaryen's `wasm-opt` for a guest: `-Oz` with the features Rust's
/// `wasm32-unknown-unknown` emits (and the SDK's host enables), which
/// `wasm-opt` does not read from a stripped module. It keeps the
/// manifest section and the exports the host needs.
pub const WASM_OPT_ARGS: [&str; 7] = [
    "-Oz",
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

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
        // The stack pointer, exported (`wasm_sdk_abi::STACK_POINTER_EXPORT`):
        // with it the host reports a stack overflow as one, with the size.
        let mut args =
            vec![format!("-zstack-size={}", self.stack_size), "--export=__stack_pointer".into()];
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
        assert_eq!(
            args,
            [
                "-zstack-size=4096",
                "--export=__stack_pointer",
                "--initial-memory=65536",
                "--max-memory=65536"
            ]
        );
    }

    #[test]
    fn tight_mode_uses_byte_pages() {
        let args = GuestMemory::new().link_args(MemoryMode::Tight).unwrap();
        assert_eq!(
            args,
            [
                "-zstack-size=8192",
                "--export=__stack_pointer",
                "--page-size=1",
                "--no-growable-memory"
            ]
        );
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
