//! UART text without `core::fmt`: output lines and command parsing.
//!
//! `core::fmt` is avoidable here and costs flash on a microcontroller, so
//! numbers are written and parsed by hand, like the guests' `StackStr`.

/// One output line, built in place; text past the capacity is cut.
pub struct Line {
    buf: [u8; 64],
    len: usize,
}

impl Line {
    /// An empty line.
    pub const fn new() -> Self {
        Line { buf: [0; 64], len: 0 }
    }

    /// Appends text.
    pub fn str(&mut self, text: &str) -> &mut Self {
        for &byte in text.as_bytes() {
            self.byte(byte);
        }
        self
    }

    /// Appends a decimal number.
    pub fn u32(&mut self, mut value: u32) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut n = 0;
        loop {
            digits[n] = b'0' + (value % 10) as u8;
            n += 1;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        for &digit in digits[..n].iter().rev() {
            self.byte(digit);
        }
        self
    }

    /// Appends tenths of a unit as a decimal: `-15` is `-1.5`.
    pub fn tenths(&mut self, value: i16) -> &mut Self {
        let value = i32::from(value);
        if value < 0 {
            self.byte(b'-');
        }
        let abs = value.unsigned_abs();
        self.u32(abs / 10).byte(b'.').u32(abs % 10)
    }

    /// The line with a CR LF terminator; a cut line still gets one.
    pub fn finish(&mut self) -> &[u8] {
        self.len = self.len.min(self.buf.len() - 2);
        self.str("\r\n");
        &self.buf[..self.len]
    }

    fn byte(&mut self, byte: u8) -> &mut Self {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
        self
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
