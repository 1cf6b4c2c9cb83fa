//! The async bridge on the desktop: a counter guest driven by `drive`,
//! fed and drained by a service future through channels, on one thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use embassy_futures::block_on;
use module_examples_common::{Counter, count_primes, to_message};
use wasm_sdk::from_payload;
use wasm_sdk_build::fixture::{Fixture, MERGE};
use wasm_sdk_embassy::wasm_sdk_host::{Host, HostConfig, LogLevel, Step};
use wasm_sdk_embassy::{
    PortChannel, SafePoint, Sink, Wire, Wiring, drive, run_to_safe_point, start,
};
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
fn a_guest_waiting_on_two_inputs_is_woken_by_either() {
    static A: PortChannel = PortChannel::new();
    static B: PortChannel = PortChannel::new();
    static OUTPUT: PortChannel = PortChannel::new();
    static SINK: Counting = Counting(AtomicUsize::new(0));
    static WIRING: Wiring = Wiring {
        inputs: &[Wire::raw("b", &B), Wire::raw("a", &A)],
        outputs: &[Wire::raw("out", &OUTPUT)],
    };
    let host = Host::new(HostConfig::default());
    let wasm = Fixture::new(MERGE).inputs(["a", "b"]).outputs(["out"]).build();
    let mut guest = start(&host, "merge", &wasm, &WIRING, &SINK).expect("start");

    const MESSAGES: u8 = 30;
    let service = async {
        for i in 0..MESSAGES {
            // Mostly `b`, sometimes `a`: each wakes the guest.
            let (channel, input) = if i % 3 == 0 { (&A, 0) } else { (&B, 1) };
            channel.send(vec![i]).await;
            assert_eq!(OUTPUT.receive().await, [input, i], "message {i}");
        }
    };
    let polls = AtomicUsize::new(0);
    block_on(async {
        let mut driven = core::pin::pin!(drive(&mut guest));
        // The guest's future, counting how often the executor polls it.
        let guest_task = core::future::poll_fn(|cx| {
            polls.fetch_add(1, Ordering::Relaxed);
            driven.as_mut().poll(cx)
        });
        // The guest never finishes (no input is closed): the service ends
        // the race.
        match embassy_futures::select::select(service, guest_task).await {
            embassy_futures::select::Either::First(()) => {}
            embassy_futures::select::Either::Second(step) => panic!("guest stopped: {step:?}"),
        }
    });
    // One wait per message: each ended with the message that woke it.
    assert_eq!(guest.env().waits, u32::from(MESSAGES));
    // Polled when a channel it waits on (or the service's) woke the task,
    // never in a loop: a few polls per message, not thousands.
    let polls = polls.load(Ordering::Relaxed);
    assert!(polls <= 3 * usize::from(MESSAGES) + 3, "{polls} polls");
    assert!(matches!(guest.step(), Step::Waiting { inputs } if inputs.len() == 2));
    // Waiting with nothing queued is a safe point, as blocked is.
    assert_eq!(block_on(run_to_safe_point(&mut guest, 1)), SafePoint::Waiting);
    assert_eq!(SINK.0.load(Ordering::Relaxed), 0);
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
