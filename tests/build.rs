//! The end-to-end tests build every example guest for both wasm targets:
//! without one, fail now with one line naming the `rustup target add`
//! command, not later with panics from inside the tests.
fn main() {
    wasm_sdk_build::require_targets(&["wasm32-unknown-unknown", "wasm32v1-none"]);
}
