//! The lookahead engine's per-transaction slot: a state byte and the speculative outcome it guards,
//! handed from the thread that executed the transaction to the committer without a lock. The state
//! decides who may touch the outcome:
//!
//! ```text
//!  FREE --claim (one CAS winner)--> RUNNING: only the winner writes the outcome
//!       --publish (Release store)--> READY: only the committer reads or takes it (after an Acquire load)
//! ```
//!
//! A mutex around the outcome cost two atomic read-modify-writes on each side per transaction, and the
//! committer's lock had to own the line a helper had just written before it could read the outcome
//! (a stall on every slot); here the committer reads the line and only ever writes it with plain stores.
#![allow(unsafe_code)]

use parevm_evm_core::{RedoLog, TxOutcome};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// Nobody has taken the transaction yet.
pub(crate) const FREE: u8 = 0;
/// A speculative execution of it is running.
pub(crate) const RUNNING: u8 = 1;
/// A speculative outcome (or `None`: it must be re-executed) waits in its slot.
pub(crate) const READY: u8 = 2;
/// The committer executes it itself: it reached it first.
pub(crate) const OWNED: u8 = 3;
/// Predicted to depend on a lower transaction: never speculated, the committer executes it itself.
pub(crate) const PREDICTED: u8 = 4;

/// One transaction's slot, on cache lines of its own: a helper publishing transaction `j + 1` does not
/// take away the line the committer reads transaction `j` from.
#[repr(C, align(64))]
pub(crate) struct Slot {
    state: AtomicU8,
    /// The speculative outcome once `state` is READY; `None` when it cannot be used (invalid on the base
    /// state, the base view failed there, or the execution panicked).
    spec: UnsafeCell<Option<TxOutcome>>,
    /// The redo points of that execution, when it recorded any (`TxExecution::record_redo_points`).
    redo: UnsafeCell<Option<Box<RedoLog>>>,
    /// The execution read a location of an account its layer of earlier speculative writes held: its
    /// reads of accounts the committer has not written need not be base values, and validation checks
    /// every read (`lookahead/committer.rs`, `first_stale`).
    layered: UnsafeCell<bool>,
}

// SAFETY: `spec` is written only by the one thread whose CAS moved the slot from FREE (or, the committer's,
// from PREDICTED) to RUNNING (it holds
// the `Claimed` token), before its Release store of READY, and read only through the block's one `Reader`
// after an Acquire load of READY. No two threads ever access `spec` without that happens-before edge
// between them.
unsafe impl Sync for Slot {}

impl Slot {
    /// A slot in `state` (FREE or PREDICTED), with no outcome.
    pub(crate) fn new(state: u8) -> Self {
        Self {
            state: AtomicU8::new(state),
            spec: UnsafeCell::new(None),
            redo: UnsafeCell::new(None),
            layered: UnsafeCell::new(false),
        }
    }

    /// The slot's state. READY loaded with `Ordering::Acquire` makes the outcome visible.
    #[inline]
    pub(crate) fn state(&self, order: Ordering) -> u8 {
        self.state.load(order)
    }

    /// Takes a FREE slot for a speculative execution; `Err` holds the state found.
    #[inline]
    pub(crate) fn claim(&self) -> Result<Claimed<'_>, u8> {
        // ORDERING: Acquire on success is not needed for data (the slot holds nothing yet) but keeps the
        // claim ordered after the committer's own CAS on the same slot; Relaxed on failure.
        self.state
            .compare_exchange(FREE, RUNNING, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| Claimed { slot: self })
    }

    /// Takes a PREDICTED slot for a speculative execution by the committer (only the committer ever
    /// leaves PREDICTED, so this never races a helper); `Err` holds the state found.
    #[inline]
    pub(crate) fn claim_predicted(&self) -> Result<Claimed<'_>, u8> {
        // ORDERING: as in `claim`.
        self.state
            .compare_exchange(PREDICTED, RUNNING, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| Claimed { slot: self })
    }

    /// Takes a FREE slot for the committer's own final execution (no outcome is ever written).
    #[inline]
    pub(crate) fn own(&self) -> bool {
        // ORDERING: as in `claim`: whoever wins the slot owns it.
        self.state
            .compare_exchange(FREE, OWNED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }
}

/// A block's slots, and its one reader.
pub(crate) struct Slots {
    slots: Box<[Slot]>,
    /// The reader was handed out (see [`Slots::reader`]).
    read: AtomicBool,
}

impl Slots {
    /// One slot per state of `states` (FREE or PREDICTED).
    pub(crate) fn new(states: impl IntoIterator<Item = u8>) -> Self {
        Self {
            slots: states.into_iter().map(Slot::new).collect(),
            read: AtomicBool::new(false),
        }
    }

    /// The slot of transaction `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&Slot> {
        self.slots.get(i)
    }

    /// The one reader of these slots' outcomes (the committer's); `None` once handed out.
    pub(crate) fn reader(&self) -> Option<Reader<'_>> {
        // ORDERING: Relaxed: the swap alone decides which caller gets the reader.
        (!self.read.swap(true, Ordering::Relaxed)).then_some(Reader { slots: &self.slots })
    }
}

impl std::ops::Index<usize> for Slots {
    type Output = Slot;

    #[inline]
    fn index(&self, i: usize) -> &Slot {
        &self.slots[i]
    }
}

/// The only reader of a block's published outcomes: [`Slots::reader`] hands out one per block, and
/// taking needs it mutably, so that no two threads ever read one outcome while it is moved out.
pub(crate) struct Reader<'s> {
    slots: &'s [Slot],
}

impl Reader<'_> {
    /// Moves the outcome out of slot `i` when it is READY (`None` otherwise; `Some(None)`: READY without
    /// a usable outcome).
    #[inline]
    pub(crate) fn take(&mut self, i: usize) -> Option<Option<TxOutcome>> {
        let slot = self.slots.get(i)?;
        // ORDERING: Acquire pairs with the Release store of READY in `Claimed`'s drop.
        if slot.state.load(Ordering::Acquire) != READY {
            return None;
        }
        // SAFETY: READY was published with Release after the outcome's last write and no writer touches
        // the slot again; this reader is the only one (`Slots::reader`) and holds itself mutably.
        Some(unsafe { (*slot.spec.get()).take() })
    }

    /// Moves the redo points out of slot `i` when it is READY and has some.
    #[inline]
    pub(crate) fn take_redo(&mut self, i: usize) -> Option<Box<RedoLog>> {
        let slot = self.slots.get(i)?;
        // ORDERING: as in `take`.
        if slot.state.load(Ordering::Acquire) != READY {
            return None;
        }
        // SAFETY: as in `take`.
        unsafe { (*slot.redo.get()).take() }
    }

    /// True when slot `i` is READY and its execution read what its layer of earlier speculative writes
    /// held (see [`Slot::layered`]).
    #[inline]
    pub(crate) fn layered(&self, i: usize) -> bool {
        let Some(slot) = self.slots.get(i) else {
            return false;
        };
        // ORDERING: as in `take`.
        if slot.state.load(Ordering::Acquire) != READY {
            return false;
        }
        // SAFETY: as in `take`; no writer touches a READY slot.
        unsafe { *slot.layered.get() }
    }

    /// The outcome of slot `i` when it is READY and has one, to prefetch its read and write sets.
    #[inline]
    pub(crate) fn peek(&self, i: usize) -> Option<&TxOutcome> {
        let slot = self.slots.get(i)?;
        // ORDERING: as in `take`.
        if slot.state.load(Ordering::Acquire) != READY {
            return None;
        }
        // SAFETY: as in `take`; `take` needs this reader mutably, so it cannot run while the reference
        // lives, and no writer touches a READY slot.
        unsafe { (*slot.spec.get()).as_ref() }
    }
}

/// The right to write a slot's outcome: held by the one thread whose claim moved it from FREE to
/// RUNNING. Dropping it unpublished (a panicking execution) publishes no outcome, so that the committer
/// does not wait for the slot and executes the transaction itself.
pub(crate) struct Claimed<'s> {
    slot: &'s Slot,
}

impl Claimed<'_> {
    /// Writes the outcome (and its execution's redo points, and whether it read what its layer held,
    /// see [`Slot::layered`]) and marks the slot READY.
    #[inline]
    pub(crate) fn publish(self, out: Option<TxOutcome>, redo: Option<Box<RedoLog>>, layered: bool) {
        // SAFETY: this token is the only one for the slot (its CAS to RUNNING succeeded once), and the
        // committer reads the outcome only after the Release store of READY below.
        unsafe {
            *self.slot.spec.get() = out;
            *self.slot.redo.get() = redo;
            *self.slot.layered.get() = layered;
        }
        // Drop stores READY.
    }
}

impl Drop for Claimed<'_> {
    fn drop(&mut self) {
        // ORDERING: Release publishes the outcome written in `publish` (if any) to the committer's
        // Acquire load of READY.
        self.slot.state.store(READY, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_evm_core::ExecStatus;

    fn outcome(gas: u64) -> TxOutcome {
        TxOutcome {
            status: ExecStatus::Success,
            gas_used: gas,
            gas_refunded: 0,
            logs: Vec::new(),
            output: Default::default(),
            created_address: None,
            reads: Vec::new(),
            writes: Vec::new(),
            balance_bounds: Vec::new(),
        }
    }

    #[test]
    fn one_claim_wins_and_its_outcome_reaches_the_reader() {
        let slots = Slots::new([FREE]);
        let mut reader = slots.reader().expect("the first reader");
        assert!(slots.reader().is_none(), "one reader per block");
        assert!(reader.take(0).is_none(), "not READY yet");
        let claimed = slots[0].claim().ok();
        assert_eq!(slots[0].claim().err(), Some(RUNNING));
        assert!(!slots[0].own());
        if let Some(c) = claimed {
            c.publish(Some(outcome(21_000)), None, false);
        }
        assert_eq!(slots[0].state(Ordering::Acquire), READY);
        assert_eq!(reader.peek(0).map(|o| o.gas_used), Some(21_000));
        let taken = reader.take(0).map(|o| o.map(|o| o.gas_used));
        assert_eq!(taken, Some(Some(21_000)));
        assert!(reader.take(1).is_none(), "no such slot");
    }

    #[test]
    fn a_dropped_claim_publishes_no_outcome() {
        let slots = Slots::new([FREE]);
        drop(slots[0].claim());
        assert_eq!(slots[0].state(Ordering::Acquire), READY);
        let mut reader = slots.reader().expect("the first reader");
        assert!(reader.peek(0).is_none());
        assert!(matches!(reader.take(0), Some(None)));
    }

    #[test]
    fn owned_and_predicted_slots_cannot_be_claimed() {
        let slots = Slots::new([FREE, PREDICTED]);
        assert!(slots[0].own());
        assert_eq!(slots[0].claim().err(), Some(OWNED));
        assert_eq!(slots[1].claim().err(), Some(PREDICTED));
        assert!(!slots[1].own());
    }

    #[test]
    fn only_a_predicted_slot_is_claimed_as_predicted_and_its_outcome_is_read() {
        let slots = Slots::new([FREE, PREDICTED]);
        let mut reader = slots.reader().expect("the first reader");
        assert_eq!(slots[0].claim_predicted().err(), Some(FREE));
        let claimed = slots[1].claim_predicted().ok();
        assert_eq!(slots[1].claim_predicted().err(), Some(RUNNING));
        assert_eq!(slots[1].claim().err(), Some(RUNNING));
        if let Some(c) = claimed {
            c.publish(Some(outcome(30_000)), None, false);
        }
        let taken = reader.take(1).map(|o| o.map(|o| o.gas_used));
        assert_eq!(taken, Some(Some(30_000)));
    }

    #[test]
    fn outcomes_cross_threads_intact() {
        let n = 256;
        let slots = Slots::new(std::iter::repeat_n(FREE, n));
        let mut reader = slots.reader().expect("the first reader");
        std::thread::scope(|s| {
            s.spawn(|| {
                for j in 0..n {
                    if let Ok(c) = slots[j].claim() {
                        c.publish(Some(outcome(j as u64)), None, false);
                    }
                }
            });
            for j in 0..n {
                let backoff = crossbeam_utils::Backoff::new();
                loop {
                    if let Some(out) = reader.take(j) {
                        assert_eq!(out.map(|o| o.gas_used), Some(j as u64));
                        break;
                    }
                    if slots[j].state(Ordering::Acquire) == FREE && slots[j].own() {
                        break;
                    }
                    backoff.snooze();
                }
            }
        });
    }
}
