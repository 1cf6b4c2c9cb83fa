//! Guest slots in NOR flash: upload, trial, confirm, rollback, removal, and
//! a power cut at every single flash write of an update or a removal,
//! through the SMP server as a client drives it; and install refusals that
//! name what is wrong.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::client::cbor;
use common::doubles::{BANK, ERASE, LAYOUT, MagicCheck, RamFlash};
use minicbor::Decoder;
use minicbor::data::Type;
use sha2::{Digest, Sha256};
use wasm_sdk_smp::flash::{FlashSlots, HEADER_LEN, Install};
use wasm_sdk_smp::header::{Header, Op};
use wasm_sdk_smp::slots::{ImageState, MAX_DETAIL_LEN, SlotError, Slots, rc};
use wasm_sdk_smp::{RESPONSE_LEN, Server};

fn module(seed: u8, len: usize) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend((0..len - 8).map(|i| (i as u8).wrapping_mul(seed)));
    m
}

fn mount(flash: RamFlash, scratch: &mut [u8]) -> FlashSlots<'_, RamFlash, MagicCheck> {
    FlashSlots::mount(flash, LAYOUT, MagicCheck, scratch).expect("mount")
}

/// Streams `module` into `image` in odd-sized chunks, as the server does.
fn upload<S: Slots>(slots: &mut S, image: u32, module: &[u8]) -> Result<(), SlotError> {
    slots.begin(image, module.len())?;
    let mut off = 0;
    for chunk in module.chunks(77) {
        slots.write(image, off, chunk)?;
        off += chunk.len();
    }
    slots.finish(image, &Sha256::digest(module).into())
}

/// A request of the image group: header and CBOR body.
fn request(cmd: u8, op: Op, body: &[u8]) -> Vec<u8> {
    let header = Header { op, version: 1, flags: 0, len: body.len() as u16, group: 1, seq: 1, cmd };
    [&header.to_bytes()[..], body].concat()
}

/// `server`'s answer to an image group request, given `room` bytes for
/// it: the body's top-level fields, numbers and text as text, an array as
/// `[length]`.
fn call<S: Slots>(
    server: &mut Server<S>,
    cmd: u8,
    op: Op,
    body: &[u8],
    room: usize,
) -> Vec<(String, String)> {
    let mut out = vec![0u8; room];
    let (len, _) = server.handle(&request(cmd, op, body), &mut out);
    let mut d = Decoder::new(&out[8..len]);
    let n = d.map().unwrap().unwrap();
    (0..n)
        .map(|_| {
            let key = d.str().unwrap().to_owned();
            let value = match d.datatype().unwrap() {
                Type::String => d.str().unwrap().to_owned(),
                Type::U8 | Type::U16 | Type::U32 | Type::U64 => d.u64().unwrap().to_string(),
                Type::Bool => d.bool().unwrap().to_string(),
                Type::Array => {
                    let n = d.clone().array().unwrap().unwrap();
                    d.skip().unwrap();
                    format!("[{n}]")
                }
                other => panic!("unexpected {other:?}"),
            };
            (key, value)
        })
        .collect()
}

/// The `rc` and `rsn` of an answer, if it is an error.
fn error_of(fields: &[(String, String)]) -> Option<(u32, String)> {
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    Some((get("rc")?.parse().unwrap(), get("rsn")?))
}

/// An image erase of MCUboot `slot` through `server`.
fn erase_slot<S: Slots>(server: &mut Server<S>, slot: u32) -> Option<(u32, String)> {
    let body = cbor(|e| {
        e.map(1).unwrap().str("slot").unwrap().u32(slot).unwrap();
    });
    error_of(&call(server, 5, Op::Write, &body, RESPONSE_LEN))
}

/// The request body of an upload of the whole of `module` into `image`.
fn upload_body(image: u32, module: &[u8]) -> Vec<u8> {
    cbor(|e| {
        e.map(5).unwrap().str("image").unwrap().u32(image).unwrap();
        e.str("len").unwrap().u64(module.len() as u64).unwrap();
        e.str("sha").unwrap().bytes(&Sha256::digest(module)).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(module).unwrap();
    })
}

/// An upload of `module` into `image` through `server`, in one request.
fn upload_via<S: Slots>(
    server: &mut Server<S>,
    image: u32,
    module: &[u8],
) -> Vec<(String, String)> {
    call(server, 1, Op::Write, &upload_body(image, module), RESPONSE_LEN)
}

/// Images without a built-in module: modules as [`MagicCheck`] takes
/// them, and each image may run none ([`Install::removable`]).
struct NoBuiltIn;

impl Install for NoBuiltIn {
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError> {
        MagicCheck.check(image, module)
    }

    fn removable(&self, _image: u32) -> bool {
        true
    }
}

/// A host that takes modules of up to 1,000 bytes, in slots that hold
/// more.
struct SmallModules;

impl Install for SmallModules {
    fn check(&mut self, image: u32, module: &[u8]) -> Result<(), SlotError> {
        MagicCheck.check(image, module)
    }

    fn admit_len(&mut self, _image: u32, len: usize) -> Result<(), SlotError> {
        match len <= 1000 {
            true => Ok(()),
            false => Err(SlotError::new(rc::ECORRUPT, "module larger than the host takes")),
        }
    }
}

/// An upload longer than the host takes is refused at its first chunk:
/// the spare bank is not even erased, and the running module stays.
#[test]
fn an_upload_longer_than_the_host_takes_is_refused_before_it_is_written() {
    let mut scratch = vec![0u8; BANK as usize];
    let flash = RamFlash::new(4 * BANK as usize);
    let mut slots = FlashSlots::mount(flash, LAYOUT, SmallModules, &mut scratch).unwrap();
    let v1 = module(3, 1000);
    upload(&mut slots, 0, &v1).unwrap();
    slots.confirm(0).unwrap();
    let before = slots.flash().bytes.clone();
    let err = slots.begin(0, 1001).unwrap_err();
    assert_eq!((err.rc, err.reason), (rc::ECORRUPT, "module larger than the host takes"));
    assert!(slots.flash().bytes == before, "nothing erased or written");
    assert_eq!(slots.active_module(0).unwrap(), Some(&v1[..]));
}

fn states<S: Slots>(slots: &S) -> Vec<(u32, u32, bool, bool, bool)> {
    let mut out = Vec::new();
    slots.states(&mut |s: ImageState<'_>| {
        out.push((s.image, s.slot, s.active, s.pending, s.confirmed))
    });
    out
}

#[test]
fn upload_trial_confirm_and_survive_a_restart() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    assert_eq!(slots.active_module(1).unwrap(), None, "nothing uploaded: built-in");
    let v1 = module(3, 1000);
    upload(&mut slots, 1, &v1).unwrap();
    assert_eq!(slots.take_changed(), Some(1));
    assert!(slots.on_trial(1));
    assert_eq!(slots.active_module(1).unwrap(), Some(&v1[..]));
    slots.confirm(1).unwrap();
    assert_eq!(states(&slots), [(1, 0, true, false, true)]);
    let flash = slots.flash().clone();
    let mut scratch2 = vec![0u8; BANK as usize];
    let mut again = mount(flash, &mut scratch2);
    assert_eq!(again.active_module(1).unwrap(), Some(&v1[..]), "confirmed module kept");
}

#[test]
fn a_failed_trial_or_a_reset_during_it_rolls_back() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    let (v1, v2) = (module(3, 900), module(5, 1100));
    upload(&mut slots, 0, &v1).unwrap();
    slots.confirm(0).unwrap();
    // Trap on trial: back to v1 at once.
    upload(&mut slots, 0, &v2).unwrap();
    while slots.take_changed().is_some() {}
    slots.reject(0).unwrap();
    assert_eq!(slots.take_changed(), Some(0));
    assert_eq!(slots.active_module(0).unwrap(), Some(&v1[..]));
    // Reset before confirming: the next mount runs v1 again.
    let v3 = module(7, 700);
    upload(&mut slots, 0, &v3).unwrap();
    assert_eq!(slots.active_module(0).unwrap(), Some(&v3[..]));
    let flash = slots.flash().clone();
    let mut scratch2 = vec![0u8; BANK as usize];
    let mut rebooted = mount(flash, &mut scratch2);
    assert_eq!(rebooted.active_module(0).unwrap(), Some(&v1[..]));
    assert!(!rebooted.on_trial(0));
}

#[test]
fn refused_modules_leave_the_running_one() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    let v1 = module(3, 500);
    upload(&mut slots, 0, &v1).unwrap();
    slots.confirm(0).unwrap();
    let err = upload(&mut slots, 0, &[0x42; 300]).unwrap_err();
    assert_eq!(err.reason, "not a wasm module");
    let err = slots.finish(0, &[0; 32]).unwrap_err();
    assert_eq!(err.rc, rc::EBADSTATE, "no upload in progress");
    slots.begin(0, 8).unwrap();
    slots.write(0, 0, b"\0asm\x01\0\0\0").unwrap();
    let err = slots.finish(0, &[1; 32]).unwrap_err();
    assert_eq!(err.reason, "module read back from flash differs");
    assert_eq!(slots.active_module(0).unwrap(), Some(&v1[..]));
    // A slot that does not exist is an error, not a panic.
    assert_eq!(slots.begin(99, 10).unwrap_err().rc, rc::ENOENT);
    assert_eq!(slots.erase(99).unwrap_err().rc, rc::ENOENT);
    // Uploading while a module is on trial is refused.
    upload(&mut slots, 0, &module(9, 400)).unwrap();
    assert_eq!(slots.begin(0, 100).unwrap_err().rc, rc::EBADSTATE);
}

#[test]
fn a_power_cut_at_any_write_keeps_a_runnable_module() {
    // Count the flash operations of one whole update, then cut the power
    // before each of them in turn and mount again.
    let (v1, v2) = (module(3, 1500), module(5, 1300));
    let base = {
        let mut scratch = vec![0u8; BANK as usize];
        let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
        upload(&mut slots, 0, &v1).unwrap();
        slots.confirm(0).unwrap();
        slots.flash().clone()
    };
    let counter = base.clone();
    counter.budget.set(Some(usize::MAX));
    let operations = {
        let mut scratch = vec![0u8; BANK as usize];
        let mut slots = mount(counter.clone(), &mut scratch);
        upload(&mut slots, 0, &v2).unwrap();
        slots.confirm(0).unwrap();
        usize::MAX - counter.budget.get().unwrap()
    };
    assert!(operations > 10, "{operations}");
    println!("power cut before each of {operations} flash operations of an update");
    for cut in 0..=operations {
        let mut flash = base.clone();
        flash.budget = Rc::new(Cell::new(Some(cut)));
        let mut scratch = vec![0u8; BANK as usize];
        let mut slots = mount(flash, &mut scratch);
        let result = upload(&mut slots, 0, &v2).and_then(|()| slots.confirm(0));
        assert_eq!(result.is_ok(), cut == operations, "cut at {cut}");
        let mut after = slots.flash().clone();
        after.budget = Rc::new(Cell::new(None));
        let mut scratch2 = vec![0u8; BANK as usize];
        let mut rebooted = mount(after, &mut scratch2);
        let running = rebooted.active_module(0).unwrap().map(<[u8]>::to_vec);
        // Until the confirm word is (even partly) cleared, a reboot rolls
        // back to the old module; from then on the new one runs.
        let expected = if cut >= operations - 1 { &v2 } else { &v1 };
        assert_eq!(running.as_ref(), Some(expected), "cut at {cut} of {operations}");
    }
}

#[test]
fn four_image_states_fit_the_buffer_and_erase_respects_the_trial() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    for image in 0..2 {
        for seed in [3, 5] {
            upload(&mut slots, image, &module(seed + image as u8, 300)).unwrap();
            slots.confirm(image).unwrap();
        }
    }
    let mut server = Server::new(slots, 384);
    let mut out = [0u8; wasm_sdk_smp::RESPONSE_LEN];
    let (len, _) = server.handle(&request(0, Op::Read, &[0xa0]), &mut out);
    let body = &out[8..len];
    assert!(!body.windows(3).any(|w| w == b"rsn"), "state read fits: {len} B");
    assert_eq!(body.windows(4).filter(|w| *w == b"hash").count(), 4);
    // Slot 0 is the running module of image 0, which must run one: kept.
    let refused = (rc::EBADSTATE, "the running module cannot be erased".to_owned());
    assert_eq!(erase_slot(&mut server, 0), Some(refused));
    assert!(server.slots_mut().active_module(0).unwrap().is_some());
    // While image 0 has a module on trial, its other bank is kept.
    upload(server.slots_mut(), 0, &module(9, 200)).unwrap();
    assert_eq!(server.slots_mut().erase(0).unwrap_err().rc, rc::EBADSTATE);
}

#[test]
fn confirming_by_hash_picks_the_image_on_trial() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    let same = module(3, 400);
    upload(&mut slots, 0, &same).unwrap();
    slots.confirm(0).unwrap();
    upload(&mut slots, 1, &same).unwrap();
    assert!(slots.on_trial(1));
    slots.set_state(Some(&Sha256::digest(&same)), true).unwrap();
    assert!(!slots.on_trial(1), "image 1, the one on trial, was confirmed");
}

/// Testing the other bank's module (`image state-write --hash` of the
/// previous one, MCUmgr's rollback) runs it again at once, from a module
/// on trial or a confirmed one, and survives a restart.
#[test]
fn testing_the_previous_module_rolls_back_to_it() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    let (v1, v2, v3) = (module(3, 1000), module(5, 900), module(7, 800));
    let sha = |m: &[u8]| Sha256::digest(m);
    upload(&mut slots, 0, &v1).unwrap();
    slots.confirm(0).unwrap();
    // From a module on trial.
    upload(&mut slots, 0, &v2).unwrap();
    while slots.take_changed().is_some() {}
    slots.set_state(Some(&sha(&v1)), false).unwrap();
    assert_eq!(slots.take_changed(), Some(0));
    assert_eq!(slots.active_module(0).unwrap(), Some(&v1[..]));
    assert!(!slots.on_trial(0), "the previous module was confirmed");
    // From a confirmed one.
    upload(&mut slots, 0, &v3).unwrap();
    slots.confirm(0).unwrap();
    while slots.take_changed().is_some() {}
    slots.set_state(Some(&sha(&v1)), false).unwrap();
    assert_eq!(slots.active_module(0).unwrap(), Some(&v1[..]));
    let mut scratch2 = vec![0u8; BANK as usize];
    let mut again = mount(slots.flash().clone(), &mut scratch2);
    assert_eq!(again.active_module(0).unwrap(), Some(&v1[..]), "kept after a restart");
    // The module it replaced is gone for good: nothing to go back to.
    let err = slots.set_state(Some(&sha(&v3)), false).unwrap_err();
    assert_eq!(err.rc, rc::ENOENT);
    // The same module uploaded again: a test of its hash is the MCUmgr
    // step after an upload, and leaves it on trial.
    upload(&mut slots, 0, &v1).unwrap();
    slots.set_state(Some(&sha(&v1)), false).unwrap();
    assert!(slots.on_trial(0), "the upload stays on trial");
}

#[test]
fn a_confirmed_module_that_keeps_failing_falls_back_to_the_previous_then_the_built_in() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    let err = slots.fall_back(0).unwrap_err();
    assert_eq!((err.rc, err.reason), (rc::EBADSTATE, "no uploaded module runs"));
    let (v1, v2) = (module(3, 1000), module(5, 900));
    upload(&mut slots, 0, &v1).unwrap();
    slots.confirm(0).unwrap();
    upload(&mut slots, 0, &v2).unwrap();
    let err = slots.fall_back(0).unwrap_err();
    assert_eq!((err.rc, err.reason), (rc::EBADSTATE, "the module is on trial: reject it"));
    slots.confirm(0).unwrap();
    while slots.take_changed().is_some() {}

    assert!(slots.fall_back(0).unwrap(), "the previous confirmed module runs");
    assert_eq!(slots.take_changed(), Some(0));
    assert_eq!(slots.active_module(0).unwrap(), Some(&v1[..]));
    assert!(!slots.on_trial(0), "a fallback is not on trial");
    // After a reset the fallback stays: v2 is rejected for good.
    let mut scratch2 = vec![0u8; BANK as usize];
    let mut again = mount(slots.flash().clone(), &mut scratch2);
    assert_eq!(again.active_module(0).unwrap(), Some(&v1[..]));

    assert!(!slots.fall_back(0).unwrap(), "nothing left: the built-in module");
    assert_eq!(slots.take_changed(), Some(0));
    assert_eq!(slots.active_module(0).unwrap(), None);
    assert_eq!(states(&slots), []);
    // A new upload is taken again.
    upload(&mut slots, 0, &v2).unwrap();
    assert!(slots.on_trial(0));
}

#[test]
fn a_fallback_skips_a_rolled_back_module() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots = mount(RamFlash::new(4 * BANK as usize), &mut scratch);
    let (v1, v2) = (module(3, 1000), module(5, 900));
    upload(&mut slots, 0, &v1).unwrap();
    slots.confirm(0).unwrap();
    upload(&mut slots, 0, &v2).unwrap();
    slots.reject(0).unwrap();
    assert_eq!(slots.active_module(0).unwrap(), Some(&v1[..]), "rolled back");
    assert!(!slots.fall_back(0).unwrap(), "the rejected trial never comes back");
    assert_eq!(slots.active_module(0).unwrap(), None);
}

/// Whether every byte of `image`'s two banks is erased.
fn banks_blank(flash: &RamFlash, image: u32) -> bool {
    let start = (image * 2 * BANK) as usize;
    flash.bytes[start..start + 2 * BANK as usize].iter().all(|&b| b == 0xff)
}

#[test]
fn erasing_the_running_slot_of_a_removable_image_removes_its_guest() {
    let mut scratch = vec![0u8; BANK as usize];
    let mut slots =
        FlashSlots::mount(RamFlash::new(4 * BANK as usize), LAYOUT, NoBuiltIn, &mut scratch)
            .expect("mount");
    let v0 = module(2, 600);
    upload(&mut slots, 0, &v0).unwrap();
    slots.confirm(0).unwrap();
    // Both banks of image 1 hold a confirmed module.
    for seed in [3, 5] {
        upload(&mut slots, 1, &module(seed, 1500)).unwrap();
        slots.confirm(1).unwrap();
    }
    while slots.take_changed().is_some() {}
    let mut server = Server::new(slots, 384);

    // MCUboot slot 2: image 1's running one.
    assert_eq!(erase_slot(&mut server, 2), None, "removed");
    let slots = server.slots_mut();
    assert!(banks_blank(slots.flash(), 1), "both banks of image 1 erased");
    assert!(!banks_blank(slots.flash(), 0), "image 0 untouched");
    assert_eq!(slots.take_changed(), Some(1), "the firmware stops the guest");
    assert_eq!(slots.take_changed(), None);
    assert_eq!(slots.active_module(1).unwrap(), None, "nothing runs in image 1");
    assert_eq!(slots.active_module(0).unwrap(), Some(&v0[..]));
    // The state list has no entry for image 1, not even its slot 0.
    assert_eq!(states(server.slots()), [(0, 0, true, false, true)]);
    let listed = call(&mut server, 0, Op::Read, &[0xa0], RESPONSE_LEN);
    assert_eq!(listed, [("images".to_owned(), "[1]".to_owned())]);

    // A restart finds nothing in image 1 either.
    let mut scratch2 = vec![0u8; BANK as usize];
    let mut again =
        FlashSlots::mount(server.slots().flash().clone(), LAYOUT, NoBuiltIn, &mut scratch2)
            .expect("mount");
    assert_eq!(again.active_module(1).unwrap(), None);
    assert_eq!(states(&again), [(0, 0, true, false, true)]);

    // A new upload into image 1 is taken, on trial.
    let v3 = module(7, 900);
    let done = upload_via(&mut server, 1, &v3);
    assert_eq!(error_of(&done), None, "{done:?}");
    let slots = server.slots_mut();
    assert_eq!(slots.take_changed(), Some(1));
    assert!(slots.on_trial(1));
    assert_eq!(slots.active_module(1).unwrap(), Some(&v3[..]));
    slots.confirm(1).unwrap();

    // An upload into image 1 under way is dropped by a removal: the next
    // chunk is told to start over.
    let v4 = module(9, 900);
    let first = cbor(|e| {
        e.map(5).unwrap().str("image").unwrap().u32(1).unwrap();
        e.str("len").unwrap().u64(900).unwrap();
        e.str("sha").unwrap().bytes(&Sha256::digest(&v4)).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&v4[..100]).unwrap();
    });
    call(&mut server, 1, Op::Write, &first, RESPONSE_LEN);
    assert_eq!(server.upload_offset(), Some((1, 100)));
    assert_eq!(erase_slot(&mut server, 2), None);
    assert_eq!(server.upload_offset(), None);
    let next = cbor(|e| {
        e.map(2).unwrap().str("off").unwrap().u64(100).unwrap();
        e.str("data").unwrap().bytes(&v4[100..200]).unwrap();
    });
    let answer = call(&mut server, 1, Op::Write, &next, RESPONSE_LEN);
    assert_eq!(answer, [("off".to_owned(), "0".to_owned())]);
    assert!(banks_blank(server.slots().flash(), 1));
}

#[test]
fn a_guest_on_trial_is_not_removed() {
    let mut scratch = vec![0u8; BANK as usize];
    let slots =
        FlashSlots::mount(RamFlash::new(4 * BANK as usize), LAYOUT, NoBuiltIn, &mut scratch)
            .expect("mount");
    let mut server = Server::new(slots, 384);
    let v1 = module(3, 800);
    assert_eq!(error_of(&upload_via(&mut server, 0, &v1)), None);
    let on_trial = (rc::EBADSTATE, "a module is on trial; confirm it first".to_owned());
    assert_eq!(erase_slot(&mut server, 0), Some(on_trial.clone()), "the running slot");
    assert_eq!(erase_slot(&mut server, 1), Some(on_trial), "the spare one, as before");
    assert_eq!(server.slots_mut().active_module(0).unwrap(), Some(&v1[..]));
    // No such image: slot 8 is image 4's.
    assert_eq!(erase_slot(&mut server, 8).map(|(rc, _)| rc), Some(rc::ENOENT));
}

#[test]
fn a_power_cut_during_a_removal_never_leaves_a_torn_module() {
    let (v1, v2) = (module(3, 2500), module(5, 2000));
    let base = {
        let mut scratch = vec![0u8; BANK as usize];
        let mut slots =
            FlashSlots::mount(RamFlash::new(4 * BANK as usize), LAYOUT, NoBuiltIn, &mut scratch)
                .expect("mount");
        for v in [&v1, &v2] {
            upload(&mut slots, 0, v).unwrap();
            slots.confirm(0).unwrap();
        }
        slots.flash().clone()
    };
    let counter = base.clone();
    counter.budget.set(Some(usize::MAX));
    {
        let mut scratch = vec![0u8; BANK as usize];
        let mut slots =
            FlashSlots::mount(counter.clone(), LAYOUT, NoBuiltIn, &mut scratch).expect("mount");
        slots.remove(0).unwrap();
    }
    let operations = usize::MAX - counter.budget.get().unwrap();
    // Each bank: its header's page, then the rest.
    assert_eq!(operations, 4);
    for cut in 0..=operations {
        let mut flash = base.clone();
        flash.budget = Rc::new(Cell::new(Some(cut)));
        let mut scratch = vec![0u8; BANK as usize];
        let mut slots = FlashSlots::mount(flash, LAYOUT, NoBuiltIn, &mut scratch).expect("mount");
        assert_eq!(slots.remove(0).is_ok(), cut == operations, "cut at {cut}");
        let mut after = slots.flash().clone();
        after.budget = Rc::new(Cell::new(None));
        let mut scratch2 = vec![0u8; BANK as usize];
        let mut rebooted =
            FlashSlots::mount(after, LAYOUT, NoBuiltIn, &mut scratch2).expect("mount");
        let running = rebooted.active_module(0).unwrap().map(<[u8]>::to_vec);
        // The spare bank goes first, so the older module never comes back;
        // from the first (even partial) erase of the running bank's header
        // page on, nothing runs.
        let expected = (cut < 2).then_some(&v2);
        assert_eq!(running.as_ref(), expected, "cut at {cut} of {operations}");
    }

    // Were a header to survive the erase of its module's pages, the
    // SHA-256 check at mount would refuse the bank: nothing torn runs.
    // v1 went to bank 0, v2 to bank 1; v2's second page is module only.
    let mut torn = base.clone();
    assert!(ERASE > HEADER_LEN as usize && v2.len() > ERASE, "the module spans pages");
    let page = BANK as usize + ERASE;
    torn.bytes[page..page + ERASE].fill(0xff);
    let mut scratch = vec![0u8; BANK as usize];
    let mut rebooted = FlashSlots::mount(torn, LAYOUT, NoBuiltIn, &mut scratch).expect("mount");
    assert_eq!(rebooted.active_module(0).unwrap(), Some(&v1[..]), "not the torn v2");
}

#[test]
fn a_refusal_names_what_is_wrong_within_the_response() {
    // A module that names an input with a hostile, long name.
    struct Naming(String);
    impl Install for Naming {
        fn check(&mut self, _image: u32, _module: &[u8]) -> Result<(), SlotError> {
            let name = &self.0;
            Err(SlotError::new(rc::ECORRUPT, "the module does not fit the firmware")
                .with_detail(format!("input `{name}`: the firmware offers no service `{name}`")))
        }
    }
    let reason = "the module does not fit the firmware";

    let mut scratch = vec![0u8; BANK as usize];
    let slots = FlashSlots::mount(
        RamFlash::new(4 * BANK as usize),
        LAYOUT,
        Naming("humidity".to_owned()),
        &mut scratch,
    )
    .expect("mount");
    let mut server = Server::new(slots, 384);
    let refused = error_of(&upload_via(&mut server, 0, &module(3, 300)));
    let rsn = format!("{reason}: input `humidity`: the firmware offers no service `humidity`");
    assert_eq!(refused, Some((rc::ECORRUPT, rsn)));

    // A name of 10,000 bytes, multi-byte characters: the detail is cut,
    // and the response fits its buffer.
    let hostile = "é€".repeat(2000);
    let mut scratch = vec![0u8; BANK as usize];
    let slots =
        FlashSlots::mount(RamFlash::new(4 * BANK as usize), LAYOUT, Naming(hostile), &mut scratch)
            .expect("mount");
    let mut server = Server::new(slots, 384);
    let (rc, rsn) = error_of(&upload_via(&mut server, 0, &module(3, 300))).unwrap();
    assert_eq!(rc, rc::ECORRUPT);
    let detail = rsn.strip_prefix(reason).and_then(|d| d.strip_prefix(": ")).unwrap();
    assert!(detail.len() <= MAX_DETAIL_LEN, "{} B", detail.len());
    assert!(detail.starts_with("input `é€é€") && detail.ends_with('…'), "{detail}");

    // A buffer too small for the detail still gets the reason.
    let answer = call(&mut server, 1, Op::Write, &upload_body(0, &module(3, 300)), 80);
    assert_eq!(error_of(&answer), Some((rc::ECORRUPT, reason.to_owned())));
}

#[test]
fn a_detail_is_cut_on_a_character_boundary() {
    let plain = SlotError::new(rc::EINVAL, "bad port");
    assert_eq!((plain.detail(), plain.to_string().as_str()), (None, "bad port"));
    let named = plain.clone().with_detail("`x`");
    assert_eq!((named.detail(), named.to_string().as_str()), (Some("`x`"), "bad port: `x`"));
    assert_ne!(named, plain);
    // 2 + 3k bytes: the cut at MAX_DETAIL_LEN - 3 falls inside a `€`.
    let long = SlotError::new(rc::EINVAL, "bad port").with_detail(format!("xx{}", "€".repeat(100)));
    let detail = long.detail().unwrap();
    assert!(
        detail.len() <= MAX_DETAIL_LEN && detail.len() > MAX_DETAIL_LEN - 6,
        "{}",
        detail.len()
    );
    assert!(detail.starts_with("xx€") && detail.ends_with("€…"), "{detail}");
    let exact = "a".repeat(MAX_DETAIL_LEN);
    assert_eq!(plain.with_detail(exact.clone()).detail(), Some(exact.as_str()), "not cut");
}
