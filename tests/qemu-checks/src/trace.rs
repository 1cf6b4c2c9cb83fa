//! What the executor did: embassy-executor's `trace` hooks, counting how
//! often each watched task was polled and for how long.
//!
//! The executor calls `_embassy_trace_task_exec_begin` / `_end` around
//! every poll of a task; timing them with [`clock::cycles`] gives each
//! task's CPU time and its longest single poll (for a guest task: one fuel
//! slice). `_embassy_trace_poll_start` runs once per pass of the executor's
//! main loop.
//!
//! Timing costs instructions on every poll, so it can be switched off
//! ([`set_enabled`]) for the round-trip measurement; task identities are
//! tracked either way.

use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use critical_section::Mutex;

use crate::clock;

/// Tasks whose polls are recorded individually.
const WATCHED: usize = 4;

/// Counters of one task, or of all tasks together.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskStats {
    /// Times the executor polled the task.
    pub polls: u32,
    /// SysTick cycles spent in those polls.
    pub busy_cycles: u64,
    /// The longest single poll, in SysTick cycles.
    pub max_poll_cycles: u64,
}

impl TaskStats {
    fn record(&mut self, cycles: u64) {
        self.polls = self.polls.wrapping_add(1);
        self.busy_cycles += cycles;
        self.max_poll_cycles = self.max_poll_cycles.max(cycles);
    }

    /// The counters accumulated since `earlier` (its maximum is not
    /// subtractable, so this keeps the later one: reset with [`reset_max`]).
    pub fn since(&self, earlier: &TaskStats) -> TaskStats {
        TaskStats {
            polls: self.polls.wrapping_sub(earlier.polls),
            busy_cycles: self.busy_cycles - earlier.busy_cycles,
            max_poll_cycles: self.max_poll_cycles,
        }
    }
}

struct Trace {
    /// Task ids (task header addresses) being watched; 0: free slot.
    ids: [u32; WATCHED],
    tasks: [TaskStats; WATCHED],
    /// Every task's polls together.
    all: TaskStats,
    /// When the running task's poll began.
    poll_began: u64,
}

static TRACE: Mutex<RefCell<Trace>> = Mutex::new(RefCell::new(Trace {
    ids: [0; WATCHED],
    tasks: [TaskStats { polls: 0, busy_cycles: 0, max_poll_cycles: 0 }; WATCHED],
    all: TaskStats { polls: 0, busy_cycles: 0, max_poll_cycles: 0 },
    poll_began: 0,
}));

static ENABLED: AtomicBool = AtomicBool::new(true);
/// Whether the running poll's start was timed (timing may be switched on
/// in the middle of a poll).
static TIMING: AtomicBool = AtomicBool::new(false);
/// The task being polled right now (0: none).
static CURRENT: AtomicU32 = AtomicU32::new(0);
/// Passes of the executor's main loop (poll, then WFE).
static EXECUTOR_PASSES: AtomicU32 = AtomicU32::new(0);

/// Turns poll timing on or off (off: no counters change).
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Starts watching the calling task and returns its id. Call it from
/// inside the task.
pub fn watch_current_task() -> u32 {
    let id = CURRENT.load(Ordering::Relaxed);
    critical_section::with(|cs| {
        let mut trace = TRACE.borrow_ref_mut(cs);
        if let Some(slot) = trace.ids.iter().position(|&watched| watched == 0 || watched == id) {
            trace.ids[slot] = id;
            trace.tasks[slot] = TaskStats::default();
        }
    });
    id
}

/// The counters of watched task `id` (zero if not watched).
pub fn task(id: u32) -> TaskStats {
    critical_section::with(|cs| {
        let trace = TRACE.borrow_ref(cs);
        trace
            .ids
            .iter()
            .position(|&watched| watched == id)
            .map_or_else(TaskStats::default, |i| trace.tasks[i])
    })
}

/// The counters of all tasks together.
pub fn all_tasks() -> TaskStats {
    critical_section::with(|cs| TRACE.borrow_ref(cs).all)
}

/// Forgets the longest poll of every task, to measure it over a phase.
pub fn reset_max() {
    critical_section::with(|cs| {
        let mut trace = TRACE.borrow_ref_mut(cs);
        trace.all.max_poll_cycles = 0;
        for task in &mut trace.tasks {
            task.max_poll_cycles = 0;
        }
    });
}

/// Passes of the executor's main loop so far.
pub fn executor_passes() -> u32 {
    EXECUTOR_PASSES.load(Ordering::Relaxed)
}

// The hooks embassy-executor's `trace` feature calls (by symbol name). The
// executor runs in thread mode only, so they never race each other; the
// critical sections order them against readers above.

#[unsafe(no_mangle)]
fn _embassy_trace_poll_start(_executor_id: u32) {
    EXECUTOR_PASSES.fetch_add(1, Ordering::Relaxed);
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_exec_begin(_executor_id: u32, task_id: u32) {
    CURRENT.store(task_id, Ordering::Relaxed);
    let enabled = ENABLED.load(Ordering::Relaxed);
    TIMING.store(enabled, Ordering::Relaxed);
    if enabled {
        let now = clock::cycles();
        critical_section::with(|cs| TRACE.borrow_ref_mut(cs).poll_began = now);
    }
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_exec_end(_executor_id: u32, task_id: u32) {
    CURRENT.store(0, Ordering::Relaxed);
    if !TIMING.load(Ordering::Relaxed) || !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let now = clock::cycles();
    critical_section::with(|cs| {
        let mut trace = TRACE.borrow_ref_mut(cs);
        let cycles = now.saturating_sub(trace.poll_began);
        trace.all.record(cycles);
        if let Some(i) = trace.ids.iter().position(|&watched| watched == task_id) {
            trace.tasks[i].record(cycles);
        }
    });
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_new(_executor_id: u32, _task_id: u32) {}

#[unsafe(no_mangle)]
fn _embassy_trace_task_end(_executor_id: u32, _task_id: u32) {}

#[unsafe(no_mangle)]
fn _embassy_trace_task_ready_begin(_executor_id: u32, _task_id: u32) {}

#[unsafe(no_mangle)]
fn _embassy_trace_executor_idle(_executor_id: u32) {}
