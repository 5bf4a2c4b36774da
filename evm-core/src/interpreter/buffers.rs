//! A per-thread pool of frame buffers (operand stack and memory), so that starting a frame does not
//! allocate a fresh 32 KiB stack and regrow its memory from nothing. Frames take a pair when they start
//! and the transaction gives it back when the frame finishes; a parked transaction keeps its pairs.

use super::memory::Memory;
use super::stack::Stack;
use std::cell::RefCell;

/// Most pairs kept per thread (deeper call stacks allocate the rest).
const MAX_POOLED: usize = 64;
/// Memory buffers larger than this are freed rather than kept.
const MAX_POOLED_MEMORY: usize = 1 << 22;

thread_local! {
    static POOL: RefCell<Vec<(Stack, Memory)>> = const { RefCell::new(Vec::new()) };
}

/// An empty stack and an empty memory, reused when this thread has one.
pub(crate) fn take() -> (Stack, Memory) {
    POOL.with(|p| p.borrow_mut().pop())
        .unwrap_or_else(|| (Stack::new(), Memory::new()))
}

/// Returns a finished frame's buffers to this thread's pool.
pub(crate) fn give(mut stack: Stack, mut memory: Memory) {
    if memory.capacity() > MAX_POOLED_MEMORY {
        return;
    }
    stack.clear();
    memory.clear();
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < MAX_POOLED {
            p.push((stack, memory));
        }
    });
}
