//! What the module targets share: stepping a loaded guest as a scheduler
//! does, with the host's promises checked after every step.

use wasm_sdk_abi::queue::QueueEnv;
use wasm_sdk_host::{Guest, HostConfig, Step};

/// Steps a loaded guest up to 50 times. A guest blocked on an input gets
/// a message there; every fourth time the input is closed instead.
///
/// Checks after each step: memory within the budget, fuel within
/// `total_fuel`, outputs sent only on the guest's outputs, a block only
/// on one of its inputs, and a final step returned again unchanged.
pub fn run(guest: &mut Guest<QueueEnv>, config: &HostConfig, total_fuel: u64) {
    let mut fed = 0u32;
    for _ in 0..50 {
        let step = guest.step();
        assert!(guest.memory_size() as u64 <= config.memory_budget);
        assert!(guest.fuel_consumed() <= total_fuel);
        let outputs = guest.outputs().len();
        assert!(guest.env().sent.iter().all(|(o, _)| usize::from(*o) < outputs));
        if step.is_final() {
            assert_eq!(guest.step(), step, "a final step stays final");
            return;
        }
        if let Step::Blocked { input } = step {
            assert!(usize::from(input) < guest.inputs().len());
            fed += 1;
            if fed % 4 == 0 {
                guest.env_mut().close(input);
            } else {
                guest.env_mut().push(input, vec![fed as u8; fed as usize]);
            }
        }
    }
}
