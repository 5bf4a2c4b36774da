//! Translating a transaction's [`WriteSet`] into multi-version entries, and the static write predictions
//! (hints) that are seeded as estimates before execution.

use crate::mv_memory::MvEntry;
use crate::types::{Location, MvKey, ReadSet, TxIdx, WriteSet};
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, U256};
use parevm_evm_core::{BalanceWrite, Env};

/// The entries a write set puts in multi-version memory, with `InMemoryState::apply` semantics:
///
/// * `destroyed`: balance, nonce and code hash become zero, storage is wiped.
/// * `storage_reset`: storage is wiped, then `storage` applies.
/// * Any other write makes the account exist: without a code write it gets a `Touch` on its code hash,
///   unless the transaction read a non-zero code hash (the account existed already and still does).
pub(crate) fn mv_writes(writes: &WriteSet, reads: &ReadSet) -> Vec<(MvKey, MvEntry)> {
    let mut existed: Vec<Address> = reads
        .iter()
        .filter_map(|(loc, v)| match loc {
            Location::CodeHash(a) if !v.is_zero() => Some(*a),
            _ => None,
        })
        .collect();
    existed.sort_unstable();
    let mut out = Vec::new();
    for w in writes {
        let a = w.address;
        if w.destroyed {
            out.push((MvKey::Loc(Location::Balance(a)), MvEntry::Set(U256::ZERO)));
            out.push((MvKey::Loc(Location::Nonce(a)), MvEntry::Set(U256::ZERO)));
            out.push((MvKey::Loc(Location::CodeHash(a)), MvEntry::Set(U256::ZERO)));
            out.push((MvKey::StorageWipe(a), MvEntry::Wipe));
            continue;
        }
        if w.storage_reset {
            out.push((MvKey::StorageWipe(a), MvEntry::Wipe));
        }
        match w.balance {
            Some(BalanceWrite::Set(b)) => {
                out.push((MvKey::Loc(Location::Balance(a)), MvEntry::Set(b)))
            }
            Some(BalanceWrite::Add(d)) => {
                out.push((MvKey::Loc(Location::Balance(a)), MvEntry::Add(d)))
            }
            None => {}
        }
        if let Some(n) = w.nonce {
            out.push((MvKey::Loc(Location::Nonce(a)), MvEntry::Set(U256::from(n))));
        }
        match &w.code {
            Some((hash, _)) => out.push((
                MvKey::Loc(Location::CodeHash(a)),
                MvEntry::Set(U256::from_be_bytes(hash.0)),
            )),
            None if existed.binary_search(&a).is_err() => {
                out.push((MvKey::Loc(Location::CodeHash(a)), MvEntry::Touch));
            }
            None => {}
        }
        for (slot, value) in &w.storage {
            out.push((
                MvKey::Loc(Location::Storage(a, *slot)),
                MvEntry::Set(*value),
            ));
        }
    }
    out
}

/// Predicted writes that a higher transaction is predicted to read, by location: a reader waits for the
/// nearest lower predicted writer that has not finished executing, instead of reading a stale value and
/// aborting (a chain of transactions from one sender, or a sender that was just paid).
///
/// A transaction is all but certain to write its sender's nonce and balance, and the balance of the
/// recipient of a value transfer; it is all but certain to read its sender's nonce and balance. So the
/// writes worth predicting are those of accounts that send again later in the block.
///
/// The predictions are consulted at read time rather than seeded as estimates into multi-version memory:
/// reads whose lower transactions are all committed skip them, and the version lists stay as short as the
/// real writes.
pub(crate) struct StaticHints {
    /// For each predicted location, its predicted writers, ascending.
    writers: HashMap<Location, Vec<TxIdx>>,
    /// Number of (location, writer) predictions.
    pub(crate) count: u64,
}

impl StaticHints {
    /// The predictions for `envs`.
    pub(crate) fn new(envs: &[Env]) -> Self {
        let mut last_send: HashMap<Address, TxIdx> =
            HashMap::with_capacity_and_hasher(envs.len(), Default::default());
        for (i, env) in envs.iter().enumerate() {
            last_send.insert(env.tx.caller, i);
        }
        let sends_after = |a: &Address, j: TxIdx| last_send.get(a).is_some_and(|last| *last > j);
        let mut writers: HashMap<Location, Vec<TxIdx>> = HashMap::default();
        let mut count = 0;
        for (j, env) in envs.iter().enumerate() {
            let tx = &env.tx;
            let mut add = |loc: Location| {
                writers.entry(loc).or_default().push(j);
                count += 1;
            };
            if sends_after(&tx.caller, j) {
                add(Location::Nonce(tx.caller));
                add(Location::Balance(tx.caller));
            }
            if let Some(to) = tx.kind.to() {
                if !tx.value.is_zero() && *to != tx.caller && sends_after(to, j) {
                    add(Location::Balance(*to));
                }
            }
        }
        Self { writers, count }
    }

    /// The nearest transaction below `tx` predicted to write `loc`, if any.
    pub(crate) fn writer_below(&self, loc: Location, tx: TxIdx) -> Option<TxIdx> {
        if self.writers.is_empty() || matches!(loc, Location::CodeHash(_) | Location::Storage(..)) {
            return None;
        }
        let ws = self.writers.get(&loc)?;
        let below = ws.partition_point(|&k| k < tx);
        ws.get(below.checked_sub(1)?).copied()
    }
}
