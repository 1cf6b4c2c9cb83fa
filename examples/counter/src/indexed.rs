// The talk's slide indexed with the lengths the SDK returns, the way an
// author writes it; `COUNTER_FORM=indexed-get` swaps both slices for the
// panic-free `.get(..)`. Built only to compare their sizes: the SDK keeps
// the indexed form as small, so no bounds-check panic (and the `core::fmt`
// that core's panics link) survives.
use wasm_sdk::{receive, send};

#[task_run(inputs(wasm_input), outputs(wasm_data))]
fn run() -> Result<()> {
    let mut buffer = [0; 50];
    loop {
        let n = receive(&mut buffer, Input::WasmInput)?;
        #[cfg(not(counter_get_form))]
        let mut counter = Counter::from_payload(&buffer[..n])?;
        #[cfg(counter_get_form)]
        let mut counter = Counter::from_payload(buffer.get(..n).unwrap_or_default())?;
        counter.increment();
        let n_write = counter.serialize_into(&mut buffer)?;
        #[cfg(not(counter_get_form))]
        send(&buffer[0..n_write], Output::WasmData)?;
        #[cfg(counter_get_form)]
        send(buffer.get(..n_write).unwrap_or_default(), Output::WasmData)?;
    }
}
