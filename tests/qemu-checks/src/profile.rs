//! `--features profile`: the counter round trip of check 4 alone, between
//! two marker functions, for `./profile` to count instruction by
//! instruction.
//!
//! The firmware loads the counter as the checks do, runs [`WARM_UP`] round
//! trips (the guest's first messages grow its stack and heap), calls
//! [`profile_begin`], runs [`ROUND_TRIPS`] round trips exactly as check 4
//! does, calls [`profile_end`] and exits. `./profile` runs it under QEMU
//! with one instruction per translation block (`-singlestep -d
//! exec,nochain`): every executed instruction's address is logged, and
//! `profile.py` counts those between the markers and books each by the
//! functions it was inlined from (the firmware keeps line tables), into
//! phases. Nothing is timed on the device, so the figure is exact and the
//! normal build (check 4's figure) is unchanged.

use cortex_m_semihosting::{debug, hprintln};

use crate::checks;

/// Round trips before the measured ones.
const WARM_UP: u32 = 20;
/// Round trips measured; `profile.py` divides by this.
pub const ROUND_TRIPS: u32 = 100;

/// Marks the start of the measured round trips (by its address).
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn profile_begin() {
    cortex_m::asm::nop();
}

/// Marks their end.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn profile_end() {
    // Not the same body as `profile_begin`, or the linker folds the two.
    cortex_m::asm::nop();
    cortex_m::asm::nop();
}

/// Runs the profiled round trips and exits QEMU (0: all answered right).
pub async fn run() {
    crate::trace::set_enabled(false);
    let counts = 0..WARM_UP + ROUND_TRIPS;
    let wrong = checks::counter_round_trips(counts, |count| {
        if count == WARM_UP {
            profile_begin();
        }
    })
    .await;
    profile_end();
    hprintln!("profile: {ROUND_TRIPS} round trips, {wrong} wrong");
    debug::exit(if wrong == 0 { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
}
