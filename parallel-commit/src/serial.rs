//! Serial batches: how the committer runs a stretch of serial mode (`adapt.rs`) at the cost of the
//! sequential path.
//!
//! In serial mode the committer executes the transactions at the commit index one after another. Their
//! reads are final, so nothing needs recording or validating, and nobody else reads their writes until the
//! commit index moves past them. The batch therefore runs exactly like [`crate::execute_sequential`]: an
//! [`Overlay`] collects the batch's writes on top of a [`FinalView`] (multi-version memory below the batch,
//! then the base state). When the batch ends, the overlay's *net* writes are published as the entries of
//! the batch's last transaction, and only then does the commit index move past the batch: every later
//! reader sees the batch through those entries, exactly as if each transaction had published its own.

use crate::mv_memory::{MvEntry, MvMemory};
use crate::sequential::Overlay;
use crate::types::{Location, MvKey, TxIdx};
use crate::view::{location_state_view, read_location};
use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{Code, StateView, ViewError, KECCAK_EMPTY};

/// The committed state below transaction `tx`: multi-version memory, then the base state. Every
/// transaction below `tx` is committed, so no read can block.
pub(crate) struct FinalView<'a> {
    pub(crate) mv: &'a MvMemory,
    pub(crate) base: &'a (dyn StateView + Sync),
    pub(crate) tx: TxIdx,
}

impl FinalView<'_> {
    fn read(&self, loc: Location) -> Result<U256, ViewError> {
        read_location(self.mv, self.base, loc, self.tx)
    }
}

location_state_view!(FinalView<'_>);

/// The multi-version entries that make a reader above the batch see what `overlay` holds on top of what
/// is below the batch (the same resolution rules as `mv_writes`, applied to the batch's net writes):
///
/// * a wiped storage: `Wipe` (slots written after the wipe are in the overlay and win at the same index);
/// * an absolute balance: `Set`; credits only: `Add` of their sum;
/// * a nonce: `Set`;
/// * a code hash: `Set` (a zero hash of an account that exists again reads as `KECCAK_EMPTY`); no code
///   written but the account made to exist: `Touch`;
/// * every storage slot: `Set`.
pub(crate) fn net_entries(overlay: &Overlay<'_>) -> Vec<(MvKey, MvEntry)> {
    let mut out = Vec::new();
    for (a, acc) in overlay.accounts() {
        let a = *a;
        if acc.wiped {
            out.push((MvKey::StorageWipe(a), MvEntry::Wipe));
        }
        match acc.balance {
            Some(b) => out.push((MvKey::Loc(Location::Balance(a)), MvEntry::Set(b))),
            None if !acc.credit.is_zero() => {
                out.push((MvKey::Loc(Location::Balance(a)), MvEntry::Add(acc.credit)))
            }
            None => {}
        }
        if let Some(n) = acc.nonce {
            out.push((MvKey::Loc(Location::Nonce(a)), MvEntry::Set(U256::from(n))));
        }
        match acc.code_hash {
            Some(h) => {
                let h = if acc.exists && h == B256::ZERO {
                    KECCAK_EMPTY
                } else {
                    h
                };
                out.push((
                    MvKey::Loc(Location::CodeHash(a)),
                    MvEntry::Set(U256::from_be_bytes(h.0)),
                ));
            }
            None if acc.exists => out.push((MvKey::Loc(Location::CodeHash(a)), MvEntry::Touch)),
            None => {}
        }
        for (slot, value) in &acc.storage {
            out.push((
                MvKey::Loc(Location::Storage(a, *slot)),
                MvEntry::Set(*value),
            ));
        }
    }
    out
}
