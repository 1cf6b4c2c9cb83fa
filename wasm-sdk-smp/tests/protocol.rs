//! The SMP server driven as a client would drive it over a serial line:
//! framed requests in, framed responses out, with RAM slots. Covers the
//! commands the standard clients use and the bad inputs: truncated and
//! resumed uploads, a wrong sha, garbage, a module over the slot size,
//! unknown groups and commands, malformed CBOR, bad CRC and length, a
//! flood.

mod common;

use common::{CAPACITY, RamSlots};
use minicbor::Decoder;
use sha2::{Digest, Sha256};
use wasm_sdk_smp::frame::{self, FrameDecoder, Received};
use wasm_sdk_smp::header::{Header, Op};
use wasm_sdk_smp::slots::{SlotError, rc};
use wasm_sdk_smp::{Action, GuestInfo, Guests, SerialServer};

/// A decoded response: header and the body's top-level map as
/// `(key, value)` with values rendered to text.
#[derive(Debug)]
struct Response {
    header: Header,
    fields: Vec<(String, String)>,
}

impl Response {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One guest, `echo`, whose input `in` echoes to its output `out`
/// (outputs wait until taken).
#[derive(Default)]
struct EchoGuest {
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
}

impl EchoGuest {
    fn known(&self, name: &str) -> Result<(), SlotError> {
        if name == "echo" { Ok(()) } else { Err(SlotError::new(rc::ENOENT, "no such guest")) }
    }
}

struct Client<G: Guests = wasm_sdk_smp::NoGuests> {
    server: SerialServer<RamSlots, G>,
    seq: u8,
}

impl Client {
    fn new() -> Self {
        Client { server: SerialServer::new(RamSlots::default()), seq: 0 }
    }
}

impl Client<EchoGuest> {
    fn with_guest() -> Self {
        Client {
            server: SerialServer::with_guests(RamSlots::default(), EchoGuest::default()),
            seq: 0,
        }
    }
}

impl<G: Guests> Client<G> {
    /// Sends raw console bytes; returns the decoded responses.
    fn send_raw(&mut self, bytes: &[u8]) -> (Vec<Response>, Action) {
        let mut lines = Vec::new();
        let action = self.server.receive(bytes, |l| lines.push(l.to_vec()));
        let mut decoder = FrameDecoder::<1024>::new();
        let mut out = Vec::new();
        for byte in lines.concat() {
            if let Received::Message(m) = decoder.push(byte) {
                let header = Header::parse(m).expect("response header");
                let body = &m[8..];
                assert_eq!(usize::from(header.len), body.len());
                let mut d = Decoder::new(body);
                let n = d.map().unwrap().unwrap();
                let fields =
                    (0..n).map(|_| (d.str().unwrap().to_owned(), render(&mut d))).collect();
                assert_eq!(d.position(), body.len(), "no trailing bytes");
                out.push(Response { header, fields });
            }
        }
        (out, action)
    }

    fn frame(&mut self, op: Op, group: u16, cmd: u8, body: &[u8]) -> Vec<u8> {
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

    fn request(&mut self, op: Op, group: u16, cmd: u8, body: &[u8]) -> Response {
        let bytes = self.frame(op, group, cmd, body);
        let (mut responses, _) = self.send_raw(&bytes);
        assert_eq!(responses.len(), 1, "one response");
        let r = responses.pop().unwrap();
        assert_eq!((r.header.group, r.header.cmd, r.header.seq), (group, cmd, self.seq));
        assert_eq!(Some(r.header.op), op.response());
        r
    }
}

fn cbor(build: impl FnOnce(&mut minicbor::Encoder<&mut Vec<u8>>)) -> Vec<u8> {
    let mut out = Vec::new();
    build(&mut minicbor::Encoder::new(&mut out));
    out
}

fn module(len: usize) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend((0..len.saturating_sub(8)).map(|i| (i * 7) as u8));
    m
}

/// Uploads `data` in chunks of `chunk` bytes the way smpmgr does; returns
/// the last response.
fn upload<G: Guests>(c: &mut Client<G>, image: u32, data: &[u8], chunk: usize) -> Response {
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

#[test]
fn echo_params_and_reset() {
    let mut c = Client::new();
    let body = cbor(|e| {
        e.map(1).unwrap().str("d").unwrap().str("hello").unwrap();
    });
    assert_eq!(c.request(Op::Write, 0, 0, &body).get("r"), Some("hello"));
    assert_eq!(c.request(Op::Read, 0, 0, &body).get("r"), Some("hello"), "echo as a read");
    let params = c.request(Op::Read, 0, 6, &[0xa0]);
    assert_eq!((params.get("buf_size"), params.get("buf_count")), (Some("384"), Some("1")));
    let bytes = c.frame(Op::Write, 0, 5, &[0xa0]);
    let (responses, action) = c.send_raw(&bytes);
    assert_eq!((responses.len(), action), (1, Action::Reset));
}

#[test]
fn upload_then_state_read_and_confirm() {
    let mut c = Client::new();
    let wasm = module(3000);
    let last = upload(&mut c, 1, &wasm, 150);
    assert_eq!(last.get("off"), Some("3000"));
    assert_eq!(last.get("match"), Some("true"));
    assert_eq!(last.fields.len(), 2, "exactly off and match");
    let state = c.request(Op::Read, 1, 0, &[0xa0]);
    let images = state.get("images").unwrap();
    assert!(images.contains(&hex(&Sha256::digest(&wasm))), "{images}");
    assert!(images.contains("pending: true") && images.contains("image: 1"), "{images}");
    let confirm = cbor(|e| {
        e.map(1).unwrap().str("confirm").unwrap().bool(true).unwrap();
    });
    let state = c.request(Op::Write, 1, 0, &confirm);
    assert!(state.get("images").unwrap().contains("confirmed: true"));
}

#[test]
fn the_client_side_upload_lines_install_a_module() {
    let mut c = Client::new();
    let wasm = module(3000);
    let (mut message, mut scratch) = (vec![0; 400], vec![0; 404]);
    let mut lines = Vec::new();
    let requests =
        wasm_sdk_smp::client::upload_lines(1, &wasm, 300, &mut message, &mut scratch, |l| {
            lines.extend_from_slice(l)
        });
    assert_eq!(requests, Some(10));
    let (responses, _) = c.send_raw(&lines);
    assert_eq!(responses.len(), 10, "one answer per request");
    let errors: Vec<_> = responses.iter().filter_map(|r| r.get("rc")).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(responses[9].get("off"), Some("3000"));
    assert_eq!(responses[9].get("match"), Some("true"));
    let too_small =
        wasm_sdk_smp::client::upload_lines(1, &wasm, 300, &mut [0; 100], &mut scratch, |_| {});
    assert_eq!(too_small, None);
}

#[test]
fn an_upload_that_stops_resumes_or_restarts() {
    let mut c = Client::new();
    let wasm = module(2000);
    let sha = Sha256::digest(&wasm);
    // First chunk, then the client vanishes.
    let first = cbor(|e| {
        e.map(5).unwrap().str("image").unwrap().u32(0).unwrap();
        e.str("len").unwrap().u64(2000).unwrap().str("sha").unwrap().bytes(&sha).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&wasm[..100]).unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &first).get("off"), Some("100"));
    // A chunk at the wrong offset is answered with the offset held.
    let skip = cbor(|e| {
        e.map(2).unwrap().str("off").unwrap().u64(500).unwrap();
        e.str("data").unwrap().bytes(&wasm[500..600]).unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &skip).get("off"), Some("100"));
    assert_eq!(c.server.server().upload_offset(), Some((0, 100)));
    // Restarting from 0 works and completes.
    assert_eq!(upload(&mut c, 0, &wasm, 120).get("match"), Some("true"));
    assert_eq!(c.server.server().slots().finished, 1);
}

#[test]
fn bad_uploads_get_an_error_and_a_reason() {
    let mut c = Client::new();
    // Wrong sha: the last chunk is refused, nothing installed.
    let wasm = module(200);
    let body = cbor(|e| {
        e.map(5).unwrap().str("image").unwrap().u32(0).unwrap();
        e.str("len").unwrap().u64(200).unwrap().str("sha").unwrap().bytes(&[0u8; 32]).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&wasm).unwrap();
    });
    let r = c.request(Op::Write, 1, 1, &body);
    assert_eq!((r.get("rc"), r.get("rsn")), (Some("9"), Some("sha256 does not match the upload")));
    // Garbage that is not a module: refused by the slot.
    let r = upload(&mut c, 0, &[0x42; 300], 100);
    assert_eq!((r.get("rc"), r.get("rsn")), (Some("9"), Some("not a wasm module")));
    // Over the slot's size: refused at the first chunk.
    let r = upload(&mut c, 0, &module(CAPACITY + 1), 100);
    assert_eq!((r.get("rc"), r.get("rsn")), (Some("2"), Some("module larger than the slot")));
    // No such slot, a missing length, a chunk past the length.
    assert_eq!(upload(&mut c, 7, &module(100), 100).get("rc"), Some("5"));
    let no_len = cbor(|e| {
        e.map(2).unwrap().str("off").unwrap().u64(0).unwrap();
        e.str("data").unwrap().bytes(b"\0asm").unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &no_len).get("rc"), Some("3"));
    let long = cbor(|e| {
        e.map(3).unwrap().str("len").unwrap().u64(4).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&[0; 8]).unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &long).get("rc"), Some("3"));
    assert_eq!(c.server.server().slots().finished, 0, "nothing was installed");
}

#[test]
fn unknown_commands_and_malformed_bodies() {
    let mut c = Client::new();
    assert_eq!(c.request(Op::Read, 63, 0, &[0xa0]).get("rc"), Some("8"));
    assert_eq!(c.request(Op::Write, 0, 99, &[0xa0]).get("rc"), Some("8"));
    for body in
        [&b""[..], &[0xff], &[0xa1, 0x61], &[0x9f, 0xff], &[0xbf, 0xff], &[0xa1, 0x01, 0x02]]
    {
        let r = c.request(Op::Write, 1, 1, body);
        assert_eq!(r.get("rc"), Some("3"), "{body:02x?}");
        let r = c.request(Op::Write, 0, 0, body);
        assert_eq!(r.get("rc"), Some("3"), "{body:02x?}");
    }
    // A map claiming 2^64 entries ends at the input's end.
    let huge = [0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(c.request(Op::Write, 1, 0, &huge).get("rc"), Some("3"));
}

#[test]
fn broken_frames_are_dropped_and_the_line_recovers() {
    let mut c = Client::new();
    let echo = cbor(|e| {
        e.map(1).unwrap().str("d").unwrap().str("x").unwrap();
    });
    let mut bytes = c.frame(Op::Write, 0, 0, &echo);
    // Corrupt one base64 character of the payload: a CRC or length error.
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    bytes.extend_from_slice(b"\x06\x09not base64!\n");
    bytes.extend_from_slice(b"console noise without a marker\n");
    let (responses, _) = c.send_raw(&bytes);
    assert!(responses.is_empty());
    assert_eq!(c.server.dropped(), 2);
    assert_eq!(c.request(Op::Write, 0, 0, &echo).get("r"), Some("x"));
}

#[test]
fn a_request_over_the_buffer_is_dropped_not_answered() {
    let mut c = Client::new();
    let body = cbor(|e| {
        e.map(1).unwrap().str("d").unwrap().str(&"x".repeat(400)).unwrap();
    });
    let bytes = c.frame(Op::Write, 0, 0, &body);
    assert!(c.send_raw(&bytes).0.is_empty());
    assert_eq!(c.server.dropped(), 1);
}

#[test]
fn a_flood_costs_bounded_time_and_memory() {
    // 20,000 requests and garbage lines through the fixed buffers: every
    // request answered, nothing accumulates.
    let mut c = Client::new();
    let echo = cbor(|e| {
        e.map(1).unwrap().str("d").unwrap().str("flood").unwrap();
    });
    let mut bytes = Vec::new();
    for i in 0..20_000 {
        bytes.extend(c.frame(Op::Write, 0, 0, &echo));
        if i % 3 == 0 {
            bytes.extend_from_slice(&[0x06, 0x09, b'Q', b'\n', 0x04, 0x14, b'\n']);
            bytes.extend(std::iter::repeat_n(b'z', 1000));
            bytes.push(b'\n');
        }
    }
    let started = std::time::Instant::now();
    let (responses, _) = c.send_raw(&bytes);
    assert_eq!(responses.len(), 20_000);
    println!("flood: 20,000 echoes with garbage in {:?}", started.elapsed());
}

#[test]
fn the_guest_group_lists_sends_and_hands_outputs_over_once() {
    let mut c = Client::with_guest();
    let list = c.request(Op::Read, 64, 0, &[0xa0]);
    let guests = list.get("guests").unwrap();
    assert!(guests.contains("name: echo") && guests.contains("state: waiting"), "{guests}");
    // 12 messages of 100 bytes: more than one response holds.
    for i in 0..12u8 {
        let body = cbor(|e| {
            e.map(3).unwrap().str("name").unwrap().str("echo").unwrap();
            e.str("port")
                .unwrap()
                .str("in")
                .unwrap()
                .str("data")
                .unwrap()
                .bytes(&[i; 100])
                .unwrap();
        });
        assert!(c.request(Op::Write, 64, 3, &body).fields.is_empty(), "send {i}");
    }
    let name = cbor(|e| {
        e.map(1).unwrap().str("name").unwrap().str("echo").unwrap();
    });
    let mut seen = Vec::new();
    for _ in 0..12 {
        let r = c.request(Op::Read, 64, 4, &name);
        let outputs = r.get("outputs").unwrap().to_owned();
        let n = outputs.matches("port: out").count();
        if n == 0 {
            break;
        }
        assert!(n < 12, "a response holds only some: {n}");
        seen.push(n);
    }
    assert_eq!(seen.iter().sum::<usize>(), 12, "every output exactly once: {seen:?}");
    assert_eq!(c.request(Op::Read, 64, 4, &name).get("outputs"), Some("[]"));
    // Stop, start, and the errors.
    assert!(c.request(Op::Write, 64, 1, &name).fields.is_empty());
    assert!(c.request(Op::Read, 64, 0, &[0xa0]).get("guests").unwrap().contains("stopped"));
    assert!(c.request(Op::Write, 64, 2, &name).fields.is_empty());
    let nobody = cbor(|e| {
        e.map(1).unwrap().str("name").unwrap().str("nobody").unwrap();
    });
    assert_eq!(c.request(Op::Write, 64, 1, &nobody).get("rsn"), Some("no such guest"));
    let bad_port = cbor(|e| {
        e.map(3).unwrap().str("name").unwrap().str("echo").unwrap();
        e.str("port").unwrap().str("x").unwrap().str("data").unwrap().bytes(b"1").unwrap();
    });
    assert_eq!(c.request(Op::Write, 64, 3, &bad_port).get("rsn"), Some("no such port"));
    assert_eq!(c.request(Op::Write, 64, 3, &name).get("rc"), Some("3"), "send without port");
    assert_eq!(c.request(Op::Write, 64, 9, &name).get("rc"), Some("8"));
}

#[test]
fn without_guests_the_group_is_unknown() {
    let mut c = Client::new();
    assert_eq!(c.request(Op::Read, 64, 0, &[0xa0]).get("rc"), Some("8"));
}

#[test]
fn a_resent_last_chunk_is_answered_done_and_chunks_keep_their_image() {
    let mut c = Client::new();
    let wasm = module(250);
    let sha = Sha256::digest(&wasm);
    let first = cbor(|e| {
        e.map(5).unwrap().str("image").unwrap().u32(0).unwrap();
        e.str("len").unwrap().u64(250).unwrap().str("sha").unwrap().bytes(&sha).unwrap();
        e.str("off").unwrap().u64(0).unwrap().str("data").unwrap().bytes(&wasm[..150]).unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &first).get("off"), Some("150"));
    // A later chunk naming another image is refused; the upload goes on.
    let wrong = cbor(|e| {
        e.map(3).unwrap().str("image").unwrap().u32(1).unwrap();
        e.str("off").unwrap().u64(150).unwrap().str("data").unwrap().bytes(&wasm[150..]).unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &wrong).get("rsn"), Some("chunk for another image"));
    let last = cbor(|e| {
        e.map(2).unwrap().str("off").unwrap().u64(150).unwrap();
        e.str("data").unwrap().bytes(&wasm[150..]).unwrap();
    });
    assert_eq!(c.request(Op::Write, 1, 1, &last).get("match"), Some("true"));
    // The answer was lost; the client sends the last chunk again.
    let again = c.request(Op::Write, 1, 1, &last);
    assert_eq!((again.get("off"), again.get("match")), (Some("250"), Some("true")));
    assert_eq!(c.server.server().slots().finished, 1, "installed once");
}
