//! The codes the imports speak: [`Status`] results and [`LogLevel`]s.

/// Negative results of the imports. `0` and positive values are successes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum Status {
    /// A pointer or length lies outside the guest's linear memory, or a
    /// length is negative.
    BadPointer = -1,
    /// The input index is not one of the module's inputs.
    UnknownInput = -2,
    /// The output index is not one of the module's outputs.
    UnknownOutput = -3,
    /// The input is closed and drained, or the output is closed; for
    /// `log` and `report_error`, the guest's text budget is used up and
    /// the host takes no more text from it.
    Closed = -4,
    /// The message does not fit: on receive, the guest's buffer is too small
    /// (the message stays queued); on send, it exceeds the host's limit.
    MessageTooLarge = -5,
    /// `input_len` only: nothing is queued on that input yet.
    Empty = -6,
    /// The host did not take the message because the output is full. Hosts
    /// that can suspend a guest (all of this project's Wasm hosts) make it
    /// wait instead; this is for one that cannot.
    OutputFull = -7,
    /// Text passed to `log` or `report_error` is not UTF-8.
    InvalidUtf8 = -8,
    /// The log level is not a [`LogLevel`].
    InvalidLogLevel = -9,
}

impl Status {
    /// Every status, for hosts and tests that enumerate them.
    pub const ALL: [Status; 9] = [
        Status::BadPointer,
        Status::UnknownInput,
        Status::UnknownOutput,
        Status::Closed,
        Status::MessageTooLarge,
        Status::Empty,
        Status::OutputFull,
        Status::InvalidUtf8,
        Status::InvalidLogLevel,
    ];

    /// The raw value an import returns.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The status for a raw negative result, if it is one this ABI defines.
    pub const fn from_code(code: i32) -> Option<Status> {
        Some(match code {
            -1 => Status::BadPointer,
            -2 => Status::UnknownInput,
            -3 => Status::UnknownOutput,
            -4 => Status::Closed,
            -5 => Status::MessageTooLarge,
            -6 => Status::Empty,
            -7 => Status::OutputFull,
            -8 => Status::InvalidUtf8,
            -9 => Status::InvalidLogLevel,
            _ => return None,
        })
    }

    /// A short lowercase description, without `core::fmt`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::BadPointer => "pointer or length outside guest memory",
            Status::UnknownInput => "unknown input",
            Status::UnknownOutput => "unknown output",
            Status::Closed => "closed",
            Status::MessageTooLarge => "message too large",
            Status::Empty => "no message queued",
            Status::OutputFull => "output full",
            Status::InvalidUtf8 => "text is not UTF-8",
            Status::InvalidLogLevel => "invalid log level",
        }
    }
}

/// Severity of a `log` call; the raw value is the import's `level` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum LogLevel {
    /// Something failed.
    Error = 0,
    /// Something unexpected that the module handled.
    Warn = 1,
    /// Normal operation.
    Info = 2,
    /// Detail for developers.
    Debug = 3,
    /// Very fine detail.
    Trace = 4,
}

impl LogLevel {
    /// Every level, most severe first.
    pub const ALL: [LogLevel; 5] =
        [LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug, LogLevel::Trace];

    /// The raw `level` argument.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The level for a raw `level` argument.
    pub const fn from_code(code: i32) -> Option<LogLevel> {
        Some(match code {
            0 => LogLevel::Error,
            1 => LogLevel::Warn,
            2 => LogLevel::Info,
            3 => LogLevel::Debug,
            4 => LogLevel::Trace,
            _ => return None,
        })
    }

    /// The level's lowercase name (`"error"`, `"warn"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip_and_are_negative() {
        for s in Status::ALL {
            assert!(s.code() < 0);
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        assert_eq!(Status::from_code(0), None);
        assert_eq!(Status::from_code(-100), None);
    }

    #[test]
    fn log_levels_round_trip() {
        for l in LogLevel::ALL {
            assert_eq!(LogLevel::from_code(l.code()), Some(l));
        }
        assert_eq!(LogLevel::from_code(5), None);
        assert_eq!(LogLevel::from_code(-1), None);
    }
}
