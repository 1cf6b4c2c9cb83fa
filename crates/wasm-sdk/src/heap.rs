//! The guest's heap: a fixed talc arena that never grows linear memory.

/// Defines the module's global allocator: a talc arena of `$size` bytes in
/// `.bss`.
///
/// The arena is part of the module's static data, so the linear memory the
/// linker reserves already covers it: the module never executes
/// `memory.grow` and needs no init export. When the arena is exhausted the
/// allocation fails, Rust's default handler panics, and the panic handler of
/// [`define_panic_handlers!`](crate::define_panic_handlers) reports
/// `memory allocation of N bytes failed` with the requested size.
///
/// Off wasm32 this expands to nothing and the system allocator is used, so
/// the same crate runs under `cargo test`.
///
/// ```
/// pub const HEAP_SIZE: usize = 8_000;
/// wasm_sdk::define_alloc_heap!(HEAP_SIZE);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! define_alloc_heap {
    ($size:expr $(,)?) => {
        #[cfg(target_arch = "wasm32")]
        #[global_allocator]
        static __WASM_SDK_HEAP: $crate::__private::Heap = {
            static mut __WASM_SDK_ARENA: [::core::mem::MaybeUninit<u8>; $size] =
                [::core::mem::MaybeUninit::uninit(); $size];
            // SAFETY: the arena is private to this block; only the allocator
            // ever touches it.
            unsafe { $crate::__private::Heap::new(&raw mut __WASM_SDK_ARENA) }
        };
    };
}

#[cfg(target_arch = "wasm32")]
pub use wasm::{Heap, take_failed_alloc};

#[cfg(target_arch = "wasm32")]
mod wasm {
    use core::alloc::{GlobalAlloc, Layout};
    use core::sync::atomic::{AtomicUsize, Ordering};
    use talc::wasm::{WasmArenaTalc, new_wasm_arena_allocator};

    /// Size of the last allocation that failed, `0` for none. Read by the
    /// panic handler, because Rust's default OOM handler panics with a
    /// formatted message that a `core::fmt`-free handler cannot render.
    static FAILED_ALLOC: AtomicUsize = AtomicUsize::new(0);

    /// Takes the size recorded by the last failed allocation.
    pub fn take_failed_alloc() -> Option<usize> {
        match FAILED_ALLOC.swap(0, Ordering::Relaxed) {
            0 => None,
            size => Some(size),
        }
    }

    /// talc's arena allocator, recording the size of failed allocations.
    pub struct Heap(WasmArenaTalc);

    impl Heap {
        /// Wraps a talc arena over `arena`.
        ///
        /// # Safety
        ///
        /// `arena` must be valid for the program's lifetime and used by
        /// nothing else.
        pub const unsafe fn new<const N: usize>(
            arena: *mut [core::mem::MaybeUninit<u8>; N],
        ) -> Self {
            // SAFETY: forwarded to the caller.
            Heap(unsafe { new_wasm_arena_allocator(arena) })
        }

        fn record(ptr: *mut u8, size: usize) -> *mut u8 {
            if ptr.is_null() {
                // `max(1)` so a failed zero-size request still reads as a failure.
                FAILED_ALLOC.store(size.max(1), Ordering::Relaxed);
            }
            ptr
        }
    }

    // SAFETY: every method forwards to talc's `GlobalAlloc` with the same
    // arguments; recording a failure does not touch the heap.
    unsafe impl GlobalAlloc for Heap {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded from the caller.
            Self::record(unsafe { self.0.alloc(layout) }, layout.size())
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded from the caller.
            Self::record(unsafe { self.0.alloc_zeroed(layout) }, layout.size())
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: forwarded from the caller.
            unsafe { self.0.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: forwarded from the caller.
            Self::record(unsafe { self.0.realloc(ptr, layout, new_size) }, new_size)
        }
    }
}
