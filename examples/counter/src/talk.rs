// The talk's counter slide, lines 8 to 21 (its `use` line also names
// `receive` and `send`): untyped ports and a byte buffer. Built with
// `COUNTER_FORM=talk` only, to measure typed ports against it.
use wasm_sdk::{receive, send};

#[task_run(inputs(wasm_input), outputs(wasm_data))]
fn run() -> Result<()> {
    let mut buffer = [0; 50];
    loop {
        receive(&mut buffer, Input::WasmInput)?;
        let mut counter = Counter::from_payload(&buffer)?;
        counter.increment();
        let n_write = counter.serialize_into(&mut buffer)?;
        send(&buffer[0..n_write], Output::WasmData)?;
    }
}
