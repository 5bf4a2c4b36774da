//! Every view value a helper frame's apply needs, fetched before the apply changes anything (issue 16,
//! frame lookahead; `docs/frames.md`).
//!
//! ```text
//! committer at a call: check_frame_reads() --> apply_frame():
//!   1. Prefetch::of(): each location the loads will take from the view, read now (may fail: nothing changed)
//!   2. the loads, answered from the prefetched values (cannot fail), then the frame's effects
//! ```
//!
//! A multi-version view can answer "not ready" at any read; the committer then parks and takes the same
//! call again later. An apply that failed half-way would leave the locations it had loaded, and their
//! read-set entries, in the journal: a second apply records again what records on every call (the
//! EIP-7610 storage check), and a call run inline after it records in another order than sequential
//! execution. Reading everything first makes the apply all or nothing.

use super::fork::{FrameReads, SeedRead};
use super::{Journal, SlotKey};
use crate::code::Code;
use crate::view::{Location, StateView, ViewError};
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, B256, U256};

/// The view values an apply will load, over the view they came from.
pub(super) struct Prefetch<'a> {
    values: HashMap<Location, U256>,
    base: &'a dyn StateView,
}

impl<'a> Prefetch<'a> {
    /// Reads from `view` every location of `reads` that `journal` has not loaded (the ones its loads
    /// would ask the view for), in the frame's order.
    pub(super) fn of(
        journal: &Journal,
        view: &'a dyn StateView,
        reads: &FrameReads,
    ) -> Result<Self, ViewError> {
        let seed_slots = reads.seed.iter().filter_map(|(_, r)| match *r {
            SeedRead::Slot {
                address,
                slot,
                current: Some(_),
                ..
            } => Some(Location::Storage(address, slot)),
            _ => None,
        });
        let wanted = reads.view.iter().map(|&(loc, _)| loc).chain(seed_slots);
        let mut values = HashMap::default();
        for loc in wanted {
            if journal.would_read_view(loc) && !values.contains_key(&loc) {
                values.insert(loc, loc.read_from(view)?);
            }
        }
        Ok(Self { values, base: view })
    }

    fn get(&self, loc: Location) -> Option<U256> {
        self.values.get(&loc).copied()
    }
}

/// Answers from the prefetched values; anything else (code by hash, block hashes, a location a load
/// asks for that the frame did not list) from the view underneath.
impl StateView for Prefetch<'_> {
    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        match self.get(Location::Balance(address)) {
            Some(v) => Ok(v),
            None => self.base.balance(address),
        }
    }
    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        match self.get(Location::Nonce(address)) {
            Some(v) => Ok(v.saturating_to()),
            None => self.base.nonce(address),
        }
    }
    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        match self.get(Location::CodeHash(address)) {
            Some(v) => Ok(B256::from(v.to_be_bytes())),
            None => self.base.code_hash(address),
        }
    }
    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        self.base.code_by_hash(code_hash)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        match self.get(Location::Storage(address, slot)) {
            Some(v) => Ok(v),
            None => self.base.storage(address, slot),
        }
    }
    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.base.block_hash(number)
    }
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        match self.get(Location::HasStorage(address)) {
            Some(v) => Ok(!v.is_zero()),
            None => self.base.has_storage(address),
        }
    }
}

impl Journal {
    /// True when loading `loc` would ask the view (it is not loaded yet, and no rule answers it here).
    pub(super) fn would_read_view(&self, loc: Location) -> bool {
        let Some(i) = self.find(loc.address()) else {
            return true;
        };
        let acc = &self.accs[i as usize];
        match loc {
            Location::Balance(_) => acc.balance.is_none(),
            Location::Nonce(_) => acc.nonce.is_none(),
            Location::CodeHash(_) => acc.code_hash.is_none(),
            Location::Storage(_, slot) => {
                !acc.created && !acc.storage.get(&SlotKey(slot)).is_some_and(|s| s.loaded)
            }
            Location::HasStorage(_) => !acc.created,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::test_views::Uniform;
    use crate::journal::{FrameEffects, SeedView};
    use crate::spec::SpecId;
    use revm_primitives::KECCAK_EMPTY;
    use std::sync::Arc;

    const SPEC: SpecId = SpecId::CANCUN;
    const A: Address = Address::repeat_byte(0xa1);
    const B: Address = Address::repeat_byte(0xb2);
    const FUNDED: Uniform = Uniform {
        balance: 100,
        code_hash: KECCAK_EMPTY,
    };

    /// [`FUNDED`], with every storage slot not ready (a lower transaction's write pending).
    struct SlotsNotReady;

    impl StateView for SlotsNotReady {
        fn balance(&self, a: Address) -> Result<U256, ViewError> {
            FUNDED.balance(a)
        }
        fn nonce(&self, a: Address) -> Result<u64, ViewError> {
            FUNDED.nonce(a)
        }
        fn code_hash(&self, a: Address) -> Result<B256, ViewError> {
            FUNDED.code_hash(a)
        }
        fn code_by_hash(&self, h: B256) -> Result<Code, ViewError> {
            FUNDED.code_by_hash(h)
        }
        fn storage(&self, _: Address, _: U256) -> Result<U256, ViewError> {
            Err(ViewError::NotReady(0))
        }
        fn block_hash(&self, n: u64) -> Result<B256, ViewError> {
            FUNDED.block_hash(n)
        }
        fn has_storage(&self, a: Address) -> Result<bool, ViewError> {
            FUNDED.has_storage(a)
        }
    }

    /// A frame that reads `A`'s balance, asks whether `B` has storage (the EIP-7610 check, recorded on
    /// every call) and reads a slot of `A`, in that order.
    fn frame(seed_from: &Journal) -> (FrameReads, FrameEffects) {
        let seed = Arc::new(seed_from.seed());
        let mut fork = Journal::fork(SPEC, crate::precompiles::set(SPEC), seed.clone());
        let view = SeedView::new(&seed, &FUNDED);
        fork.balance(&view, A).unwrap();
        fork.has_storage(&view, B).unwrap();
        fork.slot(&view, A, U256::from(7)).unwrap();
        let (reads, effects, _) = fork.fork_finish();
        (reads, effects)
    }

    /// An apply whose last load is not ready changes nothing, and taking the call again once it is ready
    /// records each read once, as one apply does (before, the storage check was recorded twice).
    #[test]
    fn an_apply_that_meets_a_read_not_ready_changes_nothing() {
        let mut committer = Journal::new(SPEC);
        let (reads, effects) = frame(&committer);
        assert_eq!(reads.view.len(), 3);
        assert_eq!(
            committer.apply_frame(&SlotsNotReady, &reads, &effects),
            Err(ViewError::NotReady(0))
        );
        assert_eq!(committer.reads_len(), 0);
        for &(loc, _) in &reads.view {
            assert!(committer.would_read_view(loc), "{loc:?} loaded");
        }
        assert_eq!(committer.check_frame_reads(&FUNDED, &reads), Ok(Some(0)));
        committer.apply_frame(&FUNDED, &reads, &effects).unwrap();

        let mut once = Journal::new(SPEC);
        once.apply_frame(&FUNDED, &reads, &effects).unwrap();
        let (read_set, _, _) = committer.finish();
        assert_eq!(read_set, once.finish().0);
        assert_eq!(read_set.len(), 3);
    }

    /// Loaded locations are not fetched again; an account created here answers its own storage check.
    #[test]
    fn only_what_the_loads_would_ask_the_view_is_fetched() {
        let mut committer = Journal::new(SPEC);
        let (reads, _) = frame(&committer);
        committer.balance(&FUNDED, A).unwrap();
        committer.create_account(&FUNDED, B, 1).unwrap();
        let fetched = Prefetch::of(&committer, &FUNDED, &reads).unwrap();
        let mut keys: Vec<Location> = fetched.values.keys().copied().collect();
        keys.sort();
        assert_eq!(keys, vec![Location::Storage(A, U256::from(7))]);
    }
}
