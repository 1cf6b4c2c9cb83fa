//! What the SMP image group needs from the firmware: guest module slots.
//!
//! An image number selects a guest slot. The server streams an upload into
//! the slot's staging area ([`Slots::begin`], [`Slots::write`]), checks the
//! SHA-256 of the whole module, and then hands it over with
//! [`Slots::finish`], where the firmware validates and installs it; a
//! module that fails a check is refused there with a [`SlotError`], and the
//! running guest is untouched.

use alloc::string::String;

/// SMP `rc` codes (MCUmgr's `MGMT_ERR_*`) the server answers with.
pub mod rc {
    /// Unknown error.
    pub const EUNKNOWN: u32 = 1;
    /// Out of memory: a module larger than its slot.
    pub const ENOMEM: u32 = 2;
    /// Invalid argument.
    pub const EINVAL: u32 = 3;
    /// No such slot or image.
    pub const ENOENT: u32 = 5;
    /// The request does not fit the current state.
    pub const EBADSTATE: u32 = 6;
    /// Unknown group or command.
    pub const ENOTSUP: u32 = 8;
    /// Corrupt data: a hash mismatch, an invalid module.
    pub const ECORRUPT: u32 = 9;
    /// Refused, for example a module without a valid signature.
    pub const EACCESSDENIED: u32 = 11;

    /// What `rc` means from this server, in plain words, and what to do:
    /// what a client shows beside the device's reason, so that a refusal
    /// does not read as its MCUmgr name (`ECORRUPT` for a module the
    /// device's checks refuse, not a broken file).
    pub fn plain(rc: u32) -> Option<(&'static str, &'static str)> {
        Some(match rc {
            ENOMEM => (
                "no room",
                "the module is larger than the slot, or the device's heap cannot hold it now; \
                 retry once a guest stops, or shrink the module",
            ),
            EINVAL => ("a malformed request", "the client sent a field the device cannot read"),
            ENOENT => ("not found", "no such slot, guest or port on this device"),
            EBADSTATE => (
                "not now",
                "the request does not fit the slot's or the guest's state; read it first \
                 (`guests list`, `image state`)",
            ),
            ENOTSUP => ("not supported", "this firmware has no such command"),
            ECORRUPT => (
                "refused by the device's checks",
                "check the module against the device on the desktop first: `wasm-sdk inspect \
                 MODULE --profile <firmware>.profile.json --catalog <firmware>.catalog.json`",
            ),
            EACCESSDENIED => (
                "refused: not signed for this device",
                "sign it with the key the firmware was built with (`deploy --sign KEY`)",
            ),
            _ => return None,
        })
    }
}

/// The refusal of [`Slots::remove`] for an image that must keep running a
/// module.
pub const RUNNING_NOT_ERASABLE: SlotError =
    SlotError::new(rc::EBADSTATE, "the running module cannot be erased");

/// Most bytes of a [`SlotError::detail`]: a longer one is cut. It bounds
/// what a module controls (a port or service name it declares), keeping
/// an error response well within [`RESPONSE_LEN`](crate::RESPONSE_LEN);
/// should a detail still not fit, the server sends the reason alone.
pub const MAX_DETAIL_LEN: usize = 160;

/// What a cut detail ends with, within [`MAX_DETAIL_LEN`].
const CUT: &str = "…";

/// Why a slot refused a request: an SMP `rc`, a reason and, optionally, a
/// detail naming what is wrong. The server sends `{"rc": rc, "rsn":
/// reason}`, or `"rsn": "<reason>: <detail>"` with a detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotError {
    /// The `MGMT_ERR_*` code, see [`rc`].
    pub rc: u32,
    /// Why, in a few lowercase words.
    pub reason: &'static str,
    /// What exactly, e.g. the port a module declares wrongly: at most
    /// [`MAX_DETAIL_LEN`] bytes.
    detail: Option<String>,
}

impl SlotError {
    /// An error with this code and reason.
    pub const fn new(rc: u32, reason: &'static str) -> Self {
        SlotError { rc, reason, detail: None }
    }

    /// The same error, naming what is wrong: e.g. `` input `humidity`: the
    /// firmware offers no service `humidity` ``. A detail longer than
    /// [`MAX_DETAIL_LEN`] bytes is cut on a character boundary and ends
    /// with `…`.
    #[must_use]
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        if detail.len() > MAX_DETAIL_LEN {
            let mut end = MAX_DETAIL_LEN - CUT.len();
            while !detail.is_char_boundary(end) {
                end -= 1;
            }
            detail.truncate(end);
            detail.push_str(CUT);
        }
        SlotError { detail: Some(detail), ..self }
    }

    /// The detail, if one was given ([`SlotError::with_detail`]).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The `rsn` text in pieces, to be joined: `reason`, or `reason: detail`.
    pub(crate) fn rsn(&self) -> [&str; 3] {
        match &self.detail {
            Some(detail) => [self.reason, ": ", detail],
            None => [self.reason, "", ""],
        }
    }
}

impl core::fmt::Display for SlotError {
    /// The `rsn` the server sends.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.rsn().iter().try_for_each(|piece| f.write_str(piece))
    }
}

/// One entry of the image state list, as the standard clients parse it
/// (exactly these fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageState<'a> {
    /// The image number (the guest slot).
    pub image: u32,
    /// 0: the running module; 1: the other one (new and pending, or the
    /// previous one kept for rollback).
    pub slot: u32,
    /// Version text, `x.y.z`.
    pub version: &'a str,
    /// SHA-256 of the module.
    pub hash: [u8; 32],
    /// Can run.
    pub bootable: bool,
    /// Runs on trial: rolls back unless confirmed.
    pub pending: bool,
    /// Kept across restarts.
    pub confirmed: bool,
    /// Running now.
    pub active: bool,
    /// Can never be replaced.
    pub permanent: bool,
}

/// The firmware's guest slots, behind the image group.
pub trait Slots {
    /// Number of image numbers (`0..count`).
    fn count(&self) -> u32;

    /// Largest module `image` accepts, in bytes.
    fn capacity(&self, image: u32) -> usize;

    /// Starts a new upload of `len` bytes into `image`'s staging area,
    /// dropping any unfinished one. `len` is within [`Slots::capacity`].
    ///
    /// # Errors
    ///
    /// A [`SlotError`] the client sees as is.
    fn begin(&mut self, image: u32, len: usize) -> Result<(), SlotError>;

    /// Stores `data` at `offset` of the staged module (chunks arrive in
    /// order, within the announced length).
    ///
    /// # Errors
    ///
    /// A [`SlotError`]; the upload is abandoned.
    fn write(&mut self, image: u32, offset: usize, data: &[u8]) -> Result<(), SlotError>;

    /// The staged module is complete and its SHA-256 (`hash`) matched what
    /// the client announced: validate and install it.
    ///
    /// # Errors
    ///
    /// A [`SlotError`] saying why the module was refused; the running
    /// guest must be untouched then.
    fn finish(&mut self, image: u32, hash: &[u8; 32]) -> Result<(), SlotError>;

    /// Calls `each` for every entry of the image state list.
    fn states(&self, each: &mut dyn FnMut(ImageState<'_>));

    /// Image state write: `confirm` the module with `hash` (or the running
    /// ones when `None`), or mark it pending (test) when `!confirm`.
    ///
    /// # Errors
    ///
    /// A [`SlotError`], e.g. no module has that hash.
    fn set_state(&mut self, hash: Option<&[u8]>, confirm: bool) -> Result<(), SlotError>;

    /// Image erase of MCUboot slot `2i + 1`: drops the non-running module
    /// of `image`.
    ///
    /// # Errors
    ///
    /// A [`SlotError`].
    fn erase(&mut self, image: u32) -> Result<(), SlotError>;

    /// Image erase of MCUboot slot `2i`, the running one: removes every
    /// module of `image`, so that none runs there afterwards. Only for an
    /// image whose firmware can run without one (no built-in module); the
    /// default refuses, as do slots that cannot.
    ///
    /// # Errors
    ///
    /// A [`SlotError`]; by default [`RUNNING_NOT_ERASABLE`].
    fn remove(&mut self, image: u32) -> Result<(), SlotError> {
        let _ = image;
        Err(RUNNING_NOT_ERASABLE)
    }
}
