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

    /// A copy holding only the words, without the 1024 words of room the unchecked accessors rely on:
    /// for a redo point (`transact/redo.rs`), which keeps it until [`Stack::make_runnable`].
    pub(crate) fn compact_copy(&self) -> Self {
        Self {
            data: self.data.as_slice().to_vec(),
        }
    }

    /// Gives a [`Stack::compact_copy`] its 1024 words of room again, so that it can run.
    pub(crate) fn make_runnable(&mut self) {
        if self.data.capacity() < STACK_LIMIT {
            self.data.reserve_exact(STACK_LIMIT - self.data.len());
        }
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
            load_word(self.data.as_ptr().add(len))
        }
    }

    /// The word `n` from the top (0 = top).
    #[inline(always)]
    pub(crate) fn peek(&self, n: usize) -> U256 {
        debug_assert!(n < self.data.len());
        // SAFETY: the dispatch loop checked depth > n for this opcode.
        unsafe { load_word(self.data.as_ptr().add(self.data.len() - 1 - n)) }
    }

    /// Mutable reference to the top word.
    #[inline(always)]
    pub(crate) fn top(&mut self) -> &mut U256 {
        debug_assert!(!self.data.is_empty());
        let len = self.data.len();
        // SAFETY: the dispatch loop checked the stack is not empty for this opcode.
        unsafe { self.data.get_unchecked_mut(len - 1) }
    }

    /// The words, bottom first (for traces).
    pub fn as_slice(&self) -> &[U256] {
        &self.data
    }

    /// A stack pointer one past the top word, for instruction bodies that keep it in a register (see [`Sp`]).
    /// Until [`Stack::set_sp`] hands it back, the stack's own length is stale.
    #[inline(always)]
    pub(crate) fn sp(&mut self) -> Sp {
        let base = self.data.as_mut_ptr();
        // SAFETY: `len <= capacity`, so the pointer stays within (or one past) the allocation.
        let top = unsafe { base.add(self.data.len()) };
        Sp {
            top,
            #[cfg(debug_assertions)]
            base,
        }
    }

    /// Takes back a stack pointer made by [`Stack::sp`] on this stack: the words below it are the stack.
    #[inline(always)]
    pub(crate) fn set_sp(&mut self, sp: Sp) {
        #[cfg(debug_assertions)]
        debug_assert!(
            std::ptr::eq(sp.base, self.data.as_ptr()),
            "foreign stack pointer"
        );
        // SAFETY: `sp` was made by `sp()` on this stack and moved only by `Sp`'s accessors, which the block
        // checks keep within `base..=base + STACK_LIMIT` (the allocation's capacity); every word below it was
        // written (pushed or already there).
        unsafe {
            let len = sp.top.offset_from(self.data.as_ptr()) as usize;
            debug_assert!(len <= STACK_LIMIT);
            self.data.set_len(len);
        }
    }
}

/// The operand stack as the dispatch loop holds it: a pointer one past the top word, kept in a register
/// across instructions and passed to and returned from every block-table instruction, instead of a length
/// read from and written to the frame by each of them.
///
/// The accessors skip bounds checks: the block-metered loop checked, where the basic block began, that the
/// stack holds every word the block's instructions take and has room for every word they add (the checked
/// table checks per instruction before it makes an `Sp`). Debug builds carry the stack's base and assert
/// each access against it and the 1024-word limit (see the tests).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sp {
    top: *mut U256,
    #[cfg(debug_assertions)]
    base: *mut U256,
}

impl Sp {
    /// Debug builds: `n` words are there below the top.
    #[inline(always)]
    fn check_has(&self, n: usize) {
        #[cfg(debug_assertions)]
        // SAFETY: both pointers are into the same allocation (made by `Stack::sp`).
        assert!(
            unsafe { self.top.offset_from(self.base) } as usize >= n,
            "stack underflow past the block check"
        );
        let _ = n;
    }

    /// Debug builds: there is room for one more word.
    #[inline(always)]
    fn check_room(&self) {
        #[cfg(debug_assertions)]
        // SAFETY: as in `check_has`.
        assert!(
            (unsafe { self.top.offset_from(self.base) } as usize) < STACK_LIMIT,
            "stack overflow past the block check"
        );
    }

    /// Number of words on the stack, given the stack's base (`Stack::as_slice().as_ptr()`).
    #[inline(always)]
    pub(crate) fn len_from(&self, base: *const U256) -> usize {
        // SAFETY: `base` is the start of the allocation `top` points into.
        unsafe { self.top.offset_from(base) as usize }
    }

    /// Pushes a word.
    #[inline(always)]
    pub(crate) fn push(&mut self, v: U256) {
        self.check_room();
        // SAFETY: the block check (or the checked table) guaranteed room below STACK_LIMIT, the capacity.
        unsafe {
            self.top.write(v);
            self.top = self.top.add(1);
        }
    }

    /// Pops a word.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> U256 {
        self.check_has(1);
        // SAFETY: the block check guaranteed the word is there.
        unsafe {
            self.top = self.top.sub(1);
            load_word(self.top)
        }
    }

    /// The word `n` from the top (0 = top).
    #[inline(always)]
    pub(crate) fn peek(&self, n: usize) -> U256 {
        self.check_has(n + 1);
        // SAFETY: the block check guaranteed depth > n.
        unsafe { load_word(self.top.sub(n + 1)) }
    }

    /// Mutable reference to the top word.
    #[inline(always)]
    pub(crate) fn top(&mut self) -> &mut U256 {
        self.check_has(1);
        // SAFETY: the block check guaranteed the stack is not empty.
        unsafe { &mut *self.top.sub(1) }
    }

    /// Pops one word and returns it with a mutable reference to the new top (binary operators).
    #[inline(always)]
    pub(crate) fn pop_top(&mut self) -> (U256, &mut U256) {
        let a = self.pop();
        (a, self.top())
    }

    /// Drops the top `n` words.
    #[inline(always)]
    pub(crate) fn drop_n(&mut self, n: usize) {
        self.check_has(n);
        // SAFETY: the block check guaranteed the words are there; words are `Copy`.
        self.top = unsafe { self.top.sub(n) };
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
        self.check_has(n + 1);
        // SAFETY: the block check guaranteed depth > n, so both words are there and distinct.
        unsafe {
            let (a, b) = (self.top.sub(1), self.top.sub(n + 1));
            let (x, y) = (load_word(a), load_word(b));
            a.write(y);
            b.write(x);
        }
    }

    /// Pushes the big-endian number in the `N` bytes at `src` (PUSHn immediates).
    ///
    /// # Safety
    /// `src` must be valid for reading `N` bytes, and `N <= 32`.
    #[inline(always)]
    pub(crate) unsafe fn push_be_bytes<const N: usize>(&mut self, src: *const u8) {
        // SAFETY: forwarded from the caller.
        self.push(unsafe { be_word::<N>(src) });
    }
}

/// A stack word read as [`load_word`] reads it, for bodies that hold a reference to it (`Sp::top`,
/// `Sp::pop_top`) and would otherwise let LLVM read it with vector loads.
#[inline(always)]
pub(crate) fn word(r: &U256) -> U256 {
    // SAFETY: a reference is valid for reading the whole word.
    unsafe { load_word(r) }
}

/// True when `w` is zero, tested on its limbs in registers (ruint's `is_zero` compares the array, which
/// LLVM does by spilling the word and comparing it with vector loads).
#[inline(always)]
pub(crate) fn is_zero_word(w: U256) -> bool {
    let l = w.as_limbs();
    (l[0] | l[1] | l[2] | l[3]) == 0
}

/// Reads the stack word at `p` as four 8-byte loads, never wider.
///
/// Most instructions write their result limb by limb (8-byte stores: the carry chains of ADD and SUB, the
/// shifts, the byte swaps of MLOAD). A wider load of a word written that way spans several stores, which the
/// CPU cannot forward to it: the load waits until the stores reach the cache (about 15 cycles on the Intel
/// VM, `perf annotate` of `opcode_loop` put 20% of its samples on DUP1's 16-byte load after SUB). An 8-byte
/// load lies inside one store of any width, so it is always forwarded. The loads are volatile only so that
/// LLVM does not merge them back into vector loads; the word is plain memory of the stack's allocation.
///
/// # Safety
/// `p` must point to an initialized word of the stack.
#[inline(always)]
unsafe fn load_word(p: *const U256) -> U256 {
    let l = p.cast::<u64>();
    // SAFETY: forwarded from the caller; a `U256` is four `u64` limbs, least significant first, and the
    // stack's words are 8-byte aligned.
    unsafe {
        U256::from_limbs([
            l.read_volatile(),
            l.add(1).read_volatile(),
            l.add(2).read_volatile(),
            l.add(3).read_volatile(),
        ])
    }
}

/// The big-endian number in the `N` bytes at `src`.
///
/// # Safety
/// `src` must be valid for reading `N` bytes, and `N <= 32`.
#[inline(always)]
unsafe fn be_word<const N: usize>(src: *const u8) -> U256 {
    debug_assert!(N <= 32);
    if N <= 8 {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_peek() {
        let mut s = Stack::new();
        s.push(U256::from(1));
        s.push(U256::from(2));
        assert_eq!(s.peek(1), U256::from(1));
        *s.top() += U256::from(5);
        assert_eq!(s.as_slice(), &[U256::from(1), U256::from(7)][..]);
        assert_eq!(s.pop(), U256::from(7));
        assert_eq!(s.pop(), U256::from(1));
        assert!(s.is_empty());
    }

    #[test]
    fn sp_round_trip() {
        let mut s = Stack::new();
        s.push(U256::from(7));
        let mut sp = s.sp();
        sp.push(U256::from(1));
        sp.push(U256::from(2));
        // [7, 1, 2] -> DUP2 [7, 1, 2, 1] -> SWAP3 [1, 1, 2, 7] -> ADD [1, 1, 9]
        sp.dup(2);
        sp.swap(3);
        assert_eq!(sp.len_from(s.as_slice().as_ptr()), 4);
        let (a, top) = sp.pop_top();
        *top += a;
        s.set_sp(sp);
        assert_eq!(
            s.as_slice(),
            &[U256::from(1), U256::from(1), U256::from(9)][..]
        );
    }

    /// The block checks are what keeps `Sp` in bounds; in debug builds a pop they did not cover is caught.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "stack underflow past the block check")]
    fn sp_underflow_caught_in_debug() {
        let mut s = Stack::new();
        let mut sp = s.sp();
        sp.pop();
    }

    /// And so is a push past 1024 words.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "stack overflow past the block check")]
    fn sp_overflow_caught_in_debug() {
        let mut s = Stack::new();
        let mut sp = s.sp();
        for _ in 0..=STACK_LIMIT {
            sp.push(U256::ZERO);
        }
    }
}
