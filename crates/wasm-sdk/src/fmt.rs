//! Formatted logging (feature `fmt`): `core::fmt` into a fixed
//! `heapless::String`, no heap.

use crate::abi::LogLevel;
use core::fmt::{self, Write};

/// Capacity in bytes of one formatted log message; longer text is cut at a
/// character boundary and ends in `...`.
pub const FMT_LOG_CAPACITY: usize = 256;

const ELLIPSIS: &str = "...";

/// A `heapless::String` that keeps what fits instead of dropping a whole
/// piece that does not.
struct Truncating {
    text: heapless::String<FMT_LOG_CAPACITY>,
    cut: bool,
}

impl Write for Truncating {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            // Leave room for the ellipsis so a cut message says so.
            if self.text.len() + c.len_utf8() > FMT_LOG_CAPACITY - ELLIPSIS.len() {
                self.cut = true;
                return Err(fmt::Error);
            }
            // Cannot fail: capacity was checked above.
            let _ = self.text.push(c);
        }
        Ok(())
    }
}

/// Formats `args` and logs the text at `level`. Used by [`info!`](crate::info)
/// and friends.
pub fn log_fmt(level: LogLevel, args: fmt::Arguments<'_>) -> crate::Result<()> {
    let mut out = Truncating { text: heapless::String::new(), cut: false };
    let _ = out.write_fmt(args);
    if out.cut {
        // Cannot fail: `write_str` kept room for it.
        let _ = out.text.push_str(ELLIPSIS);
    }
    crate::log(out.text.as_str(), level)
}

/// Logs a formatted message at a [`LogLevel`]: `log!(LogLevel::Info, "x = {}", x)`.
///
/// Formats with `core::fmt` into a 256-byte stack buffer (no heap); longer
/// messages are cut and end in `...`. Evaluates to the `Result` of
/// [`log`](crate::log()). Needs the `fmt` feature.
#[macro_export]
macro_rules! log {
    ($level:expr, $($arg:tt)+) => {
        $crate::__private::log_fmt($level, ::core::format_args!($($arg)+))
    };
}

/// Logs a formatted message at error level; see [`log!`](crate::log!).
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log!($crate::LogLevel::Error, $($arg)+) };
}

/// Logs a formatted message at warn level; see [`log!`](crate::log!).
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log!($crate::LogLevel::Warn, $($arg)+) };
}

/// Logs a formatted message at info level; see [`log!`](crate::log!).
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log!($crate::LogLevel::Info, $($arg)+) };
}

/// Logs a formatted message at debug level; see [`log!`](crate::log!).
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log!($crate::LogLevel::Debug, $($arg)+) };
}

/// Logs a formatted message at trace level; see [`log!`](crate::log!).
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::log!($crate::LogLevel::Trace, $($arg)+) };
}
