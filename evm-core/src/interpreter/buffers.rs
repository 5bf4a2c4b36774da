//! A per-thread pool of frame buffers (operand stack and memory), so that starting a frame does not
//! allocate a fresh 32 KiB stack and regrow its memory from nothing. Frames take a pair when they start
//! and the transaction gives it back when the frame finishes; a parked transaction keeps its pairs.
//!
//! Memory capacity is kept up to a per-thread budget: large-memory contracts (BurntPix grows memory past
//! 4 MiB) would otherwise get fresh pages from the kernel, zeroed, on every transaction.

use super::memory::Memory;
use super::stack::Stack;
use std::cell::RefCell;

/// Most pairs kept per thread (deeper call stacks allocate the rest).
const MAX_POOLED: usize = 64;
/// Most memory capacity, in bytes, the pooled buffers of one thread may hold together.
const MEMORY_BUDGET: usize = 64 << 20;

/// The buffers of one thread.
struct Pool {
    /// Idle pairs, most recently returned last.
    pairs: Vec<(Stack, Memory)>,
    /// Sum of the memory capacities in `pairs`.
    retained: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            pairs: Vec::new(),
            retained: 0,
        })
    };
}

/// An empty stack and an empty memory, reused when this thread has one.
pub(crate) fn take() -> (Stack, Memory) {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let pair = p.pairs.pop()?;
        p.retained -= pair.1.capacity();
        Some(pair)
    })
    .unwrap_or_else(|| (Stack::new(), Memory::new()))
}

/// Returns a finished frame's buffers to this thread's pool (or frees them when the pool is full).
pub(crate) fn give(mut stack: Stack, mut memory: Memory) {
    stack.clear();
    memory.clear();
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let cap = memory.capacity();
        if p.pairs.len() < MAX_POOLED && p.retained + cap <= MEMORY_BUDGET {
            p.retained += cap;
            p.pairs.push((stack, memory));
        }
    });
}
