//! The device a command runs, checks or builds a module for: a device
//! profile (`--profile FILE`, or `$WASM_SDK_PROFILE`) and budgets of its
//! own (`--budget NAME=N`), shared by `run`, `inspect` and `deploy`.

use std::path::PathBuf;

use clap::Args;
use wasm_sdk_testhost::{
    Budget, DeviceProfile, GuestBuilder, MEMORY_ENV, MemoryMode, PROFILE_ENV, TestHostBuilder,
};

/// `--profile` and `--budget`.
#[derive(Args, Default)]
pub struct DeviceArgs {
    /// A device profile, the `<firmware>.profile.json` its firmware's build
    /// writes beside the binary: load, run and build modules as that device
    /// does (its budgets, its memory layout).
    #[arg(long, value_name = "FILE", env = PROFILE_ENV)]
    pub profile: Option<PathBuf>,
    /// Set one of the host's budgets by name, after the profile
    /// (repeatable): `--budget max_module_size=131072`, `--budget
    /// total_fuel=none`. The names are `HostConfig`'s fields
    /// (`max_module_size`, `memory_budget`, `module_heap`, `max_functions`,
    /// `max_locals`, `max_value_stack`, `max_call_depth`, `text.max_len`,
    /// ...); a refusal by a budget names it.
    #[arg(long = "budget", value_name = "NAME=N", value_parser = parse_budget)]
    pub budgets: Vec<(Budget, Option<u64>)>,
    /// Shrink a guest crate's module with binaryen's `wasm-opt -Oz` after
    /// building it (with the features the SDK's guests use).
    #[arg(long)]
    pub wasm_opt: bool,
    /// How to lay out a guest crate's memory: `page` or `tight` (default:
    /// the profile's, else the crate's own build script's).
    #[arg(long, value_name = "MODE", env = MEMORY_ENV, value_parser = parse_memory)]
    pub memory: Option<MemoryMode>,
}

fn parse_memory(value: &str) -> Result<MemoryMode, String> {
    MemoryMode::parse(value).map_err(|e| e.to_string())
}

impl DeviceArgs {
    /// The profile, read.
    pub fn profile(&self) -> Result<Option<DeviceProfile>, String> {
        self.profile
            .as_ref()
            .map(|path| DeviceProfile::load(path).map_err(|e| e.to_string()))
            .transpose()
    }

    /// Whether a device was described at all (a profile or a budget).
    pub fn given(&self) -> bool {
        self.profile.is_some() || !self.budgets.is_empty()
    }

    /// `host` with the profile's settings, then a command's own budget
    /// flags (`run --fuel`), then the `--budget`s.
    pub fn host(
        &self,
        profile: Option<&DeviceProfile>,
        mut host: TestHostBuilder,
        flags: impl IntoIterator<Item = (Budget, Option<u64>)>,
    ) -> TestHostBuilder {
        if let Some(profile) = profile {
            host = host.profile(profile);
        }
        for (budget, value) in flags.into_iter().chain(self.budgets.iter().copied()) {
            host = host.budget(budget, value);
        }
        host
    }

    /// A guest build as `--memory` or else the profile's device wants it
    /// (its memory layout), through `wasm-opt` if asked.
    pub fn builder(&self, profile: Option<&DeviceProfile>) -> GuestBuilder {
        let builder = match self.memory.or(profile.map(DeviceProfile::memory)) {
            Some(mode) => GuestBuilder::new().memory(mode),
            None => GuestBuilder::new(),
        };
        if self.wasm_opt { builder.wasm_opt() } else { builder }
    }

    /// Where the device's settings come from, for a report line.
    pub fn describe(&self, profile: Option<&DeviceProfile>) -> String {
        let mut parts = Vec::new();
        if let (Some(profile), Some(path)) = (profile, &self.profile) {
            parts.push(format!("device `{}` (profile {})", profile.device(), path.display()));
        }
        if parts.is_empty() {
            parts.push("a host".into());
        }
        if !self.budgets.is_empty() {
            let list: Vec<String> = self
                .budgets
                .iter()
                .map(|(b, v)| format!("{b}={}", v.map_or("none".into(), |v| v.to_string())))
                .collect();
            parts.push(format!("--budget {}", list.join(" ")));
        }
        parts.join(" with ")
    }
}

/// `NAME=N` or `NAME=none`, for a known budget.
fn parse_budget(arg: &str) -> Result<(Budget, Option<u64>), String> {
    let (name, value) = arg.split_once('=').ok_or_else(|| {
        format!("expected NAME=N, e.g. max_module_size=131072; the budgets: {}", Budget::names())
    })?;
    let budget = Budget::parse(name).map_err(|e| e.to_string())?;
    match value {
        "none" if budget.is_optional() => Ok((budget, None)),
        "none" => Err(format!("`{name}` always has a limit: give a number")),
        _ => value
            .replace('_', "")
            .parse::<u64>()
            .map(|n| (budget, Some(n)))
            .map_err(|_| format!("`{value}` is not a number of {}", budget.unit())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_by_name_and_refuse_with_the_reason() {
        assert_eq!(
            parse_budget("max_module_size=131_072"),
            Ok((Budget::MaxModuleSize, Some(131_072)))
        );
        assert_eq!(parse_budget("total_fuel=none"), Ok((Budget::TotalFuel, None)));
        assert_eq!(parse_budget("text.max_len=10"), Ok((Budget::TextMaxLen, Some(10))));
        let e = parse_budget("max_modul_size=1").unwrap_err();
        assert!(e.starts_with("`max_modul_size` is not a budget; the budgets: fuel_per_slice"));
        assert_eq!(
            parse_budget("max_functions=none").unwrap_err(),
            "`max_functions` always has a limit: give a number"
        );
        assert_eq!(
            parse_budget("max_locals=x").unwrap_err(),
            "`x` is not a number of locals per function"
        );
        assert!(parse_budget("max_locals").unwrap_err().starts_with("expected NAME=N"));
    }
}
