//! Which transactions are predicted to depend on a lower one, from the block alone (senders, value
//! recipients, bare calls): the lookahead engine leaves them to the committer, and a block that is mostly
//! such transactions runs on one thread. A prediction only steers the schedule, never a result.

use super::*;

/// Transactions predicted to depend on a lower one from the block alone: the sender already sent a
/// transaction, or received value, earlier in the block (its nonce or balance is then a lower write), or
/// the transaction is a bare call (no value, no input) to a target that an earlier one called bare too.
/// Bare calls to one contract all run the same code path on the same state (an airdrop's claim
/// fallback bumping one counter: block 6196166 has 49 and 30 of them to two contracts), so each one's
/// speculation over the base state failed validation, and the helpers' doomed executions and the
/// committer's re-executions made the block slower on two threads than on one.
/// A prediction only steers the schedule (results never depend on it), so addresses are told apart by
/// 64 of their bits: two that share them make one more transaction predicted dependent, nothing else.
pub(super) fn predicted_dependent(envs: &[Env]) -> Vec<bool> {
    // At most two keys per transaction: its sender, and its value recipient or bare target.
    let mut seen = SeenSet::with_capacity(2 * envs.len());
    envs.iter()
        .map(|e| {
            let mut dependent = !seen.insert(SeenSet::key(&e.tx.caller));
            if let Some(to) = e.tx.kind.to() {
                if !e.tx.value.is_zero() {
                    seen.insert(SeenSet::key(to));
                } else if e.tx.data.is_empty() {
                    // Bare targets in a key space of their own (a bare call does not touch the
                    // target's balance or nonce, so it says nothing about a sender that is the target).
                    dependent |= !seen.insert(SeenSet::key(to) ^ BARE);
                }
            }
            dependent
        })
        .collect()
}

/// Tells a bare call's target apart from the same address as a sender or value recipient in
/// [`SeenSet`] (any odd constant: keys are already mixed before they pick a cell).
pub(super) const BARE: u64 = 0x9e37_79b9_7f4a_7c15;

/// A set of addresses by 64 of their bits, open addressing with linear probing: the prediction runs on
/// every block, also on the ones that then take the sequential path, and a general hash set costs
/// a few hundred instructions per transaction there (`profile --block 5891667`: about 6% of the block).
pub(super) struct SeenSet {
    /// Keys, 0 for an empty cell (a key of 0 is stored as 1).
    cells: Vec<u64>,
    mask: usize,
}

impl SeenSet {
    /// Room for `n` addresses at a load of at most one half.
    pub(super) fn with_capacity(n: usize) -> Self {
        let size = (2 * n).max(16).next_power_of_two();
        Self {
            cells: vec![0; size],
            mask: size - 1,
        }
    }

    /// The cell where the search for `key` starts. Addresses of one block often differ in a few bytes
    /// only (generated accounts, vanity prefixes), so the key is mixed in full (MurmurHash3's finalizer)
    /// before its low bits pick the cell.
    pub(super) fn home(&self, key: u64) -> usize {
        let mut h = key;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 33;
        h as usize & self.mask
    }

    /// The key of address `a`: 64 of its bits.
    pub(super) fn key(a: &Address) -> u64 {
        let b = &a.0 .0;
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&b[12..20]);
        hi.copy_from_slice(&b[4..12]);
        u64::from_be_bytes(lo) ^ u64::from_be_bytes(hi).rotate_left(29)
    }

    /// Inserts `key`; true when it was not there.
    pub(super) fn insert(&mut self, key: u64) -> bool {
        let key = key.max(1);
        let mut i = self.home(key);
        loop {
            match self.cells[i] {
                0 => {
                    self.cells[i] = key;
                    return true;
                }
                k if k == key => return false,
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    /// The longest stretch of occupied cells: what an unlucky search walks.
    #[cfg(test)]
    pub(super) fn longest_run(&self) -> usize {
        let (mut longest, mut run) = (0, 0);
        for c in self.cells.iter().chain(&self.cells) {
            run = if *c == 0 { 0 } else { run + 1 };
            longest = longest.max(run);
        }
        longest.min(self.cells.len())
    }
}

/// True when more than one transaction in 20 is predicted dependent ([`COMMITTER_RUN_EVERY`]).
pub(super) fn any_dependent(dependent: &[bool]) -> bool {
    dependent.iter().filter(|d| **d).count() * 20 > dependent.len()
}

/// True when speculation is predicted not to pay at all: at least three quarters of the transactions
/// depend on a lower one by [`predicted_dependent`].
pub(super) fn mostly_dependent(dependent: &[bool]) -> bool {
    dependent.iter().filter(|d| **d).count() * 4 >= dependent.len() * 3
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

    #[test]
    fn seen_set_tells_addresses_apart_and_finds_them_again() {
        let addresses: Vec<Address> = (1..=1000u64)
            .map(|i| {
                let mut a = [0u8; 20];
                // Vary the leading bytes too, which the key folds in.
                a[..8].copy_from_slice(&i.wrapping_mul(7919).to_be_bytes());
                a[12..].copy_from_slice(&i.to_be_bytes());
                Address::from(a)
            })
            .chain([Address::ZERO])
            .collect();
        let mut seen = SeenSet::with_capacity(addresses.len());
        for a in &addresses {
            assert!(seen.insert(SeenSet::key(a)), "{a} is new");
        }
        for a in &addresses {
            assert!(!seen.insert(SeenSet::key(a)), "{a} was inserted");
        }
    }

    #[test]
    fn seen_set_spreads_addresses_that_differ_in_their_last_bytes() {
        // Generated accounts: one prefix, a counter in the last two bytes. A hash that kept only some
        // bits of the key put them all in one cluster (a quadratic walk: 13 ms for 4,762 transfers).
        let mut seen = SeenSet::with_capacity(4096);
        for i in 0..4096u16 {
            let mut a = [0x11u8; 20];
            a[18..].copy_from_slice(&i.to_be_bytes());
            assert!(seen.insert(SeenSet::key(&Address::from(a))));
        }
        assert!(
            seen.longest_run() < 64,
            "longest run {}",
            seen.longest_run()
        );
    }

    #[test]
    fn repeated_senders_and_paid_senders_are_predicted_dependent() {
        let envs = [
            env(1, 2, 5), // pays 2
            env(3, 4, 0), // independent
            env(2, 9, 0), // 2 received value from 0
            env(1, 7, 0), // 1 sent before
            env(4, 8, 0), // 4 was called without value: independent
        ];
        assert_eq!(
            predicted_dependent(&envs),
            vec![false, false, true, true, false]
        );
        assert!(!mostly_dependent(&predicted_dependent(&envs)));
        let chain: Vec<Env> = (0..8).map(|_| env(1, 2, 0)).collect();
        assert!(mostly_dependent(&predicted_dependent(&chain)));
    }

    #[test]
    fn repeated_bare_calls_to_one_target_are_predicted_dependent() {
        let with_input = |caller, to| {
            let mut e = env(caller, to, 0);
            e.tx.data = vec![0xa9, 0x05, 0x9c, 0xbb].into();
            e
        };
        let envs = [
            env(1, 9, 0),     // the first bare call to 9
            env(2, 9, 0),     // a second one
            with_input(3, 9), // a call with input: independent
            env(4, 9, 7),     // value to 9: independent (9 never sends)
            env(5, 8, 0),     // the first bare call to 8
            env(9, 6, 0),     // 9 received value from 3 lower: dependent as a sender
            env(6, 9, 0),     // a third bare call to 9
            with_input(7, 8), // input again: independent
        ];
        assert_eq!(
            predicted_dependent(&envs),
            vec![false, true, false, false, false, true, true, false]
        );
    }
}
