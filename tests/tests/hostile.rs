//! Hostile and broken modules, written in WAT and driven through the desktop
//! test host: every refused module gets a typed [`LoadError`], and every bad
//! pointer, length, index, level, text, endless loop, memory grab, runaway
//! recursion or trap at run time becomes a status code for the guest or a
//! typed [`Status`] for the host, never a host panic. Also checks that
//! oversized inputs are not lost, that blocking guests resume, and (with the
//! real `faulty` example) that a panicking guest leaves other guests alone.

use std::path::Path;

use wasm_sdk_build::fixture::Fixture;
use wasm_sdk_host::Budget;
use wasm_sdk_host::abi::Status as Code;
use wasm_sdk_host::abi::manifest::{MANIFEST_SECTION, ManifestError, append_custom_section};
use wasm_sdk_testhost::{
    GuestBuilder, LoadError, LogLevel, Step, TestGuest, TestHost, TestHostError,
};

/// Every `connectors` import with its ABI signature.
const IMPORTS: &str = r#"
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))"#;

/// The manifest of every guest here: one input `in`, one output `out`.
fn ports(wat: &str) -> Fixture {
    Fixture::new(wat).inputs(["in"]).outputs(["out"])
}

/// `$emit`: sends an `i32` (little endian) on output 0 through the scratch
/// word at address 0, so a test can read the codes the guest got.
const EMIT: &str = r#"
  (func $emit (param $v i32)
    (i32.store (i32.const 0) (local.get $v))
    (drop (call $send (i32.const 0) (i32.const 4) (i32.const 0))))"#;

/// Bytes of a WAT module; panics with the text if it does not parse.
fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).unwrap_or_else(|e| panic!("bad WAT: {e}\n{wat}"))
}

/// Bytes of a WAT module (without a manifest) with [`ports`]' manifest.
fn module_wasm(wat: &str) -> Vec<u8> {
    ports(wat).build()
}

/// A guest with the standard imports, one growable 64 KiB page, `$emit`,
/// the manifest, `items` (data segments, helper functions) and a `run_task`
/// with `body`.
fn guest_wasm_with(items: &str, body: &str) -> Vec<u8> {
    module_wasm(&format!(
        r#"(module {IMPORTS}
  (memory (export "memory") 1)
  {EMIT}
  {items}
  (func (export "run_task") (result i32) {body}))"#
    ))
}

/// [`guest_wasm_with`] without extra items.
fn guest_wasm(body: &str) -> Vec<u8> {
    guest_wasm_with("", body)
}

/// Loads with the default test host (64 KiB budget, finite fuel).
fn load(wasm: &[u8]) -> TestGuest {
    load_on(&TestHost::default(), wasm)
}

fn load_on(host: &TestHost, wasm: &[u8]) -> TestGuest {
    match host.load(wasm) {
        Ok(guest) => guest,
        Err(e) => panic!("module refused: {e}"),
    }
}

/// The reason the default host refuses `wasm`; checks its message too.
fn refused(wasm: &[u8]) -> LoadError {
    refused_by(&TestHost::default(), wasm)
}

fn refused_by(host: &TestHost, wasm: &[u8]) -> LoadError {
    match host.load(wasm) {
        Ok(_) => panic!("module loaded, expected a load error"),
        Err(TestHostError::Load(e)) => {
            assert!(!e.to_string().is_empty(), "{e:?} has an empty message");
            e
        }
        Err(e) => panic!("expected TestHostError::Load, got {e}"),
    }
}

/// A code `$emit` sent.
fn code(message: &[u8]) -> i32 {
    i32::from_le_bytes(message.try_into().unwrap_or_else(|_| panic!("not a code: {message:?}")))
}

/// The codes `$emit` sent, in order.
fn codes(guest: &TestGuest) -> Vec<i32> {
    guest.outputs("out").expect("output `out`").iter().map(|m| code(m)).collect()
}

/// A guest with only the given import line(s) and a standard body.
fn with_imports(imports: &str) -> Vec<u8> {
    module_wasm(&format!(
        r#"(module {imports}
  (memory (export "memory") 1)
  (func (export "run_task") (result i32) (i32.const 0)))"#
    ))
}

/// An echo guest: returns the receive status once the input is closed.
const ECHO: &str = r#"
  (local $n i32)
  (loop $next
    (local.set $n (call $recv (i32.const 256) (i32.const 64) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (local.get $n))))
    (drop (call $send (i32.const 256) (local.get $n) (i32.const 0)))
    (br $next))
  (unreachable)"#;

// ---------------------------------------------------------------------------
// Broken modules: refused at load time.
// ---------------------------------------------------------------------------

#[test]
fn garbage_is_malformed() {
    for bytes in [&b""[..], b"\0", b"\0as", b"hello, world", &[0xff; 64], b"\0asm"] {
        let e = refused(bytes);
        assert!(matches!(e, LoadError::Malformed(_)), "{bytes:?}: {e:?}");
    }
    // The magic number without a version.
    let e = refused(b"\0asm\x01");
    assert!(matches!(e, LoadError::Malformed(_)), "{e:?}");
    // Garbage after a valid header.
    let e = refused(b"\0asm\x01\0\0\0\xff\xff\xff\xff");
    assert!(matches!(e, LoadError::Malformed(_)), "{e:?}");
}

#[test]
fn every_truncation_is_refused() {
    // Writes "hi" and logs it. No data section and no `$names` (so no
    // `name` section): a cut just before an optional trailing section would
    // leave a valid module.
    let items = r#"
  (import "connectors" "log" (func (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run_task") (result i32)
    (i32.store16 (i32.const 16) (i32.const 0x6968))
    (drop (call 0 (i32.const 16) (i32.const 2) (i32.const 2)))
    (i32.const 0))"#;
    // The manifest last (as rustc places it) and first (so cuts exercise
    // the wasm sections after a complete manifest).
    let module = format!("(module {items})");
    let last = module_wasm(&module);
    // After the 8-byte header: the manifest, then the module's sections.
    let mut first = b"\0asm\x01\0\0\0".to_vec();
    append_custom_section(&mut first, MANIFEST_SECTION, &ports(&module).manifest());
    first.extend_from_slice(&wasm(&module)[8..]);
    assert!(!last.windows(4).any(|w| w == b"name"), "a `name` section was emitted");
    for module in [last, first] {
        // The whole module loads and runs.
        let mut whole = load(&module);
        assert_eq!(whole.run_until_idle(), &Step::Finished { exit_code: 0 });
        assert_eq!(whole.logs(), [(LogLevel::Info, "hi".to_owned())]);
        for cut in 0..module.len() {
            let e = match TestHost::default().load(&module[..cut]) {
                Ok(_) => panic!("cut at {cut} of {} loaded", module.len()),
                Err(e) => e,
            };
            let TestHostError::Load(e) = e else { panic!("cut at {cut}: {e}") };
            if cut < 8 {
                assert!(matches!(e, LoadError::Malformed(_)), "cut at {cut}: {e:?}");
            }
        }
    }
}

#[test]
fn components_and_other_versions_are_malformed() {
    // The component-model header: version 0x0d, layer 1.
    let e = refused(b"\0asm\x0d\0\x01\0");
    assert!(matches!(e, LoadError::Malformed(_)), "{e:?}");
    assert!(e.to_string().contains("component"), "{e}");
    for version in [[2, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 1]] {
        let mut bytes = b"\0asm".to_vec();
        bytes.extend(version);
        let e = refused(&bytes);
        assert!(matches!(e, LoadError::Malformed(_)), "{version:?}: {e:?}");
    }
    // A real component, as `wat` writes it.
    let e = refused(&wasm("(component)"));
    assert!(matches!(e, LoadError::Malformed(_)), "{e:?}");
}

#[test]
fn imports_from_other_modules_are_refused() {
    let e = refused(&with_imports(r#"(import "env" "foo" (func (param i32) (result i32)))"#));
    assert_eq!(e, LoadError::UnknownImport { module: "env".into(), name: "foo".into() });
    let message = e.to_string();
    assert!(message.contains("env.foo") && message.contains("connectors"), "{message}");
    // WASI, even with an ABI-like name.
    let e = refused(&with_imports(
        r#"(import "wasi_snapshot_preview1" "log" (func (param i32 i32 i32) (result i32)))"#,
    ));
    assert_eq!(
        e,
        LoadError::UnknownImport { module: "wasi_snapshot_preview1".into(), name: "log".into() }
    );
}

#[test]
fn unknown_connectors_import_is_refused() {
    for name in ["sleep", "Log", "receive_input ", ""] {
        let e = refused(&with_imports(&format!(
            r#"(import "connectors" "{name}" (func (param i32) (result i32)))"#
        )));
        assert_eq!(
            e,
            LoadError::UnknownImport { module: "connectors".into(), name: name.into() },
            "{name:?}"
        );
    }
}

#[test]
fn connectors_import_with_wrong_signature_is_refused() {
    let cases = [
        ("receive_input", "(param i32 i32) (result i32)", 3),
        ("receive_input", "(param i32 i32 i32 i32) (result i32)", 3),
        ("send_output", "(param i32 i32 i32)", 3),
        ("send_output", "(param i32 i32 i32) (result i32 i32)", 3),
        ("log", "(param i32 i32 i64) (result i32)", 3),
        ("report_error", "(param i32 i32) (result i64)", 2),
        ("input_len", "(param f32) (result i32)", 1),
        ("input_len", "", 1),
    ];
    for (name, sig, expected_params) in cases {
        let e = refused(&with_imports(&format!(r#"(import "connectors" "{name}" (func {sig}))"#)));
        assert_eq!(
            e,
            LoadError::ImportSignature { name: name.into(), expected_params },
            "{name} {sig}"
        );
        assert!(e.to_string().contains(name), "{e}");
    }
}

#[test]
fn non_function_imports_are_refused() {
    let cases = [
        (r#"(import "connectors" "memory" (memory 1))"#, "connectors", "memory"),
        (r#"(import "env" "memory" (memory 1))"#, "env", "memory"),
        (r#"(import "connectors" "log" (global i32))"#, "connectors", "log"),
        (r#"(import "env" "g" (global (mut i32)))"#, "env", "g"),
        (r#"(import "env" "table" (table 1 funcref))"#, "env", "table"),
    ];
    for (import, module, name) in cases {
        let bytes = module_wasm(&format!(
            r#"(module {import}
  (func (export "run_task") (result i32) (i32.const 0)))"#
        ));
        let e = refused(&bytes);
        assert_eq!(
            e,
            LoadError::UnknownImport { module: module.into(), name: name.into() },
            "{import}"
        );
    }
}

#[test]
fn non_function_import_names_with_dots_are_reported_whole() {
    let bytes = module_wasm(
        r#"(module (import "env.v2" "g" (global i32))
  (memory (export "memory") 1)
  (func (export "run_task") (result i32) (i32.const 0)))"#,
    );
    assert_eq!(
        refused(&bytes),
        LoadError::UnknownImport { module: "env.v2".into(), name: "g".into() }
    );
}

#[test]
fn missing_run_task_is_refused() {
    let bytes = module_wasm(
        r#"(module (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))"#,
    );
    assert_eq!(refused(&bytes), LoadError::MissingExport("run_task"));
    // `run_task` as a global is not the function.
    let bytes = module_wasm(
        r#"(module (memory (export "memory") 1)
  (global (export "run_task") i32 (i32.const 0)))"#,
    );
    let e = refused(&bytes);
    assert_eq!(e, LoadError::MissingExport("run_task"));
    assert!(e.to_string().contains("run_task"), "{e}");
}

#[test]
fn run_task_with_wrong_signature_is_refused() {
    for sig in ["", "(result i64)", "(param i32) (result i32)", "(result i32 i32)", "(result f32)"]
    {
        let bytes = module_wasm(&format!(
            r#"(module (memory (export "memory") 1)
  (func (export "run_task") {sig} (unreachable)))"#
        ));
        assert_eq!(refused(&bytes), LoadError::RunTaskSignature, "{sig}");
    }
}

#[test]
fn missing_memory_export_is_refused() {
    let cases = [
        // Memory defined but not exported.
        "(memory 1)",
        // No memory at all.
        "",
        // Exported under another name.
        r#"(memory (export "mem") 1)"#,
    ];
    for memory in cases {
        let bytes = module_wasm(&format!(
            r#"(module {memory}
  (func (export "run_task") (result i32) (i32.const 0)))"#
        ));
        let e = refused(&bytes);
        assert_eq!(e, LoadError::MissingExport("memory"), "{memory:?}");
        assert!(e.to_string().contains("memory"), "{e}");
    }
}

#[test]
fn start_function_is_refused() {
    let bytes = module_wasm(
        r#"(module (memory (export "memory") 1)
  (func $init (i32.store (i32.const 0) (i32.const 1)))
  (start $init)
  (func (export "run_task") (result i32) (i32.const 0)))"#,
    );
    assert_eq!(refused(&bytes), LoadError::StartFunction);
}

#[test]
fn initial_memory_over_budget_is_refused() {
    let two_pages = module_wasm(
        r#"(module (memory (export "memory") 2)
  (func (export "run_task") (result i32) (i32.const 0)))"#,
    );
    let e = refused(&two_pages);
    assert_eq!(e, LoadError::MemoryTooLarge { needed: 131_072, budget: 65_536 });
    assert!(e.to_string().contains("131072") && e.to_string().contains("65536"), "{e}");
    // A larger budget takes it.
    let host = TestHost::builder().memory_budget(128 * 1024).build();
    let mut guest = load_on(&host, &two_pages);
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    // The largest 32-bit memory does not overflow the check.
    let huge = module_wasm(
        r#"(module (memory (export "memory") 65536)
  (func (export "run_task") (result i32) (i32.const 0)))"#,
    );
    assert_eq!(refused(&huge), LoadError::MemoryTooLarge { needed: 1 << 32, budget: 65_536 });
    // Custom page sizes count in bytes: one byte over the budget is refused,
    // exactly the budget loads.
    let one_byte_pages = |pages: u32| {
        module_wasm(&format!(
            r#"(module (memory (export "memory") {pages} (pagesize 1))
  (func (export "run_task") (result i32) (i32.const 0)))"#
        ))
    };
    assert_eq!(
        refused(&one_byte_pages(65_537)),
        LoadError::MemoryTooLarge { needed: 65_537, budget: 65_536 }
    );
    let mut guest = load(&one_byte_pages(65_536));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
}

#[test]
fn unsupported_memories_are_refused() {
    let cases = [
        r#"(memory (export "memory") 1) (memory 1)"#,
        r#"(memory (export "memory") i64 1)"#,
        r#"(memory (export "memory") 1 1 shared)"#,
    ];
    for memory in cases {
        let bytes = module_wasm(&format!(
            r#"(module {memory}
  (func (export "run_task") (result i32) (i32.const 0)))"#
        ));
        assert_eq!(refused(&bytes), LoadError::UnsupportedMemory, "{memory}");
    }
}

#[test]
fn missing_manifest_is_refused() {
    // Raw bytes: a valid manifest under a near-miss name, which no encoder
    // writes.
    let bytes = wasm(
        r#"(module (memory (export "memory") 1)
  (func (export "run_task") (result i32) (i32.const 0))
  (@custom "wasm-sdk.manifesto" "\01\00\00\00"))"#,
    );
    let e = refused(&bytes);
    assert_eq!(e, LoadError::MissingManifest);
    assert!(e.to_string().contains("wasm-sdk.manifest"), "{e}");
}

#[test]
fn malformed_manifest_is_refused() {
    // Raw section bytes: the ABI's encoder writes only valid manifests.
    let cases = [
        ("", ManifestError::Truncated),
        (r"\01", ManifestError::Truncated),
        (r"\01\00", ManifestError::Truncated),
        (r"\01\00\01\02i", ManifestError::Truncated),
        (r"\01\00\01\02in", ManifestError::Truncated),
        (r"\01\00\01\02in\01\03ou", ManifestError::Truncated),
        (r"\01\00\01\02in\01\03outX", ManifestError::TrailingBytes),
        (r"\01\00\01\00\00", ManifestError::EmptyName),
        (r"\01\00\01\02\ff\fe\00", ManifestError::InvalidUtf8),
        (r"\01\00\02\02in\02in\00", ManifestError::DuplicateName),
    ];
    for (section, expected) in cases {
        let bytes = wasm(&format!(
            r#"(module (memory (export "memory") 1)
  (func (export "run_task") (result i32) (i32.const 0))
  (@custom "wasm-sdk.manifest" "{section}"))"#
        ));
        assert_eq!(refused(&bytes), LoadError::Manifest(expected), "{section:?}");
    }
}

#[test]
fn wrong_abi_version_is_refused() {
    // Raw section bytes: the ABI's encoder writes only its own version.
    for (section, found) in [(r"\03\00", 3), (r"\00\00", 0), (r"\00\01", 256), (r"\ff\ff", 0xffff)]
    {
        let bytes = wasm(&format!(
            r#"(module (memory (export "memory") 1)
  (func (export "run_task") (result i32) (i32.const 0))
  (@custom "wasm-sdk.manifest" "{section}\01\02in\01\03out"))"#
        ));
        let e = refused(&bytes);
        assert_eq!(e, LoadError::AbiVersion { found, supported: 2 }, "{section}");
        assert!(e.to_string().contains(&found.to_string()), "{e}");
    }
}

#[test]
fn invalid_code_and_bad_data_segments_are_refused() {
    // Well-formed but ill-typed: `run_task` leaves an i64.
    let bytes = module_wasm(
        r#"(module (memory (export "memory") 1)
  (func (export "run_task") (result i32) (i64.const 0)))"#,
    );
    assert!(matches!(refused(&bytes), LoadError::Invalid(_)));
    // A data segment past the end of memory fails at instantiation.
    let bytes = guest_wasm_with(r#"(data (i32.const 65535) "xy")"#, "(i32.const 0)");
    assert!(matches!(refused(&bytes), LoadError::Instantiate(_)));
}

// ---------------------------------------------------------------------------
// Hostile guests at run time: status codes and traps, never a host panic.
// ---------------------------------------------------------------------------

/// Pointer/length pairs that do not lie inside one 64 KiB page.
const BAD_RANGES: [(i32, i32); 10] = [
    (65_530, 10),
    (65_536, 1),
    (65_537, 0),
    (0, -1),
    (16, i32::MIN),
    (-1, 1),
    (0x7fff_ffff, 1),
    (0, 0x7fff_ffff),
    (i32::MAX, i32::MAX),
    // 0xffff_fff0 + 0x20 wraps to 0x10 in 32 bits.
    (0xffff_fff0_u32 as i32, 0x20),
];

#[test]
fn bad_pointers_get_bad_pointer_for_every_import() {
    let mut body = String::new();
    for (ptr, len) in BAD_RANGES {
        body += &format!(
            "(call $emit (call $recv (i32.const {ptr}) (i32.const {len}) (i32.const 0)))
             (call $emit (call $send (i32.const {ptr}) (i32.const {len}) (i32.const 0)))
             (call $emit (call $log (i32.const {ptr}) (i32.const {len}) (i32.const 2)))
             (call $emit (call $report (i32.const {ptr}) (i32.const {len})))\n"
        );
    }
    body += "(i32.const 7)";
    let mut guest = load(&guest_wasm(&body));
    // A message is queued, so a receive that skipped the check would take it.
    guest.push_input("in", b"payload").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 7 });
    assert_eq!(codes(&guest), vec![Code::BadPointer.code(); BAD_RANGES.len() * 4]);
    assert_eq!(guest.queued("in").unwrap(), 1, "the message was lost");
    assert!(guest.logs().is_empty(), "{:?}", guest.logs());
    assert!(guest.errors().is_empty(), "{:?}", guest.errors());
}

#[test]
fn ranges_up_to_the_end_of_memory_are_accepted() {
    // The controls for the test above: the last bytes and an empty range at
    // the very end are inside memory.
    let body = r#"
      (call $emit (call $log (i32.const 65532) (i32.const 4) (i32.const 3)))
      (call $emit (call $log (i32.const 65536) (i32.const 0) (i32.const 3)))
      (call $emit (call $report (i32.const 65534) (i32.const 2)))
      (call $emit (call $recv (i32.const 65534) (i32.const 2) (i32.const 0)))
      (call $emit (i32.load16_u (i32.const 65534)))
      (call $emit (call $send (i32.const 65536) (i32.const 0) (i32.const 0)))
      (i32.const 0)"#;
    let mut guest = load(&guest_wasm_with(r#"(data (i32.const 65532) "endz")"#, body));
    guest.push_input("in", b"ok").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let sent = guest.outputs("out").unwrap();
    let (codes, empty) = sent.split_at(5);
    let codes: Vec<i32> = codes.iter().map(|m| code(m)).collect();
    assert_eq!(codes, [0, 0, 0, 2, i32::from(u16::from_le_bytes(*b"ok"))]);
    // The empty send from the end of memory arrived, then its code 0.
    assert_eq!(empty, [vec![], 0i32.to_le_bytes().to_vec()]);
    assert_eq!(
        guest.logs(),
        [(LogLevel::Debug, "endz".to_owned()), (LogLevel::Debug, String::new())]
    );
    assert_eq!(guest.errors(), ["dz"]);
    assert_eq!(guest.queued("in").unwrap(), 0);
}

#[test]
fn unknown_ports_get_unknown_input_and_output() {
    let indices = [1, 2, 255, 256, -1, i32::MIN, i32::MAX];
    let mut body = String::new();
    for idx in indices {
        body += &format!(
            "(call $emit (call $recv (i32.const 64) (i32.const 8) (i32.const {idx})))
             (call $emit (call $input_len (i32.const {idx})))
             (call $emit (call $send (i32.const 64) (i32.const 8) (i32.const {idx})))\n"
        );
    }
    body += "(i32.const 0)";
    let mut guest = load(&guest_wasm(&body));
    guest.push_input("in", b"x").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let expected: Vec<i32> = indices
        .iter()
        .flat_map(|_| {
            [Code::UnknownInput.code(), Code::UnknownInput.code(), Code::UnknownOutput.code()]
        })
        .collect();
    assert_eq!(codes(&guest), expected);
    assert_eq!(guest.queued("in").unwrap(), 1);
    // Only the codes were sent, all on output 0.
    assert!(guest.sent().iter().all(|(output, _)| *output == 0));
}

#[test]
fn invalid_log_levels_get_invalid_log_level() {
    let levels = [5, 6, 255, -1, i32::MIN, i32::MAX];
    let mut body = String::new();
    for level in levels.iter().chain(&[0, 1, 2, 3, 4]) {
        body +=
            &format!("(call $emit (call $log (i32.const 16) (i32.const 5) (i32.const {level})))\n");
    }
    body += "(i32.const 0)";
    let mut guest = load(&guest_wasm_with(r#"(data (i32.const 16) "hello")"#, &body));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let mut expected = vec![Code::InvalidLogLevel.code(); levels.len()];
    expected.extend([0; 5]);
    assert_eq!(codes(&guest), expected);
    let logged: Vec<_> = LogLevel::ALL.iter().map(|l| (*l, "hello".to_owned())).collect();
    assert_eq!(guest.logs(), logged);
}

#[test]
fn invalid_utf8_gets_invalid_utf8() {
    // Each text is 4 bytes at 16 + 8 * i; the last one is valid.
    let texts = [r"\ff\fe\fd\fc", r"\c0\80ab", r"\ed\a0\80a", r"abc\e2", r"h\c3\a9!"];
    let mut items = String::new();
    let mut body = String::new();
    for (i, text) in texts.iter().enumerate() {
        let at = 16 + 8 * i;
        items += &format!(r#"(data (i32.const {at}) "{text}")"#);
        body += &format!(
            "(call $emit (call $log (i32.const {at}) (i32.const 4) (i32.const 1)))
             (call $emit (call $report (i32.const {at}) (i32.const 4)))\n"
        );
    }
    body += "(i32.const 0)";
    let mut guest = load(&guest_wasm_with(&items, &body));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let mut expected = vec![Code::InvalidUtf8.code(); (texts.len() - 1) * 2];
    expected.extend([0, 0]);
    assert_eq!(codes(&guest), expected);
    assert_eq!(guest.logs(), [(LogLevel::Warn, "hé!".to_owned())]);
    assert_eq!(guest.errors(), ["hé!"]);
}

#[test]
fn sends_over_the_message_limit_get_message_too_large() {
    let host = TestHost::builder().max_message_len(16).build();
    let body = r#"
      (call $emit (call $send (i32.const 64) (i32.const 17) (i32.const 0)))
      (call $emit (call $send (i32.const 64) (i32.const 60000) (i32.const 0)))
      (call $emit (call $send (i32.const 64) (i32.const 16) (i32.const 0)))
      (i32.const 0)"#;
    let mut guest = load_on(&host, &guest_wasm(body));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let sent = guest.outputs("out").unwrap();
    assert_eq!(sent.len(), 4);
    assert_eq!(code(&sent[0]), Code::MessageTooLarge.code());
    assert_eq!(code(&sent[1]), Code::MessageTooLarge.code());
    assert_eq!(sent[2], [0; 16]);
    assert_eq!(code(&sent[3]), 0);
}

#[test]
fn endless_loop_runs_out_of_fuel() {
    let host = TestHost::builder().total_fuel(1_000_000).build();
    let mut guest = load_on(&host, &guest_wasm("(loop $spin (br $spin)) (unreachable)"));
    assert_eq!(guest.run_until_idle(), &Step::OutOfFuel);
    let used = guest.fuel_consumed();
    assert!((990_000..=1_000_000).contains(&used), "fuel used: {used}");
    // Final: running again neither runs nor uses fuel.
    assert_eq!(guest.run_until_idle(), &Step::OutOfFuel);
    assert_eq!(guest.fuel_consumed(), used);
}

#[test]
fn endless_loop_with_fuel_slices_runs_out_of_fuel() {
    let host = TestHost::builder().fuel_per_slice(10_000).total_fuel(1_000_000).build();
    // A loop that also calls the host, so preemption happens around imports.
    let body = r#"
      (loop $spin
        (drop (call $input_len (i32.const 0)))
        (br $spin))
      (unreachable)"#;
    let mut guest = load_on(&host, &guest_wasm(body));
    assert_eq!(guest.run_until_idle(), &Step::OutOfFuel);
    let used = guest.fuel_consumed();
    assert!((990_000..=1_000_000).contains(&used), "fuel used: {used}");
    assert!(guest.preemptions() >= 90, "preempted {} times", guest.preemptions());
    assert_eq!(guest.run_until_idle(), &Step::OutOfFuel);
    assert_eq!(guest.fuel_consumed(), used);
}

#[test]
fn memory_grow_is_held_to_the_budget() {
    let grow = |pages: u32| guest_wasm(&format!("(memory.grow (i32.const {pages}))"));
    // Default budget: one page, so no growth at all.
    for pages in [1, 2, 0xffff, 0x1_0000, 0xffff_ffff] {
        let mut guest = load(&grow(pages));
        assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: -1 }, "{pages}");
        assert_eq!(guest.guest().memory_size(), 65_536);
    }
    // Growing by nothing is allowed and returns the size in pages.
    let mut guest = load(&grow(0));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 1 });

    let host = TestHost::builder().memory_budget(128 * 1024).build();
    let mut guest = load_on(&host, &grow(1));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 1 });
    assert_eq!(guest.guest().memory_size(), 131_072);
    let mut guest = load_on(&host, &grow(2));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: -1 });
    assert_eq!(guest.guest().memory_size(), 65_536);

    // The grown page is usable through the imports: send its last byte.
    let body = r#"
      (call $emit (memory.grow (i32.const 1)))
      (i32.store8 (i32.const 131071) (i32.const 42))
      (call $emit (call $send (i32.const 131071) (i32.const 1) (i32.const 0)))
      (call $emit (memory.grow (i32.const 1)))
      (i32.const 0)"#;
    let mut guest = load_on(&host, &guest_wasm(body));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let sent = guest.outputs("out").unwrap();
    assert_eq!(
        sent,
        [1i32.to_le_bytes().to_vec(), vec![42], vec![0; 4], (-1i32).to_le_bytes().to_vec()]
    );
}

#[test]
fn deep_recursion_traps() {
    let items = r#"
      (func $deep (param $n i32) (result i32)
        (i32.add (call $deep (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))"#;
    let mut guest = load(&guest_wasm_with(items, "(call $deep (i32.const 0))"));
    let Step::Trapped(trap) = guest.run_until_idle().clone() else {
        panic!("expected a trap, got {:?}", guest.status());
    };
    assert!(trap.message().contains("stack"), "{trap}");
    // Final: it stays trapped.
    assert_eq!(guest.run_until_idle(), &Step::Trapped(trap));
}

#[test]
fn wasm_traps_end_only_the_guest() {
    let cases = [
        ("(unreachable)", "unreachable"),
        ("(i32.load (i32.const 65534))", "out of bounds"),
        ("(i32.div_s (i32.const 1) (i32.const 0))", "divide by zero"),
        ("(i32.trunc_f32_s (f32.const nan))", "invalid conversion"),
        ("(call_indirect (type $t) (i32.const 5))", "table"),
    ];
    for (body, what) in cases {
        let items = "(type $t (func (result i32))) (table 1 funcref)";
        let body = format!("(call $emit (i32.const 1)) {body}");
        let mut guest = load(&guest_wasm_with(items, &body));
        guest.push_input("in", b"queued").unwrap();
        let Step::Trapped(trap) = guest.run_until_idle().clone() else {
            panic!("{body}: expected a trap, got {:?}", guest.status());
        };
        assert!(trap.message().contains(what), "{body}: {trap}");
        // What the guest did before the trap is kept; nothing after it runs.
        assert_eq!(codes(&guest), [1], "{body}");
        assert_eq!(guest.run_until_idle(), &Step::Trapped(trap));
        assert_eq!(guest.queued("in").unwrap(), 1);
    }
}

#[test]
fn oversized_input_stays_queued_until_it_fits() {
    let body = r#"
      (local $n i32)
      (call $emit (call $recv (i32.const 256) (i32.const 10) (i32.const 0)))
      (call $emit (call $recv (i32.const 256) (i32.const 0) (i32.const 0)))
      (call $emit (call $input_len (i32.const 0)))
      (local.set $n (call $recv (i32.const 256) (i32.const 200) (i32.const 0)))
      (call $emit (local.get $n))
      (call $emit (call $input_len (i32.const 0)))
      (drop (call $send (i32.const 256) (local.get $n) (i32.const 0)))
      (i32.const 0)"#;
    let message: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(7).wrapping_add(3)).collect();
    let mut guest = load(&guest_wasm(body));
    guest.push_input("in", &message).unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let sent = guest.outputs("out").unwrap();
    assert_eq!(sent.len(), 6);
    let codes: Vec<i32> = sent[..5].iter().map(|m| code(m)).collect();
    let too_large = Code::MessageTooLarge.code();
    assert_eq!(codes, [too_large, too_large, 100, 100, Code::Empty.code()]);
    assert_eq!(sent[5], message, "the echoed message differs");
    assert_eq!(guest.queued("in").unwrap(), 0);
}

#[test]
fn blocked_guest_resumes_on_input_and_stops_on_close() {
    let mut guest = load(&guest_wasm(ECHO));
    assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 });
    // Running again with nothing queued runs no Wasm.
    let fuel = guest.fuel_consumed();
    assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 });
    assert_eq!(guest.fuel_consumed(), fuel);
    assert!(guest.sent().is_empty());

    guest.push_input("in", b"one").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 });
    assert_eq!(guest.outputs("out").unwrap(), [b"one".to_vec()]);

    // Queued messages are delivered before the close.
    guest.push_input("in", b"two").unwrap();
    guest.push_input("in", b"").unwrap();
    guest.close_input("in").unwrap();
    let closed = Step::Finished { exit_code: Code::Closed.code() };
    assert_eq!(guest.run_until_idle(), &closed);
    assert_eq!(guest.outputs("out").unwrap(), [b"one".to_vec(), b"two".to_vec(), vec![]]);
    assert_eq!(guest.queued("in").unwrap(), 0);
    assert_eq!(guest.run_until_idle(), &closed);
}

#[test]
fn closing_a_blocked_input_returns_closed() {
    let body = r#"
      (call $emit (call $input_len (i32.const 0)))
      (call $emit (call $recv (i32.const 256) (i32.const 8) (i32.const 0)))
      (call $emit (call $input_len (i32.const 0)))
      (call $emit (call $recv (i32.const 256) (i32.const 8) (i32.const 0)))
      (i32.const 0)"#;
    let mut guest = load(&guest_wasm(body));
    assert_eq!(guest.run_until_idle(), &Step::Blocked { input: 0 });
    assert_eq!(codes(&guest), [Code::Empty.code()]);
    guest.close_input("in").unwrap();
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let closed = Code::Closed.code();
    assert_eq!(codes(&guest), [Code::Empty.code(), closed, closed, closed]);
}

// ---------------------------------------------------------------------------
// The real `faulty` example: a panic is that guest's trap only.
// ---------------------------------------------------------------------------

fn example(package: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let wasm = GuestBuilder::new()
        .target_dir(root.join("target").join("guests").join("default"))
        .build(wasm_sdk_tests::guest_dir(package))
        .unwrap_or_else(|e| panic!("building {package}: {e}"));
    std::fs::read(&wasm).unwrap_or_else(|e| panic!("reading {}: {e}", wasm.display()))
}

#[test]
fn faulty_panic_traps_without_affecting_other_guests() {
    let host = TestHost::default();
    let mut counter = load_on(&host, &example("counter"));
    assert_eq!(counter.run_until_idle(), &Step::Blocked { input: 0 });

    let mut faulty = load_on(&host, &example("faulty"));
    faulty.push_input("command", &[2]).unwrap(); // Fault::Panic
    let Step::Trapped(trap) = faulty.run_until_idle().clone() else {
        panic!("expected a trap, got {:?}", faulty.status());
    };
    assert!(!trap.message().is_empty());
    let errors = faulty.errors();
    assert!(!errors.is_empty(), "no error reported");
    assert!(errors[0].starts_with("panicked at tests/fixtures/faulty/src/lib.rs:"), "{errors:?}");
    assert_eq!(faulty.run_until_idle(), &Step::Trapped(trap));

    // The counter, loaded before the panic, and a fresh one both still work.
    let mut fresh = load_on(&host, &example("counter"));
    for guest in [&mut counter, &mut fresh] {
        guest.push_input("wasm_input", &[5]).unwrap();
        guest.close_input("wasm_input").unwrap();
        assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
        assert_eq!(guest.outputs("wasm_data").unwrap(), [vec![6]]);
        assert!(guest.errors().is_empty(), "{:?}", guest.errors());
    }
}

/// The load-time budget: size first (nothing parsed), then functions and
/// custom sections, then the manifest's length before it is copied.
#[test]
fn load_budgets_are_typed_errors() {
    let config = TestHost::default().config().clone();
    // A module over `max_module_size`: one big custom section.
    let filler = "x".repeat(config.max_module_size);
    let big = guest_wasm_with(&format!(r#"(@custom "filler" "{filler}")"#), "(i32.const 0)");
    let e = refused(&big);
    assert_eq!(e, LoadError::ModuleTooLarge { size: big.len(), max: config.max_module_size });
    // The refusal names the budget, its value and the field that raises it.
    assert!(
        e.to_string().ends_with(
            "over the host's budget `max_module_size` of 65536 bytes \
             (`HostConfig::max_module_size`)"
        ),
        "{e}"
    );
    assert_eq!(e.budget(), Some((Budget::MaxModuleSize, 65536)));

    let funcs = "(func)".repeat(config.max_functions as usize);
    let e = refused(&guest_wasm_with(&funcs, "(i32.const 0)"));
    // Those, `$emit`, `run_task` and the five imports.
    let found = config.max_functions + 7;
    assert_eq!(e, LoadError::TooManyFunctions { found, max: config.max_functions });

    let sections: String =
        (0..config.max_custom_sections).map(|i| format!(r#"(@custom "extra{i}" "")"#)).collect();
    let e = refused(&guest_wasm_with(&sections, "(i32.const 0)"));
    // Those, the manifest and the `name` section `wat` writes.
    let found = config.max_custom_sections + 2;
    assert_eq!(e, LoadError::CustomSections { found, max: config.max_custom_sections });

    // Raw section bytes: the encoder refuses to write a manifest this long.
    let long = r"\00".repeat(wasm_sdk_host::abi::manifest::MAX_MANIFEST_LEN + 1);
    let e = refused(&wasm(&format!(
        r#"(module (memory (export "memory") 1) (func (export "run_task") (result i32) (i32.const 0))
           (@custom "wasm-sdk.manifest" "{long}"))"#
    )));
    assert_eq!(e, LoadError::Manifest(ManifestError::TooLong));
}

/// `table.grow` past `max_table_elements` fails with -1 in the guest, as
/// `memory.grow` past the memory budget does; the table keeps its size.
#[test]
fn table_growth_is_bounded() {
    let max = TestHost::default().config().max_table_elements as i32;
    let items = "(table $t 0 funcref)";
    let body = format!(
        "(call $emit (table.grow $t (ref.null func) (i32.const {max}))) \
         (call $emit (table.grow $t (ref.null func) (i32.const 1))) \
         (call $emit (table.size $t)) (i32.const 0)"
    );
    let mut guest = load(&guest_wasm_with(items, &body));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    assert_eq!(codes(&guest), [0, -1, max]);
}

/// Recursion traps at `max_call_depth`, well before wasmi's desktop
/// default of 1,000 frames (and its 1 MB value stack).
#[test]
fn recursion_depth_is_bounded() {
    let depth = TestHost::default().config().max_call_depth;
    let items = r#"
      (global $depth (mut i32) (i32.const 0))
      (func $deep (result i32)
        (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
        (i32.store (i32.const 8) (global.get $depth))
        (call $deep))"#;
    let mut guest = load(&guest_wasm_with(items, "(call $deep)"));
    assert!(matches!(guest.run_until_idle(), Step::Trapped(_)));
    let reached = i32::from_le_bytes(guest.guest().memory()[8..12].try_into().unwrap());
    assert!(reached > 0 && reached as usize <= depth, "{reached} frames");
}

// ---------------------------------------------------------------------------
// Volume and time: texts, sends, locals and costly instructions.
// ---------------------------------------------------------------------------

/// A guest logging 1,000-byte lines without end: each step passes at most
/// the text budget's per-step share (the guest is preempted and resumed,
/// nothing lost), and past the total the log answers `Closed` and the
/// test host keeps nothing more.
#[test]
fn a_log_flood_is_throttled_per_step_and_closed_past_the_total() {
    let host = TestHost::builder().text_total(64 * 1024).build();
    let budget = host.config().text;
    let items = format!(r#"(data (i32.const 1024) "{}")"#, "x".repeat(1000));
    let body = r#"
      (local $r i32)
      (loop $flood
        (local.set $r (call $log (i32.const 1024) (i32.const 1000) (i32.const 2)))
        (br_if $flood (i32.eqz (local.get $r))))
      (call $emit (local.get $r))
      ;; One byte over the per-text limit is refused as too large.
      (call $emit (call $report (i32.const 1024) (i32.const 1025)))
      (i32.const 0)"#;
    let mut guest = load_on(&host, &guest_wasm_with(&items, body));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    let passed = 64 * 1024 / 1000;
    assert_eq!(guest.logs().len(), passed);
    assert_eq!(codes(&guest), [Code::Closed.code(), Code::MessageTooLarge.code()]);
    let per_step = budget.per_step / 1000;
    assert!(guest.preemptions() >= (passed / per_step - 1) as u64, "{}", guest.preemptions());
    let usage = guest.text_usage();
    assert_eq!((usage.total, usage.refused), (passed as u64 * 1000, 1));
}

/// A guest sending faster than its consumer takes: the output fills, the
/// guest waits in `send` burning no fuel, and every message arrives in
/// order once the consumer drains.
#[test]
fn a_full_output_waits_without_fuel_and_loses_nothing() {
    let host = TestHost::builder().output_budget(40).build();
    let body = r#"
      (local $i i32)
      (loop $more
        (call $emit (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $more (i32.lt_u (local.get $i) (i32.const 100))))
      (i32.const 0)"#;
    let mut guest = load_on(&host, &guest_wasm(body));
    let mut received = Vec::new();
    let mut waits = 0;
    while let Step::Full { output: 0 } = guest.run_until_idle() {
        waits += 1;
        // Stepping a waiting guest runs nothing and burns no fuel.
        let fuel = guest.fuel_consumed();
        assert_eq!(guest.run_until_idle(), &Step::Full { output: 0 });
        assert_eq!(guest.fuel_consumed(), fuel);
        assert_eq!(guest.sent().len(), 10, "40 bytes hold ten 4-byte messages");
        received.extend(guest.take_sent().into_iter().map(|(_, m)| code(&m)));
    }
    assert_eq!(guest.status(), Some(&Step::Finished { exit_code: 0 }));
    received.extend(guest.take_sent().into_iter().map(|(_, m)| code(&m)));
    assert_eq!(received, (0..100).collect::<Vec<_>>());
    assert_eq!(waits, 9);
}

/// The counter example against a consumer that stalls, then drains: no
/// message dropped, the guest never fails.
#[test]
fn the_counter_survives_a_slow_consumer() {
    let host = TestHost::builder().output_budget(1).build();
    let mut counter = load_on(&host, &example("counter"));
    for i in 0..50u8 {
        counter.push_input("wasm_input", &[i]).unwrap();
    }
    let mut out = Vec::new();
    loop {
        match counter.run_until_idle().clone() {
            Step::Full { .. } => out.extend(counter.take_sent().into_iter().map(|(_, m)| m)),
            Step::Blocked { .. } => break,
            other => panic!("the counter ended: {other:?}"),
        }
    }
    out.extend(counter.take_sent().into_iter().map(|(_, m)| m));
    assert_eq!(out, (1..=50u8).map(|i| vec![i]).collect::<Vec<_>>());
    assert!(counter.errors().is_empty(), "{:?}", counter.errors());
}

/// A function declaring more locals than `max_locals` is refused by name,
/// before wasmi translates it; one at the limit loads.
#[test]
fn functions_with_too_many_locals_are_refused() {
    let max = TestHost::default().config().max_locals;
    let with_locals =
        |n: u32| format!("(func $many (param i32) (local {}))", "i64 ".repeat(n as usize - 1));
    load(&guest_wasm_with(&with_locals(max), "(i32.const 0)"));
    let e = refused(&guest_wasm_with(&with_locals(16_000), "(i32.const 0)"));
    // After the five imports and `$emit`.
    assert_eq!(e, LoadError::TooManyLocals { function: 6, found: 16_000, max });
    assert!(e.to_string().contains("function 6 has 16000 locals"), "{e}");
}

/// One instruction costing more fuel than a slice (a `memory.fill` of the
/// whole 64 KiB page costs 1,024 fuel; the slice is 100) still runs: the
/// slice is widened to what the instruction needs instead of preempting it
/// forever.
#[test]
fn an_instruction_costlier_than_a_slice_does_not_livelock() {
    let host = TestHost::builder().fuel_per_slice(100).build();
    let body = r#"
      (local $i i32)
      (loop $again
        (memory.fill (i32.const 0) (local.get $i) (i32.const 65536))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get $i) (i32.const 20))))
      (call $emit (i32.load8_u (i32.const 65535)))
      (i32.const 0)"#;
    let mut guest = load_on(&host, &guest_wasm(body));
    let steps = (1..=1000).find(|_| guest.step() != &Step::Preempted);
    assert_eq!(guest.status(), Some(&Step::Finished { exit_code: 0 }), "after {steps:?} steps");
    assert_eq!(codes(&guest), [19]);
    assert!(guest.preemptions() < 100, "{} preemptions", guest.preemptions());
}

/// Sending, receiving and logging cost fuel by their bytes
/// (`bytes_per_fuel`), so a guest moving large buffers uses its slices as
/// fast as one computing.
#[test]
fn calls_cost_fuel_by_their_bytes() {
    let per = u64::from(TestHost::default().config().bytes_per_fuel);
    let fuel = |len: u32| {
        let body = format!(
            "(drop (call $send (i32.const 1024) (i32.const {len}) (i32.const 0))) \
             (drop (call $log (i32.const 1024) (i32.const {}) (i32.const 2))) (i32.const 0)",
            len.min(1000)
        );
        let mut guest = load(&guest_wasm(&body));
        assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
        guest.fuel_consumed()
    };
    let extra = fuel(16 * 1024) - fuel(0);
    assert_eq!(extra, (16 * 1024 + 1000) / per, "fuel of 16 KiB sent and 1,000 bytes logged");
}

/// A call whose bytes cost more than the slice has ends the step after it
/// (the guest is preempted with the call done): moving bytes cannot
/// stretch a slice, and nothing is sent twice.
#[test]
fn bytes_beyond_the_slice_end_the_step() {
    let host = TestHost::builder().fuel_per_slice(1_000).build();
    let body = r#"
      (local $i i32)
      (loop $more
        (drop (call $send (i32.const 1024) (i32.const 16384) (i32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $more (i32.lt_u (local.get $i) (i32.const 10))))
      (i32.const 0)"#;
    let mut guest = load_on(&host, &guest_wasm(body));
    assert_eq!(guest.run_until_idle(), &Step::Finished { exit_code: 0 });
    assert_eq!(guest.sent().len(), 10);
    assert!(guest.preemptions() >= 10, "{} preemptions", guest.preemptions());
    let per = u64::from(host.config().bytes_per_fuel);
    assert!(guest.fuel_consumed() >= 10 * 16_384 / per, "{}", guest.fuel_consumed());
}

/// Operators after a function's final `end` (found by `fuzz/`, target
/// `module_load`): refused, in test builds too, where wasmi's translator
/// has a debug assertion about it.
#[test]
fn operators_after_the_final_end_are_refused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let path = root.join("fuzz/regressions/module_load/wasmi-debug-assert-ops-after-end.wasm");
    let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(matches!(refused(&wasm), LoadError::Invalid(_) | LoadError::Malformed(_)));
}
