//! What the module targets share: stepping a loaded guest as a scheduler
//! does, with the host's promises checked after every step.

use wasm_sdk_abi::queue::QueueEnv;
use wasm_sdk_host::{Guest, HostConfig, Step};

/// Bytes of sent messages the environment holds before an output is full
/// (small, so guests fill it and wait).
pub const OUTPUT_BUDGET: usize = 1024;

/// The environment a guest is loaded with.
pub fn env() -> QueueEnv {
    QueueEnv::with_output_budget(OUTPUT_BUDGET)
}

/// Steps a loaded guest up to 50 times as a scheduler does: a guest
/// blocked on an input, or waiting on several, gets a message there (on
/// the first of them; every fourth time the input is closed instead); a
/// guest waiting on a full output has its outputs taken.
///
/// Checks after each step: memory within the budget, fuel within
/// `total_fuel`, outputs sent only on the guest's outputs and within the
/// output budget, a wait only on one of its ports, texts recorded exactly
/// as counted and within the text budget, and a final step returned again
/// unchanged.
pub fn run(guest: &mut Guest<QueueEnv>, config: &HostConfig, total_fuel: u64) {
    let mut fed = 0u32;
    let mut texts = 0u64;
    for _ in 0..50 {
        let step = guest.step();
        assert!(guest.memory_size() as u64 <= config.memory_budget);
        assert!(guest.fuel_consumed() <= total_fuel);
        let env = guest.env();
        let outputs = guest.outputs().len();
        assert!(env.sent.iter().all(|(o, _)| usize::from(*o) < outputs));
        assert!(env.sent.iter().map(|(_, m)| m.len()).sum::<usize>() <= OUTPUT_BUDGET);
        let usage = guest.text_usage();
        texts += env.logs.iter().map(|(_, t)| t.len() as u64).sum::<u64>();
        texts += env.errors.iter().map(|t| t.len() as u64).sum::<u64>();
        assert_eq!(usage.total, texts, "texts recorded as counted");
        assert!(usage.step <= config.text.per_step.max(config.text.max_len));
        assert!(config.text.total.is_none_or(|max| usage.total <= max));
        // The host takes the texts (keeps the per-step sums exact).
        guest.env_mut().logs.clear();
        guest.env_mut().errors.clear();
        if step.is_final() {
            assert_eq!(guest.step(), step, "a final step stays final");
            return;
        }
        let waited = match &step {
            Step::Blocked { input } => Some(*input),
            Step::Waiting { inputs } => {
                assert!(inputs.iter().all(|i| usize::from(i) < guest.inputs().len()));
                Some(inputs.iter().next().expect("a wait lists an input"))
            }
            _ => None,
        };
        match (waited, step) {
            (Some(input), _) => {
                assert!(usize::from(input) < guest.inputs().len());
                fed += 1;
                if fed % 4 == 0 {
                    guest.env_mut().close(input);
                } else {
                    guest.env_mut().push(input, vec![fed as u8; fed as usize]);
                }
            }
            (None, Step::Full { output }) => {
                assert!(usize::from(output) < outputs);
                guest.env_mut().sent.clear();
            }
            _ => {}
        }
    }
}
