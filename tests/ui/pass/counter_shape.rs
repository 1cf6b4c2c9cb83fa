// The slide's module shape, run natively against the in-process mock host.
use wasm_sdk::{Result, receive, send};
use wasm_sdk_macros::task_run;

#[task_run(inputs(wasm_input), outputs(wasm_data))]
fn run() -> Result<()> {
    let mut buffer = [0; 50];
    loop {
        let n = receive(&mut buffer, Input::WasmInput)?;
        send(&buffer[..n], Output::WasmData)?;
    }
}

fn main() {
    assert_eq!(Input::COUNT, 1);
    assert_eq!(Output::ALL, [wasm_sdk::OutputIdx(0)]);
    assert_eq!(Input::WasmInput.name(), "wasm_input");
    assert_eq!(Output::WasmData.index(), 0);
    assert_eq!(Input::from_index(0), Some(Input::WasmInput.into()));
    assert_eq!(Input::from_index(1), None);
    assert_eq!(Output::from_name("wasm_data"), Some(Output::WasmData.into()));
    assert_eq!(Output::name_of(0), Some("wasm_data"));
    assert_eq!(wasm_sdk::InputIdx::from(Input::WasmInput), wasm_sdk::InputIdx(0));

    wasm_sdk::native::reset(Input::COUNT, Output::COUNT);
    wasm_sdk::native::push_input(0, &[5]);
    assert_eq!(run_task(), 0, "a closed input is a clean stop");
    assert_eq!(wasm_sdk::native::take_outputs(), vec![(0, vec![5])]);
}
