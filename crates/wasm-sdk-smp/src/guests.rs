//! The guest group: what SMP lacks for Wasm guests. Group
//! [`GROUP_GUESTS`] (64, the first user-defined group):
//!
//! | cmd | op | request | response |
//! |---|---|---|---|
//! | 0 list | read | `{}` | `{"guests": [{"name", "image", "state", "fuel", "memory", "received", "sent", "module", "restarts", "dead_letters", "dropped_lines"}]}` |
//! | 1 stop | write | `{"name": tstr}` | `{}` |
//! | 2 start | write | `{"name": tstr}` | `{}` |
//! | 3 send | write | `{"name": tstr, "port": tstr, "data": bstr}` | `{}` |
//! | 4 outputs | read | `{"name": tstr}` | `{"outputs": [{"port": tstr, "data": bstr}]}` (taken: each is returned once) |
//! | 5 services | read | `{"from": uint}` | `{"services": [{"name", "direction", "type", "key", "schema"}], "next": uint}` |
//! | 6 bindings | read | `{"from": uint}` | `{"bindings": [{"guest", "image", "kind", "port", "to", "target", "type", "key"}], "next": uint}` |
//!
//! `services` is the firmware's catalog ([`ServiceInfo`]): what a module
//! uploaded into a free slot may bind its ports to. `bindings` is what each
//! guest's ports are bound to now ([`BindingInfo`]). Both are paged: a
//! response holds the entries that fit the frame, from entry `from` (0 when
//! absent); `next`, present only when entries are left, is the `from` of
//! the next request.
//!
//! `state` is one of `waiting` (in `receive`, nothing queued), `running`,
//! `stopped` (by `stop`, or after it finished or trapped: see the console).
//! `module` is one of `trial`, `uploaded`, `fallback`, `built-in`, `empty`
//! ([`GuestInfo::module`]). Clients ignore keys they do not know, and
//! take a missing one as absent: the last four came later.
//! Errors are `{"rc", "rsn"}` as everywhere: `ENOENT` for an unknown guest
//! or port, `EBADSTATE` for a full input, `ENOMEM` for data longer than
//! the firmware's message limit.

use crate::slots::SlotError;

/// The guest group's number.
pub const GROUP_GUESTS: u16 = 64;

/// One guest, as `list` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestInfo<'a> {
    /// The guest's name.
    pub name: &'a str,
    /// Its image number (guest slot) for uploads.
    pub image: u32,
    /// `waiting`, `running` or `stopped`.
    pub state: &'a str,
    /// Fuel used since it started.
    pub fuel: u64,
    /// Its linear memory in bytes.
    pub memory: u32,
    /// Messages it received.
    pub received: u32,
    /// Messages it sent.
    pub sent: u32,
    /// Which module runs: `trial` (uploaded, not confirmed), `uploaded`
    /// (confirmed), `fallback` (the previous confirmed one, after the
    /// newer one kept failing) or `built-in`.
    pub module: &'a str,
    /// Times it was restarted after it stopped by itself.
    pub restarts: u32,
    /// Messages dropped because the guest stopped on them (too long for
    /// its buffer, or it trapped on them).
    pub dead_letters: u32,
    /// Log lines and error reports dropped by the firmware's rate limit.
    pub dropped_lines: u32,
}

/// One service of the firmware's catalog, as `services` reports it.
#[derive(Clone, Copy)]
pub struct ServiceInfo<'a> {
    /// The name a guest's port binds it by.
    pub name: &'a str,
    /// `provides` (the firmware sends: a guest binds it with an input) or
    /// `takes` (guests send: a guest binds it with an output).
    pub direction: &'a str,
    /// The message type's name (`Reading`).
    pub ty: &'a str,
    /// The message type's key: postcard-schema's 8-byte hash of its schema,
    /// which a module's port must declare to bind.
    pub key: [u8; 8],
    /// Writes the type's schema (postcard's encoding of a postcard-schema
    /// `NamedType`) into the buffer when it is long enough, and returns its
    /// length either way: the firmware encodes it straight into the
    /// response.
    pub schema: &'a dyn Fn(&mut [u8]) -> usize,
}

impl core::fmt::Debug for ServiceInfo<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceInfo")
            .field("name", &self.name)
            .field("direction", &self.direction)
            .field("ty", &self.ty)
            .finish_non_exhaustive()
    }
}

/// One port of a guest and what it is bound to, as `bindings` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindingInfo<'a> {
    /// The guest's name.
    pub guest: &'a str,
    /// Its image number (guest slot).
    pub image: u32,
    /// `input` or `output`.
    pub kind: &'a str,
    /// The port's name in the module.
    pub port: &'a str,
    /// `service` (a service of the catalog), `topic` (a topic between
    /// guests) or `wired` (a channel the firmware wired for this guest).
    pub to: &'a str,
    /// The service's or topic's name, or the wired port's.
    pub target: &'a str,
    /// The port's message type as the module declares it, by name and key;
    /// `None` for raw bytes.
    pub ty: Option<(&'a str, [u8; 8])>,
}

/// The firmware's guests, behind the guest group.
pub trait Guests {
    /// Whether the group exists; without it every command is answered
    /// "unknown group or command".
    const ENABLED: bool = true;

    /// Calls `each` for every guest.
    fn list(&self, each: &mut dyn FnMut(GuestInfo<'_>));

    /// Stops a guest (at a safe point: not in the middle of a message).
    ///
    /// # Errors
    ///
    /// A [`SlotError`], e.g. no such guest.
    fn stop(&mut self, name: &str) -> Result<(), SlotError>;

    /// Starts a stopped guest again, from its current module.
    ///
    /// # Errors
    ///
    /// A [`SlotError`].
    fn start(&mut self, name: &str) -> Result<(), SlotError>;

    /// Queues `data` on the input `port` of a guest.
    ///
    /// # Errors
    ///
    /// A [`SlotError`]: no such guest or port, or the input is full.
    fn send(&mut self, name: &str, port: &str, data: &[u8]) -> Result<(), SlotError>;

    /// Offers the output messages of a guest not yet taken to `each`, in
    /// order, as `(port, data)`: forget a message only when `each` returns
    /// `true` (taken), and stop at the first `false` (the response is full:
    /// the rest stays for the next request).
    ///
    /// # Errors
    ///
    /// A [`SlotError`], e.g. no such guest.
    fn outputs(
        &mut self,
        name: &str,
        each: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<(), SlotError>;

    /// Calls `each` with every service of the firmware's catalog, in order,
    /// until it returns `false` (the response is full). None by default: a
    /// firmware that wires every guest offers no catalog.
    fn services(&self, each: &mut dyn FnMut(&ServiceInfo<'_>) -> bool) {
        let _ = each;
    }

    /// Calls `each` with every port of every guest and what it is bound
    /// to, in a stable order, until it returns `false`. None by default.
    fn bindings(&self, each: &mut dyn FnMut(&BindingInfo<'_>) -> bool) {
        let _ = each;
    }
}

/// No guest group: every command is answered "unknown group or command".
#[derive(Clone, Copy, Debug, Default)]
pub struct NoGuests;

impl Guests for NoGuests {
    const ENABLED: bool = false;

    fn list(&self, _each: &mut dyn FnMut(GuestInfo<'_>)) {}

    fn stop(&mut self, _name: &str) -> Result<(), SlotError> {
        Err(unsupported())
    }

    fn start(&mut self, _name: &str) -> Result<(), SlotError> {
        Err(unsupported())
    }

    fn send(&mut self, _name: &str, _port: &str, _data: &[u8]) -> Result<(), SlotError> {
        Err(unsupported())
    }

    fn outputs(
        &mut self,
        _name: &str,
        _each: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<(), SlotError> {
        Err(unsupported())
    }
}

fn unsupported() -> SlotError {
    SlotError::new(crate::slots::rc::ENOTSUP, "unknown group or command")
}
