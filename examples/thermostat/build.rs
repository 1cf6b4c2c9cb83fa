//! One 64 KiB page with the default 8 KiB stack.
//!
//! `THERMOSTAT_FORM=hand` builds the hand-tuned form instead of the typed
//! ports: the size check in `tests/tests/guests.rs` builds both and
//! requires the typed form within 10% of it.
fn main() {
    wasm_sdk_build::GuestMemory::new().emit();
    println!("cargo::rustc-check-cfg=cfg(thermostat_hand_form)");
    println!("cargo::rerun-if-env-changed=THERMOSTAT_FORM");
    if std::env::var("THERMOSTAT_FORM").as_deref() == Ok("hand") {
        println!("cargo::rustc-cfg=thermostat_hand_form");
    }
}
