//! The SMP server driven as a client would drive it over a serial line:
//! framed requests in, framed responses out, with RAM slots. Covers the
//! commands the standard clients use and the bad inputs: truncated and
//! resumed uploads, a wrong sha, garbage, a module over the slot size,
//! unknown groups and commands, malformed CBOR, bad CRC and length, a
//! flood.

mod common;

use common::client::{self as smp, Memory, cbor, hex, module, upload};
use common::doubles::CAPACITY;
use common::doubles::{BINDINGS, EchoGuest, SERVICES};
use sha2::{Digest, Sha256};
use wasm_sdk_smp::Action;
use wasm_sdk_smp::header::Op;

type Client<G = wasm_sdk_smp::NoGuests> = common::client::Client<Memory<G>>;

/// A client of a server without the guest group.
fn client() -> Client {
    Client::new(Memory::default())
}

/// A client of a server with the guest group over one [`EchoGuest`].
fn with_guest() -> Client<EchoGuest> {
    Client::new(Memory::with_guests(EchoGuest::default()))
}

#[test]
fn echo_params_and_reset() {
    let mut c = client();
    let body = smp::echo("hello");
    assert_eq!(c.request(Op::Write, 0, 0, &body).get("r"), Some("hello"));
    assert_eq!(c.request(Op::Read, 0, 0, &body).get("r"), Some("hello"), "echo as a read");
    let params = c.request(Op::Read, 0, 6, &[0xa0]);
    assert_eq!((params.get("buf_size"), params.get("buf_count")), (Some("384"), Some("1")));
    let bytes = c.frame(Op::Write, 0, 5, &[0xa0]);
    let responses = c.exchange(&bytes);
    assert_eq!((responses.len(), c.link.action), (1, Action::Reset));
}

#[test]
fn upload_then_state_read_and_confirm() {
    let mut c = client();
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
    let mut c = client();
    let wasm = module(3000);
    let (mut message, mut scratch) = (vec![0; 400], vec![0; 404]);
    let mut lines = Vec::new();
    let requests =
        wasm_sdk_smp::client::upload_lines(1, &wasm, 300, &mut message, &mut scratch, |l| {
            lines.extend_from_slice(l)
        });
    assert_eq!(requests, Some(10));
    let responses = c.exchange(&lines);
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
    let mut c = client();
    let wasm = module(2000);
    // First chunk, then the client vanishes; a chunk at the wrong offset is
    // answered with the offset held.
    smp::upload_stops(&mut c, &wasm);
    assert_eq!(c.link.server.server().upload_offset(), Some((0, 100)));
    // Restarting from 0 works and completes.
    assert_eq!(upload(&mut c, 0, &wasm, 120).get("match"), Some("true"));
    assert_eq!(c.link.server.server().slots().finished, 1);
}

#[test]
fn bad_uploads_get_an_error_and_a_reason() {
    let mut c = client();
    smp::bad_uploads(&mut c, CAPACITY);
    assert_eq!(c.link.server.server().slots().finished, 0, "nothing was installed");
}

#[test]
fn unknown_commands_and_malformed_bodies() {
    smp::unknown_commands_and_malformed_bodies(&mut client());
}

#[test]
fn broken_frames_are_dropped_and_the_line_recovers() {
    let mut c = client();
    smp::broken_frames_then_echo(&mut c);
    assert_eq!(c.link.server.dropped(), 2);
    assert!(c.receive().is_none(), "nothing more");
    assert_eq!(c.request(Op::Write, 0, 0, &smp::echo("x")).get("r"), Some("x"));
}

#[test]
fn a_request_over_the_buffer_is_dropped_not_answered() {
    let mut c = client();
    smp::over_the_buffer_then_echo(&mut c);
    assert_eq!(c.link.server.dropped(), 1);
    assert!(c.receive().is_none(), "nothing more");
}

#[test]
fn a_flood_costs_bounded_time_and_memory() {
    // 20,000 requests and garbage lines through the fixed buffers, sent at
    // once: every request answered, nothing accumulates.
    let elapsed = smp::flood(&mut client(), 20_000, 1000, 20_000);
    println!("flood: 20,000 echoes with garbage in {elapsed:?}");
}

#[test]
fn the_guest_group_lists_sends_and_hands_outputs_over_once() {
    let mut c = with_guest();
    let list = c.request(Op::Read, 64, 0, &[0xa0]);
    let guests = list.get("guests").unwrap();
    assert!(guests.contains("name: echo") && guests.contains("state: waiting"), "{guests}");
    for field in ["module: uploaded", "restarts: 2", "dead_letters: 3", "dropped_lines: 4"] {
        assert!(guests.contains(field), "no `{field}` in {guests}");
    }
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

/// Every entry of a paged guest-group list (`services`, `bindings`), one
/// request per page, and the number of pages.
fn paged(c: &mut Client<EchoGuest>, cmd: u8, key: &str) -> (Vec<String>, usize) {
    let (mut entries, mut pages, mut from) = (Vec::new(), 0, 0u32);
    loop {
        let body = cbor(|e| {
            e.map(1).unwrap().str("from").unwrap().u32(from).unwrap();
        });
        let r = c.request(Op::Read, 64, cmd, &body);
        let list = r.get(key).unwrap_or_else(|| panic!("no `{key}`: {:?}", r.fields));
        let list = list.strip_prefix('[').unwrap().strip_suffix(']').unwrap();
        entries.extend(list.split("}, {").map(str::to_owned));
        pages += 1;
        match r.get("next") {
            Some(next) => from = next.parse().unwrap(),
            None => return (entries, pages),
        }
        assert!(pages < 100, "paging does not end");
    }
}

#[test]
fn the_guest_group_lists_the_catalog_and_the_bindings_in_pages() {
    let mut c = with_guest();
    let (services, pages) = paged(&mut c, 5, "services");
    assert!(pages > 1, "the catalog is larger than a frame");
    assert_eq!(services.len(), SERVICES, "each service once, in order");
    for (i, service) in services.iter().enumerate() {
        let name = format!("name: s{i:02}");
        let direction = if i % 2 == 0 { "provides" } else { "takes" };
        let schema = format!("schema: {}", hex(&vec![i as u8; i + 1]));
        for field in [name, format!("direction: {direction}"), "type: Reading".into(), schema] {
            assert!(service.contains(&field), "service {i}: no `{field}` in {service}");
        }
    }
    let (bindings, pages) = paged(&mut c, 6, "bindings");
    assert!(pages > 1 && bindings.len() == BINDINGS, "{pages} pages, {} bindings", bindings.len());
    assert!(
        bindings[2].contains(
            "kind: output, port: topic/smoothed, to: topic, target: smoothed, type: Reading"
        ),
        "{}",
        bindings[2]
    );
    assert!(!bindings[3].contains("type:"), "an untyped port has no type: {}", bindings[3]);
    // A page past the end is empty, and has no `next`.
    let past = cbor(|e| {
        e.map(1).unwrap().str("from").unwrap().u32(1000).unwrap();
    });
    let r = c.request(Op::Read, 64, 5, &past);
    assert_eq!((r.get("services"), r.get("next")), (Some("[]"), None));
}

#[test]
fn a_catalog_entry_larger_than_a_frame_is_an_error_not_a_loop() {
    let mut c = {
        let mut guest = EchoGuest::default();
        guest.huge_service = true;
        Client::new(Memory::with_guests(guest))
    };
    let at = |from: u32| {
        cbor(|e| {
            e.map(1).unwrap().str("from").unwrap().u32(from).unwrap();
        })
    };
    // The pages before it end where it starts.
    let mut from = 0;
    loop {
        let r = c.request(Op::Read, 64, 5, &at(from));
        match r.get("next") {
            Some(next) => from = next.parse().unwrap(),
            None => panic!("the huge service was left out: {:?}", r.fields),
        }
        if from == SERVICES as u32 {
            break;
        }
    }
    let r = c.request(Op::Read, 64, 5, &at(from));
    assert_eq!(r.get("rc"), Some("2"), "ENOMEM: {:?}", r.fields);
    assert!(r.get("rsn").unwrap().contains("buf_size"), "{:?}", r.fields);
}

#[test]
fn without_guests_the_group_is_unknown() {
    let mut c = client();
    assert_eq!(c.request(Op::Read, 64, 0, &[0xa0]).get("rc"), Some("8"));
}

#[test]
fn a_resent_last_chunk_is_answered_done_and_chunks_keep_their_image() {
    let mut c = client();
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
    assert_eq!(c.link.server.server().slots().finished, 1, "installed once");
}
