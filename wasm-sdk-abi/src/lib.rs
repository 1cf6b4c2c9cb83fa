//! The `connectors` ABI of wasm-sdk: the one definition guests and hosts
//! both compile.
//!
//! Everything a host needs to bind a guest lives here. The crate has no
//! dependencies and nothing target specific, so the guest SDK (as
//! `wasm_sdk::abi`), its proc macro, `wasm-sdk-host` and the firmware all use
//! these constants instead of copies, and the sides cannot drift.
//!
//! # Imports
//!
//! A guest imports at most these functions, all from the module
//! [`IMPORT_MODULE`] (`connectors`). Every parameter and result is an `i32`;
//! pointers are offsets into the guest's exported linear memory.
//!
//! | import | signature | returns |
//! |---|---|---|
//! | [`RECEIVE_INPUT`] | `(buf: *mut u8, len: i32, input_idx: i32) -> i32` | length written, or a [`Status`] |
//! | [`SEND_OUTPUT`] | `(buf: *const u8, len: i32, output_idx: i32) -> i32` | `0` or a [`Status`] |
//! | [`LOG`] | `(ptr: *const u8, len: i32, level: i32) -> i32` | `0` or a [`Status`] |
//! | [`REPORT_ERROR`] | `(ptr: *const u8, len: i32) -> i32` | `0` or a [`Status`] |
//! | [`INPUT_LEN`] | `(input_idx: i32) -> i32` | length of the next message, or a [`Status`] |
//!
//! A guest must export [`RUN_TASK_EXPORT`] (`run_task: () -> i32`, `0` is a
//! clean stop, anything else a failure) and [`MEMORY_EXPORT`] (`memory`).
//!
//! # Rules
//!
//! - **Blocking receive.** `receive_input` returns only when a message for
//!   that input is available (the host suspends the guest meanwhile) or the
//!   input is closed. The message is copied to `buf` and its length returned.
//! - **Nothing is lost.** If the next message is longer than `len`, nothing is
//!   written, the message stays at the head of its queue, and the call returns
//!   [`Status::MessageTooLarge`]. The guest learns the size it needs from
//!   `input_len` (which never blocks) and calls `receive_input` again.
//! - **Closed input.** When the host closes an input and its queue is drained,
//!   `receive_input` returns [`Status::Closed`]. Messages queued before the
//!   close are still delivered. The guest SDK's generated `run_task` treats
//!   this as a clean exit (`0`).
//! - **Hostile guests.** The host checks every pointer and length against the
//!   guest's linear memory. A negative length or a range outside memory is
//!   [`Status::BadPointer`]; a host may instead trap the guest. Neither can
//!   affect the host or other guests.
//! - **Text.** `log` and `report_error` take UTF-8; anything else is
//!   [`Status::InvalidUtf8`]. Log levels are [`LogLevel`] values.
//! - **Output backpressure.** `send_output` copies the message; a host may
//!   suspend the guest until the output has room, or answer
//!   [`Status::OutputFull`] (the message was not taken; retrying is safe).
//!
//! # Manifest
//!
//! `#[task_run]` embeds a custom section named `wasm-sdk.manifest`
//! ([`manifest::MANIFEST_SECTION`]) that carries [`ABI_VERSION`] and the
//! input and output names; [`manifest`] documents the layout.

#![no_std]

#[cfg(test)]
extern crate std;

/// Version of this ABI. A host refuses a module whose manifest names another.
pub const ABI_VERSION: u16 = 1;

/// The Wasm import module every host function lives in.
pub const IMPORT_MODULE: &str = "connectors";

/// `receive_input(buf: *mut u8, len: i32, input_idx: i32) -> i32`.
pub const RECEIVE_INPUT: &str = "receive_input";
/// `send_output(buf: *const u8, len: i32, output_idx: i32) -> i32`.
pub const SEND_OUTPUT: &str = "send_output";
/// `log(ptr: *const u8, len: i32, level: i32) -> i32`.
pub const LOG: &str = "log";
/// `report_error(ptr: *const u8, len: i32) -> i32`.
pub const REPORT_ERROR: &str = "report_error";
/// `input_len(input_idx: i32) -> i32`: length of the next queued message.
pub const INPUT_LEN: &str = "input_len";

/// The exported entry point: `run_task() -> i32`.
pub const RUN_TASK_EXPORT: &str = "run_task";
/// The exported linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// An import's signature: the number of `i32` parameters; every import
/// returns exactly one `i32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportSignature {
    /// Import name within [`IMPORT_MODULE`].
    pub name: &'static str,
    /// Number of `i32` parameters.
    pub params: usize,
}

/// Every import a guest may use, with its signature.
pub const IMPORTS: [ImportSignature; 5] = [
    ImportSignature { name: RECEIVE_INPUT, params: 3 },
    ImportSignature { name: SEND_OUTPUT, params: 3 },
    ImportSignature { name: LOG, params: 3 },
    ImportSignature { name: REPORT_ERROR, params: 2 },
    ImportSignature { name: INPUT_LEN, params: 1 },
];

/// Looks up an import of [`IMPORT_MODULE`] by name.
pub fn import_signature(name: &str) -> Option<ImportSignature> {
    IMPORTS.iter().copied().find(|sig| sig.name == name)
}

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
    /// The input is closed and drained, or the output is closed.
    Closed = -4,
    /// The message does not fit: on receive, the guest's buffer is too small
    /// (the message stays queued); on send, it exceeds the host's limit.
    MessageTooLarge = -5,
    /// `input_len` only: nothing is queued on that input yet.
    Empty = -6,
    /// The host did not take the message because the output is full.
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

pub mod manifest {
    //! The `wasm-sdk.manifest` custom section.
    //!
    //! Layout, version 1 (all integers little endian, no padding, no trailing
    //! bytes):
    //!
    //! ```text
    //! abi_version: u16
    //! input_count: u8,  then input_count  x (name_len: u8, name: [u8; name_len])
    //! output_count: u8, then output_count x (name_len: u8, name: [u8; name_len])
    //! ```
    //!
    //! Names are UTF-8, 1 to [`MAX_NAME_LEN`] bytes, unique within their list,
    //! and list `i` names index `i`. A module has at most [`MAX_PORTS`] inputs
    //! and at most as many outputs.
    //!
    //! [`encode`] runs in `const` context so `#[task_run]` builds the section
    //! at compile time; [`Manifest::parse`] reads it without allocating.

    use super::ABI_VERSION;

    /// Name of the custom section.
    pub const MANIFEST_SECTION: &str = "wasm-sdk.manifest";
    /// Longest input or output name, in bytes.
    pub const MAX_NAME_LEN: usize = 255;
    /// Most inputs (and most outputs) a module can declare.
    pub const MAX_PORTS: usize = 255;

    /// Size in bytes of the section for these names.
    ///
    /// # Panics
    ///
    /// If a list or name exceeds the limits above (at compile time when used
    /// in a `const`).
    pub const fn encoded_len(inputs: &[&str], outputs: &[&str]) -> usize {
        2 + list_len(inputs) + list_len(outputs)
    }

    const fn list_len(names: &[&str]) -> usize {
        assert!(names.len() <= MAX_PORTS, "too many inputs or outputs");
        let mut len = 1;
        let mut i = 0;
        while i < names.len() {
            let n = names[i].len();
            assert!(n > 0 && n <= MAX_NAME_LEN, "input or output name length out of range");
            len += 1 + n;
            i += 1;
        }
        len
    }

    /// Encodes the section for [`ABI_VERSION`]. `N` must be
    /// [`encoded_len`]`(inputs, outputs)`.
    ///
    /// # Panics
    ///
    /// If `N` is wrong or a limit is exceeded (at compile time in a `const`).
    pub const fn encode<const N: usize>(inputs: &[&str], outputs: &[&str]) -> [u8; N] {
        assert!(N == encoded_len(inputs, outputs), "manifest length mismatch");
        let mut out = [0u8; N];
        let version = ABI_VERSION.to_le_bytes();
        out[0] = version[0];
        out[1] = version[1];
        let at = write_list(&mut out, 2, inputs);
        write_list(&mut out, at, outputs);
        out
    }

    const fn write_list<const N: usize>(out: &mut [u8; N], mut at: usize, names: &[&str]) -> usize {
        out[at] = names.len() as u8;
        at += 1;
        let mut i = 0;
        while i < names.len() {
            let bytes = names[i].as_bytes();
            out[at] = bytes.len() as u8;
            at += 1;
            let mut j = 0;
            while j < bytes.len() {
                out[at] = bytes[j];
                at += 1;
                j += 1;
            }
            i += 1;
        }
        at
    }

    /// Why a manifest section could not be read.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum ManifestError {
        /// The section ends inside a field.
        Truncated,
        /// Bytes follow the output list.
        TrailingBytes,
        /// A name is empty.
        EmptyName,
        /// A name is not UTF-8.
        InvalidUtf8,
        /// A name appears twice in one list.
        DuplicateName,
    }

    impl ManifestError {
        /// A short lowercase description.
        pub const fn as_str(self) -> &'static str {
            match self {
                ManifestError::Truncated => "manifest is truncated",
                ManifestError::TrailingBytes => "manifest has trailing bytes",
                ManifestError::EmptyName => "manifest has an empty name",
                ManifestError::InvalidUtf8 => "manifest name is not UTF-8",
                ManifestError::DuplicateName => "manifest has a duplicate name",
            }
        }
    }

    impl core::fmt::Display for ManifestError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str(self.as_str())
        }
    }

    impl core::error::Error for ManifestError {}

    /// A parsed manifest borrowing the section bytes.
    ///
    /// Parsing checks the structure only; comparing [`Manifest::abi_version`]
    /// with the versions a host supports is the host's decision.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Manifest<'a> {
        abi_version: u16,
        inputs: Names<'a>,
        outputs: Names<'a>,
    }

    impl<'a> Manifest<'a> {
        /// Parses a section's payload.
        pub fn parse(bytes: &'a [u8]) -> Result<Self, ManifestError> {
            let (version, rest) = bytes.split_first_chunk::<2>().ok_or(ManifestError::Truncated)?;
            let (inputs, rest) = Names::parse(rest)?;
            let (outputs, rest) = Names::parse(rest)?;
            if !rest.is_empty() {
                return Err(ManifestError::TrailingBytes);
            }
            Ok(Manifest { abi_version: u16::from_le_bytes(*version), inputs, outputs })
        }

        /// The ABI version the module was built against.
        pub fn abi_version(&self) -> u16 {
            self.abi_version
        }

        /// Input names; position is the input index.
        pub fn inputs(&self) -> Names<'a> {
            self.inputs
        }

        /// Output names; position is the output index.
        pub fn outputs(&self) -> Names<'a> {
            self.outputs
        }
    }

    /// One list of names in a [`Manifest`]; iterate it or look names up.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Names<'a> {
        count: usize,
        bytes: &'a [u8],
    }

    impl<'a> Names<'a> {
        fn parse(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), ManifestError> {
            let (&count, mut rest) = bytes.split_first().ok_or(ManifestError::Truncated)?;
            let start = rest;
            for i in 0..usize::from(count) {
                let (&len, tail) = rest.split_first().ok_or(ManifestError::Truncated)?;
                let len = usize::from(len);
                if len == 0 {
                    return Err(ManifestError::EmptyName);
                }
                if tail.len() < len {
                    return Err(ManifestError::Truncated);
                }
                let (name, tail) = tail.split_at(len);
                let name = core::str::from_utf8(name).map_err(|_| ManifestError::InvalidUtf8)?;
                let seen = Names { count: i, bytes: start };
                if seen.iter().any(|earlier| earlier == name) {
                    return Err(ManifestError::DuplicateName);
                }
                rest = tail;
            }
            let used = start.len() - rest.len();
            Ok((Names { count: usize::from(count), bytes: &start[..used] }, rest))
        }

        /// Number of names.
        pub fn len(&self) -> usize {
            self.count
        }

        /// Whether the list is empty.
        pub fn is_empty(&self) -> bool {
            self.count == 0
        }

        /// The names in index order.
        pub fn iter(&self) -> NamesIter<'a> {
            NamesIter { left: self.count, bytes: self.bytes }
        }

        /// The name at `index`.
        pub fn get(&self, index: usize) -> Option<&'a str> {
            self.iter().nth(index)
        }

        /// The index of `name`.
        pub fn index_of(&self, name: &str) -> Option<usize> {
            self.iter().position(|n| n == name)
        }
    }

    impl<'a> IntoIterator for Names<'a> {
        type Item = &'a str;
        type IntoIter = NamesIter<'a>;
        fn into_iter(self) -> NamesIter<'a> {
            self.iter()
        }
    }

    /// Iterator over a [`Names`] list.
    #[derive(Clone, Debug)]
    pub struct NamesIter<'a> {
        left: usize,
        bytes: &'a [u8],
    }

    impl<'a> Iterator for NamesIter<'a> {
        type Item = &'a str;

        fn next(&mut self) -> Option<&'a str> {
            if self.left == 0 {
                return None;
            }
            self.left -= 1;
            // `Names::parse` validated every entry, so these splits succeed;
            // `?` keeps a corrupted copy from panicking anyway.
            let (&len, tail) = self.bytes.split_first()?;
            let (name, tail) = tail.split_at_checked(usize::from(len))?;
            self.bytes = tail;
            core::str::from_utf8(name).ok()
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            (0, Some(self.left))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::{vec, vec::Vec};

        const INPUTS: &[&str] = &["wasm_input", "b"];
        const OUTPUTS: &[&str] = &["wasm_data"];
        const LEN: usize = encoded_len(INPUTS, OUTPUTS);
        const BYTES: [u8; LEN] = encode::<LEN>(INPUTS, OUTPUTS);

        #[test]
        fn layout_is_as_documented() {
            let mut expected = vec![1, 0, 2, 10];
            expected.extend_from_slice(b"wasm_input");
            expected.extend_from_slice(&[1, b'b', 1, 9]);
            expected.extend_from_slice(b"wasm_data");
            assert_eq!(BYTES.as_slice(), expected.as_slice());
        }

        #[test]
        fn round_trip() {
            let m = Manifest::parse(&BYTES).unwrap();
            assert_eq!(m.abi_version(), ABI_VERSION);
            assert_eq!(m.inputs().iter().collect::<Vec<_>>(), INPUTS);
            assert_eq!(m.outputs().iter().collect::<Vec<_>>(), OUTPUTS);
            assert_eq!(m.inputs().index_of("b"), Some(1));
            assert_eq!(m.outputs().get(0), Some("wasm_data"));
            assert_eq!(m.outputs().get(1), None);
        }

        #[test]
        fn empty_lists() {
            let bytes = encode::<4>(&[], &[]);
            let m = Manifest::parse(&bytes).unwrap();
            assert!(m.inputs().is_empty() && m.outputs().is_empty());
        }

        #[test]
        fn every_truncation_is_an_error() {
            for cut in 0..BYTES.len() {
                assert_eq!(
                    Manifest::parse(&BYTES[..cut]),
                    Err(ManifestError::Truncated),
                    "cut at {cut}"
                );
            }
        }

        #[test]
        fn malformed_sections_are_errors() {
            let mut trailing = BYTES.to_vec();
            trailing.push(0);
            assert_eq!(Manifest::parse(&trailing), Err(ManifestError::TrailingBytes));
            assert_eq!(Manifest::parse(&[1, 0, 1, 0, 0]), Err(ManifestError::EmptyName));
            assert_eq!(Manifest::parse(&[1, 0, 1, 1, 0xff, 0]), Err(ManifestError::InvalidUtf8));
            assert_eq!(
                Manifest::parse(&[1, 0, 2, 1, b'a', 1, b'a', 0]),
                Err(ManifestError::DuplicateName)
            );
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

    #[test]
    fn imports_are_unique_and_found() {
        for (i, sig) in IMPORTS.iter().enumerate() {
            assert_eq!(import_signature(sig.name), Some(*sig));
            assert!(IMPORTS[..i].iter().all(|other| other.name != sig.name));
        }
        assert_eq!(import_signature("fd_write"), None);
    }
}
