//! The standard Python client, `smpmgr` (PyPI), against the server on a
//! pseudo-terminal: the tools users already have work unchanged.
//!
//! Ignored unless asked for, because it needs `smpmgr` installed:
//! `WASM_SDK_SMPMGR=/path/to/venv/bin/smpmgr cargo test -p wasm-sdk-smp
//! --test smpmgr -- --ignored` (`.ci/run` installs it in a venv).

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::RamSlots;
use common::doubles::{BANK, LAYOUT, RamFlash};
use sha2::{Digest, Sha256};
use wasm_sdk_smp::SerialServer;
use wasm_sdk_smp::flash::{FlashSlots, Install};
use wasm_sdk_smp::slots::{SlotError, rc};

/// Opens a pseudo-terminal; returns the master and the slave's path.
fn open_pty() -> (File, String) {
    let (mut master, mut slave) = (0, 0);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: the out-pointers are valid; null termios and winsize mean
    // defaults. `name` has room for any pty path.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            name.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: `slave` is an open descriptor we own; raw mode (no echo, no
    // line editing) as a UART would be, before any client opens it.
    unsafe {
        let mut tio: libc::termios = std::mem::zeroed();
        libc::tcgetattr(slave, &mut tio);
        libc::cfmakeraw(&mut tio);
        libc::tcsetattr(slave, libc::TCSANOW, &tio);
    }
    // SAFETY: `name` was NUL-terminated by openpty.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
    // Keep the slave open for the test's life, so the master never reads
    // EOF between client processes.
    // SAFETY: both descriptors are open and owned by nobody else.
    std::mem::forget(unsafe { OwnedFd::from_raw_fd(slave) });
    // SAFETY: as above.
    (unsafe { File::from_raw_fd(master) }, path)
}

/// Answers on the pty's master in a thread, with what `make` returns
/// there (a server need not be `Send`): it turns received bytes into
/// response lines.
fn pump<A: FnMut(&[u8], &mut Vec<u8>)>(
    mut master: File,
    make: impl FnOnce() -> A + Send + 'static,
) {
    let mut writer = master.try_clone().expect("dup master");
    std::thread::spawn(move || {
        let mut answer = make();
        let mut buf = [0u8; 512];
        loop {
            let Ok(n) = master.read(&mut buf) else { return };
            if n == 0 {
                return;
            }
            let mut out = Vec::new();
            answer(&buf[..n], &mut out);
            if writer.write_all(&out).is_err() {
                return;
            }
        }
    });
}

/// Serves SMP over RAM slots on a pty; returns its path and the server.
fn serve() -> (String, Arc<Mutex<SerialServer<RamSlots>>>) {
    let (master, path) = open_pty();
    let server = Arc::new(Mutex::new(SerialServer::new(RamSlots::default())));
    let shared = Arc::clone(&server);
    pump(master, move || {
        move |bytes: &[u8], out: &mut Vec<u8>| {
            shared.lock().unwrap().receive(bytes, |line| out.extend_from_slice(line));
        }
    });
    (path, server)
}

/// Image 1 has no built-in module, so it may run none; a module that is
/// not Wasm is refused with its first bytes named.
struct SecondRemovable;

impl Install for SecondRemovable {
    fn check(&mut self, _image: u32, module: &[u8]) -> Result<(), SlotError> {
        if module.starts_with(b"\0asm") {
            return Ok(());
        }
        let start = &module[..module.len().min(4)];
        Err(SlotError::new(rc::ECORRUPT, "not a wasm module")
            .with_detail(format!("it starts with {start:02x?}")))
    }

    fn removable(&self, image: u32) -> bool {
        image == 1
    }
}

/// Serves SMP over slots in RAM flash on a pty; returns its path.
fn serve_flash() -> String {
    let (master, path) = open_pty();
    pump(master, || {
        let scratch = Box::leak(vec![0u8; BANK as usize].into_boxed_slice());
        let flash = RamFlash::new(4 * BANK as usize);
        let slots = FlashSlots::mount(flash, LAYOUT, SecondRemovable, scratch).expect("mount");
        let mut server: SerialServer<_> = SerialServer::new(slots);
        move |bytes: &[u8], out: &mut Vec<u8>| {
            server.receive(bytes, |line| out.extend_from_slice(line));
        }
    });
    path
}

fn smpmgr(port: &str, args: &[&str]) -> (bool, String) {
    let exe = std::env::var("WASM_SDK_SMPMGR").expect("set WASM_SDK_SMPMGR to smpmgr's path");
    let out = Command::new(exe)
        .args(["--port", port, "--timeout", "5"])
        .args(args)
        .output()
        .expect("run smpmgr");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
#[ignore = "needs smpmgr: set WASM_SDK_SMPMGR"]
fn smpmgr_echoes_uploads_and_reads_state() {
    let (port, server) = serve();

    // `os echo` exits 0 even on an SMP error: check the echoed text.
    let (_, text) = smpmgr(&port, &["os", "echo", "wasm-sdk-token"]);
    assert!(text.contains("wasm-sdk-token"), "{text}");

    // A raw module, uploaded as users upload one.
    let dir = std::env::temp_dir().join(format!("wasm-sdk-smpmgr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    module.extend((0..2500u32).map(|i| (i * 13) as u8));
    let file = dir.join("guest.wasm");
    std::fs::write(&file, &module).unwrap();
    let started = std::time::Instant::now();
    let (ok, text) = smpmgr(
        &port,
        &["image", "upload", file.to_str().unwrap(), "--slot", "1", "--format", "any"],
    );
    assert!(ok, "upload failed: {text}");
    println!("smpmgr: {} B uploaded in {:?}", module.len(), started.elapsed());
    assert_eq!(server.lock().unwrap().server().slots().finished, 1);

    // The state lists the module by its hash, as the client parses it.
    let (_, text) = smpmgr(&port, &["image", "state-read"]);
    println!("smpmgr image state-read:\n{text}");
    let hash: String = Sha256::digest(&module).iter().map(|b| format!("{b:02x}")).collect();
    assert!(text.to_lowercase().contains(&hash[..16]), "{text}");

    // Garbage is refused with the server's reason, and upload exits 1.
    let bad = dir.join("bad.wasm");
    std::fs::write(&bad, [0x42u8; 600]).unwrap();
    let (ok, text) = smpmgr(
        &port,
        &["image", "upload", bad.to_str().unwrap(), "--slot", "1", "--format", "any"],
    );
    assert!(!ok, "garbage must be refused: {text}");
    println!("smpmgr on garbage:\n{}", text.lines().rev().take(3).collect::<Vec<_>>().join("\n"));
    assert_eq!(server.lock().unwrap().server().slots().finished, 1, "nothing new installed");
}

#[test]
#[ignore = "needs smpmgr: set WASM_SDK_SMPMGR"]
fn smpmgr_erases_slots_and_shows_a_named_refusal() {
    let port = serve_flash();
    let dir = std::env::temp_dir().join(format!("wasm-sdk-smpmgr-erase-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    module.extend((0..2500u32).map(|i| (i * 11) as u8));
    let file = dir.join("guest.wasm");
    std::fs::write(&file, &module).unwrap();
    let hash: String = Sha256::digest(&module).iter().map(|b| format!("{b:02x}")).collect();
    let upload = |path: &std::path::Path| {
        smpmgr(
            &port,
            &["image", "upload", path.to_str().unwrap(), "--slot", "1", "--format", "any"],
        )
    };
    let listed = || smpmgr(&port, &["image", "state-read"]).1.to_lowercase().contains(&hash[..16]);

    let (ok, text) = upload(&file);
    assert!(ok, "upload failed: {text}");
    assert!(listed());
    // `image erase` exits 0 even on an SMP error: check what it prints.
    // Slot 2 is image 1's running slot: kept while on trial.
    let (_, text) = smpmgr(&port, &["image", "erase", "2"]);
    assert!(text.contains("a module is on trial"), "{text}");
    let (_, text) = smpmgr(&port, &["image", "state-write", "--confirm"]);
    assert!(!text.contains("rsn"), "{text}");
    // Image 0 must run a module: its running slot is never erased.
    let (_, text) = smpmgr(&port, &["image", "erase", "0"]);
    assert!(text.contains("the running module cannot be erased"), "{text}");
    // Image 1 may run none: erasing its running slot removes the guest.
    let (ok, text) = smpmgr(&port, &["image", "erase", "2"]);
    assert!(ok && !text.contains("rsn"), "{text}");
    assert!(!listed(), "the state list no longer has it");

    // A refusal with a detail reaches the user whole.
    let bad = dir.join("bad.wasm");
    std::fs::write(&bad, [0x42u8; 600]).unwrap();
    let (ok, text) = upload(&bad);
    println!("smpmgr on garbage:\n{}", text.lines().rev().take(3).collect::<Vec<_>>().join("\n"));
    assert!(!ok, "garbage must be refused: {text}");
    // The client wraps its output at 80 columns.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("rsn='not a wasm module: it starts with [42, 42, 42, 42]'"), "{text}");

    // The emptied image takes a new upload.
    let (ok, text) = upload(&file);
    assert!(ok, "upload after the removal failed: {text}");
    assert!(listed());
}
