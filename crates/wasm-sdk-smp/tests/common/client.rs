//! An SMP client for the tests over a [`Link`]: the server in memory
//! ([`Memory`]) or a device on a serial port ([`Serial`]), and the checks of
//! bad input that both run.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use minicbor::Decoder;
use sha2::{Digest, Sha256};
use wasm_sdk_smp::frame::{self, FrameDecoder, Received};
use wasm_sdk_smp::header::{Header, Op};
use wasm_sdk_smp::{Action, Guests, NoGuests, SerialServer};

use super::RamSlots;

/// Where requests go and responses come from.
pub trait Link {
    /// Sends console bytes.
    fn send(&mut self, bytes: &[u8]);
    /// The bytes received within `timeout`; empty when none came (the
    /// in-memory link does not wait: what was not answered never will be).
    fn receive(&mut self, timeout: Duration) -> Vec<u8>;
}

/// The server in memory, with RAM slots: answers as it receives.
pub struct Memory<G: Guests = NoGuests> {
    /// The server, for the tests that look inside.
    pub server: SerialServer<RamSlots, G>,
    /// What the last [`Link::send`] asked for.
    pub action: Action,
    out: Vec<u8>,
}

impl<G: Guests> Memory<G> {
    /// A server with the guest group over `guests`.
    pub fn with_guests(guests: G) -> Self {
        Memory {
            server: SerialServer::with_guests(RamSlots::default(), guests),
            action: Action::None,
            out: Vec::new(),
        }
    }
}

impl Default for Memory {
    fn default() -> Self {
        Memory::with_guests(NoGuests)
    }
}

impl<G: Guests> Link for Memory<G> {
    fn send(&mut self, bytes: &[u8]) {
        let out = &mut self.out;
        self.action = self.server.receive(bytes, |line| out.extend_from_slice(line));
    }

    fn receive(&mut self, _timeout: Duration) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// A serial port: a device's UART (QEMU's pty), in raw mode.
pub struct Serial {
    port: Box<dyn serialport::SerialPort>,
}

impl Serial {
    /// Opens the port at `path`.
    pub fn open(path: &str) -> Self {
        let port = serialport::new(path, 115_200)
            .timeout(Duration::from_secs(5))
            .open()
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
        Serial { port }
    }
}

impl Link for Serial {
    fn send(&mut self, bytes: &[u8]) {
        self.port.write_all(bytes).expect("serial write");
        self.port.flush().expect("serial flush");
    }

    fn receive(&mut self, timeout: Duration) -> Vec<u8> {
        let mut buf = [0u8; 4096];
        self.port.set_timeout(timeout.max(Duration::from_millis(1))).expect("serial timeout");
        match self.port.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(e) if e.kind() == ErrorKind::TimedOut => Vec::new(),
            Err(e) => panic!("serial read: {e}"),
        }
    }
}

/// A decoded response: header and the body's top-level map as
/// `(key, value)` with values rendered to text.
#[derive(Debug)]
pub struct Response {
    pub header: Header,
    pub fields: Vec<(String, String)>,
}

impl Response {
    /// The value of `key`, rendered.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// `(rc, rsn)`, as sent.
    pub fn error(&self) -> (Option<&str>, Option<&str>) {
        (self.get("rc"), self.get("rsn"))
    }

    fn decode(message: &[u8]) -> Self {
        let header = Header::parse(message).expect("response header");
        let body = &message[8..];
        assert_eq!(usize::from(header.len), body.len());
        let mut d = Decoder::new(body);
        let n = d.map().unwrap().unwrap();
        let fields = (0..n).map(|_| (d.str().unwrap().to_owned(), render(&mut d))).collect();
        assert_eq!(d.position(), body.len(), "no trailing bytes");
        Response { header, fields }
    }
}

fn render(d: &mut Decoder<'_>) -> String {
    use minicbor::data::Type;
    match d.datatype().expect("a value") {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => d.u64().unwrap().to_string(),
        Type::Bool => d.bool().unwrap().to_string(),
        Type::String => d.str().unwrap().to_owned(),
        Type::Bytes => hex(d.bytes().unwrap()),
        Type::Array => {
            let n = d.array().unwrap().unwrap();
            let items: Vec<String> = (0..n).map(|_| render(d)).collect();
            format!("[{}]", items.join(", "))
        }
        Type::ArrayIndef => {
            d.array().unwrap();
            let mut items = Vec::new();
            while d.datatype().unwrap() != Type::Break {
                items.push(render(d));
            }
            d.set_position(d.position() + 1);
            format!("[{}]", items.join(", "))
        }
        Type::Map => {
            let n = d.map().unwrap().unwrap();
            let items: Vec<String> =
                (0..n).map(|_| format!("{}: {}", d.str().unwrap(), render(d))).collect();
            format!("{{{}}}", items.join(", "))
        }
        other => panic!("unexpected CBOR {other:?}"),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An SMP client over a [`Link`].
pub struct Client<L> {
    pub link: L,
    seq: u8,
    /// How long a response may take.
    pub timeout: Duration,
    decoder: FrameDecoder<1024>,
    responses: VecDeque<Response>,
}

impl<L: Link> Client<L> {
    pub fn new(link: L) -> Self {
        Client {
            link,
            seq: 0,
            timeout: Duration::from_secs(5),
            decoder: FrameDecoder::new(),
            responses: VecDeque::new(),
        }
    }

    /// The sequence number of the last framed request.
    pub fn seq(&self) -> u8 {
        self.seq
    }

    /// Frames a request with the next sequence number.
    pub fn frame(&mut self, op: Op, group: u16, cmd: u8, body: &[u8]) -> Vec<u8> {
        self.seq = self.seq.wrapping_add(1);
        let header =
            Header { op, version: 1, flags: 0, len: body.len() as u16, group, seq: self.seq, cmd };
        let mut message = header.to_bytes().to_vec();
        message.extend_from_slice(body);
        let mut scratch = vec![0u8; message.len() + 4];
        let mut bytes = Vec::new();
        frame::encode(&message, &mut scratch, |l| bytes.extend_from_slice(l)).unwrap();
        bytes
    }

    /// Sends raw console bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.link.send(bytes);
    }

    /// The next response, if one comes within `timeout`.
    pub fn receive_within(&mut self, timeout: Duration) -> Option<Response> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.responses.pop_front() {
                return Some(r);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let bytes = self.link.receive(left);
            if bytes.is_empty() {
                return None;
            }
            for byte in bytes {
                if let Received::Message(m) = self.decoder.push(byte) {
                    self.responses.push_back(Response::decode(m));
                }
            }
        }
    }

    /// The next response, if one comes within [`Client::timeout`].
    pub fn receive(&mut self) -> Option<Response> {
        self.receive_within(self.timeout)
    }

    /// Sends raw console bytes; returns every response that comes.
    pub fn exchange(&mut self, bytes: &[u8]) -> Vec<Response> {
        self.send_raw(bytes);
        std::iter::from_fn(|| self.receive()).collect()
    }

    /// Forgets what is still on its way (answers to an earlier test).
    pub fn drain(&mut self) {
        while self.receive_within(Duration::from_millis(300)).is_some() {}
        self.decoder = FrameDecoder::new();
    }

    /// The answer to one request, checked to be its response.
    pub fn request(&mut self, op: Op, group: u16, cmd: u8, body: &[u8]) -> Response {
        let bytes = self.frame(op, group, cmd, body);
        self.send_raw(&bytes);
        self.response_to(op, group, cmd)
    }

    /// The next response, checked to answer the last request framed.
    pub fn response_to(&mut self, op: Op, group: u16, cmd: u8) -> Response {
        let r = self.receive().unwrap_or_else(|| panic!("no answer to {group}/{cmd}"));
        assert_eq!((r.header.group, r.header.cmd, r.header.seq), (group, cmd, self.seq));
        assert_eq!(Some(r.header.op), op.response());
        r
    }

    /// An echo of `text`, checked.
    pub fn echo(&mut self, text: &str) {
        assert_eq!(self.request(Op::Write, 0, 0, &echo(text)).get("r"), Some(text));
    }
}

pub fn cbor(build: impl FnOnce(&mut minicbor::Encoder<&mut Vec<u8>>)) -> Vec<u8> {
    let mut out = Vec::new();
    build(&mut minicbor::Encoder::new(&mut out));
    out
}

/// The body of an echo request.
pub fn echo(text: &str) -> Vec<u8> {
    cbor(|e| {
        e.map(1).unwrap().str("d").unwrap().str(text).unwrap();
    })
}

/// A "module" of `len` bytes: the Wasm magic and filler.
pub fn module(len: usize) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend((0..len.saturating_sub(8)).map(|i| (i * 7) as u8));
    m
}

/// Uploads `data` in chunks of `chunk` bytes the way smpmgr does; returns
/// the last response.
pub fn upload<L: Link>(c: &mut Client<L>, image: u32, data: &[u8], chunk: usize) -> Response {
    let sha = Sha256::digest(data);
    let mut off = 0;
    loop {
        let end = (off + chunk).min(data.len());
        let body = cbor(|e| {
            if off == 0 {
                e.map(6).unwrap().str("image").unwrap().u32(image).unwrap();
                e.str("len").unwrap().u64(data.len() as u64).unwrap();
                e.str("sha").unwrap().bytes(&sha).unwrap();
                e.str("upgrade").unwrap().bool(false).unwrap();
            } else {
                e.map(2).unwrap();
            }
            e.str("off").unwrap().u64(off as u64).unwrap();
            e.str("data").unwrap().bytes(&data[off..end]).unwrap();
        });
        let r = c.request(Op::Write, 1, 1, &body);
        let Some(next) = r.get("off").and_then(|v| v.parse::<usize>().ok()) else { return r };
        if next >= data.len() {
            return r;
        }
        off = next;
    }
}

/// The first upload request of `data` for image 0, with its first `first`
/// bytes.
pub fn first_chunk(data: &[u8], first: usize) -> Vec<u8> {
    let sha = Sha256::digest(data);
    cbor(|e| {
        e.map(5).unwrap().str("image").unwrap().u32(0).unwrap();
        e.str("len").unwrap().u64(data.len() as u64).unwrap();
        e.str("sha").unwrap().bytes(&sha).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&data[..first]).unwrap();
    })
}

/// An upload of `data` into image 0 that stops after its first 100 bytes:
/// then a chunk at the wrong offset is answered with the offset held.
pub fn upload_stops<L: Link>(c: &mut Client<L>, data: &[u8]) {
    assert_eq!(c.request(Op::Write, 1, 1, &first_chunk(data, 100)).get("off"), Some("100"));
    let skip = cbor(|e| {
        e.map(2).unwrap().str("off").unwrap().u64(500).unwrap();
        e.str("data").unwrap().bytes(&data[500..600]).unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &skip).get("off"), Some("100"), "the offset held");
}

/// Bad uploads into a server whose image 0 holds up to `capacity` bytes,
/// each refused with its `rc` and reason.
pub fn bad_uploads<L: Link>(c: &mut Client<L>, capacity: usize) {
    // Wrong sha: the last chunk is refused, nothing installed.
    let wasm = module(200);
    let body = cbor(|e| {
        e.map(5).unwrap().str("image").unwrap().u32(0).unwrap();
        e.str("len").unwrap().u64(200).unwrap().str("sha").unwrap().bytes(&[0u8; 32]).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&wasm).unwrap();
    });
    let r = c.request(Op::Write, 1, 1, &body);
    assert_eq!(r.error(), (Some("9"), Some("sha256 does not match the upload")));
    // Garbage that is not a module: refused by the slot.
    let r = upload(c, 0, &[0x42; 300], 100);
    let (rc, reason) = r.error();
    assert_eq!(rc, Some("9"));
    let reason = reason.unwrap_or_default();
    // The static reason, alone or with what the engine says (`reason:
    // detail`), said once.
    assert!(reason == "not a wasm module" || reason.starts_with("not a wasm module: "), "{reason}");
    assert_eq!(reason.matches("not a wasm module").count(), 1, "{reason}");
    // Over the slot's size: refused at the first chunk.
    let r = upload(c, 0, &module(capacity + 1), 100);
    assert_eq!(r.error(), (Some("2"), Some("module larger than the slot")));
    // No such slot, a missing length, a chunk past the length.
    let r = upload(c, 7, &module(100), 100);
    assert_eq!(r.error(), (Some("5"), Some("no such guest slot")));
    let no_len = cbor(|e| {
        e.map(2).unwrap().str("off").unwrap().u64(0).unwrap();
        e.str("data").unwrap().bytes(b"\0asm").unwrap();
    });
    let r = c.request(Op::Write, 1, 1, &no_len);
    assert_eq!(r.error(), (Some("3"), Some("upload at offset 0 needs `len`")));
    let long = cbor(|e| {
        e.map(3).unwrap().str("len").unwrap().u64(4).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&[0; 8]).unwrap();
    });
    let r = c.request(Op::Write, 1, 1, &long);
    assert_eq!(r.error(), (Some("3"), Some("data past the announced length")));
}

/// Unknown groups and commands, and malformed CBOR bodies.
pub fn unknown_commands_and_malformed_bodies<L: Link>(c: &mut Client<L>) {
    let unknown = (Some("8"), Some("unknown group or command"));
    assert_eq!(c.request(Op::Read, 63, 0, &[0xa0]).error(), unknown);
    assert_eq!(c.request(Op::Write, 0, 99, &[0xa0]).error(), unknown);
    for body in
        [&b""[..], &[0xff], &[0xa1, 0x61], &[0x9f, 0xff], &[0xbf, 0xff], &[0xa1, 0x01, 0x02]]
    {
        let r = c.request(Op::Write, 1, 1, body);
        assert_eq!(r.error(), (Some("3"), Some("malformed upload request")), "{body:02x?}");
        let r = c.request(Op::Write, 0, 0, body);
        assert_eq!(r.error(), (Some("3"), Some("echo needs a text `d`")), "{body:02x?}");
    }
    // A map claiming 2^64 entries ends at the input's end.
    let huge = [0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    let r = c.request(Op::Write, 1, 0, &huge);
    assert_eq!(r.error(), (Some("3"), Some("malformed request")));
}

/// Two broken frames (one base64 character changed: a CRC or length error;
/// a line that is not base64) and console noise, then an echo: the only
/// answer is the echo's.
pub fn broken_frames_then_echo<L: Link>(c: &mut Client<L>) {
    let mut bytes = c.frame(Op::Write, 0, 0, &echo("x"));
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    bytes.extend_from_slice(b"\x06\x09not base64!\n");
    bytes.extend_from_slice(b"console noise without a marker\n");
    bytes.extend(c.frame(Op::Write, 0, 0, &echo("x")));
    c.send_raw(&bytes);
    assert_eq!(c.response_to(Op::Write, 0, 0).get("r"), Some("x"), "the echo's answer first");
}

/// A request over the 384-byte buffer, then an echo: the only answer is
/// the echo's.
pub fn over_the_buffer_then_echo<L: Link>(c: &mut Client<L>) {
    let body = echo(&"x".repeat(400));
    let mut bytes = c.frame(Op::Write, 0, 0, &body);
    bytes.extend(c.frame(Op::Write, 0, 0, &echo("after")));
    c.send_raw(&bytes);
    assert_eq!(c.response_to(Op::Write, 0, 0).get("r"), Some("after"), "the echo's answer first");
}

/// `count` echo requests with garbage lines (`garbage` bytes of filler
/// every third request), at most `window` unanswered at a time: every one
/// is answered, in order. Returns the time taken.
pub fn flood<L: Link>(c: &mut Client<L>, count: usize, garbage: usize, window: usize) -> Duration {
    let body = echo("flood");
    let started = Instant::now();
    let (mut bytes, mut expected, mut answered) = (Vec::new(), VecDeque::new(), 0);
    for i in 0..count {
        bytes.extend(c.frame(Op::Write, 0, 0, &body));
        expected.push_back(c.seq());
        if i % 3 == 0 {
            bytes.extend_from_slice(&[0x06, 0x09, b'Q', b'\n', 0x04, 0x14, b'\n']);
            bytes.extend(std::iter::repeat_n(b'z', garbage));
            bytes.push(b'\n');
        }
        let last = i + 1 == count;
        if expected.len() >= window || last {
            c.send_raw(&bytes);
            bytes.clear();
            let keep = if last { 0 } else { window / 2 };
            while expected.len() > keep {
                let r = c.receive().unwrap_or_else(|| panic!("echo {answered} not answered"));
                assert_eq!(
                    (r.header.seq, r.get("r")),
                    (expected.pop_front().unwrap(), Some("flood"))
                );
                answered += 1;
            }
        }
    }
    assert_eq!(answered, count);
    started.elapsed()
}
