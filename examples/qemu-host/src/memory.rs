//! RAM use: the global heap, and the stack's high-water mark.
//!
//! wasmi keeps compiled code, stores, value stacks and guest linear memory
//! on the heap, and messages travel as `Vec<u8>`. The allocator works over
//! a static arena, wrapped to count the bytes in use and their peak:
//!
//! - the checks use TLSF: constant-time allocate and free (a message round
//!   trip allocates twice), which their figures were measured with;
//! - serve mode uses first fit, as the nRF5340 does. TLSF's good fit looks
//!   for a request only in size classes above its own, so a block freed by
//!   a guest's 64 KiB page is not found for the next page of that size:
//!   after a few dozen swaps, an upload was refused ("instantiation
//!   failed") with most of the heap free. First fit takes any free block
//!   large enough.
//!
//! The stack is the rest of RAM, from the end of the statics (`_stack_end`,
//! also the MSPLIM stack limit, so an overflow faults instead of
//! overwriting the heap) up to the top. cortex-m-rt's `paint-stack` fills it
//! with a known word at reset; the deepest word no longer holding it marks
//! the most stack ever used.

#[cfg(feature = "update")]
use wasm_sdk_embassy::heap::LlffHeap as Allocator;
#[cfg(not(feature = "update"))]
use wasm_sdk_embassy::heap::TlsfHeap as Allocator;

/// Arena size: the nRF5340 firmware's for the checks. Both guests loaded
/// and running fit with room for a hostile guest's 64 KiB page beside the
/// counter (check 6); the checks print the peak. The rest of the RAM
/// `memory.x` gives (the nRF5340's) is statics and the stack, as on the
/// device.
#[cfg(not(feature = "update"))]
pub const HEAP_SIZE: usize = 128 * 1024;

/// Serve mode's arena: its tests upload the counter built with 64 KiB
/// pages, so a swap holds the running guest and the one being checked,
/// each with a page (a heap of the checks' size refused the install check);
/// beside them the catalog's guests (`src/services.rs`) and a 64 KiB
/// scratch bank for the slots. The stack keeps what `memory.x`'s RAM
/// leaves, more than the host's deepest use.
#[cfg(feature = "update")]
pub const HEAP_SIZE: usize = 384 * 1024;

wasm_sdk_embassy::global_heap!(
    /// The global heap, counting bytes live and their peak.
    pub static HEAP: Allocator, HEAP_SIZE
);

unsafe extern "C" {
    /// Lowest stack address (end of the statics), from cortex-m-rt's `link.x`.
    static _stack_end: u32;
    /// Initial stack pointer (top of RAM), from cortex-m-rt's `link.x`.
    static _stack_start: u32;
}

/// Bytes of stack used at most so far: from the top of RAM down to the
/// deepest word the paint was scrubbed off.
pub fn stack_peak() -> usize {
    let bottom = (&raw const _stack_end).cast::<u32>();
    let top = (&raw const _stack_start).cast::<u32>();
    let words = (top as usize - bottom as usize) / 4;
    let untouched = (0..words)
        // SAFETY: every word between the two linker symbols is RAM owned by
        // the stack; words below the live stack pointer are not in use by
        // anyone, and a volatile read of a `u32` there is always valid.
        .take_while(|&i| unsafe { bottom.add(i).read_volatile() } == cortex_m_rt::STACK_PAINT_VALUE)
        .count();
    (words - untouched) * 4
}

/// Bytes of stack in all.
pub fn stack_size() -> usize {
    (&raw const _stack_start) as usize - (&raw const _stack_end) as usize
}
