//! Why a guest's call ran out of stack, in the guest's terms: its own
//! stack in linear memory, or the engine's stacks the host bounds.

use alloc::string::String;

use wasm_sdk_abi::decimal::decimal;
use wasm_sdk_abi::run::Trap;
use wasmi::{AsContext, Global, Instance, Val};

/// A guest's stack pointer ([`STACK_POINTER_EXPORT`](wasm_sdk_abi::STACK_POINTER_EXPORT))
/// and its value at load, the top of its stack.
///
/// Rust's wasm targets put the stack first in linear memory, growing down
/// towards address 0; a frame that does not fit moves the pointer below 0,
/// where it wraps past the top, and the frame's first store is an
/// out-of-bounds access. A pointer past the top after such a trap is that
/// overflow; the guest could set it there itself, but then only its own
/// trap is named otherwise.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StackPointer {
    global: Global,
    top: u32,
}

impl StackPointer {
    /// The exported stack pointer of `instance`, if it exports one as an
    /// `i32` global.
    pub(crate) fn of(instance: &Instance, store: impl AsContext) -> Option<StackPointer> {
        let global = instance.get_global(&store, wasm_sdk_abi::STACK_POINTER_EXPORT)?;
        match global.get(&store) {
            Val::I32(top) => Some(StackPointer { global, top: top as u32 }),
            _ => None,
        }
    }

    /// Whether the pointer is past the top: the guest's stack overflowed.
    pub(crate) fn overflowed(&self, store: impl AsContext) -> bool {
        matches!(self.global.get(&store), Val::I32(sp) if sp as u32 > self.top)
    }

    /// The trap for an overflow of this stack.
    pub(crate) fn overflow(&self) -> Trap {
        let mut digits = [0; 20];
        let mut text = String::from("guest stack overflow: the module's stack of ");
        text.push_str(decimal(u64::from(self.top), &mut digits));
        text.push_str(
            " bytes is used up (deep recursion, or large locals such as arrays); the memory \
             access below it trapped. Raise it in the guest's build (`WASM_SDK_STACK_SIZE=BYTES`, \
             or `GuestMemory::new().stack_size(BYTES)` in its build.rs), or keep large buffers \
             off the stack",
        );
        Trap::new(text)
    }
}

/// The trap for a call that used up the engine's stacks, naming the two
/// budgets that bound them (`message`: the engine's words).
pub(crate) fn engine_stack(message: &str, call_depth: usize, value_stack: usize) -> Trap {
    let mut digits = [0; 20];
    let mut text = String::from(message);
    text.push_str(": the guest nests calls deeper than the host's budget `max_call_depth` of ");
    text.push_str(decimal(call_depth as u64, &mut digits));
    text.push_str(" calls, or its frames take more than `max_value_stack` of ");
    text.push_str(decimal(value_stack as u64, &mut digits));
    text.push_str(" bytes (`HostConfig::max_call_depth`, `HostConfig::max_value_stack`)");
    Trap::new(text)
}
