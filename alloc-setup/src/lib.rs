//! # parevm-alloc
//!
//! The process allocator's settings, shared by the binaries (`parevm`, `parevm-benches`): each one names
//! mimalloc as its `#[global_allocator]` and calls [`keep_freed_memory`] first thing in `main`, before any
//! work allocates much.
//!
//! Why a crate of its own: setting a mimalloc option is an FFI call (`libmimalloc_sys::mi_option_set`), so
//! it needs `unsafe`, and every library crate of the workspace forbids or denies `unsafe_code` (evm-core and
//! parallel-commit allow it only on a few audited spots of their own hot paths). This crate holds the
//! allocator's call behind a safe function: it denies `unsafe_code` too, and allows it on that function
//! (and on the test that reads the option back) alone.
//!
//! The `#[global_allocator]` static itself stays in each binary (as mimalloc's own documentation places it):
//! which allocator a process runs on is the binary's choice, written where the binary starts, and a library
//! that defined it would impose it on every test and example that links the library.
#![deny(unsafe_code)]
#![warn(missing_docs)]

/// mimalloc v3's `mi_option_purge_delay` (its index in `mi_option_t`; `libmimalloc-sys` names no constant
/// for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep the memory it frees instead of returning it to the OS a second later (its default
/// purge delay): the store's background flush frees and allocates hundreds of MB of pages and map nodes per
/// group, and each purge made the next group fault in and zero those pages again (`clear_page_erms`, 8% of
/// the CPU of the chain bench at 1M accounts). Memory stays at its high-water mark.
///
/// Meant for a process whose `#[global_allocator]` is mimalloc; call it at the start of `main`.
#[allow(unsafe_code)]
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set` only stores an option value; purge_delay is read at each purge decision, so
    // setting it after allocations have happened is allowed (mimalloc documents -1 as "never purge").
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

#[cfg(test)]
mod tests {
    /// The index is the one mimalloc v3 reads as purge_delay: its default there is 1000 ms (unless the
    /// environment sets `MIMALLOC_PURGE_DELAY`), and the option next to it, use_numa_nodes, is the one
    /// `libmimalloc-sys` numbers 16.
    #[test]
    #[allow(unsafe_code)]
    fn purge_delay_index_is_mimallocs() {
        assert_eq!(
            super::MI_OPTION_PURGE_DELAY + 1,
            libmimalloc_sys::mi_option_use_numa_nodes
        );
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads an option value.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
    }
}
