//! The install check: what an upload must pass before anything stops.

use alloc::string::ToString;

use wasm_sdk_host::Host;
use wasm_sdk_smp::flash::Install;
use wasm_sdk_smp::slots::{SlotError, rc};

use super::fleet::Fleet;
use crate::ChannelEnv;

/// A module of the update path (built in, uploaded, or in a slot) as the
/// host loads it.
pub(super) fn vouched(module: &[u8]) -> crate::Wasm<'_> {
    // SAFETY: without on-device validation every such module is vouched
    // for: a built-in one was stamped by the firmware's build script, and
    // an upload reaches a slot only through `Check`, whose signature check
    // (required then: see `Check::new`) passed before its stamp is read;
    // whoever signs vouches that `Host::stamp` validated it.
    unsafe { crate::Wasm::vouched(module) }
}

/// The install check of a firmware with managed guests, made before
/// anything stops: the upload's image must be a guest of the [`Fleet`];
/// then the firmware's own check of the bytes (a signature, see
/// [`Check::verifying`]); then exactly what [`crate::start`] does against
/// that guest's wiring or bus slot ([`crate::check`]); then admission
/// ([`Check::admitting`]).
pub struct Check {
    host: &'static Host<ChannelEnv>,
    fleet: Fleet,
    verify: fn(&[u8]) -> Result<(), SlotError>,
    free_heap: Option<fn() -> usize>,
    guest_ram: Option<usize>,
}

impl Check {
    /// Checks uploads for `fleet`'s guests, loading them on `host`.
    ///
    /// Without on-device validation (no `validate` feature) it refuses
    /// every upload until [`verifying`](Self::verifying) sets the
    /// signature check that makes uploads trusted.
    pub const fn new(host: &'static Host<ChannelEnv>, fleet: Fleet) -> Self {
        #[cfg(feature = "validate")]
        let verify: fn(&[u8]) -> Result<(), SlotError> = |_| Ok(());
        #[cfg(not(feature = "validate"))]
        let verify: fn(&[u8]) -> Result<(), SlotError> =
            |_| Err(SlotError::new(rc::EACCESSDENIED, "this firmware takes signed modules only"));
        Check { host, fleet, verify, free_heap: None, guest_ram: None }
    }

    /// Runs `verify` on every upload first, before wasmi parses a byte of
    /// it: a firmware built with a public key checks the signature here.
    pub const fn verifying(self, verify: fn(&[u8]) -> Result<(), SlotError>) -> Self {
        Check { verify, ..self }
    }

    /// Refuses to check an upload while the heap has less free than one
    /// load may take ([`HostConfig::module_heap`](wasm_sdk_host::HostConfig::module_heap)
    /// and [`memory_budget`](wasm_sdk_host::HostConfig::memory_budget)),
    /// as `free_heap` reports it: the budget is derived from the heap a
    /// firmware keeps free, and this keeps a busy moment (messages held in
    /// channels) from turning into a failed allocation. The client is told to
    /// retry.
    pub const fn with_free_heap(self, free_heap: fn() -> usize) -> Self {
        Check { free_heap: Some(free_heap), ..self }
    }
}

impl Check {
    /// Admission control: the guests together may hold at most
    /// `guest_ram` bytes of the heap. Each is charged the most it may
    /// hold: the host's estimate of its load and its linear memory at the
    /// most it may grow to. An upload whose charge, with the other slots'
    /// guests', exceeds it is refused before anything stops, rather than
    /// failing an allocation later. Without it, only the per-module
    /// budgets apply.
    pub const fn admitting(self, guest_ram: usize) -> Self {
        Check { guest_ram: Some(guest_ram), ..self }
    }
}

/// The install check's refusal of a module `start` would refuse: the
/// static reason, and the rest of the full text (the port and the types,
/// the engine's words, the numbers) as its detail.
fn refusal(error: crate::StartError) -> SlotError {
    let reason = error.as_str();
    let full = error.to_string();
    let detail =
        full.strip_prefix(reason).map_or(full.as_str(), |rest| rest.trim_start_matches(": "));
    let refusal = SlotError::new(rc::ECORRUPT, reason);
    if detail.is_empty() { refusal } else { refusal.with_detail(detail) }
}

impl Install for Check {
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError> {
        let managed =
            self.fleet.image(image).ok_or(SlotError::new(rc::ENOENT, "no such guest slot"))?;
        (self.verify)(module)?;
        if let Some(free_heap) = self.free_heap {
            let config = self.host.config();
            let memory = usize::try_from(config.memory_budget).unwrap_or(usize::MAX);
            if free_heap() < config.module_heap.saturating_add(memory) {
                return Err(SlotError::new(
                    rc::ENOMEM,
                    "not enough free heap to check a module now (HostConfig::module_heap and \
                     memory_budget); retry",
                ));
            }
        }
        // The reason is static (matched by tools); the detail names the
        // port and both types.
        crate::check(self.host, vouched(module), managed.connect).map_err(refusal)?;
        // After the check: the charge is read from a module the host loads.
        if let Some(guest_ram) = self.guest_ram {
            let others: usize = (self.fleet.guests.iter())
                .filter(|other| other.image != image)
                .map(|other| other.with(|c| c.charge))
                .sum();
            let charge = super::managed::charge(self.host, module);
            if others.saturating_add(charge) > guest_ram {
                let error = SlotError::new(
                    rc::ENOMEM,
                    "the guests would exceed the firmware's RAM for guests (Check::admitting): \
                     erase a slot, or make the module smaller or its memory maximum lower",
                );
                return Err(error.with_detail(alloc::format!(
                    "this module needs up to {charge} B, the other slots' guests hold up to \
                     {others} B, of {guest_ram} B"
                )));
            }
        }
        Ok(())
    }

    /// An upload longer than the host's `max_module_size` is refused at
    /// its first chunk, in the words its install check would use.
    fn admit_len(&mut self, _image: u32, len: usize) -> Result<(), SlotError> {
        let max = self.host.config().max_module_size;
        if len <= max {
            return Ok(());
        }
        let error = wasm_sdk_host::LoadError::ModuleTooLarge { size: len, max };
        Err(SlotError::new(rc::ECORRUPT, error.as_str()).with_detail(error.to_string()))
    }

    /// A guest with no built-in module to fall back to may be removed
    /// (`image erase` of its running slot): its slot is empty afterwards.
    fn removable(&self, image: u32) -> bool {
        self.fleet.image(image).is_some_and(|managed| managed.builtin.is_none())
    }
}
