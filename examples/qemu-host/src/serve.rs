//! Serve mode (`--features update`): the counter guest runs until QEMU is
//! killed, and an SMP server on UART0 updates it with the standard tools.
//!
//! The update path itself is [`wasm_sdk_embassy::update`], shared with the
//! nRF5340 firmware; this module gives it QEMU's pieces:
//!
//! - [`smp_task`] runs [`update::serve`] on UART0 (polled). Its slots are a
//!   [`FlashSlots`](wasm_sdk_smp::flash::FlashSlots) on [`HostFileFlash`]; an
//!   upload passes [`wasm_sdk_embassy::check`] (the host's load checks, the
//!   counter's wiring) before anything stops. The guest group lists,
//!   stops, starts, feeds and reads [`COUNTER`].
//! - [`counter_task`] runs the counter with [`update::run`]: a new module
//!   for image 0 is swapped in on the same channels at a safe point; a module
//!   on trial that fails the health rule or its deadline is rolled back,
//!   one that passes it ([`update::HEALTHY_AFTER`] messages answered)
//!   confirmed; a confirmed one that stops is restarted, and falls back
//!   after repeated failures ([`COUNTER_HEALTH`]).
//! - [`echo_task`] prints each count on the counter's output on the
//!   console, so a user sees what the guest does.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use cortex_m_semihosting::{hprintln, nr, syscall, syscall1};
use embassy_time::{Duration, Timer};
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use wasm_sdk_embassy::update::{self, Check, Fleet, Health, Managed, Transport};
use wasm_sdk_embassy::{ChannelEnv, LogBucket, LogLimit};
use wasm_sdk_host::{Guest, Host};
use wasm_sdk_smp::flash::{FlashSlots, HEADER_LEN, Layout};
use wasm_sdk_smp::{DEFAULT_BUF_SIZE, SerialServer};

use crate::uart::{UART0, Uart};
use qemu_host::guests::{self, COUNTER_WIRING};

/// Bytes per flash bank: the image header and a module of up to
/// [`MAX_MODULE_SIZE`](qemu_host::config::MAX_MODULE_SIZE), in whole erase
/// pages.
const BANK: usize =
    (qemu_host::config::MAX_MODULE_SIZE + HEADER_LEN as usize).next_multiple_of(PAGE);
/// Flash erase page.
const PAGE: usize = 4096;
/// Images: 0 the counter, 1 to 3 the catalog's empty slots
/// ([`crate::services`]).
pub const IMAGES: u32 = 4;

/// Heap kept beside the guests and the slots' buffers: the executor's
/// tasks, the SMP task's futures, messages in flight, allocator overhead.
const HEAP_MARGIN: usize = 16 * 1024;

/// The running guests' share of the heap: what the slots' scratch buffer
/// ([`mount`]), the margin and one upload's check or swap at a time (a
/// module of `config::MODULE_HEAP` and its linear memory) leave. Admission
/// control ([`Check::admitting`]) refuses an upload that would take the
/// guests past it.
pub fn guest_ram(config: &wasm_sdk_host::HostConfig) -> usize {
    let memory = usize::try_from(config.memory_budget).unwrap_or(usize::MAX);
    let upload = qemu_host::config::MODULE_HEAP.saturating_add(memory);
    qemu_host::memory::HEAP_SIZE.saturating_sub(BANK + HEAP_MARGIN).saturating_sub(upload)
}

/// The flash of the slots: a file on the host, through semihosting file
/// I/O, with NOR rules (erase sets 0xff, a write only clears bits), so the
/// slots survive a QEMU restart. Read from the file at each access: the
/// slots are larger than the RAM a copy would take. `./serve` without
/// `--storage` gives a temporary file the firmware removes once it is open,
/// so its slots are lost when QEMU stops.
pub struct HostFileFlash {
    fd: usize,
    size: usize,
}

/// A flash access outside the flash, or a host file error.
#[derive(Debug)]
pub struct FlashError;

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

impl ErrorType for HostFileFlash {
    type Error = FlashError;
}

/// Bytes moved per semihosting call when erasing or writing.
const CHUNK: usize = 256;

impl HostFileFlash {
    /// The flash in `path` (`size` bytes, created erased if missing or
    /// short); removed from the host's file system once open if
    /// `temporary`.
    fn open(path: &[u8], size: usize, temporary: bool) -> Result<Self, FlashError> {
        let mut name = Vec::from(path);
        name.push(0);
        let open = |mode: usize| {
            // SAFETY: a NUL-terminated name and its length, as SYS_OPEN takes.
            let fd = unsafe { syscall!(OPEN, name.as_ptr(), mode, path.len()) };
            (fd != usize::MAX).then_some(fd)
        };
        let fd = open(nr::open::RW_BINARY)
            .or_else(|| open(nr::open::RW_TRUNC_BINARY))
            .ok_or(FlashError)?;
        if temporary {
            // The open handle keeps the file; nothing is left behind
            // however QEMU ends.
            // SAFETY: as for SYS_OPEN.
            unsafe { syscall!(REMOVE, name.as_ptr(), path.len()) };
        }
        // SAFETY: `fd` is open.
        let len = unsafe { syscall!(FLEN, fd) };
        let have = if len == usize::MAX { 0 } else { len.min(size) };
        let mut flash = HostFileFlash { fd, size };
        // Extend the file with erased bytes.
        let erased = [0xff; CHUNK];
        let mut at = have;
        while at < size {
            let n = CHUNK.min(size - at);
            flash.store(at, &erased[..n])?;
            at += n;
        }
        Ok(flash)
    }

    /// Reads `bytes.len()` bytes at `at` from the file.
    fn load(&self, at: usize, bytes: &mut [u8]) -> Result<(), FlashError> {
        // SAFETY: `fd` is open; the buffer is valid for its length.
        let missing = unsafe {
            syscall!(SEEK, self.fd, at);
            syscall!(READ, self.fd, bytes.as_mut_ptr(), bytes.len())
        };
        if missing == 0 { Ok(()) } else { Err(FlashError) }
    }

    /// Writes `bytes` at `at` to the file.
    fn store(&mut self, at: usize, bytes: &[u8]) -> Result<(), FlashError> {
        // SAFETY: `fd` is open; `bytes` is valid for its length.
        let missing = unsafe {
            syscall!(SEEK, self.fd, at);
            syscall!(WRITE, self.fd, bytes.as_ptr(), bytes.len())
        };
        if missing == 0 { Ok(()) } else { Err(FlashError) }
    }

    fn check(&self, at: usize, len: usize) -> Result<(), FlashError> {
        if at.checked_add(len).is_some_and(|end| end <= self.size) {
            Ok(())
        } else {
            Err(FlashError)
        }
    }
}

impl ReadNorFlash for HostFileFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        let at = offset as usize;
        self.check(at, bytes.len())?;
        self.load(at, bytes)
    }

    fn capacity(&self) -> usize {
        self.size
    }
}

impl NorFlash for HostFileFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = PAGE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let (from, to) = (from as usize, to as usize);
        self.check(from, to.saturating_sub(from))?;
        let erased = [0xff; CHUNK];
        let mut at = from;
        while at < to {
            let n = CHUNK.min(to - at);
            self.store(at, &erased[..n])?;
            at += n;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        let at = offset as usize;
        self.check(at, bytes.len())?;
        // NOR: a write only clears bits of what is there.
        let mut cells = [0u8; CHUNK];
        for (index, chunk) in bytes.chunks(CHUNK).enumerate() {
            let here = at + index * CHUNK;
            let cells = &mut cells[..chunk.len()];
            self.load(here, cells)?;
            for (cell, byte) in cells.iter_mut().zip(chunk) {
                *cell &= *byte;
            }
            self.store(here, cells)?;
        }
        Ok(())
    }
}

/// The arguments on QEMU's semihosting command line
/// (`-semihosting-config arg=qemu-host,arg=ARG,...`) after the program's
/// name: a storage file (`tmp:FILE` for a temporary one), and
/// [`MEASURE_ARG`].
fn cmdline_args() -> Vec<Vec<u8>> {
    let mut cmdline = [0u8; 256];
    let mut block = [cmdline.as_mut_ptr() as usize, cmdline.len()];
    // SAFETY: SYS_GET_CMDLINE writes at most `block[1]` bytes to `block[0]`
    // and the length it wrote back to `block[1]`.
    // `syscall1`: the operation takes the block's address itself.
    let failed = unsafe { syscall1!(GET_CMDLINE, block.as_mut_ptr()) };
    let line = if failed == 0 { cmdline.get(..block[1]).unwrap_or_default() } else { &[] };
    line.split(|&b| b == b' ').filter(|w| !w.is_empty()).skip(1).map(<[u8]>::to_vec).collect()
}

/// The command-line argument of `./serve --measure-update`.
const MEASURE_ARG: &[u8] = b"--measure-update";

/// The storage file named on the command line, and whether it is
/// temporary (`tmp:FILE`).
fn storage_path() -> Option<(Vec<u8>, bool)> {
    let arg = cmdline_args().into_iter().find(|arg| arg != MEASURE_ARG)?;
    match arg.strip_prefix(b"tmp:") {
        Some(path) => Some((path.to_vec(), true)),
        None => Some((arg, false)),
    }
}

/// Whether to measure an update ([`measure_update`]) instead of serving.
pub fn measure_requested() -> bool {
    cmdline_args().iter().any(|arg| arg == MEASURE_ARG)
}

/// The key modules must be signed with: built in from the file
/// `WASM_SDK_PUBLIC_KEY` names (`./serve --public-key FILE`).
#[cfg(signed_modules)]
const KEY: wasm_sdk_sign::PublicKey = wasm_sdk_sign::embedded_key!();

/// The install check: the signature when the firmware was built with a
/// key, then everything [`update::Check`] checks, on a host of its own.
fn install_check(host_config: wasm_sdk_host::HostConfig) -> Check {
    let guest_ram = guest_ram(&host_config);
    let check =
        Check::new(alloc::boxed::Box::leak(alloc::boxed::Box::new(Host::new(host_config))), FLEET)
            .with_free_heap(|| qemu_host::memory::HEAP.free())
            .admitting(guest_ram);
    #[cfg(signed_modules)]
    let check = check.verifying(|module| {
        use wasm_sdk_smp::slots::{SlotError, rc};
        wasm_sdk_sign::verify(module, &KEY)
            .map_err(|error| SlotError::new(rc::EACCESSDENIED, error.as_str()))
    });
    check
}

/// The SMP server of serve mode.
type SmpServer = update::Server<'static, HostFileFlash, Check, DEFAULT_BUF_SIZE>;

type Slots0 = FlashSlots<'static, HostFileFlash, Check>;

/// Mounts the slots and returns them with the module the counter runs now
/// (the uploaded one that survived, or the built-in one) and the module
/// each catalog slot runs (`None`: empty).
pub fn mount(
    host_config: wasm_sdk_host::HostConfig,
) -> (Slots0, Vec<u8>, [Option<Vec<u8>>; crate::services::SLOTS.len()]) {
    // Called once: the scratch buffer lives as long as the firmware (a
    // bank of the heap, which `module_heap` leaves).
    let Some((path, temporary)) = storage_path() else {
        qemu_host::fail(format_args!("serve: no storage file (run ./serve)"));
    };
    let size = 2 * BANK * IMAGES as usize;
    let Ok(flash) = HostFileFlash::open(&path, size, temporary) else {
        qemu_host::fail(format_args!("serve: cannot open the storage file"));
    };
    match temporary {
        false => hprintln!("serve: slots in {}", core::str::from_utf8(&path).unwrap_or("?")),
        true => hprintln!("serve: slots in a temporary file (lost when QEMU stops)"),
    }
    #[cfg(signed_modules)]
    hprintln!("serve: uploads must be signed with the built-in key");
    #[cfg(not(feature = "validate"))]
    hprintln!(
        "serve: no on-device validation: modules must be stamped and signed (trusted loading)"
    );
    let scratch = alloc::vec![0; BANK].leak();
    let layout = Layout { base: 0, bank_size: BANK as u32, images: IMAGES };
    let check = install_check(host_config);
    let mut slots = match FlashSlots::mount(flash, layout, check, scratch) {
        Ok(slots) => slots,
        Err(error) => qemu_host::fail(format_args!("slots: {}", error.reason)),
    };
    // Image 0 has a built-in module: never empty.
    let module = COUNTER.module(&mut slots).unwrap_or_else(|| guests::COUNTER_WASM.to_vec());
    let catalog = crate::services::SLOTS.map(|managed| managed.module(&mut slots));
    while slots.take_changed().is_some() {}
    (slots, module, catalog)
}

/// Milliseconds between the counter's inputs (fed by `main`):
/// 1,000, or `WASM_SDK_SERVE_TICK_MS` at build time (`./serve --tick-ms
/// N`), so that a test reaches a trial's answers and deadline quickly.
pub const TICK_MS: u64 = tick_ms(option_env!("WASM_SDK_SERVE_TICK_MS"));

const fn tick_ms(text: Option<&str>) -> u64 {
    let Some(text) = text else { return 1_000 };
    let (bytes, mut at, mut ms) = (text.as_bytes(), 0, 0u64);
    if bytes.is_empty() {
        return 1_000;
    }
    while at < bytes.len() {
        assert!(bytes[at].is_ascii_digit(), "WASM_SDK_SERVE_TICK_MS: not a number of ms");
        ms = ms * 10 + (bytes[at] - b'0') as u64;
        at += 1;
    }
    assert!(ms > 0, "WASM_SDK_SERVE_TICK_MS: 0 ms");
    ms
}

/// `duration` of [`Health::DEFAULT`], which assumes a message a second,
/// at one message every [`TICK_MS`].
pub const fn at_tick(duration: Duration) -> Duration {
    Duration::from_ticks(duration.as_ticks() / 1_000 * TICK_MS)
}

/// The counter's modules: [`Health::DEFAULT`], its times scaled to the
/// input period (its log rate is the console's, unscaled).
const COUNTER_HEALTH: Health = Health {
    deadline: at_tick(Health::DEFAULT.deadline),
    backoff: at_tick(Health::DEFAULT.backoff),
    max_backoff: at_tick(Health::DEFAULT.max_backoff),
    window: at_tick(Health::DEFAULT.window),
    ..Health::DEFAULT
};

/// The counter guest, updatable over SMP as image 0.
pub static COUNTER: Managed =
    Managed::new("counter", 0, &COUNTER_WIRING, guests::COUNTER_WASM, &guests::SINK)
        .with_health(COUNTER_HEALTH);

/// The guest group: every managed guest.
static FLEET: Fleet = Fleet::new(&[
    &COUNTER,
    crate::services::SLOTS[0],
    crate::services::SLOTS[1],
    crate::services::SLOTS[2],
]);

/// UART0, polled every 200 µs while idle: the SMP transport.
struct PolledUart(Uart);

impl Transport for PolledUart {
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        loop {
            let mut n = 0;
            while n < buf.len() {
                let Some(byte) = self.0.try_read() else { break };
                buf[n] = byte;
                n += 1;
            }
            // Cancel-safe: bytes are taken from the UART only here, and
            // returned at once.
            if n > 0 {
                return n;
            }
            Timer::after_micros(200).await;
        }
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.0.write_all(bytes);
    }
}

/// Serves SMP on UART0 until QEMU is killed, with the guest group.
#[embassy_executor::task]
pub async fn smp_task(slots: Slots0) {
    // SAFETY: UART0 is used by this task only.
    let mut uart = PolledUart(unsafe { Uart::new(UART0) });
    let mut server: SmpServer = SerialServer::with_guests(slots, FLEET);
    update::serve(&mut server, &mut uart).await;
    hprintln!("serve: reset requested");
    // Let the UART send the reply first (the client waits for it).
    Timer::after_millis(50).await;
    cortex_m::peripheral::SCB::sys_reset();
}

/// Runs the counter guest for ever, swapping in each module the SMP task
/// hands over at a safe point.
#[embassy_executor::task]
pub async fn counter_task(host: Host<ChannelEnv>, guest: Guest<ChannelEnv>) {
    update::run(&host, &COUNTER, guest).await
}

/// How many counts [`echo_task`] prints: its own [`LogLimit`] over the
/// guest's answers. A module answering in a loop would otherwise keep the
/// console busy, and semihosting stops the whole machine while it writes:
/// timers, the trial's deadline among them, would wait on the console.
/// Twice a tick's rate, so every count of a healthy counter shows.
const ECHO_LIMIT: LogLimit = LogLimit { burst: 40, every: at_tick(Duration::from_millis(500)) };

/// Prints every count the counter answers, within [`ECHO_LIMIT`]; the
/// counts it leaves out are said before the next one it prints.
#[embassy_executor::task]
pub async fn echo_task() {
    let mut lines = LogBucket::new(ECHO_LIMIT);
    loop {
        let message = guests::COUNTER_OUT.receive().await;
        let Some(left_out) = lines.admit() else { continue };
        if left_out > 0 {
            hprintln!("serve: {} counts not printed (the console's rate limit)", left_out);
        }
        let count = wasm_sdk::from_payload::<module_examples_common::Counter>(&message);
        match count {
            Ok(counter) => hprintln!("counter: {}", counter.count),
            Err(_) => hprintln!("counter: {} undecodable bytes", message.len()),
        }
    }
}

/// An upload replayed from memory, [`BURST`] bytes per read (a UART's
/// receive FIFO or DMA burst), as fast as the firmware takes it.
struct Replay {
    lines: Vec<u8>,
    at: usize,
}

/// Bytes per [`Replay`] read.
const BURST: usize = 64;

impl Transport for Replay {
    async fn read(&mut self, buf: &mut [u8]) -> usize {
        let rest = self.lines.get(self.at..).unwrap_or_default();
        if rest.is_empty() {
            core::future::pending::<()>().await;
        }
        let n = rest.len().min(buf.len()).min(BURST);
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        n
    }

    async fn write(&mut self, _bytes: &[u8]) {}
}

/// Replays the upload of [`Replay`]s through the update path.
#[embassy_executor::task]
async fn replay_task(slots: Slots0, mut replay: Replay) {
    let mut server: SmpServer = SerialServer::with_guests(slots, FLEET);
    update::serve(&mut server, &mut replay).await;
}

/// `./serve --measure-update` (QEMU with `-icount shift=0`, so SysTick
/// counts instructions): replays an upload of the counter module (chunks of
/// [`MEASURE_CHUNK`] bytes, as `wasm-sdk deploy` sends them to a
/// 384-byte buffer) from memory, with no serial line in between, and prints
/// the firmware's cost: instructions from the first byte to the new module
/// swapped in and to its first message, and the heap it took. Then exits.
pub async fn measure_update(
    spawner: &embassy_executor::Spawner,
    host: Host<ChannelEnv>,
    guest: Guest<ChannelEnv>,
    slots: Slots0,
) -> ! {
    let calibration = qemu_host::clock::calibrate();
    let module = guests::COUNTER_WASM;
    let (mut message, mut scratch) = (alloc::vec![0; 512], alloc::vec![0; 516]);
    let mut lines = Vec::new();
    let requests = wasm_sdk_smp::client::upload_lines(
        0,
        module,
        MEASURE_CHUNK,
        &mut message,
        &mut scratch,
        |line| lines.extend_from_slice(line),
    );
    let Some(requests) = requests else { qemu_host::fail(format_args!("measure: framing failed")) };
    let line_bytes = lines.len();
    drop((message, scratch));
    spawner.spawn(qemu_host::unwrap_spawn(counter_task(host, guest)));
    // Let the counter start and wait for input first.
    Timer::after_millis(1).await;
    let swaps = guests::SWAPS.load(Ordering::Relaxed);
    let heap_before = qemu_host::memory::HEAP.live();
    qemu_host::memory::HEAP.reset_peak();
    let began = qemu_host::clock::cycles();
    spawner.spawn(qemu_host::unwrap_spawn(replay_task(slots, Replay { lines, at: 0 })));
    while guests::SWAPS.load(Ordering::Relaxed) == swaps {
        embassy_futures::yield_now().await;
    }
    let swapped = qemu_host::clock::cycles();
    let input = module_examples_common::to_message(&module_examples_common::Counter { count: 41 });
    guests::COUNTER_IN.send(input.unwrap_or_default()).await;
    let answer = guests::COUNTER_OUT.receive().await;
    let answered = qemu_host::clock::cycles();
    let peak = qemu_host::memory::HEAP.peak();
    hprintln!(
        "measure: upload of {} B ({requests} requests, {line_bytes} B of console lines) to the first message of the new module: {} instructions (swapped in after {}), answer {answer:02x?}",
        module.len(),
        calibration.instructions(answered - began),
        calibration.instructions(swapped - began),
    );
    hprintln!(
        "measure: heap {heap_before} B before, peak {peak} B during upload and swap (+{} B); the SMP server's buffers {} B (static)",
        peak - heap_before,
        core::mem::size_of::<SmpServer>(),
    );
    // The same as data, for `scripts/figures-from-log` (figures/update.toml).
    hprintln!("figure update module_bytes = {}", module.len());
    hprintln!("figure update requests = {requests}");
    hprintln!("figure update console_bytes = {line_bytes}");
    hprintln!("figure update instructions = {}", calibration.instructions(answered - began));
    hprintln!("figure update swapped_after = {}", calibration.instructions(swapped - began));
    hprintln!("figure update-heap before = {heap_before}");
    hprintln!("figure update-heap peak = {peak}");
    hprintln!("figure update-heap smp_server_static = {}", core::mem::size_of::<SmpServer>());
    cortex_m_semihosting::debug::exit(cortex_m_semihosting::debug::EXIT_SUCCESS);
    qemu_host::fail(format_args!("measure: exit"))
}

/// Module bytes per upload request in [`measure_update`]: what fits a
/// 384-byte request buffer with the first request's fields.
pub const MEASURE_CHUNK: usize = 256;
