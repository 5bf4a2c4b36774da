//! The state view a transaction executes against in parallel mode: multi-version memory for the writes of
//! lower transactions, the base state below that. Every versioned read is recorded with the value seen,
//! which gives the read set that validation re-checks, also for transactions that turn out invalid.

use crate::hot::HotHints;
use crate::mv_memory::{MvMemory, Resolved};
use crate::scheduler::Scheduler;
use crate::types::{Location, ReadSet, TxIdx};
use crate::writes::StaticHints;
use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{Code, Env, StateView, ViewError, KECCAK_EMPTY};
use std::cell::RefCell;

/// The value of `loc` as transaction `tx` must see it, or `NotReady(k)` when lower transaction `k` has an
/// estimate there. Values use the read-set encoding (nonce as a number, code hash as big-endian bytes).
pub(crate) fn read_location(
    mv: &MvMemory,
    base: &(dyn StateView + Sync),
    loc: Location,
    tx: TxIdx,
) -> Result<U256, ViewError> {
    let (credit, touched) = match mv.resolve(loc, tx) {
        Resolved::Value(v) => return Ok(v),
        Resolved::Blocked(k) => return Err(ViewError::NotReady(k)),
        Resolved::Base { credit, touched } => (credit, touched),
    };
    Ok(match loc {
        Location::Balance(a) => base.balance(a)?.wrapping_add(credit),
        Location::Nonce(a) => U256::from(base.nonce(a)?),
        Location::CodeHash(a) => {
            let h = base.code_hash(a)?;
            let h = if touched && h == B256::ZERO {
                KECCAK_EMPTY
            } else {
                h
            };
            U256::from_be_bytes(h.0)
        }
        Location::Storage(a, slot) => base.storage(a, slot)?,
        Location::HasStorage(a) => U256::from(u8::from(base.has_storage(a)?)),
    })
}

/// The hints a view consults, with the block's transactions and the scheduler.
#[derive(Clone, Copy)]
pub(crate) struct HintCtx<'a> {
    /// Abort-learned hot locations.
    pub(crate) hot: &'a HotHints,
    /// Static write predictions.
    pub(crate) predicted: &'a StaticHints,
    /// The block's transactions.
    pub(crate) envs: &'a [Env],
    /// Who has finished.
    pub(crate) sched: &'a Scheduler,
}

impl HintCtx<'_> {
    /// The unfinished lower transaction a read of `loc` by `tx` should wait for, if any.
    fn blocker(&self, loc: Location, tx: TxIdx) -> Option<TxIdx> {
        if let Some(k) = self.predicted.writer_below(loc, tx) {
            if !self.sched.finished(k) {
                return Some(k);
            }
        }
        self.hot.blocker(loc, tx, self.envs, self.sched)
    }
}

/// Transaction `tx`'s view of the block in progress.
pub(crate) struct MvView<'a> {
    mv: &'a MvMemory,
    /// Abort-learned hints and what they consult; `None` when hints are off.
    hints: Option<HintCtx<'a>>,
    base: &'a (dyn StateView + Sync),
    tx: TxIdx,
    reads: RefCell<ReadSet>,
}

impl<'a> MvView<'a> {
    /// A view for `tx` that appends to `reads` (the reads of earlier, parked runs of the same execution).
    pub(crate) fn new(
        mv: &'a MvMemory,
        hints: Option<HintCtx<'a>>,
        base: &'a (dyn StateView + Sync),
        tx: TxIdx,
        reads: ReadSet,
    ) -> Self {
        Self {
            mv,
            hints,
            base,
            tx,
            reads: RefCell::new(reads),
        }
    }

    /// The reads recorded so far.
    pub(crate) fn finish(self) -> ReadSet {
        self.reads.into_inner()
    }

    fn read(&self, loc: Location) -> Result<U256, ViewError> {
        if let Some(hints) = self.hints {
            if let Some(k) = hints.blocker(loc, self.tx) {
                return Err(ViewError::NotReady(k));
            }
        }
        let v = read_location(self.mv, self.base, loc, self.tx)?;
        self.reads.borrow_mut().push((loc, v));
        Ok(v)
    }
}

/// Implements [`StateView`] for a view type with a `read(&self, Location) -> Result<U256, ViewError>`
/// method (values in the read-set encoding) and `mv` and `base` fields: every location goes through
/// `read`, code comes from the block's deployments first, then the base, and block hashes from the base.
macro_rules! location_state_view {
    ($view:ty) => {
        impl StateView for $view {
            fn balance(&self, address: Address) -> Result<U256, ViewError> {
                self.read(Location::Balance(address))
            }

            fn nonce(&self, address: Address) -> Result<u64, ViewError> {
                Ok(self.read(Location::Nonce(address))?.saturating_to())
            }

            fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
                Ok(B256::from(
                    self.read(Location::CodeHash(address))?.to_be_bytes::<32>(),
                ))
            }

            fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
                match self.mv.code(&code_hash) {
                    Some(code) => Ok(code),
                    None => self.base.code_by_hash(code_hash),
                }
            }

            fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
                self.read(Location::Storage(address, slot))
            }

            fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
                self.base.block_hash(number)
            }

            fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
                Ok(!self.read(Location::HasStorage(address))?.is_zero())
            }
        }
    };
}
pub(crate) use location_state_view;

location_state_view!(MvView<'_>);
