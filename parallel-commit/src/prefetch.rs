//! Software prefetch of memory another core wrote: the lookahead committer asks for the next
//! transactions' speculative outcomes (their slot, read set and write set, written on a helper's core)
//! while it validates and applies the current one, so that the cache-line transfers between cores overlap
//! instead of stalling one after another. A hint only: it never changes what is read.

/// Bytes per cache line on the machines this runs on.
const LINE: usize = 64;

/// Asks for the cache line holding `p` to be brought close to this core. Never faults, whatever `p` is.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn line<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults and reads nothing into the program, whatever the
    // address; SSE is part of the x86_64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Prefetches the first `max_lines` cache lines of `items`.
#[inline]
pub(crate) fn slice<T>(items: &[T], max_lines: usize) {
    let bytes = std::mem::size_of_val(items);
    let start = items.as_ptr().cast::<u8>();
    let mut off = 0;
    while off < bytes && off < max_lines * LINE {
        line(start.wrapping_add(off));
        off += LINE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetching_any_address_is_harmless_and_reads_nothing() {
        let v: Vec<u64> = (0..1000).collect();
        slice(&v, 4);
        slice(&v[..0], 4);
        line(std::ptr::null::<u8>());
        line(usize::MAX as *const u8);
        assert_eq!(v.iter().sum::<u64>(), 999 * 1000 / 2);
    }
}
