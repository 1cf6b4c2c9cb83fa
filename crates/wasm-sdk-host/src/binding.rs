//! The `connectors` imports bound onto wasmi: glue only.
//!
//! Each import splits the wasmi caller into the guest's linear memory and
//! its host state and hands the raw arguments to [`Rules`], the ABI's one
//! implementation of the checks, queue semantics and text budgets. A reply
//! that suspends the guest ([`Reply::Block`], [`Reply::Wait`],
//! [`Reply::Full`], [`Reply::Throttle`]) is kept as [`Pending`] in the host state and
//! suspends the call with a wasmi host error ([`Suspend`]);
//! [`Guest::step`](crate::Guest::step) calls the rules again with the same
//! arguments and resumes it.
//!
//! Calls that move bytes also cost fuel by their length
//! ([`HostConfig::bytes_per_fuel`](crate::HostConfig::bytes_per_fuel)), so
//! a guest logging or sending large buffers uses its slice as fast as one
//! computing. The cost is booked as a debt that the step settles
//! ([`Guest::step`](crate::Guest::step)), not taken from the store's fuel
//! at each call: reading and setting wasmi's fuel on every call cut the
//! echo benchmark's ratio from 0.86 to 0.65.

use core::fmt;

use wasm_sdk_abi::rules::{Environment, Reply, Rules, TextUsage, WaitCursor};
use wasm_sdk_abi::run::Step;
use wasm_sdk_abi::{self as abi};
use wasmi::{Caller, Func, Memory, Store, StoreLimits};

/// Per-guest state inside the wasmi store.
pub(crate) struct HostState<E> {
    pub env: E,
    pub rules: Rules,
    pub limits: StoreLimits,
    /// Text bytes logged and reported, against `rules.text`.
    pub text: TextUsage,
    /// Where the next `wait_input` starts looking (its round robin).
    pub wait: WaitCursor,
    /// Bytes of a call that cost one unit of fuel; 0: calls cost none
    /// (also when fuel is not metered).
    pub bytes_per_fuel: u32,
    /// Fuel this step's calls cost so far, settled when the step ends.
    pub debt: u64,
    /// The fuel this step was given: a debt reaching it ends the step.
    pub step_fuel: u64,
    /// Set right after instantiation; `None` only before that.
    pub memory: Option<Memory>,
    /// The call the guest is suspended in, while it is (set with the
    /// [`Suspend`] it returns to wasmi).
    pub pending: Option<Pending>,
}

/// Which import a suspended call is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `receive_input`, on an open, empty input.
    Receive,
    /// `wait_input`, on inputs all open and empty.
    Wait,
    /// `send_output`, on a full output.
    Send,
    /// `log` at this level, over this step's text budget.
    Log(i32),
    /// `report_error`, over this step's text budget.
    ReportError,
    /// A call already served whose bytes used up the step's fuel: it
    /// returns this value when the guest resumes.
    Done(i32),
}

/// A call the rules answered with a suspending [`Reply`], kept with its
/// arguments to be answered again when the guest is stepped.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub call: Call,
    pub ptr: i32,
    pub len: i32,
    /// The port index argument (unused for texts and `wait_input`).
    pub idx: i32,
    /// What the guest waits for, as its scheduler sees it.
    pub step: Step,
}

/// The host error a bound import suspends the guest with; the call itself
/// is kept in [`HostState::pending`]. Zero-sized, so wasmi's box of it
/// allocates nothing: the guest suspends once per message it waits for.
///
/// Its `Debug` and `Display` (which wasmi requires of a host error) are
/// constant: when the suspended call's derived `Debug` was formatted here,
/// `core::fmt`'s struct and string escaping cost kilobytes of nRF5340
/// flash (measured with `examples/nrf53-host/size.sh`; the book's figures
/// page, "Flash levers").
#[derive(Debug)]
pub(crate) struct Suspend;

impl fmt::Display for Suspend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("guest suspended in a host call")
    }
}

impl wasmi::errors::HostError for Suspend {}

impl<E> HostState<E> {
    /// Suspends the guest in `pending`.
    fn suspend(&mut self, pending: Pending) -> wasmi::Error {
        self.pending = Some(pending);
        wasmi::Error::host(Suspend)
    }
}

impl<E: Environment> HostState<E> {
    /// Serves `call` against `mem`: its return value, or [`Pending`] when
    /// the guest must wait.
    pub fn serve(
        &mut self,
        mem: &mut [u8],
        call: Call,
        ptr: i32,
        len: i32,
        idx: i32,
    ) -> Result<i32, Pending> {
        let (rules, env, text) = (&self.rules, &mut self.env, &mut self.text);
        let reply = match call {
            Call::Receive => rules.receive_input(mem, env, ptr, len, idx),
            Call::Wait => rules.wait_input(&*mem, env, &mut self.wait, ptr, len),
            Call::Send => rules.send_output(&*mem, env, ptr, len, idx),
            Call::Log(level) => rules.log(&*mem, env, text, ptr, len, level),
            Call::ReportError => rules.report_error(&*mem, env, text, ptr, len),
            Call::Done(code) => return Ok(code),
        };
        let step = match reply {
            Reply::Return(code) => return Ok(code),
            Reply::Block { input } => Step::Blocked { input },
            Reply::Wait { inputs } => Step::Waiting { inputs },
            Reply::Full { output } => Step::Full { output },
            Reply::Throttle => Step::Preempted,
        };
        Err(Pending { call, ptr, len, idx, step })
    }

    /// The fuel a served call costs that returned `code` and was passed
    /// `len`: by the bytes it moved (a receive, what it copied; the others,
    /// what they were passed, for `wait_input` its list; a refused call,
    /// nothing).
    pub fn cost(&self, call: Call, code: i32, len: i32) -> u64 {
        let moved = match call {
            _ if code < 0 => 0,
            Call::Done(_) => 0,
            Call::Receive => code,
            _ => len,
        };
        match (u64::try_from(moved), self.bytes_per_fuel) {
            (Ok(moved), per @ 1..) => moved / u64::from(per),
            _ => 0,
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

/// Serves one call from a guest and books its bytes' fuel. A debt that
/// reaches the step's fuel ends the step after the call (the guest is
/// preempted with the call done), so moving bytes cannot stretch a slice.
fn serve<E: Environment>(
    caller: &mut Caller<'_, HostState<E>>,
    call: Call,
    (ptr, len, idx): (i32, i32, i32),
) -> Result<i32, wasmi::Error> {
    let (mem, state) = split(caller);
    let code = match state.serve(mem, call, ptr, len, idx) {
        Ok(code) => code,
        Err(pending) => return Err(state.suspend(pending)),
    };
    let cost = state.cost(call, code, len);
    if cost > 0 {
        state.debt = state.debt.saturating_add(cost);
        if state.debt >= state.step_fuel {
            let step = Step::Preempted;
            return Err(state.suspend(Pending { call: Call::Done(code), ptr, len, idx, step }));
        }
    }
    Ok(code)
}

/// The host function for the `connectors` import `name`, in `store`;
/// `None` for a name the ABI does not offer.
///
/// Functions are made per guest and passed to `Instance::new` in the
/// module's import order rather than defined once in a `Linker`: the
/// linker's name table and its lookups cost kilobytes of nRF5340 flash
/// (measured with `examples/nrf53-host/size.sh`; the book's figures page,
/// "Flash levers"), and each guest has its own store anyway.
pub(crate) fn import<E: Environment + 'static>(
    store: &mut Store<HostState<E>>,
    name: &str,
) -> Option<Func> {
    Some(match name {
        abi::RECEIVE_INPUT => Func::wrap(
            store,
            |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, idx: i32| {
                serve(&mut caller, Call::Receive, (ptr, len, idx))
            },
        ),
        abi::WAIT_INPUT => {
            Func::wrap(store, |mut caller: Caller<'_, HostState<E>>, list: i32, len: i32| {
                serve(&mut caller, Call::Wait, (list, len, 0))
            })
        }
        abi::INPUT_LEN => Func::wrap(store, |mut caller: Caller<'_, HostState<E>>, idx: i32| {
            let state = caller.data_mut();
            state.rules.input_len(&mut state.env, idx)
        }),
        abi::SEND_OUTPUT => Func::wrap(
            store,
            |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, idx: i32| {
                serve(&mut caller, Call::Send, (ptr, len, idx))
            },
        ),
        abi::LOG => Func::wrap(
            store,
            |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32, level: i32| {
                serve(&mut caller, Call::Log(level), (ptr, len, 0))
            },
        ),
        abi::REPORT_ERROR => {
            Func::wrap(store, |mut caller: Caller<'_, HostState<E>>, ptr: i32, len: i32| {
                serve(&mut caller, Call::ReportError, (ptr, len, 0))
            })
        }
        _ => return None,
    })
}
