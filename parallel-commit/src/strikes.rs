//! The lookahead committer's per-call-target record of speculative outcomes that failed validation and
//! that held, from which it learns hot targets (`lookahead/committer.rs`, `learn`): a target whose
//! outcomes failed at least twice and more often than they held is hot, and helpers leave its calls to
//! the committer.
//!
//! Every validated outcome counts once, so this sits on the committer's path for every transaction. An
//! exact map entry per target cost about 8% of the committer's time on a block of plain transfers (every
//! transfer a new target: an insert into a growing table per transaction), although only targets that
//! fail can ever become hot. So failures are counted exactly (a map entry per target that failed, which
//! is rare) and holds in a small count-min sketch (two rows of counters indexed by two mixes of the
//! address, read as the lower of its two cells): a sketch only ever counts too many holds, so a target
//! becomes hot no sooner than with exact counts, and never needs more failures than exact counts plus the
//! holds of the few targets that share both its cells. Only the schedule depends on it, never a result.

use alloy_primitives::map::AddressMap;
use alloy_primitives::Address;

/// Counters per row of the sketch (two rows of `u16`: 16 KiB, in the first-level cache beside the
/// committer's other work).
const CELLS: usize = 4096;

/// Failed and held speculative outcomes per call target.
pub(crate) struct Strikes {
    /// Failures per target that failed at least once.
    fails: AddressMap<u32>,
    /// Holds, two rows of [`CELLS`] counters (saturating).
    holds: Box<[u16]>,
}

impl Default for Strikes {
    fn default() -> Self {
        Self {
            fails: AddressMap::default(),
            holds: vec![0; 2 * CELLS].into_boxed_slice(),
        }
    }
}

impl Strikes {
    /// The target's cell in each row: two multiplicative mixes of 64 bits of the address (its last eight
    /// bytes, where generated and vanity addresses differ, folded with eight more), top bits.
    #[inline]
    fn cells(to: &Address) -> [usize; 2] {
        let b = &to.0 .0;
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&b[12..20]);
        hi.copy_from_slice(&b[4..12]);
        let key = u64::from_le_bytes(lo) ^ u64::from_le_bytes(hi).rotate_left(23);
        let bits = CELLS.trailing_zeros();
        let a = key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits);
        let b = key.wrapping_mul(0xc2b2_ae3d_27d4_eb4f) >> (64 - bits);
        [a as usize, CELLS + b as usize]
    }

    /// The holds counted for `to` (never fewer than its real holds, up to the counters' saturation).
    #[inline]
    fn holds(&self, cells: [usize; 2]) -> u32 {
        u32::from(self.holds[cells[0]].min(self.holds[cells[1]]))
    }

    /// Records that a speculative outcome of a call to `to` held (`valid`) or failed validation; true
    /// when `to` has just become hot: this failure made its failures at least two and more than its holds.
    #[inline]
    pub(crate) fn record(&mut self, to: Address, valid: bool) -> bool {
        let cells = Self::cells(&to);
        if valid {
            for c in cells {
                self.holds[c] = self.holds[c].saturating_add(1);
            }
            return false;
        }
        let fails = self.fails.entry(to).or_default();
        *fails += 1;
        *fails >= 2 && *fails > self.holds(cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses as a block's generated accounts are: one prefix, a counter in the last bytes.
    fn account(i: u32) -> Address {
        let mut a = [0x11u8; 20];
        a[16..].copy_from_slice(&i.to_be_bytes());
        Address::from(a)
    }

    #[test]
    fn a_target_that_fails_twice_and_more_than_it_holds_becomes_hot() {
        let mut s = Strikes::default();
        let t = account(7);
        assert!(!s.record(t, false), "one failure is not enough");
        assert!(s.record(t, false), "two failures and no holds");
        let u = account(8);
        assert!(!s.record(u, true));
        assert!(!s.record(u, true));
        assert!(!s.record(u, false));
        assert!(!s.record(u, false), "two failures against two holds");
        assert!(s.record(u, false), "three failures against two holds");
    }

    #[test]
    fn the_sketch_counts_at_least_the_real_holds_of_many_targets() {
        // As many distinct targets as a block of plain transfers has, each holding a known number of
        // times; every target's estimate must be at least its holds.
        let mut s = Strikes::default();
        let holds = |i: u32| i % 5;
        for i in 0..5000 {
            for _ in 0..holds(i) {
                s.record(account(i), true);
            }
        }
        let mut over = 0;
        for i in 0..5000 {
            let est = s.holds(Strikes::cells(&account(i)));
            assert!(est >= holds(i), "target {i}: {est} < {}", holds(i));
            over += est - holds(i);
        }
        // Two rows of 4096 cells for 5000 targets: the lower cell is rarely shared.
        // Two rows of 4096 cells for 5000 targets and 10,000 holds: on average less than one hold too
        // many per target (4,814 in all with these addresses).
        assert!(over < 5000, "the sketch overcounts by {over} holds in all");
    }

    #[test]
    fn holds_before_a_failure_still_count() {
        let mut s = Strikes::default();
        let t = account(3);
        for _ in 0..3 {
            assert!(!s.record(t, true));
        }
        for _ in 0..3 {
            assert!(!s.record(t, false), "at most as many failures as holds");
        }
        assert!(s.record(t, false), "four failures against three holds");
    }
}
