//! The EVM operand stack: 1024 words, bounds checked once per instruction by the dispatch table.
//!
//! Sound by construction: the accessors that skip bounds checks are `pub(crate)`, reachable only from the
//! dispatch loops and instruction bodies, which run after the table's stack check. Outside the crate a stack
//! can only be created, measured and read as a slice.

use alloy_primitives::U256;
use revm_primitives::STACK_LIMIT;

/// A 1024-word stack. Instructions use the unchecked accessors (crate-private): the dispatch loop has already
/// verified the depth against the opcode table's stack requirements.
///
/// Safe code outside the crate cannot reach them, so it cannot pop an empty stack:
/// ```compile_fail
/// let mut stack = parevm_evm_core::interpreter::stack::Stack::new();
/// stack.pop();
/// ```
#[derive(Debug)]
pub struct Stack {
    data: Vec<U256>,
}

impl Default for Stack {
    fn default() -> Self {
        Self::new()
    }
}

impl Stack {
    /// An empty stack with room for 1024 words.
    pub fn new() -> Self {
        Self {
            data: Vec::with_capacity(STACK_LIMIT),
        }
    }

    /// Number of words on the stack.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Empties the stack (for reuse).
    pub(crate) fn clear(&mut self) {
        self.data.clear();
    }

    /// Pushes a word. The table guarantees room.
    #[inline(always)]
    pub(crate) fn push(&mut self, v: U256) {
        debug_assert!(self.data.len() < STACK_LIMIT);
        // SAFETY: capacity is STACK_LIMIT and the dispatch loop checked `len < STACK_LIMIT` for any opcode
        // that grows the stack.
        unsafe {
            let len = self.data.len();
            self.data.as_mut_ptr().add(len).write(v);
            self.data.set_len(len + 1);
        }
    }

    /// Pops a word. The table guarantees one is there.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> U256 {
        debug_assert!(!self.data.is_empty());
        // SAFETY: the dispatch loop checked the stack holds at least the opcode's inputs.
        unsafe {
            let len = self.data.len() - 1;
            self.data.set_len(len);
            self.data.as_ptr().add(len).read()
        }
    }

    /// The word `n` from the top (0 = top).
    #[inline(always)]
    pub(crate) fn peek(&self, n: usize) -> U256 {
        debug_assert!(n < self.data.len());
        // SAFETY: the dispatch loop checked depth > n for this opcode.
        unsafe { *self.data.get_unchecked(self.data.len() - 1 - n) }
    }

    /// Pushes the big-endian number in the `N` bytes at `src` (PUSHn immediates).
    ///
    /// # Safety
    /// `src` must be valid for reading `N` bytes, and `N <= 32`.
    #[inline(always)]
    pub(crate) unsafe fn push_be_bytes<const N: usize>(&mut self, src: *const u8) {
        debug_assert!(N <= 32 && self.data.len() < STACK_LIMIT);
        let v = if N <= 8 {
            let mut x = 0u64;
            for i in 0..N {
                // SAFETY: the caller guarantees N readable bytes.
                x = (x << 8) | unsafe { *src.add(i) } as u64;
            }
            U256::from_limbs([x, 0, 0, 0])
        } else {
            let mut word = [0u8; 32];
            // SAFETY: the caller guarantees N readable bytes; N <= 32 fits the word.
            unsafe { std::ptr::copy_nonoverlapping(src, word.as_mut_ptr().add(32 - N), N) };
            U256::from_be_bytes(word)
        };
        self.push(v);
    }

    /// Reference to the word `n` from the top (0 = top), without copying it.
    #[inline(always)]
    pub(crate) fn peek_ref(&self, n: usize) -> &U256 {
        debug_assert!(n < self.data.len());
        // SAFETY: the dispatch loop checked depth > n for this opcode.
        unsafe { self.data.get_unchecked(self.data.len() - 1 - n) }
    }

    /// Drops the top `n` words.
    #[inline(always)]
    pub(crate) fn drop_n(&mut self, n: usize) {
        debug_assert!(n <= self.data.len());
        // SAFETY: the dispatch loop checked the stack holds at least the opcode's inputs; words are `Copy`.
        unsafe { self.data.set_len(self.data.len() - n) };
    }

    /// Mutable reference to the top word.
    #[inline(always)]
    pub(crate) fn top(&mut self) -> &mut U256 {
        debug_assert!(!self.data.is_empty());
        let len = self.data.len();
        // SAFETY: the dispatch loop checked the stack is not empty for this opcode.
        unsafe { self.data.get_unchecked_mut(len - 1) }
    }

    /// Pops one word and returns it with a mutable reference to the new top (binary operators).
    #[inline(always)]
    pub(crate) fn pop_top(&mut self) -> (U256, &mut U256) {
        let a = self.pop();
        (a, self.top())
    }

    /// DUPn: pushes a copy of the `n`-th word (1-based).
    #[inline(always)]
    pub(crate) fn dup(&mut self, n: usize) {
        let v = self.peek(n - 1);
        self.push(v);
    }

    /// SWAPn: swaps the top with the word `n` below it.
    #[inline(always)]
    pub(crate) fn swap(&mut self, n: usize) {
        debug_assert!(n < self.data.len());
        let len = self.data.len();
        // SAFETY: the dispatch loop checked depth > n for SWAPn, so both indices are in bounds and distinct.
        unsafe {
            let base = self.data.as_mut_ptr();
            std::ptr::swap_nonoverlapping(base.add(len - 1), base.add(len - 1 - n), 1);
        }
    }

    /// The words, bottom first (for traces).
    pub fn as_slice(&self) -> &[U256] {
        &self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_dup_swap() {
        let mut s = Stack::new();
        s.push(U256::from(1));
        s.push(U256::from(2));
        s.dup(2);
        assert_eq!(s.peek(0), U256::from(1));
        s.swap(2);
        assert_eq!(
            s.as_slice(),
            &[U256::from(1), U256::from(2), U256::from(1)][..]
        );
        assert_eq!(s.pop(), U256::from(1));
        let (a, top) = s.pop_top();
        *top += a;
        assert_eq!(s.pop(), U256::from(3));
        assert!(s.is_empty());
    }
}
