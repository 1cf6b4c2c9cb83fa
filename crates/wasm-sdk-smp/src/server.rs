//! Requests in, responses out: the OS and image groups over [`Slots`].

use minicbor::Decoder;
use minicbor::encode::Write;
use minicbor::encode::write::{Cursor, EndOfSlice};
use sha2::{Digest, Sha256};

use crate::guests::{BindingInfo, GROUP_GUESTS, GuestInfo, Guests, NoGuests, ServiceInfo};
use crate::header::{HEADER_LEN, Header, Op};
use crate::slots::{ImageState, SlotError, Slots, rc};

/// The OS management group.
pub const GROUP_OS: u16 = 0;
/// The image management group.
pub const GROUP_IMAGE: u16 = 1;

const OS_ECHO: u8 = 0;
const OS_RESET: u8 = 5;
const OS_PARAMS: u8 = 6;
const IMAGE_STATE: u8 = 0;
const IMAGE_UPLOAD: u8 = 1;
const IMAGE_ERASE: u8 = 5;
const GUESTS_LIST: u8 = 0;
const GUESTS_STOP: u8 = 1;
const GUESTS_START: u8 = 2;
const GUESTS_SEND: u8 = 3;
const GUESTS_OUTPUTS: u8 = 4;
const GUESTS_SERVICES: u8 = 5;
const GUESTS_BINDINGS: u8 = 6;

/// What the caller must do after sending a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing.
    None,
    /// An `os reset` was answered: reset the device.
    Reset,
}

/// An upload in progress.
struct Upload {
    image: u32,
    len: usize,
    /// Bytes received and stored so far: the next offset expected.
    off: usize,
    /// The announced SHA-256, if the client sent one.
    sha: Option<[u8; 32]>,
    hasher: Sha256,
}

/// An SMP server over the firmware's [`Slots`] and, optionally, its
/// [`Guests`] (the guest group). `buf_size` is what `mcumgr_params`
/// advertises: the frame reassembly buffer.
pub struct Server<S, G = NoGuests> {
    slots: S,
    guests: G,
    buf_size: u32,
    upload: Option<Upload>,
    /// The last upload completed: `(image, length, sha announced)`, to
    /// answer a resent last chunk (its response was lost) as done instead
    /// of making the client start over.
    last_done: Option<(u32, usize, Option<[u8; 32]>)>,
}

type Enc<'a> = minicbor::Encoder<Cursor<&'a mut [u8]>>;
type EncResult = Result<(), minicbor::encode::Error<EndOfSlice>>;

/// The outcome of a request handler: a body was encoded, or an error to
/// send instead.
enum Reply {
    Done,
    Error(SlotError),
}

impl<S: Slots> Server<S> {
    /// A server without the guest group, advertising a reassembly buffer
    /// of `buf_size` bytes.
    pub fn new(slots: S, buf_size: u32) -> Self {
        Server::with_guests(slots, NoGuests, buf_size)
    }
}

impl<S: Slots, G: Guests> Server<S, G> {
    /// A server with the guest group over `guests`.
    pub fn with_guests(slots: S, guests: G, buf_size: u32) -> Self {
        Server { slots, guests, buf_size, upload: None, last_done: None }
    }

    /// The guests.
    pub fn guests_mut(&mut self) -> &mut G {
        &mut self.guests
    }

    /// The slots.
    pub fn slots(&self) -> &S {
        &self.slots
    }

    /// The slots, to change them outside SMP (a health check confirming a
    /// module, a rollback).
    pub fn slots_mut(&mut self) -> &mut S {
        &mut self.slots
    }

    /// The offset of the upload in progress, if any.
    pub fn upload_offset(&self) -> Option<(u32, usize)> {
        self.upload.as_ref().map(|u| (u.image, u.off))
    }

    /// Handles one SMP request and writes the response message (header and
    /// CBOR body) to `out`. Returns its length (0: no response, for a
    /// message that is not a request) and what to do after sending it.
    pub fn handle(&mut self, request: &[u8], out: &mut [u8]) -> (usize, Action) {
        let Some(header) = Header::parse(request) else { return (0, Action::None) };
        let Some(op) = header.op.response() else { return (0, Action::None) };
        let Some((head, body_out)) = out.split_at_mut_checked(HEADER_LEN) else {
            return (0, Action::None);
        };
        let body = request.get(HEADER_LEN..).unwrap_or_default();
        let body = body.get(..usize::from(header.len)).unwrap_or(body);
        let mut action = Action::None;
        let len = {
            let mut enc = minicbor::Encoder::new(Cursor::new(&mut *body_out));
            let reply = self.dispatch(&header, body, &mut enc, &mut action);
            let written = enc.writer().position();
            match reply {
                Ok(Reply::Done) => written,
                Ok(Reply::Error(err)) => encode_error(body_out, &err),
                // The response did not fit: say so in the smallest form.
                Err(_) => encode_error(body_out, &SlotError::new(rc::ENOMEM, "response too large")),
            }
        };
        let response = Header {
            op,
            version: header.version,
            flags: 0,
            len: u16::try_from(len).unwrap_or(u16::MAX),
            group: header.group,
            seq: header.seq,
            cmd: header.cmd,
        };
        head.copy_from_slice(&response.to_bytes());
        (HEADER_LEN + len, action)
    }

    fn dispatch(
        &mut self,
        h: &Header,
        body: &[u8],
        enc: &mut Enc<'_>,
        action: &mut Action,
    ) -> Result<Reply, minicbor::encode::Error<EndOfSlice>> {
        match (h.group, h.cmd, h.op) {
            (GROUP_OS, OS_ECHO, _) => {
                let mut text = None;
                let parsed = fields(body, |key, d| {
                    if key == "d" {
                        text = Some(d.str()?);
                    } else {
                        d.skip()?;
                    }
                    Ok(())
                });
                match (parsed, text) {
                    (Ok(()), Some(text)) => {
                        enc.map(1)?.str("r")?.str(text)?;
                        Ok(Reply::Done)
                    }
                    _ => Ok(Reply::Error(SlotError::new(rc::EINVAL, "echo needs a text `d`"))),
                }
            }
            (GROUP_OS, OS_PARAMS, Op::Read) => {
                enc.map(2)?.str("buf_size")?.u32(self.buf_size)?.str("buf_count")?.u32(1)?;
                Ok(Reply::Done)
            }
            (GROUP_OS, OS_RESET, Op::Write) => {
                *action = Action::Reset;
                enc.map(0)?;
                Ok(Reply::Done)
            }
            (GROUP_IMAGE, IMAGE_STATE, Op::Read) => {
                self.encode_states(enc)?;
                Ok(Reply::Done)
            }
            (GROUP_IMAGE, IMAGE_STATE, Op::Write) => {
                let (mut hash, mut confirm) = (None, false);
                let parsed = fields(body, |key, d| {
                    match key {
                        "hash" => hash = Some(d.bytes()?),
                        "confirm" => confirm = d.bool()?,
                        _ => d.skip()?,
                    }
                    Ok(())
                });
                if parsed.is_err() {
                    return Ok(Reply::Error(SlotError::new(rc::EINVAL, "malformed request")));
                }
                if let Err(err) = self.slots.set_state(hash, confirm) {
                    return Ok(Reply::Error(err));
                }
                self.encode_states(enc)?;
                Ok(Reply::Done)
            }
            (GROUP_IMAGE, IMAGE_UPLOAD, Op::Write) => self.upload(body, enc),
            (GROUP_IMAGE, IMAGE_ERASE, Op::Write) => {
                // MCUboot numbering, as the clients use it: image `i` has
                // slots `2i` (running) and `2i + 1` (spare); 1 when absent.
                let mut slot = 1;
                let parsed = fields(body, |key, d| {
                    if key == "slot" {
                        slot = d.u32()?;
                    } else {
                        d.skip()?;
                    }
                    Ok(())
                });
                if parsed.is_err() {
                    return Ok(Reply::Error(SlotError::new(rc::EINVAL, "malformed request")));
                }
                let (image, running) = (slot / 2, slot % 2 == 0);
                // The running slot removes the image's modules where the
                // slots allow it; the spare one drops the module kept there.
                let erased =
                    if running { self.slots.remove(image) } else { self.slots.erase(image) };
                if let Err(err) = erased {
                    return Ok(Reply::Error(err));
                }
                // The staging area is erased too: a chunk that follows
                // starts over.
                if self.upload.as_ref().is_some_and(|u| u.image == image) {
                    self.upload = None;
                }
                // A removed module is no longer installed: a resent last
                // chunk of its upload must not be answered as done.
                if running && self.last_done.is_some_and(|(done, ..)| done == image) {
                    self.last_done = None;
                }
                enc.map(0)?;
                Ok(Reply::Done)
            }
            (GROUP_GUESTS, cmd, op) if G::ENABLED => self.guest_command(cmd, op, body, enc),
            _ => Ok(Reply::Error(SlotError::new(rc::ENOTSUP, "unknown group or command"))),
        }
    }

    fn guest_command(
        &mut self,
        cmd: u8,
        op: Op,
        body: &[u8],
        enc: &mut Enc<'_>,
    ) -> Result<Reply, minicbor::encode::Error<EndOfSlice>> {
        let (mut name, mut port, mut data, mut from) = (None, None, None, 0);
        let parsed = fields(body, |key, d| {
            match key {
                "name" => name = Some(d.str()?),
                "port" => port = Some(d.str()?),
                "data" => data = Some(d.bytes()?),
                "from" => from = d.u32()?,
                _ => d.skip()?,
            }
            Ok(())
        });
        if parsed.is_err() {
            return Ok(Reply::Error(SlotError::new(rc::EINVAL, "malformed request")));
        }
        let need = |field: Option<_>, what| field.ok_or(SlotError::new(rc::EINVAL, what));
        let result = match (cmd, op) {
            (GUESTS_LIST, Op::Read) => {
                let mut count = 0;
                self.guests.list(&mut |_| count += 1);
                enc.map(1)?.str("guests")?.array(count)?;
                let mut result = Ok(());
                self.guests.list(&mut |g: GuestInfo<'_>| {
                    if result.is_ok() {
                        result = encode_guest(enc, &g);
                    }
                });
                result?;
                return Ok(Reply::Done);
            }
            (GUESTS_STOP, Op::Write) => {
                need(name, "needs `name`").and_then(|n| self.guests.stop(n))
            }
            (GUESTS_START, Op::Write) => {
                need(name, "needs `name`").and_then(|n| self.guests.start(n))
            }
            (GUESTS_SEND, Op::Write) => match (name, port, data) {
                (Some(n), Some(p), Some(d)) => self.guests.send(n, p, d),
                _ => Err(SlotError::new(rc::EINVAL, "send needs `name`, `port` and `data`")),
            },
            (GUESTS_OUTPUTS, Op::Read) => {
                let n = match need(name, "needs `name`") {
                    Ok(n) => n,
                    Err(error) => return Ok(Reply::Error(error)),
                };
                // As many messages as fit, each taken only once it is
                // encoded; the rest stay for the next request. One byte is
                // kept for the end of the indefinite-length array.
                let capacity = enc.writer().get_ref().len().saturating_sub(1);
                enc.map(1)?.str("outputs")?.begin_array()?;
                let mut full = false;
                let outcome = self.guests.outputs(n, &mut |p, d| {
                    if full {
                        return false;
                    }
                    let before = enc.writer().position();
                    let fits =
                        encode_output(enc, p, d).is_ok() && enc.writer().position() <= capacity;
                    if !fits {
                        enc.writer_mut().set_position(before);
                        full = true;
                    }
                    fits
                });
                if let Err(error) = outcome {
                    return Ok(Reply::Error(error));
                }
                enc.end()?;
                return Ok(Reply::Done);
            }
            (GUESTS_SERVICES, Op::Read) => {
                let mut page = Page::begin(enc, "services", from)?;
                self.guests.services(&mut |s| page.add(|enc| encode_service(enc, s)));
                return page.finish();
            }
            (GUESTS_BINDINGS, Op::Read) => {
                let mut page = Page::begin(enc, "bindings", from)?;
                self.guests.bindings(&mut |b| page.add(|enc| encode_binding(enc, b)));
                return page.finish();
            }
            _ => Err(SlotError::new(rc::ENOTSUP, "unknown group or command")),
        };
        match result {
            Ok(()) => {
                enc.map(0)?;
                Ok(Reply::Done)
            }
            Err(error) => Ok(Reply::Error(error)),
        }
    }

    fn encode_states(&self, enc: &mut Enc<'_>) -> EncResult {
        let mut count = 0;
        self.slots.states(&mut |_| count += 1);
        enc.map(1)?.str("images")?.array(count)?;
        let mut result = Ok(());
        self.slots.states(&mut |s: ImageState<'_>| {
            if result.is_ok() {
                result = encode_state(enc, &s);
            }
        });
        result
    }

    fn upload(
        &mut self,
        body: &[u8],
        enc: &mut Enc<'_>,
    ) -> Result<Reply, minicbor::encode::Error<EndOfSlice>> {
        let mut req = UploadRequest::default();
        if parse_upload(body, &mut req).is_err() {
            return Ok(Reply::Error(SlotError::new(rc::EINVAL, "malformed upload request")));
        }
        let Some(off) = req.off else {
            return Ok(Reply::Error(SlotError::new(rc::EINVAL, "upload needs `off`")));
        };
        let data = req.data.unwrap_or_default();
        if let Some((image, len, sha)) = self.last_done
            && self.upload.is_none()
            && off.checked_add(data.len() as u64) == Some(len as u64)
            && req.image.is_none_or(|i| i == image)
            && (off != 0
                || (req.len == Some(len as u64) && req.sha == sha.as_ref().map(|s| &s[..])))
        {
            // The last chunk again (its answer was lost): done, not a new
            // upload that a module on trial would refuse.
            return encode_done(enc, len, sha.is_some()).map(|()| Reply::Done);
        }
        if off == 0 {
            let Some(len) = req.len else {
                return Ok(Reply::Error(SlotError::new(
                    rc::EINVAL,
                    "upload at offset 0 needs `len`",
                )));
            };
            if let Err(err) = self.start(req.image.unwrap_or(0), len, req.sha) {
                self.upload = None;
                return Ok(Reply::Error(err));
            }
        }
        let Some(upload) = self.upload.as_mut() else {
            // Nothing in progress: the client restarts from 0.
            enc.map(1)?.str("off")?.u32(0)?;
            return Ok(Reply::Done);
        };
        if req.image.is_some_and(|i| i != upload.image) {
            return Ok(Reply::Error(SlotError::new(rc::EINVAL, "chunk for another image")));
        }
        if off != upload.off as u64 {
            // Out of order (a resend, a lost chunk): say what is held.
            enc.map(1)?.str("off")?.u64(upload.off as u64)?;
            return Ok(Reply::Done);
        }
        if data.len() > upload.len - upload.off {
            self.upload = None;
            return Ok(Reply::Error(SlotError::new(rc::EINVAL, "data past the announced length")));
        }
        if let Err(err) = self.slots.write(upload.image, upload.off, data) {
            self.upload = None;
            return Ok(Reply::Error(err));
        }
        upload.hasher.update(data);
        upload.off += data.len();
        if upload.off < upload.len {
            enc.map(1)?.str("off")?.u64(upload.off as u64)?;
            return Ok(Reply::Done);
        }
        // Complete: check and install before answering, because the client
        // sends nothing more after the last chunk.
        let Some(done) = self.upload.take() else { return Ok(Reply::Done) };
        self.last_done = None;
        let hash: [u8; 32] = done.hasher.finalize().into();
        if done.sha.is_some_and(|sha| sha != hash) {
            return Ok(Reply::Error(SlotError::new(
                rc::ECORRUPT,
                "sha256 does not match the upload",
            )));
        }
        if let Err(err) = self.slots.finish(done.image, &hash) {
            return Ok(Reply::Error(err));
        }
        self.last_done = Some((done.image, done.len, done.sha));
        encode_done(enc, done.len, done.sha.is_some()).map(|()| Reply::Done)
    }

    fn start(&mut self, image: u32, len: u64, sha: Option<&[u8]>) -> Result<(), SlotError> {
        if image >= self.slots.count() {
            return Err(SlotError::new(rc::ENOENT, "no such guest slot"));
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len == 0 {
            return Err(SlotError::new(rc::EINVAL, "empty module"));
        }
        if len > self.slots.capacity(image) {
            return Err(SlotError::new(rc::ENOMEM, "module larger than the slot"));
        }
        let sha = match sha {
            None => None,
            Some(bytes) => Some(
                <[u8; 32]>::try_from(bytes)
                    .map_err(|_| SlotError::new(rc::EINVAL, "sha must be 32 bytes"))?,
            ),
        };
        self.last_done = None;
        self.slots.begin(image, len)?;
        self.upload = Some(Upload { image, len, off: 0, sha, hasher: Sha256::new() });
        Ok(())
    }
}

#[derive(Default)]
struct UploadRequest<'b> {
    /// The image number, if sent (an upload starts in image 0 without).
    image: Option<u32>,
    off: Option<u64>,
    len: Option<u64>,
    sha: Option<&'b [u8]>,
    data: Option<&'b [u8]>,
}

fn parse_upload<'b>(
    body: &'b [u8],
    req: &mut UploadRequest<'b>,
) -> Result<(), minicbor::decode::Error> {
    fields(body, |key, d| {
        match key {
            "image" => req.image = Some(d.u32()?),
            "off" => req.off = Some(d.u64()?),
            "len" => req.len = Some(d.u64()?),
            "sha" => req.sha = Some(d.bytes()?),
            "data" => req.data = Some(d.bytes()?),
            _ => d.skip()?,
        }
        Ok(())
    })
}

/// Calls `field` for each `key: value` of the body's top-level map (text
/// keys); `field` decodes or skips the value.
fn fields<'b>(
    body: &'b [u8],
    mut field: impl FnMut(&'b str, &mut Decoder<'b>) -> Result<(), minicbor::decode::Error>,
) -> Result<(), minicbor::decode::Error> {
    let mut d = Decoder::new(body);
    let Some(count) = d.map()? else {
        return Err(minicbor::decode::Error::message("indefinite-length map"));
    };
    for _ in 0..count {
        let key = d.str()?;
        field(key, &mut d)?;
    }
    Ok(())
}

/// One image state entry. The flags are sent only when true (the clients
/// default them to false): four entries then fit a 384-byte buffer.
fn encode_state(enc: &mut Enc<'_>, s: &ImageState<'_>) -> EncResult {
    let flags = [
        ("bootable", s.bootable),
        ("pending", s.pending),
        ("confirmed", s.confirmed),
        ("active", s.active),
        ("permanent", s.permanent),
    ];
    let set = flags.iter().filter(|(_, on)| *on).count() as u64;
    enc.map(4 + set)?
        .str("image")?
        .u32(s.image)?
        .str("slot")?
        .u32(s.slot)?
        .str("version")?
        .str(s.version)?
        .str("hash")?
        .bytes(&s.hash)?;
    for (name, _) in flags.iter().filter(|(_, on)| *on) {
        enc.str(name)?.bool(true)?;
    }
    Ok(())
}

/// The answer to a completed upload: the length, and `match` when the
/// client announced a sha (it was checked).
fn encode_done(enc: &mut Enc<'_>, len: usize, matched: bool) -> EncResult {
    if matched {
        enc.map(2)?.str("off")?.u64(len as u64)?.str("match")?.bool(true)?;
    } else {
        enc.map(1)?.str("off")?.u64(len as u64)?;
    }
    Ok(())
}

fn encode_guest(enc: &mut Enc<'_>, g: &GuestInfo<'_>) -> EncResult {
    enc.map(11)?
        .str("name")?
        .str(g.name)?
        .str("image")?
        .u32(g.image)?
        .str("state")?
        .str(g.state)?
        .str("fuel")?
        .u64(g.fuel)?
        .str("memory")?
        .u32(g.memory)?
        .str("received")?
        .u32(g.received)?
        .str("sent")?
        .u32(g.sent)?
        .str("module")?
        .str(g.module)?
        .str("restarts")?
        .u32(g.restarts)?
        .str("dead_letters")?
        .u32(g.dead_letters)?
        .str("dropped_lines")?
        .u32(g.dropped_lines)?;
    Ok(())
}

fn encode_output(enc: &mut Enc<'_>, port: &str, data: &[u8]) -> EncResult {
    enc.map(2)?.str("port")?.str(port)?.str("data")?.bytes(data)?;
    Ok(())
}

/// A paged list in a response: `{key: [entries], "next": n}`, the entries
/// from number `from` that fit, and `next` when some are left.
struct Page<'e, 'b> {
    enc: &'e mut Enc<'b>,
    /// The number of the next entry offered.
    index: u32,
    from: u32,
    /// Where the entries must end, to leave room for the ends of the array
    /// and the map and for `next`.
    capacity: usize,
    written: u32,
    /// The first entry that did not fit.
    next: Option<u32>,
    /// Where the response's map starts: a map of one entry, made two when
    /// `next` follows.
    start: usize,
}

/// Bytes a [`Page`] keeps for its end: the array's break, and `"next"`
/// with a `u32`.
const PAGE_END: usize = 1 + 5 + 5;

/// CBOR's head of a map of two entries (major type 5, count 2).
const MAP_OF_TWO: u8 = 0xa2;

impl<'e, 'b> Page<'e, 'b> {
    fn begin(
        enc: &'e mut Enc<'b>,
        key: &str,
        from: u32,
    ) -> Result<Self, minicbor::encode::Error<EndOfSlice>> {
        let capacity = enc.writer().get_ref().len().saturating_sub(PAGE_END);
        let start = enc.writer().position();
        enc.map(1)?.str(key)?.begin_array()?;
        Ok(Page { enc, index: 0, from, capacity, written: 0, next: None, start })
    }

    /// Offers the next entry: skipped before `from`, written if it fits;
    /// `false` once one did not (the rest is for the next page).
    fn add(&mut self, entry: impl FnOnce(&mut Enc<'b>) -> Option<()>) -> bool {
        if self.next.is_some() {
            return false;
        }
        let index = self.index;
        self.index = index.saturating_add(1);
        if index < self.from {
            return true;
        }
        let before = self.enc.writer().position();
        if entry(self.enc).is_some() && self.enc.writer().position() <= self.capacity {
            self.written += 1;
            return true;
        }
        self.enc.writer_mut().set_position(before);
        self.next = Some(index);
        false
    }

    fn finish(self) -> Result<Reply, minicbor::encode::Error<EndOfSlice>> {
        if self.written == 0 && self.next.is_some() {
            // Else a client asking for the same page again would loop.
            return Ok(Reply::Error(SlotError::new(
                rc::ENOMEM,
                "an entry does not fit a response: raise the SMP buffer (the server's buf_size)",
            )));
        }
        self.enc.end()?;
        if let Some(next) = self.next {
            self.enc.str("next")?.u32(next)?;
            // The map's head, `map(1)` in one byte, becomes `map(2)`.
            if let Some(head) = self.enc.writer_mut().get_mut().get_mut(self.start) {
                *head = MAP_OF_TWO;
            }
        }
        Ok(Reply::Done)
    }
}

fn encode_service(enc: &mut Enc<'_>, s: &ServiceInfo<'_>) -> Option<()> {
    enc.map(5).ok()?.str("name").ok()?.str(s.name).ok()?;
    enc.str("direction").ok()?.str(s.direction).ok()?;
    enc.str("type").ok()?.str(s.ty).ok()?.str("key").ok()?.bytes(&s.key).ok()?;
    // The schema is written in place, after its length.
    let len = (s.schema)(&mut []);
    enc.str("schema").ok()?.bytes_len(u64::try_from(len).ok()?).ok()?;
    let cursor = enc.writer_mut();
    let at = cursor.position();
    let out = cursor.get_mut().get_mut(at..at.checked_add(len)?)?;
    (s.schema)(out);
    cursor.set_position(at + len);
    Some(())
}

fn encode_binding(enc: &mut Enc<'_>, b: &BindingInfo<'_>) -> Option<()> {
    let typed = b.ty.is_some();
    enc.map(if typed { 8 } else { 6 }).ok()?;
    enc.str("guest").ok()?.str(b.guest).ok()?.str("image").ok()?.u32(b.image).ok()?;
    enc.str("kind").ok()?.str(b.kind).ok()?.str("port").ok()?.str(b.port).ok()?;
    enc.str("to").ok()?.str(b.to).ok()?.str("target").ok()?.str(b.target).ok()?;
    if let Some((name, key)) = b.ty {
        enc.str("type").ok()?.str(name).ok()?.str("key").ok()?.bytes(&key).ok()?;
    }
    Some(())
}

/// Writes `{"rc": rc, "rsn": reason}` (`reason: detail` with a detail, or
/// the reason alone if that does not fit) at the start of `out`; returns
/// its length (0 if even that does not fit).
fn encode_error(out: &mut [u8], err: &SlotError) -> usize {
    encode_rsn(out, err.rc, &err.rsn())
        .or_else(|| encode_rsn(out, err.rc, &[err.reason]))
        .unwrap_or(0)
}

/// `{"rc": rc, "rsn": <pieces joined>}`, the text as one definite-length
/// string; its length, or `None` if it does not fit `out`.
fn encode_rsn(out: &mut [u8], rc: u32, pieces: &[&str]) -> Option<usize> {
    let mut enc = minicbor::Encoder::new(Cursor::new(out));
    let len = pieces.iter().map(|p| p.len() as u64).sum();
    let head = enc.map(2).and_then(|e| e.str("rc")).and_then(|e| e.u32(rc));
    head.and_then(|e| e.str("rsn")).and_then(|e| e.str_len(len)).ok()?;
    for piece in pieces {
        enc.writer_mut().write_all(piece.as_bytes()).ok()?;
    }
    Some(enc.writer().position())
}
