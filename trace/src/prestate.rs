//! `prestateTracer`: the accounts a transaction touched as they were before it (balance, nonce, code, the
//! storage slots it accessed), or with `diffMode` what changed: `pre` (the changed accounts before) and
//! `post` (only the fields that changed). Built from the outcome's read and write sets and the state just
//! before the transaction; no instruction hooks are needed.

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_trace::geth::{AccountState, DiffMode, PreStateFrame, PreStateMode};
use parevm_evm_core::{BalanceWrite, Location, StateView, TxOutcome, ViewError, KECCAK_EMPTY};
use std::collections::{BTreeMap, BTreeSet};

/// Options of the prestate tracer.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrestateOptions {
    /// Report `pre` and `post` of what changed.
    pub diff_mode: bool,
    /// Leave code out.
    pub disable_code: bool,
    /// Leave storage out.
    pub disable_storage: bool,
}

fn account(
    view: &dyn StateView,
    a: Address,
    slots: &BTreeSet<U256>,
    opts: PrestateOptions,
) -> Result<Option<AccountState>, ViewError> {
    let hash = view.code_hash(a)?;
    if hash.is_zero() {
        return Ok(None);
    }
    let nonce = view.nonce(a)?;
    let code = if hash != KECCAK_EMPTY && !opts.disable_code {
        Some(view.code_by_hash(hash)?.bytes().clone())
    } else {
        None
    };
    let mut storage = BTreeMap::new();
    if !opts.disable_storage {
        for s in slots {
            storage.insert(
                B256::from(s.to_be_bytes::<32>()),
                B256::from(view.storage(a, *s)?.to_be_bytes::<32>()),
            );
        }
    }
    Ok(Some(AccountState {
        balance: Some(view.balance(a)?),
        code,
        nonce: (nonce > 0).then_some(nonce),
        storage,
    }))
}

/// The prestate (or diff) of `outcome`, executed on `view` from `from` (to `to`) in a block whose fee
/// recipient is `coinbase`.
pub fn prestate(
    view: &dyn StateView,
    outcome: &TxOutcome,
    from: Address,
    to: Option<Address>,
    coinbase: Address,
    opts: PrestateOptions,
) -> Result<PreStateFrame, ViewError> {
    let mut touched: BTreeMap<Address, BTreeSet<U256>> = BTreeMap::new();
    for a in [Some(from), to, Some(coinbase)].into_iter().flatten() {
        touched.entry(a).or_default();
    }
    for (loc, _) in &outcome.reads {
        match loc {
            Location::Balance(a)
            | Location::Nonce(a)
            | Location::CodeHash(a)
            | Location::HasStorage(a) => {
                touched.entry(*a).or_default();
            }
            Location::Storage(a, s) => {
                touched.entry(*a).or_default().insert(*s);
            }
        }
    }
    for w in &outcome.writes {
        let slots = touched.entry(w.address).or_default();
        slots.extend(w.storage.iter().map(|(k, _)| *k));
    }
    if !opts.diff_mode {
        let mut out = BTreeMap::new();
        for (a, slots) in &touched {
            if let Some(acc) = account(view, *a, slots, opts)? {
                out.insert(*a, acc);
            }
        }
        return Ok(PreStateFrame::Default(PreStateMode(out)));
    }
    let mut pre = BTreeMap::new();
    let mut post = BTreeMap::new();
    for w in &outcome.writes {
        let written: BTreeSet<U256> = w.storage.iter().map(|(k, _)| *k).collect();
        let before = account(view, w.address, &written, opts)?;
        let old = before.clone().unwrap_or_default();
        if w.destroyed {
            if let Some(b) = before {
                pre.insert(w.address, b);
            }
            continue;
        }
        let balance = match w.balance {
            Some(BalanceWrite::Set(b)) => b,
            Some(BalanceWrite::Add(d)) => old.balance.unwrap_or_default() + d,
            None => old.balance.unwrap_or_default(),
        };
        let nonce = w.nonce.unwrap_or(old.nonce.unwrap_or(0));
        let code = match &w.code {
            Some((h, c)) if *h != KECCAK_EMPTY && !opts.disable_code => Some(c.bytes().clone()),
            Some(_) => None,
            None => old.code.clone(),
        };
        let mut changed = AccountState::default();
        if Some(balance) != old.balance {
            changed.balance = Some(balance);
        }
        if (nonce > 0).then_some(nonce) != old.nonce {
            changed.nonce = Some(nonce);
        }
        if code != old.code {
            changed.code = code;
        }
        if !opts.disable_storage {
            for (k, v) in &w.storage {
                let key = B256::from(k.to_be_bytes::<32>());
                let new = B256::from(v.to_be_bytes::<32>());
                if old.storage.get(&key) != Some(&new) {
                    changed.storage.insert(key, new);
                }
            }
        }
        let same = changed.balance.is_none()
            && changed.nonce.is_none()
            && changed.code.is_none()
            && changed.storage.is_empty();
        if same {
            continue;
        }
        if let Some(mut b) = before {
            // `pre` lists only the slots that changed, and of those the ones that were set.
            b.storage
                .retain(|k, v| changed.storage.contains_key(k) && !v.is_zero());
            pre.insert(w.address, b);
        }
        // `post` leaves out slots set back to zero, as geth does.
        changed.storage.retain(|_, v| !v.is_zero());
        post.insert(w.address, changed);
    }
    Ok(PreStateFrame::Diff(DiffMode { pre, post }))
}
