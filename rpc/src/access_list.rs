//! `eth_createAccessList`'s list, shared by `parevm dev` (`eth::exec`) and `parevm node` (`eth_exec`):
//! what a call's outcome touched, as an EIP-2930 list, and the answer's JSON. The callers run the call
//! (their own state and rules), then again with the list found, until it stops changing.

use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::env::AccessListItem;
use parevm_evm_core::{ExecStatus, Location, TxOutcome};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// How many times a caller re-runs with the list found so far before giving up on a fixed point (a list
/// that warms what it reads changes gas, not what is read, so two runs usually agree).
pub const ROUNDS: usize = 8;

/// The access list an outcome implies: every storage slot read or written, by contract, and every other
/// account read, except those in `exclude` (the sender, the recipient or created contract, the fee
/// recipient: geth's access-list tracer leaves the first two out, and the fee payment reads the third,
/// which geth's opcode tracer does not see) and precompiles.
pub fn list_of(
    out: &TxOutcome,
    exclude: &[Address],
    is_precompile: impl Fn(&Address) -> bool,
) -> Vec<AccessListItem> {
    let mut list: BTreeMap<Address, BTreeSet<B256>> = BTreeMap::new();
    let mut slot = |a: Address, s: U256| {
        list.entry(a)
            .or_default()
            .insert(B256::from(s.to_be_bytes::<32>()));
    };
    for (loc, _) in &out.reads {
        if let Location::Storage(a, s) = loc {
            slot(*a, *s);
        }
    }
    for w in &out.writes {
        for (s, _) in &w.storage {
            slot(w.address, *s);
        }
    }
    for (loc, _) in &out.reads {
        let a = match loc {
            Location::Balance(a) | Location::Nonce(a) | Location::CodeHash(a) => a,
            _ => continue,
        };
        if !exclude.contains(a) && !is_precompile(a) {
            list.entry(*a).or_default();
        }
    }
    list.into_iter()
        .map(|(address, keys)| AccessListItem {
            address,
            storage_keys: keys.into_iter().collect(),
        })
        .collect()
}

/// The answer: `accessList`, `gasUsed` of the last run and, when that run failed, `error`.
pub fn answer(list: &[AccessListItem], out: &TxOutcome) -> Value {
    let items: Vec<Value> = list
        .iter()
        .map(|i| json!({ "address": i.address, "storageKeys": i.storage_keys }))
        .collect();
    let mut answer = json!({ "accessList": items, "gasUsed": U256::from(out.gas_used) });
    if !out.status.is_success() {
        let why = match out.status {
            ExecStatus::Halt(h) => h.revm_name().to_owned(),
            _ => "execution reverted".to_owned(),
        };
        answer["error"] = Value::String(why);
    }
    answer
}
