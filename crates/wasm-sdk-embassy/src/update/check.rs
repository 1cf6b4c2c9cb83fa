//! The install check: what an upload must pass before anything stops.

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
/// that guest's wiring ([`crate::check`]).
pub struct Check {
    host: &'static Host<ChannelEnv>,
    fleet: Fleet,
    verify: fn(&[u8]) -> Result<(), SlotError>,
    free_heap: Option<fn() -> usize>,
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
        Check { host, fleet, verify, free_heap: None }
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
        crate::check(self.host, vouched(module), managed.wiring)
            .map_err(|error| SlotError::new(rc::ECORRUPT, error.as_str()))
    }
}
