// `#[topic]` is the only attribute a port takes, and it takes no
// arguments; a topic port's name counts its `topic/` prefix (250 bytes
// here, 256 with it); a plain and a topic port of one identifier share a
// handle name. A refused attribute leaves its port plain, so its handle
// still resolves.
use wasm_sdk::{Result, task_run};

#[task_run(
    inputs(#[foo] a, #[topic(b)] b, #[topic] #[topic] c, #![topic] d, smoothed, #[topic] smoothed),
    outputs(
        #[topic]
        nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn,
        #[topic]
    )
)]
fn run() -> Result<()> {
    let _ = (Input::A, Input::B, Input::Smoothed);
    Ok(())
}

fn main() {}
