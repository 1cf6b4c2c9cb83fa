//! The host's budgets by name: what a refusal names, and what a device
//! profile and the CLI's `--budget NAME=N` set.
//!
//! Each budget is named by its [`HostConfig`] field (`text.max_len` for a
//! field of [`HostConfig::text`]), so the name a refusal gives is the
//! field a firmware sets, the key of a device profile and the CLI's flag.

use crate::config::HostConfig;

/// Declares the budgets once: the variant, its name (the field's path), its
/// unit, and how to read and write it as an optional `u64` (`None`: no
/// limit, for the fields that are `Option`s).
macro_rules! budgets {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal, $unit:literal,
        |$c:ident| $get:expr, |$s:ident, $v:ident| $set:expr;
    )*) => {
        /// One of [`HostConfig`]'s budgets, named by its field.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Budget {
            $( $(#[$doc])* $variant, )*
        }

        impl Budget {
            /// Every budget, in [`HostConfig`]'s order.
            pub const ALL: &'static [Budget] = &[$(Budget::$variant),*];

            /// The field's path in [`HostConfig`] (`max_module_size`,
            /// `text.max_len`): the name refusals give and profiles and
            /// `--budget` use.
            pub const fn name(self) -> &'static str {
                match self { $(Budget::$variant => $name,)* }
            }

            /// What the budget counts (`bytes`, `functions`, ...).
            pub const fn unit(self) -> &'static str {
                match self { $(Budget::$variant => $unit,)* }
            }

            /// The budget's value in `config`; `None`: no limit.
            pub fn get(self, config: &HostConfig) -> Option<u64> {
                match self { $(Budget::$variant => { let $c = config; $get })* }
            }

            /// Sets the budget in `config`. A value too large for the
            /// field saturates; `None` lifts a budget that may be absent
            /// and is ignored by one that may not
            /// ([`is_optional`](Self::is_optional)).
            pub fn set(self, config: &mut HostConfig, value: Option<u64>) {
                match self { $(Budget::$variant => { let ($s, $v) = (config, value); $set })* }
            }
        }
    };
}

/// A `u64` as a `usize`, saturating.
fn size(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// A `u64` as a `u32`, saturating.
fn count(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

budgets! {
    /// [`HostConfig::fuel_per_slice`].
    FuelPerSlice = "fuel_per_slice", "units of fuel",
        |c| c.fuel_per_slice, |c, v| c.fuel_per_slice = v;
    /// [`HostConfig::total_fuel`].
    TotalFuel = "total_fuel", "units of fuel",
        |c| c.total_fuel, |c, v| c.total_fuel = v;
    /// [`HostConfig::memory_budget`].
    MemoryBudget = "memory_budget", "bytes",
        |c| Some(c.memory_budget), |c, v| if let Some(v) = v { c.memory_budget = v };
    /// [`HostConfig::max_message_len`].
    MaxMessageLen = "max_message_len", "bytes",
        |c| Some(c.max_message_len as u64), |c, v| if let Some(v) = v { c.max_message_len = size(v) };
    /// [`HostConfig::max_module_size`].
    MaxModuleSize = "max_module_size", "bytes",
        |c| Some(c.max_module_size as u64), |c, v| if let Some(v) = v { c.max_module_size = size(v) };
    /// [`HostConfig::max_functions`].
    MaxFunctions = "max_functions", "functions",
        |c| Some(u64::from(c.max_functions)), |c, v| if let Some(v) = v { c.max_functions = count(v) };
    /// [`HostConfig::max_custom_sections`].
    MaxCustomSections = "max_custom_sections", "custom sections",
        |c| Some(u64::from(c.max_custom_sections)),
        |c, v| if let Some(v) = v { c.max_custom_sections = count(v) };
    /// [`HostConfig::max_table_elements`].
    MaxTableElements = "max_table_elements", "table elements",
        |c| Some(c.max_table_elements as u64),
        |c, v| if let Some(v) = v { c.max_table_elements = size(v) };
    /// [`HostConfig::max_value_stack`].
    MaxValueStack = "max_value_stack", "bytes",
        |c| Some(c.max_value_stack as u64), |c, v| if let Some(v) = v { c.max_value_stack = size(v) };
    /// [`HostConfig::max_call_depth`].
    MaxCallDepth = "max_call_depth", "nested calls",
        |c| Some(c.max_call_depth as u64), |c, v| if let Some(v) = v { c.max_call_depth = size(v) };
    /// [`HostConfig::max_locals`].
    MaxLocals = "max_locals", "locals per function",
        |c| Some(u64::from(c.max_locals)), |c, v| if let Some(v) = v { c.max_locals = count(v) };
    /// [`TextBudget::max_len`](crate::abi::rules::TextBudget::max_len).
    TextMaxLen = "text.max_len", "bytes",
        |c| Some(c.text.max_len as u64), |c, v| if let Some(v) = v { c.text.max_len = size(v) };
    /// [`TextBudget::per_step`](crate::abi::rules::TextBudget::per_step).
    TextPerStep = "text.per_step", "bytes",
        |c| Some(c.text.per_step as u64), |c, v| if let Some(v) = v { c.text.per_step = size(v) };
    /// [`TextBudget::total`](crate::abi::rules::TextBudget::total).
    TextTotal = "text.total", "bytes",
        |c| c.text.total, |c, v| c.text.total = v;
    /// [`HostConfig::bytes_per_fuel`].
    BytesPerFuel = "bytes_per_fuel", "bytes per unit of fuel",
        |c| Some(u64::from(c.bytes_per_fuel)), |c, v| if let Some(v) = v { c.bytes_per_fuel = count(v) };
    /// [`HostConfig::output_budget`].
    OutputBudget = "output_budget", "bytes",
        |c| Some(c.output_budget as u64), |c, v| if let Some(v) = v { c.output_budget = size(v) };
    /// [`HostConfig::module_heap`].
    ModuleHeap = "module_heap", "bytes",
        |c| Some(c.module_heap as u64), |c, v| if let Some(v) = v { c.module_heap = size(v) };
}

impl Budget {
    /// The budget named `name` ([`name`](Self::name)).
    ///
    /// # Errors
    ///
    /// [`UnknownBudget`], which lists the names there are.
    pub fn parse(name: &str) -> Result<Budget, UnknownBudget<'_>> {
        Budget::ALL.iter().copied().find(|b| b.name() == name).ok_or(UnknownBudget(name))
    }

    /// Every budget's name, `, `-separated, for a message that lists them.
    pub fn names() -> impl core::fmt::Display {
        Names
    }

    /// Whether the budget may be absent (no limit): the fuel budgets and
    /// [`TextBudget::total`](crate::abi::rules::TextBudget::total).
    pub fn is_optional(self) -> bool {
        matches!(self, Budget::FuelPerSlice | Budget::TotalFuel | Budget::TextTotal)
    }
}

/// A name that is no budget's ([`Budget::parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownBudget<'a>(pub &'a str);

impl core::fmt::Display for UnknownBudget<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "`{}` is not a budget; the budgets: {}", self.0, Names)
    }
}

/// [`Budget::names`].
struct Names;

impl core::fmt::Display for Names {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, budget) in Budget::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(budget.name())?;
        }
        Ok(())
    }
}

impl core::fmt::Display for Budget {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_budget_reads_back_what_is_set_under_its_own_name() {
        for (i, &budget) in Budget::ALL.iter().enumerate() {
            assert_eq!(Budget::parse(budget.name()), Ok(budget));
            let mut config = HostConfig::default();
            let value = 1000 + i as u64;
            budget.set(&mut config, Some(value));
            assert_eq!(budget.get(&config), Some(value), "{budget}");
            // Setting one budget leaves the others.
            for &other in Budget::ALL.iter().filter(|&&b| b != budget) {
                assert_eq!(other.get(&config), other.get(&HostConfig::default()), "{other}");
            }
            budget.set(&mut config, None);
            let lifted = if budget.is_optional() { None } else { Some(value) };
            assert_eq!(budget.get(&config), lifted, "{budget}");
        }
        assert_eq!(Budget::parse("max_modul_size"), Err(UnknownBudget("max_modul_size")));
    }

    #[test]
    fn a_value_too_large_for_the_field_saturates() {
        let mut config = HostConfig::default();
        Budget::MaxFunctions.set(&mut config, Some(u64::MAX));
        assert_eq!(config.max_functions, u32::MAX);
    }
}
