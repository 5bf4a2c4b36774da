//! The cost model of frame lookahead (issue 16, `frames.rs`): how long the last transaction of each kind
//! (called address and selector) took. A lookahead costs fixed hand-offs (waking a helper thread and
//! joining it: about ten microseconds each on this project's two-core VM) whatever the transaction does,
//! and the gas limit does not say how long a transaction runs (16 ERC-20 transfers through Multicall3
//! take 600,000 gas and 80 microseconds). So a transaction gets lookahead when the last one of its kind
//! ran at least [`ParallelConfig::frame_min_ns`](crate::ParallelConfig::frame_min_ns), or when none
//! has run yet; every run, with lookahead or without, updates its kind's time.
//!
//! Process-wide, as the kept thread pools are: contracts that are called often (routers, entry points,
//! verifiers) keep their kind across blocks. Bounded: the table is emptied when it is full.

use alloy_primitives::map::HashMap;
use alloy_primitives::Address;
use parking_lot::Mutex;
use std::sync::OnceLock;

/// Kinds remembered before the table is emptied.
const MAX_KINDS: usize = 4096;

/// A transaction's kind: the address it calls and the first four bytes of its input.
pub(crate) type Kind = (Address, [u8; 4]);

/// The kind of a call of `to` with `input`.
pub(crate) fn kind(to: Address, input: &[u8]) -> Kind {
    let mut selector = [0u8; 4];
    let n = input.len().min(4);
    selector[..n].copy_from_slice(&input[..n]);
    (to, selector)
}

fn table() -> &'static Mutex<HashMap<Kind, u64>> {
    static TABLE: OnceLock<Mutex<HashMap<Kind, u64>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// True when a transaction of `kind` is expected to run at least `min_ns` (its kind's last run did, or
/// none has run yet).
pub(crate) fn long_enough(kind: &Kind, min_ns: u64) -> bool {
    min_ns == 0 || table().lock().get(kind).is_none_or(|&ns| ns >= min_ns)
}

/// Records that a transaction of `kind` ran `ns` nanoseconds.
pub(crate) fn record(kind: Kind, ns: u64) {
    let mut t = table().lock();
    if t.len() >= MAX_KINDS && !t.contains_key(&kind) {
        t.clear();
    }
    t.insert(kind, ns);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_long_enough_until_a_run_of_it_is_short_and_again_after_a_long_one() {
        let k = kind(Address::repeat_byte(0x71), &[1, 2, 3, 4, 5]);
        assert_eq!(k.1, [1, 2, 3, 4]);
        assert!(long_enough(&k, 200_000), "no run yet");
        record(k, 80_000);
        assert!(!long_enough(&k, 200_000));
        assert!(
            long_enough(&k, 0),
            "a zero threshold lets every kind through"
        );
        record(k, 900_000);
        assert!(long_enough(&k, 200_000));
        // Another selector of the same address is its own kind.
        assert!(long_enough(
            &kind(Address::repeat_byte(0x71), &[9]),
            200_000
        ));
    }
}
