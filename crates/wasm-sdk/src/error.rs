//! The error type every SDK call returns, built so `?` works in `run`.

use crate::abi::Status;

/// Result of the SDK's calls; `run` returns `Result<()>`.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything an SDK call can fail with.
///
/// [`Error::as_str`] gives a static text, which is what `run_task` reports:
/// no formatting code on the default path. [`Display`](core::fmt::Display)
/// prints the same text plus the numbers a variant carries, for code that
/// links `core::fmt` anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // The first nine variants follow the order of the ABI's status codes
    // (-1, -2, ...): mapping a status to an error is then arithmetic, not a
    // jump table, in every module. All variants but `Payload` have their
    // text at their own index in `TEXT_LIST`, and `Payload` comes last, so
    // finding a text is one comparison, not a jump table.
    /// The host found a pointer or length outside the module's memory.
    BadPointer,
    /// The input index is not one of the module's inputs.
    UnknownInput,
    /// The output index is not one of the module's outputs.
    UnknownOutput,
    /// The host closed the input and every queued message was received.
    /// `run_task` treats this as a clean stop.
    InputClosed,
    /// A sent message exceeds the host's limit for that output.
    MessageTooLarge,
    /// `input_len`: nothing is queued on the input yet.
    Empty,
    /// The output has no room; the message was not taken.
    OutputFull,
    /// The host rejected text as not UTF-8.
    InvalidUtf8,
    /// The host rejected a log level.
    InvalidLogLevel,
    /// The host closed the output.
    OutputClosed,
    /// The next message does not fit the receive buffer. It stays queued;
    /// receive again with at least `needed` bytes.
    BufferTooSmall {
        /// Length of the queued message.
        needed: usize,
    },
    /// The host returned a status this SDK version does not know.
    UnknownStatus(i32),
    /// A payload could not be decoded or encoded.
    Payload(PayloadError),
}

/// Why a [`Payload`](crate::Payload) could not be decoded or encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The bytes end before the value does.
    Truncated,
    /// The bytes are not a valid encoding of the type.
    Malformed,
    /// The value does not fit the output buffer.
    BufferFull,
    /// The type uses a serde feature postcard cannot encode.
    Unsupported,
}

impl PayloadError {
    /// A short lowercase description.
    pub fn as_str(self) -> &'static str {
        text(self.text_id())
    }

    fn text_id(self) -> u8 {
        match self {
            PayloadError::Truncated => 12,
            PayloadError::Malformed => 13,
            PayloadError::BufferFull => 14,
            PayloadError::Unsupported => 15,
        }
    }
}

impl From<PayloadError> for Error {
    fn from(err: PayloadError) -> Self {
        Error::Payload(err)
    }
}

impl From<Status> for Error {
    /// The error for a status outside any call's context; `Closed` is taken
    /// as a closed input here (the SDK's calls map it per call).
    fn from(status: Status) -> Self {
        Error::from_status(status)
    }
}

impl Error {
    /// The error for a negative import result; [`Status::Closed`] means a
    /// closed input when `input` (for `receive` and `input_len`), a closed
    /// output otherwise. Always inlined, so the optimizer sees which
    /// variants can come out; `connectors::status_error` is the shared
    /// out-of-line copy.
    #[inline(always)]
    #[cfg(any(target_arch = "wasm32", not(target_os = "none")))]
    pub(crate) fn from_code(code: i32, input: bool) -> Self {
        // Closed on an output is tested first: the nine statuses then map
        // by one subtraction (`-1 - code`), not a jump table with a store
        // per case.
        if !input && code == Status::Closed.code() {
            return Error::OutputClosed;
        }
        match Status::from_code(code) {
            Some(status) => Error::from_status(status),
            None => Error::UnknownStatus(code),
        }
    }

    /// `From<Status>`, usable in `const` tables.
    pub(crate) const fn from_status(status: Status) -> Self {
        match status {
            Status::BadPointer => Error::BadPointer,
            Status::UnknownInput => Error::UnknownInput,
            Status::UnknownOutput => Error::UnknownOutput,
            Status::Closed => Error::InputClosed,
            Status::MessageTooLarge => Error::MessageTooLarge,
            Status::Empty => Error::Empty,
            Status::OutputFull => Error::OutputFull,
            Status::InvalidUtf8 => Error::InvalidUtf8,
            Status::InvalidLogLevel => Error::InvalidLogLevel,
            // `Status` is non-exhaustive for hosts; the SDK is built with the
            // same ABI crate, so this only catches a future status.
            #[allow(unreachable_patterns)]
            other => Error::UnknownStatus(other.code()),
        }
    }
}

/// Every error text, in [`Error::text_id`] order. They are stored as one
/// run of bytes, [`TEXTS`], with a `u8` start per text ([`TEXT_STARTS`]):
/// less module size than a table of `&str`s (8 bytes each), a `match` of
/// string literals, or NUL separators, and reporting an error needs nothing
/// else.
const TEXT_LIST: [&str; TEXT_COUNT] = [
    "bad pointer",
    "unknown input",
    "unknown output",
    "input closed",
    "message too large",
    "input empty",
    "output full",
    "invalid utf-8",
    "invalid log level",
    "output closed",
    "receive buffer too small",
    "unknown host status",
    "payload truncated",
    "payload malformed",
    "payload buffer full",
    "payload unsupported",
];

/// Number of texts in [`TEXT_LIST`].
const TEXT_COUNT: usize = 16;

/// Bytes of all texts together.
const TEXTS_LEN: usize = {
    let mut len = 0;
    let mut id = 0;
    while id < TEXT_COUNT {
        len += TEXT_LIST[id].len();
        id += 1;
    }
    len
};

/// [`TEXT_LIST`] concatenated, checked to be ASCII at compile time.
const TEXTS: [u8; TEXTS_LEN] = {
    let mut bytes = [0u8; TEXTS_LEN];
    let (mut at, mut id) = (0, 0);
    while id < TEXT_COUNT {
        let text = TEXT_LIST[id].as_bytes();
        let mut i = 0;
        while i < text.len() {
            assert!(text[i].is_ascii(), "error texts are ASCII");
            bytes[at] = text[i];
            at += 1;
            i += 1;
        }
        id += 1;
    }
    bytes
};

/// Where each text of [`TEXTS`] starts, and where the last one ends.
const TEXT_STARTS: [u8; TEXT_COUNT + 1] = {
    assert!(TEXTS_LEN <= u8::MAX as usize, "`TEXTS` is too long for `u8` starts");
    let mut starts = [0u8; TEXT_COUNT + 1];
    let mut id = 0;
    while id < TEXT_COUNT {
        starts[id + 1] = starts[id] + TEXT_LIST[id].len() as u8;
        id += 1;
    }
    starts
};

/// Length of the longest text in [`TEXTS`] (`run_task`'s report buffer).
#[cfg(any(target_arch = "wasm32", not(target_os = "none")))]
pub(crate) const MAX_TEXT_LEN: usize = {
    let mut max = 0;
    let mut id = 0;
    while id < TEXT_COUNT {
        if TEXT_LIST[id].len() > max {
            max = TEXT_LIST[id].len();
        }
        id += 1;
    }
    max
};

/// The `id`th text of [`TEXTS`].
#[inline(never)]
fn text(id: u8) -> &'static str {
    let id = usize::from(id);
    match (TEXT_STARTS.get(id), TEXT_STARTS.get(id + 1)) {
        (Some(&start), Some(&end)) => {
            // SAFETY: the starts ascend and the last one is `TEXTS_LEN`
            // (`TEXT_STARTS` is built that way), so the range is in bounds;
            // `TEXTS` is ASCII (checked when it is built), so every byte
            // range of it is UTF-8.
            unsafe {
                core::str::from_utf8_unchecked(
                    TEXTS.get_unchecked(usize::from(start)..usize::from(end)),
                )
            }
        }
        _ => "",
    }
}

impl Error {
    /// The error's text without its numbers: a static string, so reporting
    /// an error costs no formatting code. [`Display`](core::fmt::Display)
    /// adds the numbers (`receive buffer too small, bytes needed: 70`).
    pub fn as_str(&self) -> &'static str {
        text(self.text_id())
    }

    /// Index into [`TEXTS`].
    fn text_id(&self) -> u8 {
        match *self {
            Error::BadPointer => 0,
            Error::UnknownInput => 1,
            Error::UnknownOutput => 2,
            Error::InputClosed => 3,
            Error::MessageTooLarge => 4,
            Error::Empty => 5,
            Error::OutputFull => 6,
            Error::InvalidUtf8 => 7,
            Error::InvalidLogLevel => 8,
            Error::OutputClosed => 9,
            Error::BufferTooSmall { .. } => 10,
            Error::UnknownStatus(_) => 11,
            Error::Payload(err) => err.text_id(),
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())?;
        match *self {
            Error::BufferTooSmall { needed } => write!(f, ", bytes needed: {needed}"),
            Error::UnknownStatus(code) => write!(f, " {code}"),
            _ => Ok(()),
        }
    }
}

impl core::error::Error for Error {}

impl core::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for PayloadError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn every_error_has_its_own_text() {
        let errors = [
            Error::BadPointer,
            Error::UnknownInput,
            Error::UnknownOutput,
            Error::InputClosed,
            Error::MessageTooLarge,
            Error::Empty,
            Error::OutputFull,
            Error::InvalidUtf8,
            Error::InvalidLogLevel,
            Error::OutputClosed,
            Error::BufferTooSmall { needed: 70 },
            Error::Payload(PayloadError::Truncated),
            Error::Payload(PayloadError::Malformed),
            Error::Payload(PayloadError::BufferFull),
            Error::Payload(PayloadError::Unsupported),
            Error::UnknownStatus(-42),
        ];
        let texts: std::vec::Vec<_> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), TEXT_LIST.len());
        for (i, t) in texts.iter().enumerate() {
            assert!(!t.is_empty() && !texts[..i].contains(t), "{t:?}");
        }
        assert_eq!(texts[10], "receive buffer too small, bytes needed: 70");
        assert_eq!(errors[10].as_str(), "receive buffer too small");
        assert_eq!(texts[3], "input closed");
        assert_eq!(texts[15], "unknown host status -42");
        assert_eq!(texts[11], "payload truncated");
    }
}
