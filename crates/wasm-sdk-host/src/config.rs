//! Limits and fuel settings shared by every guest of a [`Host`](crate::Host).

use wasm_sdk_abi::rules::{DEFAULT_MAX_MESSAGE_LEN, TextBudget};

use crate::shape::Costs;

/// How a [`Host`](crate::Host) runs its guests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostConfig {
    /// Fuel per [`Guest::step`](crate::Guest::step): a guest that uses it up
    /// is preempted and continues on the next step. `None`: no slicing.
    pub fuel_per_slice: Option<u64>,
    /// Fuel for a guest's whole life: when it is used up the guest stops
    /// with [`Step::OutOfFuel`](crate::Step::OutOfFuel). `None`: unlimited.
    pub total_fuel: Option<u64>,
    /// Largest linear memory a guest may have or grow to, in bytes. Checked
    /// at load time for the initial size, and enforced on `memory.grow`
    /// (which then fails with -1 in the guest instead of growing).
    pub memory_budget: u64,
    /// Largest message a guest may send; longer ones get `MessageTooLarge`.
    pub max_message_len: usize,
    /// Accept modules with custom page sizes (e.g. 1-byte pages from
    /// `WASM_SDK_MEMORY=tight`).
    pub custom_page_sizes: bool,
    /// Largest module accepted, in bytes: checked first, before any of it
    /// is parsed ([`LoadError::ModuleTooLarge`](crate::LoadError::ModuleTooLarge)).
    pub max_module_size: usize,
    /// Most functions (imported and defined) a module may have
    /// ([`LoadError::TooManyFunctions`](crate::LoadError::TooManyFunctions)).
    pub max_functions: u32,
    /// Most custom sections a module may have; only the manifest is read,
    /// and it is bounded by the ABI's `MAX_MANIFEST_LEN` before it is copied
    /// ([`LoadError::CustomSections`](crate::LoadError::CustomSections)).
    pub max_custom_sections: u32,
    /// Most elements a guest's table may have or grow to; `table.grow` past
    /// it fails with -1 in the guest, as `memory.grow` does.
    pub max_table_elements: usize,
    /// Largest wasmi value stack (locals and operands of every active
    /// frame), in bytes: a guest exceeding it traps with a stack overflow.
    /// wasmi grows it by reallocating, so a guest reaching it briefly holds
    /// more heap than this: at 16 KiB, a guest recursing with large frames
    /// beside the counter ran the QEMU firmware's 128 KiB heap out (check 6
    /// of `tests/qemu-checks`); 8 KiB leaves heap spare.
    ///
    /// Nothing is allocated up front: the host sets wasmi's initial value
    /// stack to 0 (wasmi's default allocates one a call) and keeps no
    /// stacks of finished calls, so a guest holds the stacks it uses: for
    /// the counter blocked in `receive` on the QEMU firmware (check 7), a
    /// fraction of what wasmi's defaults hold (the book's figures page,
    /// "Heap and RAM per guest").
    pub max_value_stack: usize,
    /// Deepest call nesting of a guest before it traps. wasmi's call stack
    /// grows as deep as the guest calls (the counter: a few frames); at
    /// 256 a guest recursing without end traps beside the counter within
    /// the QEMU firmware's 128 KiB heap (check 6, `deep_recursion` and
    /// `big_frames`), where wasmi's default of 1,000 is not bounded by the
    /// value stack alone.
    pub max_call_depth: usize,
    /// Most locals one function may declare
    /// ([`LoadError::TooManyLocals`](crate::LoadError::TooManyLocals)):
    /// wasmi initializes a callee's locals on every call but charges fuel
    /// per instruction: a loop calling a function with 16,000 locals takes
    /// two orders of magnitude more time per unit of fuel than a plain
    /// loop, one with the default limit a few times more (`cargo bench -p
    /// wasm-sdk-testhost --bench fuel_time`; the book's figures page, "Fuel
    /// time by guest shape").
    pub max_locals: u32,
    /// What a guest may log and report: per text, per step and in total
    /// (the ABI's [`TextBudget`], applied by its rules).
    pub text: TextBudget,
    /// Bytes that cost one unit of fuel when a guest sends, receives, logs
    /// or reports them; 0: calls cost no fuel by their length. At 16, a
    /// loop logging 1,000-byte lines took many times the time per unit of
    /// fuel of a plain loop; at 4, logging and sending 1 KiB messages take
    /// less (`cargo bench -p wasm-sdk-testhost --bench fuel_time` on the
    /// test host; the book's figures page, "Fuel time by guest shape"): no
    /// call makes fuel slower than plain code. A step whose calls
    /// cost its whole fuel ends after the call that did it.
    pub bytes_per_fuel: u32,
    /// Most bytes of a guest's sent messages a host holds before the
    /// output is full and the guest waits. The test host applies it to
    /// its record of outputs; firmware channels hold a fixed number of
    /// messages instead.
    pub output_budget: usize,
    /// Most heap loading one module may take, beside its linear memory:
    /// the engine's copy of its types, functions, imports, exports,
    /// globals, tables and segments, its compiled code, and the
    /// translator's work space. Checked on the module's
    /// [`Shape`](crate::Shape) before the engine sees it
    /// ([`LoadError::ModuleHeap`](crate::LoadError::ModuleHeap)), so that
    /// checking any module that fits the size limit cannot run the heap
    /// out. A firmware derives it from the heap it keeps for loading
    /// (a new module is checked while the running one still holds its
    /// share).
    pub module_heap: usize,
    /// What each item of a module costs to load, for
    /// [`module_heap`](Self::module_heap)'s check: the target's own
    /// ([`Costs::NATIVE`]) unless modules are checked for another (a
    /// firmware's build script stamps for a 32-bit device on a 64-bit
    /// desktop: [`Costs::POINTER_32`]).
    pub module_costs: Costs,
}

impl Default for HostConfig {
    /// No fuel limits, one 64 KiB page of memory, 64 KiB messages, custom
    /// page sizes accepted; modules up to 64 KiB with 512 functions, 256
    /// locals per function and 16 custom sections; 256 table elements; a
    /// 8 KiB value stack and 256 nested calls; texts of 1 KiB, 4 KiB per
    /// step, unbounded in total (a firmware streams them out); 4 bytes per
    /// unit of fuel; 256 KiB of held outputs; 256 KiB of heap to load a
    /// module (every example guest fits). Sized for a microcontroller
    /// with a 128 KiB heap
    /// shared by a few guests, instead of wasmi's desktop defaults (1 MB
    /// value stack, 1,000 nested calls, no table limit): the example guests
    /// have at most 39 functions (`faulty`, with its panic path; the counter
    /// has 9) and no table.
    fn default() -> Self {
        HostConfig {
            fuel_per_slice: None,
            total_fuel: None,
            memory_budget: 64 * 1024,
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
            custom_page_sizes: true,
            max_module_size: 64 * 1024,
            max_functions: 512,
            max_custom_sections: 16,
            max_table_elements: 256,
            max_value_stack: 8 * 1024,
            max_call_depth: 256,
            max_locals: 256,
            text: TextBudget::DEFAULT,
            bytes_per_fuel: 4,
            output_budget: 256 * 1024,
            module_heap: 256 * 1024,
            module_costs: Costs::NATIVE,
        }
    }
}

impl HostConfig {
    /// Whether the engine must meter fuel.
    pub(crate) fn meters_fuel(&self) -> bool {
        self.fuel_per_slice.is_some() || self.total_fuel.is_some()
    }
}
