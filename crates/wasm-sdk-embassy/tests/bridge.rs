//! The async bridge on the desktop: a counter guest driven by `drive`,
//! fed and drained by a service future through channels, on one thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use embassy_futures::block_on;
use module_examples_common::{Counter, count_primes, to_message};
use wasm_sdk::from_payload;
use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig, LogLevel, Step};
use wasm_sdk_embassy::{PortChannel, Sink, Wire, Wiring, drive, start};
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
    static INPUT: PortChannel = PortChannel::new();
    static OUTPUT: PortChannel = PortChannel::new();
    static SINK: Counting = Counting(AtomicUsize::new(0));
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("wasm_input", &INPUT)],
        outputs: &[Wire::raw("wasm_data", &OUTPUT)],
    };
    let host = Host::new(HostConfig::default());
    let mut guest = start(&host, "counter", &wasm("counter"), &WIRING, &SINK).expect("start");

    const MESSAGES: u32 = 20;
    let service = async {
        let mut answers = Vec::new();
        for count in 0..MESSAGES {
            INPUT.send(to_message(&Counter { count }).unwrap()).await;
            answers.push(Counter::from_payload(&OUTPUT.receive().await).unwrap().count);
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
    assert_eq!(answers, (1..=MESSAGES).collect::<Vec<_>>());
    // One wait per answered message (the last one still pending): the
    // guest is stepped when input arrives, never polled in between.
    assert_eq!(guest.env().waits, MESSAGES);
    assert_eq!(SINK.0.load(Ordering::Relaxed), 0);
    assert!(matches!(guest.step(), Step::Blocked { input: 0 }));
}

#[test]
fn a_long_computation_yields_between_slices() {
    static INPUT: PortChannel = PortChannel::new();
    static OUTPUT: PortChannel = PortChannel::new();
    static SINK: Counting = Counting(AtomicUsize::new(0));
    static WIRING: Wiring =
        Wiring { inputs: &[Wire::raw("limit", &INPUT)], outputs: &[Wire::raw("count", &OUTPUT)] };
    let host = Host::new(HostConfig { fuel_per_slice: Some(5_000), ..HostConfig::default() });
    let mut guest = start(&host, "primes", &wasm("primes"), &WIRING, &SINK).expect("start");

    const LIMIT: u32 = 10_000;
    INPUT.try_send(to_message(&LIMIT).unwrap()).unwrap();
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
    let count: u32 = from_payload(&OUTPUT.try_receive().unwrap()).unwrap();
    assert_eq!(count, count_primes(LIMIT));
    let preemptions = guest.env().preemptions as usize;
    assert!(preemptions > 50, "{preemptions}");
    assert!(ticks.load(Ordering::Relaxed) >= preemptions, "the other future ran between slices");
}
