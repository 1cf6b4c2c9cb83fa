//! RAM guest slots for the tests: a module "validates" when it starts with
//! the Wasm magic.

#![allow(dead_code)]

pub mod client;

use sha2::{Digest, Sha256};
use wasm_sdk_smp::slots::{ImageState, SlotError, Slots, rc};

/// One guest slot per image in RAM. A module "validates" when it starts
/// with the Wasm magic; an install makes it the pending slot 1 entry.
#[derive(Default)]
pub struct RamSlots {
    staged: [Vec<u8>; 2],
    installed: [Option<([u8; 32], bool)>; 2],
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
        self.staged[image as usize] = Vec::with_capacity(len);
        Ok(())
    }
    fn write(&mut self, image: u32, offset: usize, data: &[u8]) -> Result<(), SlotError> {
        let staged = &mut self.staged[image as usize];
        assert_eq!(staged.len(), offset, "chunks arrive in order");
        staged.extend_from_slice(data);
        Ok(())
    }
    fn finish(&mut self, image: u32, hash: &[u8; 32]) -> Result<(), SlotError> {
        let staged = &self.staged[image as usize];
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
