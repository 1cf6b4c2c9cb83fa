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
use sha2::{Digest, Sha256};
use wasm_sdk_smp::SerialServer;

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

/// Serves SMP on the pty's master in a thread.
fn serve() -> (String, Arc<Mutex<SerialServer<RamSlots>>>) {
    let (mut master, path) = open_pty();
    let server = Arc::new(Mutex::new(SerialServer::new(RamSlots::default())));
    let shared = Arc::clone(&server);
    let mut writer = master.try_clone().expect("dup master");
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        loop {
            let Ok(n) = master.read(&mut buf) else { return };
            if n == 0 {
                return;
            }
            let mut out = Vec::new();
            shared.lock().unwrap().receive(&buf[..n], |line| out.extend_from_slice(line));
            if writer.write_all(&out).is_err() {
                return;
            }
        }
    });
    (path, server)
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
