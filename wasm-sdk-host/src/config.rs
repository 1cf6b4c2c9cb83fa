//! Limits and fuel settings shared by every guest of a [`Host`](crate::Host).

use wasm_sdk_abi::rules::DEFAULT_MAX_MESSAGE_LEN;

/// How a [`Host`](crate::Host) runs its guests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostConfig {
    /// Fuel per [`Guest::step`](crate::Guest::step): a guest that uses it up
    /// is preempted and continues on the next step. `None`: no slicing.
    pub fuel_per_slice: Option<u64>,
    /// Fuel for a guest's whole life: when it is used up the guest stops
    /// with [`Step::OutOfFuel`](crate::Step::OutOfFuel). `None`: unlimited.
    pub total_fuel: Option<u64>,
    /// Largest linear memory a guest may have or grow to, in bytes. Checked
    /// at load time for the initial size, and enforced on `memory.grow`
    /// (which then fails with -1 in the guest instead of growing).
    pub memory_budget: u64,
    /// Largest message a guest may send; longer ones get `MessageTooLarge`.
    pub max_message_len: usize,
    /// Accept modules with custom page sizes (e.g. 1-byte pages from
    /// `WASM_SDK_MEMORY=tight`).
    pub custom_page_sizes: bool,
}

impl Default for HostConfig {
    /// No fuel limits, one 64 KiB page of memory, 64 KiB messages, custom
    /// page sizes accepted.
    fn default() -> Self {
        HostConfig {
            fuel_per_slice: None,
            total_fuel: None,
            memory_budget: 64 * 1024,
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
            custom_page_sizes: true,
        }
    }
}

impl HostConfig {
    /// Whether the engine must meter fuel.
    pub(crate) fn meters_fuel(&self) -> bool {
        self.fuel_per_slice.is_some() || self.total_fuel.is_some()
    }
}
