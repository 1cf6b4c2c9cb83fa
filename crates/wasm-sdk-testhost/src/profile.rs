//! A device profile: the budgets a device's host runs guests under and the
//! memory layout it wants, in a file its firmware's build writes, so that
//! a module that loads on the desktop with it loads on that device.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wasm_sdk_build::MemoryMode;
use wasm_sdk_host::shape::Costs;
use wasm_sdk_host::{Budget, HostConfig};

use crate::error::TestHostError;

/// The `format` of the profile files this crate reads and writes.
pub const PROFILE_FORMAT: &str = "wasm-sdk device profile 1";

/// The environment variable the CLI reads a profile's path from when no
/// `--profile` is given.
pub const PROFILE_ENV: &str = "WASM_SDK_PROFILE";

/// A device's host settings, as its firmware's build declares them
/// ([`save_beside_firmware`](Self::save_beside_firmware)); the CLI's
/// `--profile` and [`TestHostBuilder::profile`](crate::TestHostBuilder::profile)
/// read it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceProfile {
    device: String,
    config: HostConfig,
    memory: MemoryMode,
}

/// The file: every budget by its name, `null` for none.
#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    device: String,
    /// The device's pointer width: what each item of a module costs to
    /// load on it ([`HostConfig::module_costs`]).
    pointer_width: u8,
    /// How the device wants modules' memory laid out (`page`, `tight`).
    memory: String,
    custom_page_sizes: bool,
    budgets: BTreeMap<String, Option<u64>>,
}

impl DeviceProfile {
    /// The profile of `device` whose host runs guests on `config` and
    /// wants their memory laid out as `memory`.
    pub fn new(device: &str, config: &HostConfig, memory: MemoryMode) -> Self {
        DeviceProfile { device: device.into(), config: config.clone(), memory }
    }

    /// The device's name.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The device's host configuration.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// How the device wants modules' memory laid out: how `deploy` builds
    /// a guest for it.
    pub fn memory(&self) -> MemoryMode {
        self.memory
    }

    /// Reads a profile file.
    ///
    /// # Errors
    ///
    /// The file cannot be read ([`TestHostError::Io`]) or is not a profile
    /// ([`TestHostError::Profile`], naming what is wrong).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, TestHostError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|error| TestHostError::Io { path: path.to_owned(), error })?;
        Self::from_json(&text)
            .map_err(|e| TestHostError::Profile(format!("`{}`: {e}", path.display())))
    }

    /// Reads a profile's JSON. A budget the file does not name keeps
    /// [`HostConfig::default`]'s value.
    ///
    /// # Errors
    ///
    /// What is wrong with it: the format, an unknown budget (named, with
    /// the known ones), a memory mode or pointer width it cannot be.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: File =
            serde_json::from_str(text).map_err(|e| format!("not a device profile: {e}"))?;
        if file.format != PROFILE_FORMAT {
            return Err(format!(
                "profile format {} (this tool reads {PROFILE_FORMAT}): update the tool",
                file.format
            ));
        }
        let module_costs = match file.pointer_width {
            32 => Costs::POINTER_32,
            64 => Costs::POINTER_64,
            other => return Err(format!("pointer_width {other} is not 32 or 64")),
        };
        let memory = MemoryMode::parse(&file.memory).map_err(|e| e.to_string())?;
        let mut config = HostConfig {
            module_costs,
            custom_page_sizes: file.custom_page_sizes,
            ..HostConfig::default()
        };
        for (name, value) in &file.budgets {
            let budget = Budget::parse(name).map_err(|e| e.to_string())?;
            if value.is_none() && !budget.is_optional() {
                return Err(format!("budget `{name}` cannot be null: it always has a limit"));
            }
            budget.set(&mut config, *value);
        }
        Ok(DeviceProfile { device: file.device, config, memory })
    }

    /// The profile as the file holds it: every budget by name.
    pub fn to_json(&self) -> String {
        let pointer_width = if self.config.module_costs == Costs::POINTER_64 { 64 } else { 32 };
        let file = File {
            format: PROFILE_FORMAT.into(),
            device: self.device.clone(),
            pointer_width,
            memory: self.memory.as_str().into(),
            custom_page_sizes: self.config.custom_page_sizes,
            budgets: Budget::ALL
                .iter()
                .map(|b| (b.name().to_owned(), b.get(&self.config)))
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("a profile serializes");
        text.push('\n');
        text
    }

    /// Writes the profile file.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TestHostError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json())
            .map_err(|error| TestHostError::Io { path: path.to_owned(), error })
    }

    /// From a firmware's build script: writes `<name>.profile.json` beside
    /// the firmware's binary (in its profile directory, `target/<target>/
    /// release`), where `wasm-sdk run --profile` and `deploy --profile`
    /// find it, and returns its path.
    ///
    /// # Panics
    ///
    /// Outside a build script (no `OUT_DIR`), or if the file cannot be
    /// written: the build fails with the reason.
    pub fn save_beside_firmware(&self, name: &str) -> PathBuf {
        let path = beside_firmware(&format!("{name}.profile.json"));
        self.save(&path).unwrap_or_else(|e| panic!("write the profile file: {e}"));
        path
    }
}

/// From a build script: the path of `file` in the firmware's profile
/// directory (`OUT_DIR` is `<profile>/build/<package>-<hash>/out`).
///
/// # Panics
///
/// Outside a build script (no `OUT_DIR`).
pub(crate) fn beside_firmware(file: &str) -> PathBuf {
    let out_dir = std::env::var_os("OUT_DIR").expect("called from a build script");
    let profile = Path::new(&out_dir).ancestors().nth(3).expect("OUT_DIR in a profile directory");
    profile.join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> HostConfig {
        HostConfig {
            fuel_per_slice: Some(20_000),
            total_fuel: None,
            memory_budget: 16 * 1024,
            max_module_size: 16 * 1024 - 64,
            module_costs: Costs::POINTER_32,
            ..HostConfig::default()
        }
    }

    #[test]
    fn a_profile_reads_back_as_written() {
        let profile = DeviceProfile::new("board", &device(), MemoryMode::Tight);
        let read = DeviceProfile::from_json(&profile.to_json()).expect("reads");
        assert_eq!(read, profile);
        assert!(profile.to_json().contains(r#""max_module_size": 16320"#));
        assert!(profile.to_json().contains(r#""total_fuel": null"#));
    }

    #[test]
    fn a_wrong_profile_is_refused_with_the_reason() {
        let json = DeviceProfile::new("board", &device(), MemoryMode::Page).to_json();
        let refused = |from: &str, to: &str| {
            assert!(json.contains(from), "{from}");
            DeviceProfile::from_json(&json.replace(from, to)).expect_err(to)
        };
        let e = refused("max_module_size", "max_modul_size");
        assert!(e.starts_with("`max_modul_size` is not a budget; the budgets: fuel_per_slice"));
        let e = refused(r#""max_functions": 512"#, r#""max_functions": null"#);
        assert_eq!(e, "budget `max_functions` cannot be null: it always has a limit");
        let e = refused(r#""pointer_width": 32"#, r#""pointer_width": 16"#);
        assert_eq!(e, "pointer_width 16 is not 32 or 64");
        let e = refused(r#""memory": "page""#, r#""memory": "huge""#);
        assert!(e.contains("is not a memory mode"), "{e}");
        let e = refused(PROFILE_FORMAT, "wasm-sdk device profile 9");
        assert!(e.contains("update the tool"), "{e}");
        let e = DeviceProfile::from_json("{}").expect_err("no format");
        assert!(e.starts_with("not a device profile"), "{e}");
    }

    #[test]
    fn a_budget_the_file_omits_keeps_the_default() {
        let json = format!(
            r#"{{"format": "{PROFILE_FORMAT}", "device": "d", "pointer_width": 32,
                "memory": "page", "custom_page_sizes": true,
                "budgets": {{"max_module_size": 1000}}}}"#
        );
        let profile = DeviceProfile::from_json(&json).expect("reads");
        assert_eq!(profile.config().max_module_size, 1000);
        assert_eq!(profile.config().max_functions, HostConfig::default().max_functions);
    }
}
