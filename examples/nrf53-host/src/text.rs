//! UART text without `core::fmt`: output lines and command parsing.
//!
//! `core::fmt` is avoidable here and costs flash on a microcontroller, so
//! lines are [`wasm_sdk::StackStr`]s, which write numbers by hand (as the
//! guests do), and commands are parsed by hand.

use wasm_sdk::StackStr;

/// Bytes of text in one UART line, before its CR LF.
pub const LINE_LEN: usize = 62;

/// One output line, built in place; text past [`LINE_LEN`] is cut.
pub type Line = StackStr<LINE_LEN>;

/// Temperatures on a [`Line`].
pub trait PushTenths {
    /// Appends tenths of a unit as a decimal: `-15` is `-1.5`.
    fn push_tenths(&mut self, value: i16) -> &mut Self;
}

impl PushTenths for Line {
    fn push_tenths(&mut self, value: i16) -> &mut Self {
        if value < 0 {
            self.push_str("-");
        }
        let abs = u32::from(value.unsigned_abs());
        self.push_u32(abs / 10).push_str(".").push_u32(abs % 10)
    }
}

/// A command typed on the UART, one per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum Command {
    /// `c N`: send count `N` to the counter.
    Count(u32),
    /// `p N`: count the primes below `N`.
    Primes(u32),
    /// `t HIGH LOW`: new alarm thresholds, tenths of °C.
    Thresholds {
        /// Raise at or above.
        high: i16,
        /// Clear at or below.
        low: i16,
    },
}

/// What the firmware prints for a line it does not understand.
pub const HELP: &str = "commands: c N | p N | t HIGH LOW (tenths of C)";

impl Command {
    /// Parses `c N`, `p N` or `t HIGH LOW` (words separated by spaces).
    pub fn parse(line: &[u8]) -> Option<Command> {
        let mut words = line.split(|&b| b == b' ').filter(|word| !word.is_empty());
        let command = match (words.next()?, words.next()?) {
            (b"c", n) => Command::Count(parse_u32(n)?),
            (b"p", n) => Command::Primes(parse_u32(n)?),
            (b"t", high) => {
                Command::Thresholds { high: parse_i16(high)?, low: parse_i16(words.next()?)? }
            }
            _ => return None,
        };
        // Trailing words are a typo, not something to ignore silently.
        words.next().is_none().then_some(command)
    }
}

fn parse_u32(word: &[u8]) -> Option<u32> {
    if word.is_empty() {
        return None;
    }
    word.iter().try_fold(0u32, |value, &byte| {
        let digit = byte.checked_sub(b'0').filter(|d| *d <= 9)?;
        value.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

fn parse_i16(word: &[u8]) -> Option<i16> {
    match word.strip_prefix(b"-") {
        Some(digits) => i16::try_from(-i64::from(parse_u32(digits)?)).ok(),
        None => i16::try_from(parse_u32(word)?).ok(),
    }
}
