//! One loaded guest: a state machine stepped by its scheduler.

use alloc::string::String;
use alloc::vec::Vec;

use wasmi::{
    Store, TypedFunc, TypedResumableCall, TypedResumableCallHostTrap, TypedResumableCallOutOfFuel,
    Val,
};

use wasm_sdk_abi::manifest::{PortKind, position};
use wasm_sdk_abi::rules::{Environment, TextUsage};
use wasm_sdk_abi::run::{Step, Trap};
use wasm_sdk_abi::schema::TypeKey;

use crate::binding::{HostState, Pending, Suspend};
use crate::config::HostConfig;
use crate::error::{describe, trap};
use crate::host::Ports;
use crate::stack::{StackPointer, engine_stack};

/// Where a guest stands between steps: the one state machine every host
/// drives through [`Guest::step`].
enum State {
    /// Loaded; `run_task` not called yet.
    NotStarted,
    /// Out of its fuel slice inside Wasm code.
    Preempted(TypedResumableCallOutOfFuel<i32>),
    /// Suspended inside an import call: waiting for an input (or any of
    /// several), for room on an output, or for the next step's text budget. The call is the host
    /// state's [`pending`](HostState::pending).
    Suspended(TypedResumableCallHostTrap<i32>),
    /// Finished, trapped or out of fuel, for good.
    Done(Step),
}

/// A loaded guest with its own store, memory and [`Environment`].
pub struct Guest<E> {
    store: Store<HostState<E>>,
    run_task: TypedFunc<(), i32>,
    state: State,
    fuel_per_slice: Option<u64>,
    /// Fuel left of the total budget; `None`: unlimited.
    fuel_left: Option<u64>,
    fuel_consumed: u64,
    /// Fuel put into the store for the current run.
    fuel_given: u64,
    metered: bool,
    inputs: Vec<String>,
    outputs: Vec<String>,
    input_types: Vec<Option<(TypeKey, String)>>,
    output_types: Vec<Option<(TypeKey, String)>>,
    /// The guest's stack pointer, to name an overflow of its stack.
    stack: Option<StackPointer>,
    /// The engine's stack budgets (`max_call_depth`, `max_value_stack`),
    /// to name them when a call uses them up.
    stack_budgets: (usize, usize),
}

impl<E: Environment + 'static> Guest<E> {
    pub(crate) fn new(
        store: Store<HostState<E>>,
        run_task: TypedFunc<(), i32>,
        config: &HostConfig,
        Ports { inputs, outputs, input_types, output_types }: Ports,
        stack: Option<StackPointer>,
    ) -> Self {
        Guest {
            stack,
            stack_budgets: (config.max_call_depth, config.max_value_stack),
            inputs,
            outputs,
            input_types,
            output_types,
            store,
            run_task,
            state: State::NotStarted,
            fuel_per_slice: config.fuel_per_slice,
            fuel_left: config.total_fuel,
            fuel_consumed: 0,
            fuel_given: 0,
            metered: config.meters_fuel(),
        }
    }

    /// Runs the guest until it blocks, waits on inputs or a full output,
    /// finishes, traps, or uses its slice (of fuel, or of its text budget).
    ///
    /// A blocked guest is resumed only when its input has a message or is
    /// closed, a waiting one only when one of its inputs has, a full one
    /// only when its output has room; otherwise this returns
    /// [`Step::Blocked`], [`Step::Waiting`] or [`Step::Full`] without
    /// running Wasm.
    /// After a final step (see [`Step::is_final`]) it returns that step again.
    pub fn step(&mut self) -> Step {
        self.store.data_mut().text.next_step();
        // A suspended call is served in place first: while it still waits,
        // the state (and wasmi's call in it) is not moved at all.
        let (code, cost) = match &self.state {
            State::Done(step) => return step.clone(),
            State::Suspended(_) => match self.serve_pending() {
                Ok(served) => served,
                Err(step) => return step,
            },
            State::NotStarted | State::Preempted(_) => (0, 0),
        };
        // Moved out once, straight into the call that consumes it.
        let result = match core::mem::replace(&mut self.state, State::Done(Step::OutOfFuel)) {
            State::NotStarted => {
                if !self.refuel(0) {
                    return self.done(Step::OutOfFuel);
                }
                self.run_task.call_resumable(&mut self.store, ())
            }
            State::Preempted(call) => {
                if !self.refuel(call.required_fuel()) {
                    return self.done(Step::OutOfFuel);
                }
                call.resume(&mut self.store)
            }
            State::Suspended(call) => {
                if !self.refuel(0) {
                    return self.done(Step::OutOfFuel);
                }
                // The call's bytes, from this step's fuel.
                self.store.data_mut().debt = cost;
                call.resume(&mut self.store, &[Val::I32(code)])
            }
            // Returned above.
            State::Done(step) => return self.done(step),
        };
        self.account();
        match result {
            Ok(TypedResumableCall::Finished(exit_code)) => self.done(Step::Finished { exit_code }),
            Ok(TypedResumableCall::HostTrap(call)) => {
                let pending = match call.host_error().downcast_ref::<Suspend>() {
                    Some(Suspend) => self.store.data().pending.as_ref().map(|p| p.step.clone()),
                    None => None,
                };
                match pending {
                    Some(step) => {
                        self.state = State::Suspended(call);
                        step
                    }
                    // The bound imports only ever suspend with `Suspend`.
                    None => self.done(Step::Trapped(trap(call.host_error()))),
                }
            }
            Ok(TypedResumableCall::OutOfFuel(call)) => {
                if self.fuel_left.is_some_and(|left| left < call.required_fuel().max(1)) {
                    self.done(Step::OutOfFuel)
                } else {
                    self.state = State::Preempted(call);
                    Step::Preempted
                }
            }
            Err(error) => {
                let trap = self.trap(&error);
                self.done(Step::Trapped(trap))
            }
        }
    }

    /// The trap for an error that ended a call: in the guest's terms when
    /// it ran out of stack, its own or the engine's.
    fn trap(&self, error: &wasmi::Error) -> Trap {
        use wasmi::TrapCode;
        match error.as_trap_code() {
            Some(TrapCode::MemoryOutOfBounds) => match self.stack {
                Some(sp) if sp.overflowed(&self.store) => sp.overflow(),
                _ => trap(error),
            },
            Some(TrapCode::StackOverflow) => {
                let (call_depth, value_stack) = self.stack_budgets;
                engine_stack(describe(error), call_depth, value_stack)
            }
            _ => trap(error),
        }
    }

    /// Serves the call the guest is suspended in: its return value and the
    /// fuel its bytes cost, or the step to return while it still waits.
    fn serve_pending(&mut self) -> Result<(i32, u64), Step> {
        let Some(memory) = self.store.data().memory else {
            return Err(self.done(Step::Trapped(Trap::new("guest has no memory"))));
        };
        let (mem, state) = memory.data_and_store_mut(&mut self.store);
        let Some(Pending { call, ptr, len, idx, .. }) = state.pending else {
            return Err(self.done(Step::Trapped(Trap::new("suspended outside a host call"))));
        };
        match state.serve(mem, call, ptr, len, idx) {
            Ok(code) => {
                state.pending = None;
                Ok((code, state.cost(call, code, len)))
            }
            // Still waiting: stay suspended, run nothing.
            Err(pending) => {
                let step = pending.step.clone();
                state.pending = Some(pending);
                Err(step)
            }
        }
    }

    /// Ends the guest for good with `step`, and returns it.
    fn done(&mut self, step: Step) -> Step {
        self.state = State::Done(step.clone());
        step
    }

    /// Puts this step's fuel into the store: one slice, at least `required`,
    /// at most what is left. Returns `false` when the budget cannot cover it.
    fn refuel(&mut self, required: u64) -> bool {
        self.store.data_mut().debt = 0;
        if !self.metered {
            return true;
        }
        let wanted = self.fuel_per_slice.unwrap_or(u64::MAX).max(required).max(1);
        let fuel = match self.fuel_left {
            Some(left) if left < required.max(1) => return false,
            Some(left) => wanted.min(left),
            None => wanted,
        };
        self.fuel_given = fuel;
        self.store.data_mut().step_fuel = fuel;
        // Fuel metering is on whenever `metered` is, so this cannot fail.
        self.store.set_fuel(fuel).is_ok()
    }

    /// Books the fuel the last run used: what its instructions took from
    /// the store, and its calls' debt.
    fn account(&mut self) {
        if !self.metered {
            return;
        }
        let debt = core::mem::take(&mut self.store.data_mut().debt);
        let used = self.fuel_given.saturating_sub(self.store.get_fuel().unwrap_or(0));
        let used = used.saturating_add(debt);
        self.fuel_consumed = self.fuel_consumed.saturating_add(used);
        if let Some(left) = &mut self.fuel_left {
            *left = left.saturating_sub(used);
        }
    }

    /// The text bytes the guest has logged and reported, and the texts
    /// refused past its total budget.
    pub fn text_usage(&self) -> TextUsage {
        self.store.data().text
    }

    /// Total fuel the guest has used (0 when fuel is not metered).
    pub fn fuel_consumed(&self) -> u64 {
        self.fuel_consumed
    }

    /// The guest's environment.
    pub fn env(&self) -> &E {
        &self.store.data().env
    }

    /// The guest's environment, to queue inputs or drain outputs.
    pub fn env_mut(&mut self) -> &mut E {
        &mut self.store.data_mut().env
    }

    /// Input names from the manifest; position is the index.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// Output names from the manifest; position is the index.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The message type of port `index` of `kind`, as its manifest declares
    /// it: the type's key and name; `None` for an untyped port or an index
    /// past the list.
    pub fn port_type(&self, kind: PortKind, index: usize) -> Option<(TypeKey, &str)> {
        let types = match kind {
            PortKind::Input => &self.input_types,
            PortKind::Output => &self.output_types,
        };
        let (key, name) = types.get(index)?.as_ref()?;
        Some((*key, name.as_str()))
    }

    /// The index of the input called `name`.
    pub fn input_index(&self, name: &str) -> Option<u8> {
        position(&self.inputs, name)
    }

    /// The index of the output called `name`.
    pub fn output_index(&self, name: &str) -> Option<u8> {
        position(&self.outputs, name)
    }

    /// Current size of the guest's linear memory in bytes.
    pub fn memory_size(&self) -> usize {
        self.memory().len()
    }

    /// The guest's linear memory, to inspect (a crash dump, a test).
    pub fn memory(&self) -> &[u8] {
        self.store.data().memory.map_or(&[], |m| m.data(&self.store))
    }
}
