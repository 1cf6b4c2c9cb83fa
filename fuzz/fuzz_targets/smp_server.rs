//! The SMP server (`wasm-sdk-smp`): `Server::handle` with arbitrary
//! requests, over the slot types the crate's own tests use.
//!
//! A run is a sequence of operations on one server: well-formed commands
//! that change state (upload chunks with the offset expected next and the
//! length and SHA-256 of their data or other values, image state read and
//! write with a listed hash, erase, the guest group), free-form requests (a
//! header and a CBOR map of known keys such as `off`, `len`, `data`,
//! `hash`, `name` with values of any type, or a raw body), raw messages,
//! and raw console bytes. The first byte picks the slots:
//!
//! - RAM slots (`tests/common/mod.rs`) and the echo guest of
//!   `tests/protocol.rs`, behind a `SerialServer`: requests go to
//!   `handle`, console bytes to `receive`. The slots assert what the server
//!   promises them: chunks in order within the announced length, and the
//!   SHA-256 it hands `finish` is that of the bytes written.
//! - NOR flash slots (`FlashSlots` on the RAM flash of `tests/flash.rs`,
//!   two images), with power cuts after a chosen number of flash
//!   operations, remounts (a reset), `confirm`, `reject`, `take_changed`.
//!
//! Checks on every response: no panic; it fits `out`; a request gets a
//! response with the response op, its group, sequence number and command,
//! a length field equal to the body's length, and a body of exactly one
//! well-formed CBOR map; a message that is not a request gets none. Console
//! responses are lines of at most `MAX_LINE` bytes that decode to such
//! messages. Flash slots always mount again after a power cut, list at
//! most one running and one other module per image, and run a module
//! whose SHA-256 is the one listed and that passed the install check.
#![no_main]

use std::cell::Cell;
use std::rc::Rc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use wasm_sdk_smp::flash::FlashSlots;
use wasm_sdk_smp::frame::MAX_LINE;
use wasm_sdk_smp::header::{HEADER_LEN, Header, Op as SmpOp};
use wasm_sdk_smp::slots::{ImageState, Slots};
use wasm_sdk_smp::{FrameDecoder, Guests, RESPONSE_LEN, Received, SerialServer, Server};

// ---- The request model -------------------------------------------------

#[derive(Arbitrary, Debug)]
enum Key {
    D,
    Off,
    Len,
    Data,
    Sha,
    Image,
    Hash,
    Confirm,
    Slot,
    Name,
    Port,
    Other(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::D => "d",
            Key::Off => "off",
            Key::Len => "len",
            Key::Data => "data",
            Key::Sha => "sha",
            Key::Image => "image",
            Key::Hash => "hash",
            Key::Confirm => "confirm",
            Key::Slot => "slot",
            Key::Name => "name",
            Key::Port => "port",
            Key::Other(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Value {
    Small(u8),
    U(u64),
    I(i64),
    Bytes(Vec<u8>),
    /// `\0asm` and these bytes: what the slots' install check accepts.
    Wasm(Vec<u8>),
    Str(String),
    Bool(bool),
    Null,
    /// The offset the server expects next (0 without an upload).
    NextOff,
    /// The length of this map's `data` (an upload in one chunk), or that
    /// plus `n` (the rest follows in more chunks).
    LenOfData,
    LenPlus(u16),
    /// The SHA-256 of this map's `data`.
    ShaOfData,
    /// The hash of the `n`-th entry of the image state list.
    StateHash(u8),
    /// The guest's name, `echo`, and its input port, `in`.
    Echo,
    In,
    Array(Vec<u8>),
    /// Raw bytes, CBOR or not.
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Map(Vec<(Key, Value)>),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Group {
    Os,
    Image,
    Guests,
    Raw(u16),
}

#[derive(Arbitrary, Debug)]
struct Request {
    op: u8,
    version: u8,
    flags: u8,
    group: Group,
    seq: u8,
    cmd: u8,
    /// The header's length field; `None`: the body's length.
    len: Option<u16>,
    body: Body,
    /// Room for the response; `None`: `RESPONSE_LEN`.
    out: Option<u16>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Request(Request),
    Command(Command),
    Raw(Vec<u8>),
    /// RAM slots: console bytes to `SerialServer::receive`.
    Console(Vec<u8>),
    /// Flash slots: the power goes after `n` more flash operations.
    PowerCut(u8),
    /// Flash slots: a reset (power back, mount again).
    Remount,
    Confirm(u8),
    Reject(u8),
    TakeChanged,
}

/// Well-formed requests of the commands that change state, so uploads
/// complete and guests get messages (a `Request` rarely is one).
#[derive(Arbitrary, Debug)]
enum Command {
    Upload { image: Option<u8>, off: Off, len: UploadLen, sha: Sha, wasm: bool, data: Vec<u8> },
    StateRead,
    StateWrite { hash: Option<u8>, confirm: bool },
    Erase { slot: Option<u8> },
    Guest { cmd: u8, echo: bool, port_in: bool, data: Vec<u8> },
}

#[derive(Arbitrary, Debug)]
enum Off {
    Next,
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
enum UploadLen {
    Absent,
    OfData,
    Plus(u16),
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
enum Sha {
    Absent,
    OfData,
    Raw(Vec<u8>),
}

impl Command {
    fn request(&self, seq: u8) -> Request {
        let (op, group, cmd, fields) = match self {
            Command::Upload { image, off, len, sha, wasm, data } => {
                let mut f = vec![];
                if let Some(i) = image {
                    f.push((Key::Image, Value::Small(i % 3)));
                }
                f.push((
                    Key::Off,
                    match off {
                        Off::Next => Value::NextOff,
                        Off::Raw(n) => Value::U(u64::from(*n)),
                    },
                ));
                match len {
                    UploadLen::Absent => {}
                    UploadLen::OfData => f.push((Key::Len, Value::LenOfData)),
                    UploadLen::Plus(n) => f.push((Key::Len, Value::LenPlus(*n))),
                    UploadLen::Raw(n) => f.push((Key::Len, Value::U(u64::from(*n)))),
                }
                match sha {
                    Sha::Absent => {}
                    Sha::OfData => f.push((Key::Sha, Value::ShaOfData)),
                    Sha::Raw(b) => f.push((Key::Sha, Value::Bytes(b.clone()))),
                }
                let data =
                    if *wasm { Value::Wasm(data.clone()) } else { Value::Bytes(data.clone()) };
                f.push((Key::Data, data));
                (2, Group::Image, 1, f)
            }
            Command::StateRead => (0, Group::Image, 0, vec![]),
            Command::StateWrite { hash, confirm } => {
                let mut f = vec![(Key::Confirm, Value::Bool(*confirm))];
                if let Some(n) = hash {
                    f.push((Key::Hash, Value::StateHash(*n)));
                }
                (2, Group::Image, 0, f)
            }
            Command::Erase { slot } => {
                let f = slot.iter().map(|s| (Key::Slot, Value::Small(*s))).collect();
                (2, Group::Image, 5, f)
            }
            Command::Guest { cmd, echo, port_in, data } => {
                let cmd = cmd % 5;
                let name = if *echo { Value::Echo } else { Value::Str("other".into()) };
                let port = if *port_in { Value::In } else { Value::Str("out".into()) };
                let f = vec![
                    (Key::Name, name),
                    (Key::Port, port),
                    (Key::Data, Value::Bytes(data.clone())),
                ];
                (if cmd == 0 || cmd == 4 { 0 } else { 2 }, Group::Guests, cmd, f)
            }
        };
        Request {
            op,
            version: 1,
            flags: 0,
            group,
            seq,
            cmd,
            len: None,
            body: Body::Map(fields),
            out: None,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    flash: bool,
    ops: Vec<Op>,
}

fn encode_request<S: Slots, G: Guests>(req: &Request, server: &Server<S, G>) -> Vec<u8> {
    let mut enc = minicbor::Encoder::new(Vec::new());
    match &req.body {
        Body::Raw(bytes) => enc.writer_mut().extend_from_slice(bytes),
        Body::Map(fields) => {
            let data = fields.iter().find_map(|(key, value)| match (key, value) {
                (Key::Data, Value::Bytes(b)) => Some(b.clone()),
                (Key::Data, Value::Wasm(b)) => Some([b"\0asm", &b[..]].concat()),
                _ => None,
            });
            let data = data.unwrap_or_default();
            enc.map(fields.len() as u64).unwrap();
            for (key, value) in fields {
                enc.str(key.as_str()).unwrap();
                encode_value(&mut enc, value, server, &data);
            }
        }
    }
    let body = enc.into_writer();
    let group = match req.group {
        Group::Os => 0,
        Group::Image => 1,
        Group::Guests => 64,
        Group::Raw(g) => g,
    };
    let mut message = vec![
        (req.op & 0x1f) | (req.version << 3 & 0x18),
        req.flags,
        0,
        0,
        (group >> 8) as u8,
        group as u8,
        req.seq,
        req.cmd % 8,
    ];
    let len = req.len.unwrap_or(body.len() as u16);
    message[2..4].copy_from_slice(&len.to_be_bytes());
    message.extend_from_slice(&body);
    message
}

fn encode_value<S: Slots, G: Guests>(
    enc: &mut minicbor::Encoder<Vec<u8>>,
    value: &Value,
    server: &Server<S, G>,
    data: &[u8],
) {
    match value {
        Value::Small(n) => enc.u8(*n).map(drop),
        Value::U(n) => enc.u64(*n).map(drop),
        Value::I(n) => enc.i64(*n).map(drop),
        Value::Bytes(b) => enc.bytes(b).map(drop),
        Value::Wasm(b) => enc.bytes(&[b"\0asm", &b[..]].concat()).map(drop),
        Value::Str(s) => enc.str(s).map(drop),
        Value::Bool(b) => enc.bool(*b).map(drop),
        Value::Null => enc.null().map(drop),
        Value::NextOff => {
            enc.u64(server.upload_offset().map_or(0, |(_, off)| off as u64)).map(drop)
        }
        Value::LenOfData => enc.u64(data.len() as u64).map(drop),
        Value::LenPlus(n) => enc.u64(data.len() as u64 + u64::from(*n)).map(drop),
        Value::ShaOfData => enc.bytes(&Sha256::digest(data)).map(drop),
        Value::StateHash(n) => {
            let mut hashes = Vec::new();
            server.slots().states(&mut |s: ImageState<'_>| hashes.push(s.hash));
            let hash = hashes.get(usize::from(*n) % hashes.len().max(1)).copied();
            enc.bytes(&hash.unwrap_or([0; 32])).map(drop)
        }
        Value::Echo => enc.str("echo").map(drop),
        Value::In => enc.str("in").map(drop),
        Value::Array(items) => {
            enc.array(items.len() as u64).unwrap();
            items.iter().try_for_each(|i| enc.u8(*i).map(drop))
        }
        Value::Raw(bytes) => {
            enc.writer_mut().extend_from_slice(bytes);
            Ok(())
        }
    }
    .unwrap();
}

// ---- Response checks ----------------------------------------------------

/// Checks the response to `request` in `out[..len]`.
fn check_response(request: &[u8], out: &[u8], len: usize) {
    assert!(len <= out.len());
    let is_request = Header::parse(request).is_some_and(|h| h.op.response().is_some());
    if !is_request || out.len() < HEADER_LEN {
        assert_eq!(len, 0, "no response to a message that is not a request");
        return;
    }
    let req = Header::parse(request).unwrap();
    assert!(len >= HEADER_LEN, "a request gets a response");
    check_message(&out[..len]);
    let rsp = Header::parse(out).unwrap();
    assert_eq!(Some(rsp.op), req.op.response());
    assert_eq!(
        (rsp.version, rsp.group, rsp.seq, rsp.cmd),
        (req.version, req.group, req.seq, req.cmd)
    );
}

/// A response message: a header whose length is the body's, and a body of
/// one CBOR map, nothing after it.
fn check_message(message: &[u8]) {
    let h = Header::parse(message).expect("a response header");
    assert!(matches!(h.op, SmpOp::ReadRsp | SmpOp::WriteRsp));
    let body = &message[HEADER_LEN..];
    assert_eq!(usize::from(h.len), body.len(), "length field");
    if body.is_empty() {
        // Even the error map did not fit.
        return;
    }
    let mut d = minicbor::Decoder::new(body);
    assert_eq!(d.datatype().ok(), Some(minicbor::data::Type::Map), "{body:02x?}");
    d.skip().expect("a well-formed CBOR body");
    assert_eq!(d.position(), body.len(), "nothing after the map");
}

// ---- The crate's test doubles: RAM slots, the echo guest, NOR flash in
// RAM with power cuts (one file, shared with `wasm-sdk-smp/tests`).

#[path = "../../crates/wasm-sdk-smp/tests/common/doubles.rs"]
mod doubles;

use doubles::{BANK, EchoGuest, LAYOUT, MagicCheck, RamFlash, RamSlots};

type FlashServer<'s> = Server<FlashSlots<'s, RamFlash, MagicCheck>, EchoGuest>;

fn mount(flash: RamFlash, scratch: &mut [u8]) -> FlashServer<'_> {
    let slots = FlashSlots::mount(flash, LAYOUT, MagicCheck, scratch)
        .expect("flash slots mount after anything, power cuts included");
    Server::with_guests(slots, EchoGuest::default(), 384)
}

/// What flash slots promise after every operation.
fn check_flash(server: &mut FlashServer<'_>) {
    let mut states = Vec::new();
    server.slots().states(&mut |s: ImageState<'_>| states.push((s.image, s.active, s.hash)));
    for image in 0..LAYOUT.images {
        let of_image: Vec<_> = states.iter().filter(|s| s.0 == image).collect();
        assert!(of_image.len() <= 2, "two banks per image");
        let active: Vec<_> = of_image.iter().filter(|s| s.1).collect();
        assert!(active.len() <= 1, "one running module per image");
        // A power cut makes reads fail too; nothing to check then.
        if let Ok(Some(module)) = server.slots_mut().active_module(image) {
            assert!(module.starts_with(b"\0asm"), "passed the install check");
            let hash: [u8; 32] = Sha256::digest(module).into();
            assert_eq!(active.first().map(|s| s.2), Some(hash), "runs what it lists");
        }
    }
}

// ---- Driving ---------------------------------------------------------------

fn out_len(req: &Request) -> usize {
    req.out.map_or(RESPONSE_LEN, |n| usize::from(n) % (RESPONSE_LEN + 32))
}

fn run_ram(ops: &[Op]) {
    let mut serial =
        SerialServer::<RamSlots, EchoGuest>::with_guests(RamSlots::default(), EchoGuest::default());
    let mut out = vec![0u8; RESPONSE_LEN + 32];
    for (seq, op) in ops.iter().enumerate() {
        let command;
        let op = match op {
            Op::Command(c) => {
                command = Op::Request(c.request(seq as u8));
                &command
            }
            op => op,
        };
        let message = match op {
            Op::Request(req) => {
                let message = encode_request(req, serial.server());
                let out = &mut out[..out_len(req)];
                let (len, _) = serial.server_mut().handle(&message, out);
                check_response(&message, out, len);
                continue;
            }
            Op::Raw(message) => message,
            Op::Console(bytes) => {
                let mut lines = Vec::new();
                serial.receive(bytes, |line| {
                    assert!(line.len() <= MAX_LINE && line.ends_with(b"\n"));
                    lines.extend_from_slice(line);
                });
                let mut decoder = FrameDecoder::<{ RESPONSE_LEN + 4 }>::new();
                for &b in &lines {
                    match decoder.push(b) {
                        Received::Pending => {}
                        Received::Message(m) => check_message(m),
                        Received::Dropped(e) => panic!("a response line dropped: {e:?}"),
                    }
                }
                continue;
            }
            _ => continue,
        };
        let (len, _) = serial.server_mut().handle(message, &mut out[..RESPONSE_LEN]);
        check_response(message, &out[..RESPONSE_LEN], len);
    }
}

fn run_flash(ops: &[Op]) {
    let mut scratch = vec![0u8; (BANK - 64) as usize];
    let budget = Rc::new(Cell::new(None));
    let flash = RamFlash { bytes: vec![0xff; 4 * BANK as usize], budget: budget.clone() };
    let mut server = mount(flash, &mut scratch);
    let mut out = vec![0u8; RESPONSE_LEN + 32];
    for (seq, op) in ops.iter().enumerate() {
        let command;
        let op = match op {
            Op::Command(c) => {
                command = Op::Request(c.request(seq as u8));
                &command
            }
            op => op,
        };
        match op {
            Op::Request(req) => {
                let message = encode_request(req, &server);
                let out = &mut out[..out_len(req)];
                let (len, _) = server.handle(&message, out);
                check_response(&message, out, len);
            }
            Op::Raw(message) => {
                let (len, _) = server.handle(message, &mut out[..RESPONSE_LEN]);
                check_response(message, &out[..RESPONSE_LEN], len);
            }
            Op::Console(_) | Op::Command(_) => {}
            Op::PowerCut(n) => budget.set(Some(usize::from(*n % 32))),
            Op::Remount => {
                let flash = server.slots().flash().clone();
                drop(server);
                budget.set(None);
                server = mount(flash, &mut scratch);
            }
            Op::Confirm(image) => {
                let _ = server.slots_mut().confirm(u32::from(*image % 3));
            }
            Op::Reject(image) => {
                let _ = server.slots_mut().reject(u32::from(*image % 3));
            }
            Op::TakeChanged => {
                if let Some(image) = server.slots_mut().take_changed() {
                    assert!(image < LAYOUT.images);
                }
            }
        }
        check_flash(&mut server);
    }
}

fuzz_target!(|input: Input| {
    if input.flash {
        run_flash(&input.ops);
    } else {
        run_ram(&input.ops);
    }
});
