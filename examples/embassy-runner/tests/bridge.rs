//! The async bridge on the desktop: a counter guest driven by `drive`,
//! fed and drained by a service future through pipes, on one thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use embassy_futures::block_on;
use embassy_runner::wasm_sdk_host::{Host, HostConfig, LogLevel, Step};
use embassy_runner::{ChannelEnv, Pipe, Sink, drive};
use wasm_sdk_testhost::GuestBuilder;

fn wasm(package: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path =
        GuestBuilder::for_tests().build(root.join("examples").join(package)).expect("build guest");
    std::fs::read(path).expect("read guest")
}

struct Counting(AtomicUsize);

impl Sink for Counting {
    fn log(&self, _guest: &str, _level: LogLevel, _message: &str) {}
    fn report_error(&self, _guest: &str, _message: &str) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn a_blocked_guest_waits_on_its_pipe_and_answers_every_message() {
    static INPUT: Pipe = Pipe::new();
    static OUTPUT: Pipe = Pipe::new();
    static SINK: Counting = Counting(AtomicUsize::new(0));
    let host = Host::new(HostConfig::default());
    static INPUTS: [&Pipe; 1] = [&INPUT];
    static OUTPUTS: [&Pipe; 1] = [&OUTPUT];
    let env = ChannelEnv::new("counter", &INPUTS, &OUTPUTS, &SINK);
    let mut guest = host.load(&wasm("counter"), env).expect("load");

    const MESSAGES: u8 = 20;
    let service = async {
        let mut answers = Vec::new();
        for count in 0..MESSAGES {
            INPUT.send(vec![count]).await;
            answers.push(OUTPUT.receive().await);
        }
        answers
    };
    // The guest never finishes (its input is never closed), so race it
    // against the service and stop when the service is done.
    let (answers, _) = block_on(async {
        let guest_task = async {
            let step = drive(&mut guest).await;
            panic!("guest stopped: {step:?}");
        };
        match embassy_futures::select::select(service, guest_task).await {
            embassy_futures::select::Either::First(answers) => (answers, ()),
        }
    });
    let expected: Vec<Vec<u8>> = (1..=MESSAGES).map(|c| vec![c]).collect();
    assert_eq!(answers, expected);
    // One wait per answered message (the last one still pending): the
    // guest is stepped when input arrives, never polled in between.
    assert_eq!(guest.env().waits, u32::from(MESSAGES));
    assert_eq!(SINK.0.load(Ordering::Relaxed), 0);
    assert!(matches!(guest.step(), Step::Blocked { input: 0 }));
}

#[test]
fn a_long_computation_yields_between_slices() {
    static INPUT: Pipe = Pipe::new();
    static OUTPUT: Pipe = Pipe::new();
    static SINK: Counting = Counting(AtomicUsize::new(0));
    let host = Host::new(HostConfig { fuel_per_slice: Some(5_000), ..HostConfig::default() });
    static INPUTS: [&Pipe; 1] = [&INPUT];
    static OUTPUTS: [&Pipe; 1] = [&OUTPUT];
    let env = ChannelEnv::new("primes", &INPUTS, &OUTPUTS, &SINK);
    let mut guest = host.load(&wasm("primes"), env).expect("load");

    // 10_000 as a postcard varint.
    INPUT.try_send(vec![0x90, 0x4e]).unwrap();
    let ticks = AtomicUsize::new(0);
    let ticker = async {
        // Counts how often the executor got back to this future while the
        // guest computed: only possible if `drive` yields.
        loop {
            ticks.fetch_add(1, Ordering::Relaxed);
            if !OUTPUT.is_empty() {
                return;
            }
            embassy_futures::yield_now().await;
        }
    };
    block_on(async {
        let guest_task = async {
            drive(&mut guest).await;
        };
        embassy_futures::select::select(ticker, guest_task).await;
    });
    // 1229 primes below 10,000, as a postcard varint.
    assert_eq!(OUTPUT.try_receive().unwrap(), vec![0xcd, 0x09]);
    let preemptions = guest.env().preemptions as usize;
    assert!(preemptions > 50, "{preemptions}");
    assert!(ticks.load(Ordering::Relaxed) >= preemptions, "the other future ran between slices");
}
