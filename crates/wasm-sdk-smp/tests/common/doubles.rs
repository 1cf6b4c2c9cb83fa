//! Test doubles of the SMP crate's traits, shared by its integration tests
//! and the `smp_server` fuzz target (`fuzz/`, which includes this file):
//! RAM guest slots, one echo guest, and NOR flash in RAM with power cuts.

#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use sha2::{Digest, Sha256};
use wasm_sdk_smp::flash::{Install, Layout};
use wasm_sdk_smp::slots::{ImageState, SlotError, Slots, rc};
use wasm_sdk_smp::{BindingInfo, GuestInfo, Guests, ServiceInfo};

/// One guest slot per image in RAM. A module "validates" when it starts
/// with the Wasm magic; an install makes it the pending slot 1 entry.
#[derive(Default)]
pub struct RamSlots {
    staged: [Vec<u8>; 2],
    installed: [Option<([u8; 32], bool)>; 2],
    /// The announced length of each image's upload in progress.
    announced: [usize; 2],
    pub finished: usize,
}

pub const CAPACITY: usize = 4096;

impl Slots for RamSlots {
    fn count(&self) -> u32 {
        2
    }
    fn capacity(&self, _image: u32) -> usize {
        CAPACITY
    }
    fn begin(&mut self, image: u32, len: usize) -> Result<(), SlotError> {
        assert!(len > 0 && len <= CAPACITY, "begin within the capacity");
        self.staged[image as usize] = Vec::with_capacity(len);
        self.announced[image as usize] = len;
        Ok(())
    }
    fn write(&mut self, image: u32, offset: usize, data: &[u8]) -> Result<(), SlotError> {
        let staged = &mut self.staged[image as usize];
        assert_eq!(staged.len(), offset, "chunks arrive in order");
        assert!(offset + data.len() <= self.announced[image as usize], "within the length");
        staged.extend_from_slice(data);
        Ok(())
    }
    fn finish(&mut self, image: u32, hash: &[u8; 32]) -> Result<(), SlotError> {
        let staged = &self.staged[image as usize];
        assert_eq!(staged.len(), self.announced[image as usize], "finished when complete");
        if !staged.starts_with(b"\0asm") {
            return Err(SlotError::new(rc::ECORRUPT, "not a wasm module"));
        }
        assert_eq!(&Sha256::digest(staged)[..], hash);
        self.installed[image as usize] = Some((*hash, false));
        self.finished += 1;
        Ok(())
    }
    fn states(&self, each: &mut dyn FnMut(ImageState<'_>)) {
        for (image, installed) in self.installed.iter().enumerate() {
            if let Some((hash, confirmed)) = installed {
                each(ImageState {
                    image: image as u32,
                    slot: 0,
                    version: "0.0.0",
                    hash: *hash,
                    bootable: true,
                    pending: !confirmed,
                    confirmed: *confirmed,
                    active: true,
                    permanent: false,
                });
            }
        }
    }
    fn set_state(&mut self, hash: Option<&[u8]>, confirm: bool) -> Result<(), SlotError> {
        let entry = self
            .installed
            .iter_mut()
            .flatten()
            .find(|(h, _)| hash.is_none_or(|want| want == h))
            .ok_or(SlotError::new(rc::ENOENT, "no module with that hash"))?;
        entry.1 = confirm;
        Ok(())
    }
    fn erase(&mut self, image: u32) -> Result<(), SlotError> {
        let slot = self
            .installed
            .get_mut(image as usize)
            .ok_or(SlotError::new(rc::ENOENT, "no such slot"))?;
        *slot = None;
        Ok(())
    }
}

/// One guest, `echo`, whose input `in` echoes to its output `out`
/// (outputs wait until taken).
#[derive(Default)]
pub struct EchoGuest {
    /// Offer a last service whose schema fits no response.
    pub huge_service: bool,
    stopped: bool,
    received: u32,
    pending: std::collections::VecDeque<Vec<u8>>,
}

impl Guests for EchoGuest {
    fn list(&self, each: &mut dyn FnMut(GuestInfo<'_>)) {
        each(GuestInfo {
            name: "echo",
            image: 0,
            state: if self.stopped { "stopped" } else { "waiting" },
            fuel: 1234,
            memory: 4416,
            received: self.received,
            sent: self.received,
            module: "uploaded",
            restarts: 2,
            dead_letters: 3,
            dropped_lines: 4,
        });
    }
    fn stop(&mut self, name: &str) -> Result<(), SlotError> {
        self.known(name)?;
        self.stopped = true;
        Ok(())
    }
    fn start(&mut self, name: &str) -> Result<(), SlotError> {
        self.known(name)?;
        self.stopped = false;
        Ok(())
    }
    fn send(&mut self, name: &str, port: &str, data: &[u8]) -> Result<(), SlotError> {
        self.known(name)?;
        if port != "in" {
            return Err(SlotError::new(rc::ENOENT, "no such port"));
        }
        self.received += 1;
        self.pending.push_back(data.to_vec());
        Ok(())
    }
    fn outputs(
        &mut self,
        name: &str,
        each: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<(), SlotError> {
        self.known(name)?;
        while let Some(front) = self.pending.front() {
            if !each("out", front) {
                break;
            }
            self.pending.pop_front();
        }
        Ok(())
    }
    fn services(&self, each: &mut dyn FnMut(&ServiceInfo<'_>) -> bool) {
        for i in 0..=SERVICES {
            let huge = i == SERVICES;
            if huge && !self.huge_service {
                return;
            }
            // Service `i`'s schema is `i + 1` bytes of `i`, so a client can
            // tell a truncated or shifted one.
            let len = if huge { 2000 } else { i + 1 };
            let schema = move |out: &mut [u8]| {
                if let Some(out) = out.get_mut(..len) {
                    out.fill(i as u8);
                }
                len
            };
            let name = format!("s{i:02}");
            let info = ServiceInfo {
                name: &name,
                direction: if i % 2 == 0 { "provides" } else { "takes" },
                ty: "Reading",
                key: [i as u8; 8],
                schema: &schema,
            };
            if !each(&info) {
                return;
            }
        }
    }
    fn bindings(&self, each: &mut dyn FnMut(&BindingInfo<'_>) -> bool) {
        let ports = ["temperature", "tick", "topic/smoothed", "alarm"];
        for (i, port) in ports.iter().cycle().take(BINDINGS).enumerate() {
            let info = BindingInfo {
                guest: "echo",
                image: (i / ports.len()) as u32,
                kind: if i % 4 < 2 { "input" } else { "output" },
                port,
                to: if port.starts_with("topic/") { "topic" } else { "service" },
                target: port.trim_start_matches("topic/"),
                ty: (i % 2 == 0).then_some(("Reading", [7; 8])),
            };
            if !each(&info) {
                return;
            }
        }
    }
}

/// Services in the [`EchoGuest`]'s catalog: more than one response holds
/// (the client's frames are 1 KiB). With [`EchoGuest::huge_service`], one
/// more follows whose schema fits no response.
pub const SERVICES: usize = 60;

/// Bindings the [`EchoGuest`] reports: more than one response holds.
pub const BINDINGS: usize = 40;

impl EchoGuest {
    fn known(&self, name: &str) -> Result<(), SlotError> {
        if name == "echo" { Ok(()) } else { Err(SlotError::new(rc::ENOENT, "no such guest")) }
    }
}

pub const ERASE: usize = 1024;
pub const BANK: u32 = 4 * ERASE as u32;

/// RAM with NOR flash rules: erase sets 0xff per page, a write can only
/// clear bits. After `budget` more write or erase operations the power is
/// cut: the operation in progress stops halfway and every later one fails.
#[derive(Clone)]
pub struct RamFlash {
    pub bytes: Vec<u8>,
    pub budget: Rc<Cell<Option<usize>>>,
}

#[derive(Debug)]
pub struct PowerCut;

impl NorFlashError for PowerCut {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

impl ErrorType for RamFlash {
    type Error = PowerCut;
}

impl RamFlash {
    pub fn new(size: usize) -> Self {
        RamFlash { bytes: vec![0xff; size], budget: Rc::new(Cell::new(None)) }
    }

    /// Whether the next operation may run in full; `false` cuts it.
    pub fn spend(&self) -> bool {
        match self.budget.get() {
            None => true,
            Some(0) => false,
            Some(n) => {
                self.budget.set(Some(n - 1));
                true
            }
        }
    }
}

impl ReadNorFlash for RamFlash {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), PowerCut> {
        let at = offset as usize;
        bytes.copy_from_slice(&self.bytes[at..at + bytes.len()]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl NorFlash for RamFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = ERASE;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), PowerCut> {
        assert!((from as usize).is_multiple_of(ERASE) && (to as usize).is_multiple_of(ERASE));
        let full = self.spend();
        let end = if full { to as usize } else { from as usize + ERASE / 2 };
        self.bytes[from as usize..end].fill(0xff);
        if full { Ok(()) } else { Err(PowerCut) }
    }
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), PowerCut> {
        assert!((offset as usize).is_multiple_of(4) && bytes.len().is_multiple_of(4), "aligned");
        let full = self.spend();
        let n = if full { bytes.len() } else { bytes.len() / 2 };
        for (cell, b) in self.bytes[offset as usize..].iter_mut().zip(&bytes[..n]) {
            *cell &= *b;
        }
        if full { Ok(()) } else { Err(PowerCut) }
    }
}

/// Accepts modules that start with the Wasm magic.
pub struct MagicCheck;

impl Install for MagicCheck {
    fn check(&mut self, _image: u32, module: &[u8]) -> Result<(), SlotError> {
        if module.starts_with(b"\0asm") {
            Ok(())
        } else {
            Err(SlotError::new(rc::ECORRUPT, "not a wasm module"))
        }
    }
}

pub const LAYOUT: Layout = Layout { base: 0, bank_size: BANK, images: 2 };
