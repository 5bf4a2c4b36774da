//! The reference path: transactions one after another, transaction `i` seeing the base state plus the writes
//! of transactions `0..i` through an [`Overlay`]. The parallel path must equal it at every thread count.
//!
//! The overlay applies a [`WriteSet`] with exactly the semantics of `parevm_state::InMemoryState::apply`:
//! `destroyed` removes the account, any other write makes it exist (`KECCAK_EMPTY` code when it had none),
//! `storage_reset` wipes storage first, `Set` replaces a balance and `Add` credits it.

use crate::error::ParallelError;
use crate::types::WriteSet;
use alloy_primitives::map::{AddressMap, B256Map, U256Map};
use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{
    AccountBasic, BalanceWrite, Code, Env, InvalidTx, StateView, TxError, TxExecution, TxOutcome,
    ViewError, KECCAK_EMPTY,
};

/// Executes `envs` in order over `base`. Invalid transactions write nothing.
///
/// # Panics
/// When the base view fails (`ViewError::Backend`) or answers `NotReady`; use [`try_execute_sequential`]
/// to get that as an error instead.
pub fn execute_sequential(
    envs: &[Env],
    base: &(dyn StateView + Sync),
) -> Vec<Result<TxOutcome, InvalidTx>> {
    match try_execute_sequential(envs, base) {
        Ok(results) => results,
        Err(e) => panic!("sequential execution failed: {e}"),
    }
}

/// Executes `envs` in order over `base`; a failing base view is an error.
pub fn try_execute_sequential(
    envs: &[Env],
    base: &(dyn StateView + Sync),
) -> Result<Vec<Result<TxOutcome, InvalidTx>>, ParallelError> {
    execute_in_order(envs, base, execute_one)
}

/// Executes `envs` in order over `base` with `execute` (which records a read set or not), each valid
/// transaction's writes applied to the overlay before the next one runs.
fn execute_in_order(
    envs: &[Env],
    base: &(dyn StateView + Sync),
    execute: impl Fn(usize, &Env, &dyn StateView) -> Result<Result<TxOutcome, InvalidTx>, ParallelError>,
) -> Result<Vec<Result<TxOutcome, InvalidTx>>, ParallelError> {
    let mut overlay = Overlay::for_block(base, envs.len());
    let mut results = Vec::with_capacity(envs.len());
    for (tx, env) in envs.iter().enumerate() {
        let r = execute(tx, env, &overlay)?;
        if let Ok(out) = &r {
            overlay.apply(&out.writes);
        }
        results.push(r);
    }
    Ok(results)
}

/// Executes one transaction over `view` to completion, mapping view failures to [`ParallelError`].
pub(crate) fn execute_one(
    tx: usize,
    env: &Env,
    view: &dyn StateView,
) -> Result<Result<TxOutcome, InvalidTx>, ParallelError> {
    map_tx_error(tx, TxExecution::borrowed(env).resume(view))
}

/// Executes one transaction over `view` to completion as [`execute_one`] does, recording no read set:
/// for an execution that is final (every lower transaction committed, its writes applied next), whose
/// reads nobody validates. Its outcome's `reads` is empty; everything else is the same.
pub(crate) fn execute_final(
    tx: usize,
    env: &Env,
    view: &dyn StateView,
) -> Result<Result<TxOutcome, InvalidTx>, ParallelError> {
    let mut exec = TxExecution::borrowed(env);
    exec.skip_read_set();
    map_tx_error(tx, exec.resume(view))
}

/// Executes `envs` in order over `base` as [`try_execute_sequential`] does, recording no read sets (see
/// [`execute_final`]): the parallel engines' path for a block they run on one thread.
pub(crate) fn execute_sequential_final(
    envs: &[Env],
    base: &(dyn StateView + Sync),
) -> Result<Vec<Result<TxOutcome, InvalidTx>>, ParallelError> {
    execute_in_order(envs, base, execute_final)
}

/// A transaction's execution result as the block executors return it: an invalid transaction is a
/// result, a failing or not-ready base view an error naming transaction `tx`.
pub(crate) fn map_tx_error(
    tx: usize,
    r: Result<TxOutcome, TxError>,
) -> Result<Result<TxOutcome, InvalidTx>, ParallelError> {
    match r {
        Ok(out) => Ok(Ok(out)),
        Err(TxError::Invalid(e)) => Ok(Err(e)),
        Err(TxError::View(ViewError::Backend(m))) => {
            Err(ParallelError::Backend(format!("transaction {tx}: {m}")))
        }
        Err(TxError::View(ViewError::NotReady(k))) => Err(ParallelError::Backend(format!(
            "transaction {tx}: base view answered not-ready (depends on {k})"
        ))),
    }
}

/// What the overlay knows about one account; `None` fields fall through to the base.
#[derive(Clone, Debug, Default)]
pub(crate) struct OverlayAccount {
    pub(crate) balance: Option<U256>,
    /// Credits on top of the base balance while `balance` is `None`.
    pub(crate) credit: U256,
    pub(crate) nonce: Option<u64>,
    pub(crate) code_hash: Option<B256>,
    /// A write made the account exist: a missing account reads as `KECCAK_EMPTY`, not zero.
    pub(crate) exists: bool,
    /// Storage was wiped: slots not in `storage` read zero instead of falling through.
    pub(crate) wiped: bool,
    pub(crate) storage: U256Map<U256>,
}

/// The base state plus the writes applied so far.
pub struct Overlay<'a> {
    base: &'a (dyn StateView + Sync),
    /// Where each written account sits in `written`. Fixed-bytes hashers (alloy's `AddressMap`,
    /// `B256Map`): every transaction reads and writes here. A small index rather than the accounts
    /// themselves (an `OverlayAccount` is about 160 bytes): a block of plain transfers writes two
    /// accounts per transaction, and a table of the accounts outgrew the second-level cache, so that
    /// every lookup of an account the block has not written (most of them) missed there.
    index: AddressMap<u32>,
    /// The written accounts, in the order they were first written.
    written: Vec<(Address, OverlayAccount)>,
    codes: B256Map<Code>,
}

impl<'a> Overlay<'a> {
    /// An overlay with no writes over `base`.
    pub fn new(base: &'a (dyn StateView + Sync)) -> Self {
        Self::with_capacity(base, 0)
    }

    /// An overlay with no writes over `base`, sized for a block of `txs` transactions that each write
    /// two accounts of their own (a sender and a new recipient, as plain transfers do) besides the fee
    /// recipient, so that neither the table nor the index grows while the block runs: growing them
    /// copied every account written so far (`perf`: `finish_grow`'s copy about 1% of a block of plain
    /// transfers at 2 threads).
    pub fn for_block(base: &'a (dyn StateView + Sync), txs: usize) -> Self {
        Self::with_capacity(base, txs.saturating_mul(2).saturating_add(1))
    }

    /// An overlay with no writes over `base`, with room for `accounts` written accounts.
    pub fn with_capacity(base: &'a (dyn StateView + Sync), accounts: usize) -> Self {
        Self {
            base,
            index: AddressMap::with_capacity_and_hasher(accounts, Default::default()),
            written: Vec::with_capacity(accounts),
            codes: B256Map::default(),
        }
    }

    /// The accounts written so far.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = (&Address, &OverlayAccount)> {
        self.written.iter().map(|(a, acc)| (a, acc))
    }

    /// True when a write applied so far changed something about `address` (every location of an
    /// account the overlay does not hold reads as in the base).
    #[inline]
    pub(crate) fn has_written(&self, address: &Address) -> bool {
        self.index.contains_key(address)
    }

    /// What the overlay holds about `address`, if it was written.
    #[inline]
    fn get(&self, address: &Address) -> Option<&OverlayAccount> {
        self.index
            .get(address)
            .map(|&i| &self.written[i as usize].1)
    }

    /// The entry of `address` in `written` (indexed by `index`), a new empty one when it was not
    /// written yet.
    #[inline]
    fn entry<'w>(
        index: &mut AddressMap<u32>,
        written: &'w mut Vec<(Address, OverlayAccount)>,
        address: Address,
    ) -> &'w mut OverlayAccount {
        let next = written.len();
        // An overlay of more accounts than `u32` counts would not fit in memory.
        let i = *index
            .entry(address)
            .or_insert_with(|| u32::try_from(next).unwrap_or(u32::MAX)) as usize;
        if i == next {
            // `resize_with` writes the new entry where it belongs; `push` built its 192 bytes on the stack
            // and copied them (a `memcpy` call a new account, 5% of a block of plain transfers).
            written.resize_with(next + 1, || (address, OverlayAccount::default()));
        }
        &mut written[i].1
    }

    /// Code deployed by the writes applied so far.
    pub(crate) fn codes(&self) -> impl Iterator<Item = (&B256, &Code)> {
        self.codes.iter()
    }

    /// Applies one transaction's write set, with `InMemoryState::apply` semantics.
    pub fn apply(&mut self, writes: &WriteSet) {
        for w in writes {
            if w.destroyed {
                *Self::entry(&mut self.index, &mut self.written, w.address) = OverlayAccount {
                    balance: Some(U256::ZERO),
                    nonce: Some(0),
                    code_hash: Some(B256::ZERO),
                    wiped: true,
                    ..Default::default()
                };
                continue;
            }
            let acc = Self::entry(&mut self.index, &mut self.written, w.address);
            acc.exists = true;
            if w.storage_reset {
                acc.storage.clear();
                acc.wiped = true;
            }
            match w.balance {
                Some(BalanceWrite::Set(b)) => {
                    acc.balance = Some(b);
                    acc.credit = U256::ZERO;
                }
                Some(BalanceWrite::Add(d)) => match acc.balance.as_mut() {
                    Some(b) => *b = b.wrapping_add(d),
                    None => acc.credit = acc.credit.wrapping_add(d),
                },
                None => {}
            }
            if let Some(n) = w.nonce {
                acc.nonce = Some(n);
            }
            if let Some((hash, code)) = &w.code {
                acc.code_hash = Some(*hash);
                if !code.is_empty() {
                    self.codes.entry(*hash).or_insert_with(|| code.clone());
                }
            }
            for (slot, value) in &w.storage {
                acc.storage.insert(*slot, *value);
            }
        }
    }
}

impl StateView for Overlay<'_> {
    fn basic(&self, address: Address) -> Result<AccountBasic, ViewError> {
        let Some(acc) = self.get(&address) else {
            return self.base.basic(address);
        };
        let needs_base = acc.balance.is_none() || acc.nonce.is_none() || acc.code_hash.is_none();
        let base = if needs_base {
            self.base.basic(address)?
        } else {
            AccountBasic::default()
        };
        let code_hash = acc.code_hash.unwrap_or(base.code_hash);
        Ok(AccountBasic {
            balance: acc
                .balance
                .unwrap_or_else(|| base.balance.wrapping_add(acc.credit)),
            nonce: acc.nonce.unwrap_or(base.nonce),
            code_hash: if acc.exists && code_hash == B256::ZERO {
                KECCAK_EMPTY
            } else {
                code_hash
            },
        })
    }

    fn balance(&self, address: Address) -> Result<U256, ViewError> {
        match self.get(&address) {
            Some(OverlayAccount {
                balance: Some(b), ..
            }) => Ok(*b),
            Some(acc) => Ok(self.base.balance(address)?.wrapping_add(acc.credit)),
            None => self.base.balance(address),
        }
    }

    fn nonce(&self, address: Address) -> Result<u64, ViewError> {
        match self.get(&address).and_then(|a| a.nonce) {
            Some(n) => Ok(n),
            None => self.base.nonce(address),
        }
    }

    fn code_hash(&self, address: Address) -> Result<B256, ViewError> {
        let Some(acc) = self.get(&address) else {
            return self.base.code_hash(address);
        };
        let h = match acc.code_hash {
            Some(h) => h,
            None => self.base.code_hash(address)?,
        };
        Ok(if acc.exists && h == B256::ZERO {
            KECCAK_EMPTY
        } else {
            h
        })
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Code, ViewError> {
        match self.codes.get(&code_hash) {
            Some(c) => Ok(c.clone()),
            None => self.base.code_by_hash(code_hash),
        }
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
        let Some(acc) = self.get(&address) else {
            return self.base.storage(address, slot);
        };
        match acc.storage.get(&slot) {
            Some(v) => Ok(*v),
            None if acc.wiped => Ok(U256::ZERO),
            None => self.base.storage(address, slot),
        }
    }

    fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
        self.base.block_hash(number)
    }

    /// The base's answer until a write of the block wiped the account's storage (the rule
    /// [`StateView::has_storage`] states, which multi-version memory versions the same way).
    fn has_storage(&self, address: Address) -> Result<bool, ViewError> {
        match self.get(&address) {
            Some(acc) if acc.wiped => Ok(false),
            _ => self.base.has_storage(address),
        }
    }
}
