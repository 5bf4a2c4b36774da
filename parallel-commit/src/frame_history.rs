//! The cost model of frame lookahead (issue 16, `frames.rs`): how long the last transaction of each kind
//! (called address and selector) took. A lookahead costs fixed hand-offs (waking a helper thread and
//! joining it: about ten microseconds each on this project's two-core VM) whatever the transaction does,
//! and the gas limit does not say how long a transaction runs (16 ERC-20 transfers through Multicall3
//! take 600,000 gas and 80 microseconds). So a transaction gets lookahead when the last one of its kind
//! ran at least [`ParallelConfig::frame_min_ns`](crate::ParallelConfig::frame_min_ns), or when none
//! has run yet; every run, with lookahead or without, updates its kind's time. And a kind whose
//! lookahead did not pay [`UNPAID`] times in a row (its helper frames were discarded more often than
//! applied, or none was applied: calls that depend on each other, or only precompile calls) gets no
//! more of it.
//!
//! Process-wide, as the kept thread pools are: contracts that are called often (routers, entry points,
//! verifiers) keep their kind across blocks. Bounded: the table is emptied when it is full.

use alloy_primitives::map::HashMap;
use parking_lot::Mutex;
use std::sync::OnceLock;

/// Kinds remembered before the table is emptied.
const MAX_KINDS: usize = 4096;

/// Lookahead runs of a kind in a row that did not pay, after which the kind gets no more.
pub(crate) const UNPAID: u8 = 2;

/// What is known of a kind.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    /// Run time of its last transaction.
    ns: u64,
    /// Its last lookahead runs in a row that did not pay.
    unpaid: u8,
}

/// A transaction's kind: the address it calls and the first four bytes of its input.
pub(crate) type Kind = parevm_evm_core::CallKind;

/// The kind of a call of `to` with `input`.
pub(crate) use parevm_evm_core::call_kind as kind;

fn table() -> &'static Mutex<HashMap<Kind, Seen>> {
    static TABLE: OnceLock<Mutex<HashMap<Kind, Seen>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// True when a transaction of `kind` should get lookahead: it is expected to run at least `min_ns` (its
/// kind's last run did, or none has run yet) and its kind's lookahead has not failed to pay [`UNPAID`]
/// times in a row. A `min_ns` of zero lets every transaction through.
pub(crate) fn worth_lookahead(kind: &Kind, min_ns: u64) -> bool {
    min_ns == 0
        || table()
            .lock()
            .get(kind)
            .is_none_or(|s| s.ns >= min_ns && s.unpaid < UNPAID)
}

/// Records that a transaction of `kind` ran `ns` nanoseconds, and with lookahead, how many helper frames
/// its committer `applied` and `discarded`.
pub(crate) fn record(kind: Kind, ns: u64, lookahead: Option<(usize, usize)>) {
    let mut t = table().lock();
    if t.len() >= MAX_KINDS && !t.contains_key(&kind) {
        t.clear();
    }
    let seen = t.entry(kind).or_default();
    seen.ns = ns;
    if let Some((applied, discarded)) = lookahead {
        seen.unpaid = if applied == 0 || discarded > applied {
            seen.unpaid.saturating_add(1)
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;

    #[test]
    fn a_kind_is_worth_it_until_a_run_of_it_is_short_and_again_after_a_long_one() {
        let k = kind(Address::repeat_byte(0x71), &[1, 2, 3, 4, 5]);
        assert_eq!(k.1, [1, 2, 3, 4]);
        assert!(worth_lookahead(&k, 200_000), "no run yet");
        record(k, 80_000, None);
        assert!(!worth_lookahead(&k, 200_000));
        assert!(
            worth_lookahead(&k, 0),
            "a zero threshold lets every kind through"
        );
        record(k, 900_000, None);
        assert!(worth_lookahead(&k, 200_000));
        // Another selector of the same address is its own kind.
        let other = kind(Address::repeat_byte(0x71), &[9]);
        assert!(worth_lookahead(&other, 200_000));
    }

    #[test]
    fn a_kind_whose_lookahead_does_not_pay_twice_in_a_row_gets_no_more() {
        let k = kind(Address::repeat_byte(0x72), &[1, 2, 3, 4]);
        record(k, 500_000, Some((0, 5)));
        assert!(worth_lookahead(&k, 200_000), "once is not enough");
        record(k, 500_000, Some((6, 1)));
        record(k, 500_000, Some((1, 3)));
        assert!(
            worth_lookahead(&k, 200_000),
            "a run that paid resets the count"
        );
        record(k, 500_000, Some((0, 0)));
        assert!(!worth_lookahead(&k, 200_000));
        // A run without lookahead changes nothing of that.
        record(k, 500_000, None);
        assert!(!worth_lookahead(&k, 200_000));
        assert!(worth_lookahead(&k, 0));
    }
}
