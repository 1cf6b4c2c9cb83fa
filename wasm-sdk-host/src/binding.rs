//! The `connectors` imports bound onto wasmi.
//!
//! Each import checks every index, pointer and length before touching
//! memory or the environment; a bad value is a status code for the guest,
//! never a host panic. Blocking is a wasmi host error ([`Blocked`]) that
//! suspends the call; [`Guest::step`](crate::Guest::step) resumes it.

use core::fmt;
use core::ops::Range;

use wasm_sdk_abi::{self as abi, LogLevel, Status};
use wasmi::{Caller, Linker, Memory, StoreLimits};

use crate::env::{Environment, InputState, SendError};

/// Per-guest state inside the wasmi store.
pub(crate) struct HostState<E> {
    pub env: E,
    pub inputs: usize,
    pub outputs: usize,
    pub max_message_len: usize,
    pub limits: StoreLimits,
    /// Set right after instantiation; `None` only before that.
    pub memory: Option<Memory>,
}

/// A `receive_input` that found its input empty: the call is suspended
/// until the environment has a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blocked {
    pub input: u8,
    pub ptr: i32,
    pub len: i32,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest blocked on input {}", self.input)
    }
}

impl wasmi::errors::HostError for Blocked {}

/// The byte range `ptr..ptr + len` if it lies inside `mem`.
fn range(mem: &[u8], ptr: i32, len: i32) -> Option<Range<usize>> {
    let start = usize::try_from(ptr).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    (end <= mem.len()).then_some(start..end)
}

fn index(idx: i32, count: usize) -> Option<u8> {
    u8::try_from(idx).ok().filter(|&i| usize::from(i) < count)
}

/// `receive_input` on memory and state the caller already split.
///
/// # Errors
///
/// [`Blocked`] when the input is empty: the caller suspends the guest.
pub(crate) fn receive<E: Environment>(
    mem: &mut [u8],
    state: &mut HostState<E>,
    ptr: i32,
    len: i32,
    input_idx: i32,
) -> Result<i32, Blocked> {
    let Some(input) = index(input_idx, state.inputs) else {
        return Ok(Status::UnknownInput.code());
    };
    // The whole buffer the guest offers must be its own memory, whatever
    // the message's length.
    let Some(buf) = range(mem, ptr, len).and_then(|r| mem.get_mut(r)) else {
        return Ok(Status::BadPointer.code());
    };
    match state.env.input(input) {
        InputState::Ready(message) => {
            let Some(dst) = buf.get_mut(..message.len()) else {
                // Stays queued: nothing lost, the guest asks `input_len`.
                return Ok(Status::MessageTooLarge.code());
            };
            dst.copy_from_slice(message);
            // `message.len() <= len <= i32::MAX`.
            let written = message.len() as i32;
            state.env.pop_input(input);
            Ok(written)
        }
        InputState::Closed => Ok(Status::Closed.code()),
        InputState::Empty => Err(Blocked { input, ptr, len }),
    }
}

fn input_len<E: Environment>(state: &mut HostState<E>, input_idx: i32) -> i32 {
    let Some(input) = index(input_idx, state.inputs) else {
        return Status::UnknownInput.code();
    };
    match state.env.input(input) {
        InputState::Ready(message) => i32::try_from(message.len()).unwrap_or(i32::MAX),
        InputState::Empty => Status::Empty.code(),
        InputState::Closed => Status::Closed.code(),
    }
}

fn send<E: Environment>(mem: &[u8], state: &mut HostState<E>, ptr: i32, len: i32, idx: i32) -> i32 {
    let Some(output) = index(idx, state.outputs) else {
        return Status::UnknownOutput.code();
    };
    let Some(message) = range(mem, ptr, len).and_then(|r| mem.get(r)) else {
        return Status::BadPointer.code();
    };
    if message.len() > state.max_message_len {
        return Status::MessageTooLarge.code();
    }
    match state.env.send_output(output, message) {
        Ok(()) => 0,
        Err(SendError::Full) => Status::OutputFull.code(),
        Err(SendError::TooLarge) => Status::MessageTooLarge.code(),
        Err(SendError::Closed) => Status::Closed.code(),
    }
}

/// Hands the UTF-8 text at `ptr..ptr + len` to `sink` and returns the
/// import's result: 0, or `BadPointer` / `InvalidUtf8` without calling it.
fn take_text(mem: &[u8], ptr: i32, len: i32, sink: impl FnOnce(&str)) -> i32 {
    let Some(bytes) = range(mem, ptr, len).and_then(|r| mem.get(r)) else {
        return Status::BadPointer.code();
    };
    match core::str::from_utf8(bytes) {
        Ok(text) => {
            sink(text);
            0
        }
        Err(_) => Status::InvalidUtf8.code(),
    }
}

/// Splits the caller into guest memory and host state. A guest without its
/// memory cannot be loaded, so the fallback (empty memory) only makes every
/// pointer invalid.
fn split<'a, E>(caller: &'a mut Caller<'_, HostState<E>>) -> (&'a mut [u8], &'a mut HostState<E>) {
    match caller.data().memory {
        Some(memory) => memory.data_and_store_mut(caller),
        None => (&mut [], caller.data_mut()),
    }
}

/// Defines every `connectors` import in `linker`.
pub(crate) fn define<E: Environment + 'static>(
    linker: &mut Linker<HostState<E>>,
) -> Result<(), wasmi::Error> {
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::RECEIVE_INPUT,
        |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, idx: i32| {
            let (mem, state) = split(&mut caller);
            receive(mem, state, ptr, len, idx).map_err(wasmi::Error::host)
        },
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::INPUT_LEN,
        |mut caller: Caller<'_, HostState<E>>, idx: i32| input_len(caller.data_mut(), idx),
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::SEND_OUTPUT,
        |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, idx: i32| {
            let (mem, state) = split(&mut caller);
            send(mem, state, ptr, len, idx)
        },
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::LOG,
        |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, level: i32| {
            let (mem, state) = split(&mut caller);
            let Some(level) = LogLevel::from_code(level) else {
                return Status::InvalidLogLevel.code();
            };
            take_text(mem, ptr, len, |message| state.env.log(level, message))
        },
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::REPORT_ERROR,
        |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32| {
            let (mem, state) = split(&mut caller);
            take_text(mem, ptr, len, |message| state.env.report_error(message))
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges_are_checked() {
        let mem = [0u8; 16];
        assert_eq!(range(&mem, 0, 16), Some(0..16));
        assert_eq!(range(&mem, 16, 0), Some(16..16));
        assert_eq!(range(&mem, 8, 9), None);
        assert_eq!(range(&mem, -1, 1), None);
        assert_eq!(range(&mem, 0, -1), None);
        assert_eq!(range(&mem, i32::MAX, i32::MAX), None);
        assert_eq!(range(&mem, 17, 0), None);
    }
}
