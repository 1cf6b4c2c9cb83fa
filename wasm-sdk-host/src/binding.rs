//! The `connectors` imports bound onto wasmi: glue only.
//!
//! Each import splits the wasmi caller into the guest's linear memory and
//! its host state and hands the raw arguments to [`Rules`], the ABI's one
//! implementation of the checks and queue semantics. A [`Reply::Block`]
//! becomes a wasmi host error ([`Blocked`]) that suspends the call;
//! [`Guest::step`](crate::Guest::step) calls the rules again and resumes it.

use core::fmt;

use wasm_sdk_abi::rules::{Environment, Reply, Rules};
use wasm_sdk_abi::{self as abi};
use wasmi::{Caller, Linker, Memory, StoreLimits};

/// Per-guest state inside the wasmi store.
pub(crate) struct HostState<E> {
    pub env: E,
    pub rules: Rules,
    pub limits: StoreLimits,
    /// Set right after instantiation; `None` only before that.
    pub memory: Option<Memory>,
}

/// A `receive_input` call the rules answered with [`Reply::Block`], kept
/// with its arguments to be answered again when the guest is stepped.
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

impl<E: Environment> HostState<E> {
    /// `receive_input` against `mem`; [`Blocked`] when the guest waits.
    pub fn receive(
        &mut self,
        mem: &mut [u8],
        ptr: i32,
        len: i32,
        idx: i32,
    ) -> Result<i32, Blocked> {
        match self.rules.receive_input(mem, &mut self.env, ptr, len, idx) {
            Reply::Return(code) => Ok(code),
            Reply::Block { input } => Err(Blocked { input, ptr, len }),
        }
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
            state.receive(mem, ptr, len, idx).map_err(wasmi::Error::host)
        },
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::INPUT_LEN,
        |mut caller: Caller<'_, HostState<E>>, idx: i32| {
            let state = caller.data_mut();
            state.rules.input_len(&mut state.env, idx)
        },
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::SEND_OUTPUT,
        |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, idx: i32| {
            let (mem, state) = split(&mut caller);
            state.rules.send_output(&*mem, &mut state.env, ptr, len, idx)
        },
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::LOG,
        |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, level: i32| {
            let (mem, state) = split(&mut caller);
            state.rules.log(&*mem, &mut state.env, ptr, len, level)
        },
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        abi::REPORT_ERROR,
        |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32| {
            let (mem, state) = split(&mut caller);
            state.rules.report_error(&*mem, &mut state.env, ptr, len)
        },
    )?;
    Ok(())
}
