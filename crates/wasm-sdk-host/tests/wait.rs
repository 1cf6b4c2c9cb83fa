//! `wait_input` on the wasmi host: a guest suspended on two inputs is
//! resumed by either, runs nothing while both are empty, and takes turns.

use wasm_sdk_build::fixture::{Fixture, MERGE};
use wasm_sdk_host::abi::Status;
use wasm_sdk_host::abi::queue::QueueEnv as Env;
use wasm_sdk_host::{Guest, Host, HostConfig, InputSet, Step};

/// Fuel metered, so a step that runs Wasm shows, with calls costing one
/// unit per `bytes_per_fuel` bytes they move (0: none).
fn metered(bytes_per_fuel: u32) -> HostConfig {
    HostConfig { total_fuel: Some(10_000_000), bytes_per_fuel, ..HostConfig::default() }
}

fn merge(config: HostConfig) -> Guest<Env> {
    let wasm = Fixture::new(MERGE).inputs(["a", "b"]).outputs(["out"]).build();
    Host::new(config).load(&wasm, Env::default()).expect("the merge guest loads")
}

fn both() -> Step {
    Step::Waiting { inputs: InputSet::from_iter([0, 1]) }
}

/// The messages sent so far, taken.
fn sent(guest: &mut Guest<Env>) -> Vec<Vec<u8>> {
    std::mem::take(&mut guest.env_mut().sent).into_iter().map(|(_, m)| m).collect()
}

#[test]
fn a_message_on_either_input_resumes_a_waiting_guest() {
    let mut guest = merge(metered(4));
    assert_eq!(guest.step(), both());
    let fuel = guest.fuel_consumed();
    assert_eq!(guest.step(), both(), "nothing queued: still waiting");
    assert_eq!(guest.fuel_consumed(), fuel, "and nothing ran");

    guest.env_mut().push(1, b"b1".to_vec());
    assert_eq!(guest.step(), both());
    guest.env_mut().push(0, b"a1".to_vec());
    assert_eq!(guest.step(), both());
    assert_eq!(sent(&mut guest), [b"\x01b1".to_vec(), b"\x00a1".to_vec()]);

    // A close wakes it too: the guest's receive then says `Closed`.
    guest.env_mut().close(1);
    assert_eq!(guest.step(), Step::Finished { exit_code: 0 });
}

#[test]
fn a_flooded_input_does_not_starve_the_other() {
    let mut guest = merge(HostConfig::default());
    for i in 0..4u8 {
        guest.env_mut().push(0, vec![i]);
    }
    guest.env_mut().push(1, vec![9]);
    assert_eq!(guest.step(), both());
    let order: Vec<u8> = sent(&mut guest).iter().map(|m| m[0]).collect();
    assert_eq!(order, [0, 1, 0, 0, 0], "input 1 in its turn, right after the first of input 0");
}

#[test]
fn the_list_costs_fuel_by_its_length() {
    let mut guest = merge(metered(1));
    assert_eq!(guest.step(), both());
    guest.env_mut().push(0, Vec::new());
    let before = guest.fuel_consumed();
    assert_eq!(guest.step(), both());
    let with_list = guest.fuel_consumed() - before;

    let mut cheap = merge(metered(0));
    assert_eq!(cheap.step(), both());
    cheap.env_mut().push(0, Vec::new());
    let before = cheap.fuel_consumed();
    assert_eq!(cheap.step(), both());
    // One unit per byte: the list's two, and the one byte sent (the
    // message is empty, so the receive moved none).
    assert_eq!(with_list, cheap.fuel_consumed() - before + 2 + 1);
}

#[test]
fn a_refused_list_is_a_status() {
    let bad = MERGE.replace("(i32.const 512) (i32.const 2)", "(i32.const 512) (i32.const 0)");
    let wasm = Fixture::new(bad).inputs(["a", "b"]).outputs(["out"]).build();
    let mut guest = Host::new(HostConfig::default()).load(&wasm, Env::default()).unwrap();
    assert_eq!(guest.step(), Step::Finished { exit_code: Status::UnknownInput.code() });
}
