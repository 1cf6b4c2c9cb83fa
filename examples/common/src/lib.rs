//! Message types shared by the example guests and the hosts that drive them.
//!
//! Every type travels as postcard bytes through [`wasm_sdk::Payload`]; the
//! inherent `from_payload` / `serialize_into` methods let module code use
//! them without importing a trait, as the talk's counter does. Hosts build
//! the same bytes with `to_message` (feature `alloc`) and decode them with
//! `Payload::from_payload`, so no host encodes a message by hand.
//!
//! Builds for the guests' wasm32 targets, the desktop, and the firmware's
//! bare-metal targets (`thumbv8m.main-none-eabihf`, `riscv32imac-unknown-none-elf`).

#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;

use postcard::experimental::max_size::MaxSize;
use postcard_schema::Schema;
use serde::{Deserialize, Serialize};
use wasm_sdk::Result;

/// The counter module's message: a count to increment.
///
/// Postcard encodes `count` as a varint, so `Counter { count: 5 }` is the
/// single byte `05` and `Counter { count: 300 }` is `ac 02`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Counter {
    /// The current count.
    pub count: u32,
}

impl Counter {
    /// Decodes a counter from the start of `bytes` (trailing bytes ignored).
    ///
    /// # Errors
    ///
    /// Truncated or malformed bytes.
    pub fn from_payload(bytes: &[u8]) -> Result<Self> {
        wasm_sdk::from_payload(bytes)
    }

    /// Adds one, wrapping at `u32::MAX` so a hostile input cannot make the
    /// module panic.
    pub fn increment(&mut self) {
        self.count = self.count.wrapping_add(1);
    }

    /// Encodes the counter into `buf`; returns the bytes written.
    ///
    /// # Errors
    ///
    /// `buf` is too short.
    #[inline(always)]
    pub fn serialize_into(&self, buf: &mut [u8]) -> Result<usize> {
        wasm_sdk::serialize_into(self, buf)
    }
}

/// A temperature sample for the alarm module, in tenths of a degree Celsius.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Reading {
    /// Temperature in 0.1 °C.
    pub deci_celsius: i16,
}

/// New alarm thresholds, in tenths of a degree Celsius.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Thresholds {
    /// The alarm raises at or above this.
    pub high: i16,
    /// A raised alarm clears at or below this (hysteresis).
    pub low: i16,
}

/// What the alarm module sends on its `alarm` output when the state changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub enum AlarmEvent {
    /// The reading reached the high threshold.
    Raised {
        /// The reading that raised it.
        deci_celsius: i16,
    },
    /// The reading fell to the low threshold.
    Cleared {
        /// The reading that cleared it.
        deci_celsius: i16,
    },
}

/// A button pressed or released, as a board's `button` service provides
/// it (the nRF5340 DK's Buttons 2 to 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct ButtonEvent {
    /// The button's number, as printed on the board.
    pub button: u8,
    /// Pressed (`true`) or released.
    pub pressed: bool,
}

/// A LED switched on or off, as a board's `led` service takes it (the
/// nRF5340 DK's LEDs 3 and 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct LedCommand {
    /// The LED's number, as printed on the board.
    pub led: u8,
    /// On (`true`) or off.
    pub on: bool,
}

/// A voltage, in millivolts: a board's `supply` service provides its
/// supply voltage (the nRF5340's VDD, measured by its SAADC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct Millivolts {
    /// The voltage in mV.
    pub millivolts: u16,
}

/// An alarm with hysteresis over [`Thresholds`]: raised at or above
/// `high`, cleared at or below `low`, and silent between, so a reading
/// that wavers at a threshold does not make the alarm flap. The examples
/// that watch a temperature share it (`thermostat`, `smoothed-alarm`).
///
/// ```
/// use module_examples_common::{AlarmEvent, Hysteresis, Thresholds};
///
/// let mut alarm = Hysteresis::new(Thresholds { high: 250, low: 230 });
/// assert_eq!(alarm.update(250), Some(AlarmEvent::Raised { deci_celsius: 250 }));
/// assert_eq!(alarm.update(240), None); // still raised
/// assert_eq!(alarm.update(230), Some(AlarmEvent::Cleared { deci_celsius: 230 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hysteresis {
    /// The thresholds; a change applies from the next [`update`](Self::update).
    pub limits: Thresholds,
    raised: bool,
}

impl Hysteresis {
    /// A cleared alarm with these thresholds.
    pub const fn new(limits: Thresholds) -> Self {
        Hysteresis { limits, raised: false }
    }

    /// Whether the alarm is raised.
    pub const fn raised(&self) -> bool {
        self.raised
    }

    /// Takes a reading; returns the event to send when the alarm changes
    /// state (raised at or above `high`, cleared at or below `low`), and
    /// `None` otherwise.
    pub fn update(&mut self, deci_celsius: i16) -> Option<AlarmEvent> {
        if !self.raised && deci_celsius >= self.limits.high {
            self.raised = true;
            Some(AlarmEvent::Raised { deci_celsius })
        } else if self.raised && deci_celsius <= self.limits.low {
            self.raised = false;
            Some(AlarmEvent::Cleared { deci_celsius })
        } else {
            None
        }
    }
}

/// The thresholds of the examples a catalog firmware runs (`thermostat`,
/// `smoothed-alarm`): raise at 25.0 °C, clear at 23.0 °C.
pub const ROOM_THRESHOLDS: Thresholds = Thresholds { high: 250, low: 230 };

/// What the faulty module does with a command byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub enum Fault {
    /// Echo the command back (the module works).
    Echo,
    /// Return an error from `run` (the error path).
    Fail,
    /// Panic with an out-of-bounds index (the panic path).
    Panic,
    /// Allocate more than the heap holds (the out-of-memory path).
    Exhaust,
    /// Recurse with large frames until the stack runs out (the stack
    /// overflow path).
    Overflow,
}

/// What the `coremark` guest sends for a run: CoreMark's report (the
/// reference's output lines, less the timing), computed by the
/// `coremark-core` crate, whose `Report` has the same fields.
///
/// Postcard encodes each field as a varint: at most 20 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Schema, MaxSize)]
pub struct CoreMarkReport {
    /// Iterations run.
    pub iterations: u32,
    /// CRC of the seeds and the data size: names the reference's run.
    pub seedcrc: u16,
    /// The running CRC after the first iteration.
    pub crclist: u16,
    /// The first matrix CRC.
    pub crcmatrix: u16,
    /// The first state machine CRC.
    pub crcstate: u16,
    /// The running CRC after the last iteration.
    pub crcfinal: u16,
}

#[cfg(feature = "coremark")]
impl From<coremark_core::Report> for CoreMarkReport {
    fn from(r: coremark_core::Report) -> Self {
        CoreMarkReport {
            iterations: r.iterations,
            seedcrc: r.seedcrc,
            crclist: r.crclist,
            crcmatrix: r.crcmatrix,
            crcstate: r.crcstate,
            crcfinal: r.crcfinal,
        }
    }
}

/// Number of primes below `limit`, by trial division: the work of the
/// `primes` guest, and the native reference the hosts compare it with.
///
/// Trial division on purpose: it is CPU-bound for millions of instructions
/// (56.6 M fuel for `limit` 100,000), which is what the guest exists to
/// show (fuel slices keep other work on time).
pub fn count_primes(limit: u32) -> u32 {
    let mut count = 0;
    let mut n = 2;
    while n < limit {
        count += u32::from(is_prime(n));
        n += 1;
    }
    count
}

/// Whether `n` is prime, by trial division: one step of [`count_primes`],
/// for a host that yields between candidates.
#[inline]
// `n % d == 0`, not `n.is_multiple_of(d)`: measured on primes.wasm,
// `is_multiple_of` saves 1,229 B (the division-by-zero panic path goes,
// 3,268 -> 2,039 B) but costs 10 % more fuel (62.5 M against 56.6 M for
// limit 100,000), because LLVM then no longer unrolls the loop; the guest
// exists to be a steady CPU load whose figures (QEMU: 345 ms, 1,133 slices)
// docs/src/reference/figures.md quotes, so it keeps the code they measured.
#[allow(clippy::manual_is_multiple_of)]
pub fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    let mut prime = true;
    while d * d <= n {
        if n % d == 0 {
            prime = false;
            break;
        }
        d += 1;
    }
    prime
}

/// Room [`to_message`] encodes into; the largest type here,
/// [`CoreMarkReport`], takes at most 20 bytes (a `u32` and five `u16`
/// varints).
#[cfg(feature = "alloc")]
const MESSAGE_CAPACITY: usize = 32;

/// `value` as postcard bytes in a buffer of its own: the message a host
/// queues for a guest, which decodes it with `from_payload`.
///
/// # Errors
///
/// `value` does not encode in 32 bytes (none of this crate's types comes
/// close).
#[cfg(feature = "alloc")]
pub fn to_message<T: Serialize + ?Sized>(value: &T) -> Result<alloc::vec::Vec<u8>> {
    let mut buf = [0u8; MESSAGE_CAPACITY];
    let len = wasm_sdk::serialize_into(value, &mut buf)?;
    Ok(buf[..len].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_wire_format() {
        let mut buf = [0u8; 8];
        let n = Counter { count: 5 }.serialize_into(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[0x05]);
        let n = Counter { count: 300 }.serialize_into(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[0xac, 0x02]);
        assert_eq!(Counter::from_payload(&[0x05, 0xff, 0xff]).unwrap().count, 5);
    }

    #[test]
    fn counter_increment_wraps() {
        let mut c = Counter { count: u32::MAX };
        c.increment();
        assert_eq!(c.count, 0);
    }

    #[test]
    fn primes_below() {
        // π(n) for n = 0, 2, 3, 10, 100, 10,000.
        let counts = [0, 2, 3, 10, 100, 10_000].map(count_primes);
        assert_eq!(counts, [0, 0, 1, 4, 25, 1_229]);
        assert!(!is_prime(0) && !is_prime(1) && is_prime(2) && !is_prime(9) && is_prime(97));
    }

    #[test]
    fn hysteresis_sends_only_transitions() {
        let mut alarm = Hysteresis::new(ROOM_THRESHOLDS);
        let events: [_; 7] = [240, 250, 260, 240, 230, 229, 251].map(|t| alarm.update(t));
        assert_eq!(
            events,
            [
                None,
                Some(AlarmEvent::Raised { deci_celsius: 250 }),
                None,
                None,
                Some(AlarmEvent::Cleared { deci_celsius: 230 }),
                None,
                Some(AlarmEvent::Raised { deci_celsius: 251 }),
            ]
        );
        assert!(alarm.raised());
        // New limits apply from the next reading.
        alarm.limits = Thresholds { high: 300, low: 280 };
        assert_eq!(alarm.update(280), Some(AlarmEvent::Cleared { deci_celsius: 280 }));
        assert_eq!(alarm.update(299), None);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn messages_are_the_guests_bytes() {
        use wasm_sdk::Payload;
        assert_eq!(to_message(&Counter { count: 300 }).unwrap(), [0xac, 0x02]);
        let event = AlarmEvent::Cleared { deci_celsius: -5 };
        let message = to_message(&event).unwrap();
        let mut buf = [0u8; 8];
        let len = event.serialize_into(&mut buf).unwrap();
        assert_eq!(message, buf[..len]);
        assert_eq!(AlarmEvent::from_payload(&message).unwrap(), event);
        assert!(to_message(&[0u8; 40][..]).is_err());
        let max = CoreMarkReport {
            iterations: u32::MAX,
            seedcrc: u16::MAX,
            crclist: u16::MAX,
            crcmatrix: u16::MAX,
            crcstate: u16::MAX,
            crcfinal: u16::MAX,
        };
        assert_eq!(to_message(&max).unwrap().len(), CoreMarkReport::POSTCARD_MAX_SIZE);
        assert_eq!(CoreMarkReport::POSTCARD_MAX_SIZE, 20);
    }

    #[test]
    fn counter_rejects_bad_bytes() {
        assert!(Counter::from_payload(&[]).is_err());
        assert!(Counter::from_payload(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(Counter { count: 300 }.serialize_into(&mut [0u8; 1]).is_err());
    }
}
