//! Frame memory: a byte array that grows in 32-byte words, with the quadratic expansion cost.

use super::gas::memory_cost;

/// A frame's memory.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    data: Vec<u8>,
    /// Cost already paid for the current size.
    paid: u64,
}

impl Memory {
    /// Empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clears memory for reuse, keeping the allocation.
    pub fn clear(&mut self) {
        self.data.clear();
        self.paid = 0;
    }

    /// Bytes allocated (at least the size).
    #[inline]
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Size in bytes (always a multiple of 32).
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when no memory has been touched.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Gas to grow memory so that `[offset, offset+len)` is addressable; `None` when the range is so large
    /// that no gas limit could pay for it. Zero-length ranges never expand memory.
    #[inline]
    pub fn expansion_cost(&self, offset: usize, len: usize) -> Option<u64> {
        if len == 0 {
            return Some(0);
        }
        let end = offset.checked_add(len)?;
        if end <= self.data.len() {
            return Some(0);
        }
        // Past 2^32 bytes the cost exceeds any 64-bit gas limit.
        if end > u32::MAX as usize {
            return None;
        }
        let words = end.div_ceil(32) as u64;
        Some(memory_cost(words) - self.paid)
    }

    /// Grows memory to cover `[offset, offset+len)`. Call after charging [`Memory::expansion_cost`].
    #[inline]
    pub fn resize_for(&mut self, offset: usize, len: usize) {
        if len == 0 {
            return;
        }
        let end = offset + len;
        if end > self.data.len() {
            let words = end.div_ceil(32);
            self.data.resize(words * 32, 0);
            self.paid = memory_cost(words as u64);
        }
    }

    /// The bytes `[offset, offset+len)` (must be in range).
    #[inline]
    pub fn slice(&self, offset: usize, len: usize) -> &[u8] {
        if len == 0 {
            return &[];
        }
        &self.data[offset..offset + len]
    }

    /// The 32 bytes at `offset` (must be in range).
    #[inline(always)]
    pub fn word(&self, offset: usize) -> [u8; 32] {
        let mut w = [0u8; 32];
        w.copy_from_slice(&self.data[offset..offset + 32]);
        w
    }

    /// Writes 32 bytes at `offset` (must be in range).
    #[inline(always)]
    pub fn set_word(&mut self, offset: usize, word: [u8; 32]) {
        self.data[offset..offset + 32].copy_from_slice(&word);
    }

    /// Mutable bytes `[offset, offset+len)` (must be in range).
    #[inline]
    pub fn slice_mut(&mut self, offset: usize, len: usize) -> &mut [u8] {
        if len == 0 {
            return &mut [];
        }
        &mut self.data[offset..offset + len]
    }

    /// Copies `data` into memory at `offset`, zero-filling up to `len` bytes (CALLDATACOPY semantics):
    /// bytes of `data` from `src` on, and zeros past its end.
    pub fn set_padded(&mut self, offset: usize, src: usize, len: usize, data: &[u8]) {
        if len == 0 {
            return;
        }
        let dst = &mut self.data[offset..offset + len];
        if src >= data.len() {
            dst.fill(0);
            return;
        }
        let avail = (data.len() - src).min(len);
        dst[..avail].copy_from_slice(&data[src..src + avail]);
        dst[avail..].fill(0);
    }

    /// MCOPY: overlapping copy within memory (both ranges in bounds).
    pub fn copy_within(&mut self, dst: usize, src: usize, len: usize) {
        if len > 0 {
            self.data.copy_within(src..src + len, dst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_is_quadratic_and_incremental() {
        let mut m = Memory::new();
        assert_eq!(m.expansion_cost(0, 32), Some(3));
        m.resize_for(0, 32);
        assert_eq!(m.len(), 32);
        assert_eq!(m.expansion_cost(0, 32), Some(0));
        // 1024 words: 3*1024 + 1024^2/512 = 5120; minus the 3 already paid.
        assert_eq!(m.expansion_cost(0, 1024 * 32), Some(5117));
        assert_eq!(m.expansion_cost(usize::MAX, 2), None);
        assert_eq!(m.expansion_cost(usize::MAX, 0), Some(0));
    }

    #[test]
    fn padded_copy_zero_fills() {
        let mut m = Memory::new();
        m.resize_for(0, 64);
        m.slice_mut(0, 64).fill(0xff);
        m.set_padded(0, 1, 4, &[1, 2, 3]);
        assert_eq!(m.slice(0, 5), &[2, 3, 0, 0, 0xff]);
    }
}
