//! The firmware's global heap: a static arena, an allocator over it, and
//! the counts a firmware reports (bytes live, their peak) and the update
//! path's install check reads (bytes free).
//!
//! wasmi keeps compiled code, stores, value stacks and guest linear memory
//! on the heap, and messages travel as `Vec<u8>`, so every firmware that
//! embeds the host needs one. [`global_heap!`](crate::global_heap) declares
//! it in one line:
//!
//! ```no_run,standalone_crate
//! use wasm_sdk_embassy::heap::LlffHeap;
//!
//! /// Engine, modules, instances, linear memories and messages.
//! pub const HEAP_SIZE: usize = 192 * 1024;
//! wasm_sdk_embassy::global_heap!(pub static HEAP: LlffHeap, HEAP_SIZE);
//!
//! fn main() {
//!     // First thing, before anything allocates:
//!     HEAP.init();
//! }
//! ```
//!
//! Which allocator: first fit ([`LlffHeap`]) for
//! a firmware that swaps guests. TLSF's good fit looks for a request only
//! in the size classes above its own, so a block freed by one guest's
//! linear memory is not found for the next one of the same size, and after
//! some swaps an upload is refused with most of the heap free. TLSF
//! ([`TlsfHeap`]) allocates and frees in
//! constant time, for a firmware whose guests never change.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub use embedded_alloc::{LlffHeap, TlsfHeap};

/// An allocator that works over an arena handed to it once.
pub trait ArenaAllocator: GlobalAlloc + Sync {
    /// Gives the allocator `size` bytes at `start`.
    ///
    /// # Safety
    ///
    /// Called at most once; the memory is valid for `size` bytes, for the
    /// rest of the program, and used by nothing else.
    unsafe fn init(&self, start: usize, size: usize);
}

impl ArenaAllocator for LlffHeap {
    unsafe fn init(&self, start: usize, size: usize) {
        // SAFETY: the caller upholds `init`'s contract, which is this one's.
        unsafe { LlffHeap::init(self, start, size) }
    }
}

impl ArenaAllocator for TlsfHeap {
    unsafe fn init(&self, start: usize, size: usize) {
        // SAFETY: the caller upholds `init`'s contract, which is this one's.
        unsafe { TlsfHeap::init(self, start, size) }
    }
}

/// A global allocator over a static arena that counts what passes through
/// it. Declared with [`global_heap!`](crate::global_heap).
pub struct Heap<A> {
    inner: A,
    arena: fn() -> usize,
    size: usize,
    initialized: AtomicBool,
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl<A: ArenaAllocator> Heap<A> {
    /// A heap of `size` bytes that `inner` allocates from, at the address
    /// `arena` gives. Use
    /// [`global_heap!`](crate::global_heap), which makes the arena.
    #[doc(hidden)]
    pub const fn new(inner: A, arena: fn() -> usize, size: usize) -> Self {
        Heap {
            inner,
            arena,
            size,
            initialized: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Hands the arena to the allocator. Call it first thing in `main`,
    /// before anything allocates; later calls do nothing.
    pub fn init(&self) {
        if self.initialized.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: once (the flag above); `global_heap!`'s arena is a
        // static of `size` bytes that nothing but this heap names.
        unsafe { self.inner.init((self.arena)(), self.size) }
    }

    /// Bytes of the arena.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Bytes allocated now, as requested (without the allocator's own
    /// overhead).
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Bytes not allocated now: what the update path's install check may
    /// count on ([`update::Check::with_free_heap`](crate::update)).
    pub fn free(&self) -> usize {
        self.size.saturating_sub(self.live())
    }

    /// The most bytes ever allocated at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Starts a new peak from what is allocated now, to measure one phase.
    pub fn reset_peak(&self) {
        self.peak.store(self.live(), Ordering::Relaxed);
    }
}

// SAFETY: forwards to a sound allocator unchanged; only counts sizes.
unsafe impl<A: ArenaAllocator> GlobalAlloc for Heap<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { self.inner.alloc(layout) };
        if !ptr.is_null() {
            let live = self.live.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.live.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { self.inner.dealloc(ptr, layout) }
    }
}

/// Declares the firmware's global allocator: a [`Heap`] of `$size` bytes in
/// `.bss`, allocated by `$allocator` (an [`ArenaAllocator`]: [`LlffHeap`]
/// or [`TlsfHeap`]). Call `$name.init()` first thing in `main`
/// ([example](self)).
#[macro_export]
macro_rules! global_heap {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $allocator:ty, $size:expr) => {
        $(#[$attr])*
        #[global_allocator]
        $vis static $name: $crate::heap::Heap<$allocator> = {
            const SIZE: usize = $size;
            fn arena() -> usize {
                static mut ARENA: [::core::mem::MaybeUninit<u8>; SIZE] =
                    [::core::mem::MaybeUninit::uninit(); SIZE];
                &raw mut ARENA as usize
            }
            $crate::heap::Heap::new(<$allocator>::empty(), arena, SIZE)
        };
    };
}
