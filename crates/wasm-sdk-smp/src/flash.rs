//! Guest slots in NOR flash, behind the `embedded-storage` traits: two
//! banks per image, so an update is tried, confirmed or rolled back, and a
//! power cut at any moment leaves a runnable module.
//!
//! # Layout
//!
//! Image `i` owns banks `2i` and `2i + 1`, each `bank_size` bytes (a
//! multiple of the erase size) from `base`. A bank is a 64-byte header
//! followed by the module:
//!
//! ```text
//! 0  magic "WSDK" (u32 LE)   4  sequence (u32 LE)   8  length (u32 LE)
//! 12 reserved                16 SHA-256 of the module (32 bytes)
//! 48 CRC-32 of bytes 0..48   52 reserved
//! 56 confirmed word: all ones = on trial, any bit cleared = confirmed
//! 60 rejected word:  all ones = runnable, any bit cleared = rejected
//! ```
//!
//! # Why a torn write cannot lose the running module
//!
//! An upload goes to the bank that is not running: erase, module bytes,
//! read-back SHA-256 check, the caller's checks ([`Install::check`]), and
//! only then the header. A cut before the header is complete leaves that
//! bank without a valid header (magic and CRC), so it is ignored. Confirming
//! and rejecting each clear one word, which NOR flash does without an
//! erase; a half-cleared word already counts.
//!
//! At mount, each image runs its valid, not rejected bank with the highest
//! sequence number, after checking its SHA-256. A bank still on trial at
//! mount means the device reset before the module was confirmed: it is
//! rejected and the other bank runs (rollback). An image with no valid
//! bank has no uploaded module: the firmware runs its built-in one, or
//! none if it has none ([`Install::removable`]).
//!
//! # Erasing
//!
//! A bank is erased header page first: a cut while its module pages are
//! erased leaves no valid header over a torn module. (Were a header to
//! survive anyway, the SHA-256 check at mount would refuse the bank.) A
//! removal ([`Slots::remove`]) erases the spare bank before the running
//! one, so a cut in between leaves the running module as it was.

use embedded_storage::nor_flash::NorFlash;
use sha2::{Digest, Sha256};

use crate::slots::{ImageState, RUNNING_NOT_ERASABLE, SlotError, Slots, rc};

/// Most images (guest slots) a [`FlashSlots`] manages.
pub const MAX_IMAGES: usize = 8;

/// Bytes before the module in a bank.
pub const HEADER_LEN: u32 = 64;

const MAGIC: u32 = u32::from_le_bytes(*b"WSDK");
const CONFIRMED_AT: u32 = 56;
const REJECTED_AT: u32 = 60;
/// Bitwise, without the 1 KiB lookup table: it only ever checks 48-byte
/// headers, at mount and when one is written.
const CRC32: crc::Crc<u32, crc::NoTable> =
    crc::Crc::<u32, crc::NoTable>::new(&crc::CRC_32_ISO_HDLC);

/// Where the banks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Flash offset of bank 0.
    pub base: u32,
    /// Bytes per bank, a multiple of the flash's erase size; a module may
    /// be `bank_size - HEADER_LEN` bytes.
    pub bank_size: u32,
    /// Number of images (guest slots), at most [`MAX_IMAGES`].
    pub images: u32,
}

/// The firmware's checks of a complete module, made before anything
/// stops: it parses and validates, its ABI version and ports match the
/// slot's wiring, its signature verifies when one is required.
pub trait Install {
    /// Checks `module` for `image`.
    ///
    /// # Errors
    ///
    /// A [`SlotError`] with the reason; the upload is refused and the
    /// running module untouched.
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError>;

    /// Checks an upload's announced length before any of it is written:
    /// a module longer than [`check`](Self::check) could take (the host's
    /// `max_module_size`) is refused at its first chunk, not after the
    /// whole upload. Default: every length a slot holds.
    ///
    /// # Errors
    ///
    /// A [`SlotError`] with the reason; nothing was erased or written.
    fn admit_len(&mut self, image: u32, len: usize) -> Result<(), SlotError> {
        let _ = (image, len);
        Ok(())
    }

    /// Whether `image` may run no module at all: an image without a
    /// built-in module, which a user installs guests into. Then an image
    /// erase of its running slot removes its modules ([`Slots::remove`]);
    /// otherwise (the default) that is refused.
    fn removable(&self, image: u32) -> bool {
        let _ = image;
        false
    }
}

/// What a bank holds, from its header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bank {
    valid: bool,
    seq: u32,
    len: u32,
    sha: [u8; 32],
    confirmed: bool,
    rejected: bool,
}

impl Bank {
    fn runnable(&self) -> bool {
        self.valid && !self.rejected
    }
}

/// An upload being written to a bank.
struct Staging {
    image: u32,
    bank: u8,
    len: u32,
    /// Bytes programmed so far (a multiple of the write size).
    written: u32,
    /// Bytes received but not programmed, fewer than the write size.
    tail: [u8; 8],
    tail_len: usize,
}

/// Guest module slots in NOR flash: implements [`Slots`] for the SMP
/// server, and tells the firmware which module each image runs.
pub struct FlashSlots<'s, F, I> {
    flash: F,
    layout: Layout,
    install: I,
    /// Holds a module for hashing and checking: at least the largest
    /// module (`bank_size - HEADER_LEN`).
    scratch: &'s mut [u8],
    banks: [[Bank; 2]; MAX_IMAGES],
    /// The bank each image runs, if any.
    active: [Option<u8>; MAX_IMAGES],
    staging: Option<Staging>,
    /// Images whose running module changed since the last
    /// [`FlashSlots::take_changed`] (bit `i` for image `i`).
    changed: u32,
}

fn flash_error<E>(_: E) -> SlotError {
    SlotError::new(rc::EUNKNOWN, "flash operation failed")
}

impl<'s, F: NorFlash, I: Install> FlashSlots<'s, F, I> {
    /// Reads every bank, picks each image's module and rolls back trials
    /// the device reset during.
    ///
    /// # Errors
    ///
    /// A [`SlotError`] when the layout does not fit the flash, the flash's
    /// write size does not divide 4 or its read size is not 1, the scratch
    /// buffer is smaller than a module may be, or the flash fails.
    pub fn mount(
        flash: F,
        layout: Layout,
        install: I,
        scratch: &'s mut [u8],
    ) -> Result<Self, SlotError> {
        let images = layout.images as usize;
        let bad = |reason| Err(SlotError::new(rc::EINVAL, reason));
        if images > MAX_IMAGES || layout.bank_size <= HEADER_LEN {
            return bad("flash layout has too many images or too small banks");
        }
        let geometry_ok = F::READ_SIZE == 1
            && (layout.base as usize).is_multiple_of(F::ERASE_SIZE)
            && 4usize.is_multiple_of(F::WRITE_SIZE)
            && (layout.bank_size as usize).is_multiple_of(F::ERASE_SIZE);
        if !geometry_ok {
            return bad("flash geometry not supported");
        }
        let end = u64::from(layout.base) + u64::from(layout.bank_size) * 2 * images as u64;
        if end > flash.capacity() as u64 || scratch.len() < (layout.bank_size - HEADER_LEN) as usize
        {
            return bad("flash or scratch too small for the layout");
        }
        let mut slots = FlashSlots {
            flash,
            layout,
            install,
            scratch,
            banks: [[Bank::default(); 2]; MAX_IMAGES],
            active: [None; MAX_IMAGES],
            staging: None,
            changed: 0,
        };
        for image in 0..layout.images {
            for bank in 0..2u8 {
                let info = slots.read_bank(image, bank)?;
                slots.banks[image as usize][bank as usize] = info;
            }
            slots.pick(image, true)?;
        }
        Ok(slots)
    }

    fn bank_addr(&self, image: u32, bank: u8) -> u32 {
        self.layout.base + (image * 2 + u32::from(bank)) * self.layout.bank_size
    }

    fn read_bank(&mut self, image: u32, bank: u8) -> Result<Bank, SlotError> {
        let addr = self.bank_addr(image, bank);
        let mut h = [0u8; HEADER_LEN as usize];
        self.flash.read(addr, &mut h).map_err(flash_error)?;
        let word = |at: usize| u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        let len = word(8);
        let crc_ok = CRC32.checksum(&h[..48]) == word(48);
        if word(0) != MAGIC || !crc_ok || len == 0 || len > self.layout.bank_size - HEADER_LEN {
            return Ok(Bank::default());
        }
        let mut sha = [0u8; 32];
        sha.copy_from_slice(&h[16..48]);
        let mut info = Bank {
            valid: true,
            seq: word(4),
            len,
            sha,
            confirmed: word(CONFIRMED_AT as usize) != u32::MAX,
            rejected: word(REJECTED_AT as usize) != u32::MAX,
        };
        if info.runnable() && self.module_hash(image, bank, len)? != sha {
            // Bit rot or a write we did not make: never run it.
            info.valid = false;
        }
        Ok(info)
    }

    /// Reads the module of a bank into `scratch` and hashes it.
    fn module_hash(&mut self, image: u32, bank: u8, len: u32) -> Result<[u8; 32], SlotError> {
        let addr = self.bank_addr(image, bank) + HEADER_LEN;
        let buf = &mut self.scratch[..len as usize];
        self.flash.read(addr, buf).map_err(flash_error)?;
        Ok(Sha256::digest(buf).into())
    }

    /// Chooses the bank `image` runs. At mount, a newest bank still on
    /// trial is rejected (the device reset before confirming it).
    fn pick(&mut self, image: u32, at_mount: bool) -> Result<(), SlotError> {
        let i = image as usize;
        let newest = (0..2u8)
            .filter(|&b| self.banks[i][b as usize].runnable())
            .max_by_key(|&b| self.banks[i][b as usize].seq);
        let choice = match newest {
            Some(b) if at_mount && !self.banks[i][b as usize].confirmed => {
                self.mark(image, b, REJECTED_AT)?;
                let other = 1 - b;
                self.banks[i][other as usize].runnable().then_some(other)
            }
            other => other,
        };
        if self.active[i] != choice {
            self.active[i] = choice;
            self.changed |= 1 << image;
        }
        Ok(())
    }

    /// Clears the confirmed or rejected word of a bank.
    fn mark(&mut self, image: u32, bank: u8, at: u32) -> Result<(), SlotError> {
        let addr = self.bank_addr(image, bank) + at;
        self.flash.write(addr, &[0; 4]).map_err(flash_error)?;
        let info = &mut self.banks[image as usize][bank as usize];
        if at == REJECTED_AT {
            info.rejected = true;
        } else {
            info.confirmed = true;
        }
        Ok(())
    }

    /// The module `image` runs, read into the scratch buffer; `None`: no
    /// uploaded module (run the built-in one, or none: see
    /// [`Install::removable`]).
    ///
    /// # Errors
    ///
    /// The flash failed.
    pub fn active_module(&mut self, image: u32) -> Result<Option<&[u8]>, SlotError> {
        let Some(bank) = self.active.get(image as usize).copied().flatten() else {
            return Ok(None);
        };
        let len = self.banks[image as usize][bank as usize].len as usize;
        let addr = self.bank_addr(image, bank) + HEADER_LEN;
        self.flash.read(addr, &mut self.scratch[..len]).map_err(flash_error)?;
        Ok(Some(&self.scratch[..len]))
    }

    /// Whether the module `image` runs is on trial (not confirmed yet).
    pub fn on_trial(&self, image: u32) -> bool {
        match self.active.get(image as usize).copied().flatten() {
            Some(bank) => !self.banks[image as usize][bank as usize].confirmed,
            None => false,
        }
    }

    /// The next image whose running module changed (an upload installed, a
    /// trial rolled back, a guest removed): the firmware stops that guest
    /// at a safe point and starts [`FlashSlots::active_module`] on the same
    /// channels, or, if that is `None` and the image has no built-in
    /// module, none.
    pub fn take_changed(&mut self) -> Option<u32> {
        let image = self.changed.trailing_zeros();
        if image >= 32 {
            return None;
        }
        self.changed &= !(1 << image);
        Some(image)
    }

    /// The health rule passed: keep the module on trial for good.
    ///
    /// # Errors
    ///
    /// Nothing on trial, or the flash failed.
    pub fn confirm(&mut self, image: u32) -> Result<(), SlotError> {
        if !self.on_trial(image) {
            return Err(SlotError::new(rc::EBADSTATE, "no module on trial"));
        }
        let bank = self.active[image as usize].unwrap_or(0);
        self.mark(image, bank, CONFIRMED_AT)
    }

    /// The module on trial trapped or ran out of its budget: reject it and
    /// go back to the previous module (or the built-in one).
    ///
    /// # Errors
    ///
    /// Nothing on trial, or the flash failed.
    pub fn reject(&mut self, image: u32) -> Result<(), SlotError> {
        if !self.on_trial(image) {
            return Err(SlotError::new(rc::EBADSTATE, "no module on trial"));
        }
        let bank = self.active[image as usize].unwrap_or(0);
        self.mark(image, bank, REJECTED_AT)?;
        self.pick(image, false)
    }

    /// The confirmed module `image` runs keeps failing after it was
    /// confirmed: reject it for good and run the other bank's module if
    /// that one is valid and not rejected (the previous confirmed one),
    /// else none (the built-in one). Returns whether an uploaded module
    /// runs now. A module on trial is [`reject`](Self::reject)ed instead.
    ///
    /// # Errors
    ///
    /// No uploaded module runs, the one running is on trial, or the flash
    /// failed.
    pub fn fall_back(&mut self, image: u32) -> Result<bool, SlotError> {
        let Some(bank) = self.active.get(image as usize).copied().flatten() else {
            return Err(SlotError::new(rc::EBADSTATE, "no uploaded module runs"));
        };
        if self.on_trial(image) {
            return Err(SlotError::new(rc::EBADSTATE, "the module is on trial: reject it"));
        }
        self.mark(image, bank, REJECTED_AT)?;
        self.pick(image, false)?;
        Ok(self.active[image as usize].is_some())
    }

    /// The flash, to inspect it (tests, diagnostics).
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// Erases the bank of `image` that is not running and returns it.
    fn erase_spare(&mut self, image: u32) -> Result<u8, SlotError> {
        self.exists(image)?;
        let bank = match self.active[image as usize] {
            Some(running) => 1 - running,
            None => 0,
        };
        self.erase_bank(image, bank)?;
        Ok(bank)
    }

    /// Erases a bank, its header's page first (see the module docs).
    fn erase_bank(&mut self, image: u32, bank: u8) -> Result<(), SlotError> {
        let addr = self.bank_addr(image, bank);
        let end = addr + self.layout.bank_size;
        // `mount` checked that the erase size divides the bank size.
        let header_end = addr + F::ERASE_SIZE as u32;
        self.flash.erase(addr, header_end).map_err(flash_error)?;
        // Without its header the bank is invalid already.
        self.banks[image as usize][bank as usize] = Bank::default();
        if header_end < end {
            self.flash.erase(header_end, end).map_err(flash_error)?;
        }
        Ok(())
    }

    fn exists(&self, image: u32) -> Result<(), SlotError> {
        if image < self.layout.images {
            Ok(())
        } else {
            Err(SlotError::new(rc::ENOENT, "no such guest slot"))
        }
    }

    /// Refuses to erase a bank of `image` while a module there is on trial.
    fn not_on_trial(&self, image: u32) -> Result<(), SlotError> {
        if self.on_trial(image) {
            // The other bank is what a failed trial rolls back to.
            return Err(SlotError::new(rc::EBADSTATE, "a module is on trial; confirm it first"));
        }
        Ok(())
    }

    /// Drops the unfinished upload into `image`, if any.
    fn drop_staging(&mut self, image: u32) {
        if self.staging.as_ref().is_some_and(|s| s.image == image) {
            self.staging = None;
        }
    }

    fn program(&mut self, addr: u32, bytes: &[u8]) -> Result<(), SlotError> {
        self.flash.write(addr, bytes).map_err(flash_error)
    }
}

impl<F: NorFlash, I: Install> Slots for FlashSlots<'_, F, I> {
    fn count(&self) -> u32 {
        self.layout.images
    }

    fn capacity(&self, _image: u32) -> usize {
        (self.layout.bank_size - HEADER_LEN) as usize
    }

    fn begin(&mut self, image: u32, len: usize) -> Result<(), SlotError> {
        self.staging = None;
        self.install.admit_len(image, len)?;
        self.not_on_trial(image)?;
        let bank = self.erase_spare(image)?;
        let len = u32::try_from(len).map_err(|_| SlotError::new(rc::ENOMEM, "module too large"))?;
        self.staging = Some(Staging { image, bank, len, written: 0, tail: [0; 8], tail_len: 0 });
        Ok(())
    }

    fn write(&mut self, image: u32, offset: usize, data: &[u8]) -> Result<(), SlotError> {
        let Some(mut s) = self.staging.take().filter(|s| s.image == image) else {
            return Err(SlotError::new(rc::EBADSTATE, "no upload in progress"));
        };
        if offset != s.written as usize + s.tail_len {
            return Err(SlotError::new(rc::EINVAL, "chunk out of order"));
        }
        let base = self.bank_addr(image, s.bank) + HEADER_LEN;
        let mut data = data;
        // Complete a partial word first, then whole words, keep the rest.
        while !data.is_empty() {
            if s.tail_len == 0 && data.len() >= F::WRITE_SIZE {
                let whole = data.len() / F::WRITE_SIZE * F::WRITE_SIZE;
                self.program(base + s.written, &data[..whole])?;
                s.written += whole as u32;
                data = &data[whole..];
                continue;
            }
            s.tail[s.tail_len] = data[0];
            s.tail_len += 1;
            data = &data[1..];
            if s.tail_len == F::WRITE_SIZE {
                let word = s.tail;
                self.program(base + s.written, &word[..F::WRITE_SIZE])?;
                s.written += F::WRITE_SIZE as u32;
                s.tail_len = 0;
            }
        }
        self.staging = Some(s);
        Ok(())
    }

    fn finish(&mut self, image: u32, hash: &[u8; 32]) -> Result<(), SlotError> {
        let Some(mut s) = self.staging.take().filter(|s| s.image == image) else {
            return Err(SlotError::new(rc::EBADSTATE, "no upload in progress"));
        };
        let base = self.bank_addr(image, s.bank);
        if s.tail_len > 0 {
            // Pad the last word with erased bytes.
            s.tail[s.tail_len..].fill(0xff);
            let word = s.tail;
            self.program(base + HEADER_LEN + s.written, &word[..F::WRITE_SIZE])?;
        }
        // What the flash holds, not what was sent, is what will run.
        if self.module_hash(image, s.bank, s.len)? != *hash {
            return Err(SlotError::new(rc::ECORRUPT, "module read back from flash differs"));
        }
        let module = &self.scratch[..s.len as usize];
        self.install.check(image, module)?;
        let i = image as usize;
        let newest = self.banks[i].iter().filter(|b| b.valid).map(|b| b.seq).max().unwrap_or(0);
        // 2^32 uploads to one slot never happen; wrapping would make the new
        // module look older than the old one, so refuse rather than wrap.
        let seq = newest
            .checked_add(1)
            .ok_or(SlotError::new(rc::EBADSTATE, "slot sequence numbers exhausted"))?;
        let mut h = [0xffu8; HEADER_LEN as usize];
        h[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        h[4..8].copy_from_slice(&seq.to_le_bytes());
        h[8..12].copy_from_slice(&s.len.to_le_bytes());
        h[16..48].copy_from_slice(hash);
        let crc = CRC32.checksum(&h[..48]);
        h[48..52].copy_from_slice(&crc.to_le_bytes());
        // The header goes last: until it is whole, the bank is not valid.
        self.program(base, &h)?;
        self.banks[i][s.bank as usize] =
            Bank { valid: true, seq, len: s.len, sha: *hash, confirmed: false, rejected: false };
        self.pick(image, false)
    }

    fn states(&self, each: &mut dyn FnMut(ImageState<'_>)) {
        for image in 0..self.layout.images {
            let active = self.active[image as usize];
            // Slot 0 is the running bank, slot 1 the other runnable one.
            let order = match active {
                Some(b) => [b, 1 - b],
                None => [0, 1],
            };
            for (slot, bank) in order.into_iter().enumerate() {
                let info = self.banks[image as usize][bank as usize];
                if !info.runnable() {
                    continue;
                }
                let running = active == Some(bank);
                each(ImageState {
                    image,
                    slot: slot as u32,
                    version: "0.0.0",
                    hash: info.sha,
                    bootable: true,
                    pending: running && !info.confirmed,
                    confirmed: info.confirmed,
                    active: running,
                    permanent: false,
                });
            }
        }
    }

    fn set_state(&mut self, hash: Option<&[u8]>, confirm: bool) -> Result<(), SlotError> {
        // A test of the other bank's module, MCUmgr's way back to a
        // previous image: it runs again at once, and the module it
        // replaces is rejected (one on trial as a failed trial would be).
        if let (false, Some(hash)) = (confirm, hash) {
            let spare = (0..self.layout.images).find(|&image| {
                let i = image as usize;
                self.active[i].is_some_and(|running| {
                    let other = self.banks[i][usize::from(1 - running)];
                    // The same module in both banks: a test of the running
                    // one, as after an upload, not a way back.
                    let same = self.banks[i][usize::from(running)].sha == other.sha;
                    other.runnable() && other.sha == hash && !same
                })
            });
            if let Some(image) = spare {
                return match self.on_trial(image) {
                    true => self.reject(image),
                    false => self.fall_back(image).map(drop),
                };
            }
        }
        // The running module with that hash (any, without a hash), a module
        // on trial first: two images may run the same module.
        let matches = |image: u32, on_trial: bool| {
            let Some(bank) = self.active[image as usize] else { return false };
            let info = &self.banks[image as usize][bank as usize];
            hash.is_none_or(|h| h == info.sha) && (!on_trial || !info.confirmed)
        };
        let images = 0..self.layout.images;
        let running = images.clone().find(|&image| matches(image, true)).or_else(|| {
            hash.is_some().then(|| images.clone().find(|&image| matches(image, false))).flatten()
        });
        let Some(image) = running else {
            // Confirming "whatever runs" when nothing is on trial: done.
            if hash.is_none() && confirm {
                return Ok(());
            }
            return Err(SlotError::new(rc::ENOENT, "no running module with that hash"));
        };
        match (confirm, self.on_trial(image)) {
            (true, true) => self.confirm(image),
            // Already confirmed, or a test of the module on trial: nothing to do.
            (true, false) | (false, true) => Ok(()),
            (false, false) => Err(SlotError::new(rc::EBADSTATE, "module is already confirmed")),
        }
    }

    fn erase(&mut self, image: u32) -> Result<(), SlotError> {
        self.not_on_trial(image)?;
        self.drop_staging(image);
        self.erase_spare(image).map(|_| ())
    }

    fn remove(&mut self, image: u32) -> Result<(), SlotError> {
        self.exists(image)?;
        if !self.install.removable(image) {
            return Err(RUNNING_NOT_ERASABLE);
        }
        self.not_on_trial(image)?;
        self.drop_staging(image);
        // The spare bank first (see the module docs).
        let order = match self.active[image as usize] {
            Some(running) => [1 - running, running],
            None => [0, 1],
        };
        let erased = order.into_iter().try_for_each(|bank| self.erase_bank(image, bank));
        // Even after a failure: what was erased no longer runs. A running
        // module gone marks the image changed.
        self.pick(image, false)?;
        erased
    }
}
