//! Allocations (`pre`, `postState`): parsing one into an [`InMemoryState`] and describing how a state
//! differs from an expected one.

use super::fixture::FixtureAccount;
use crate::replay::hex::{address_of, bytes_of, u256_of, u64_of, HexError};
use alloy_primitives::{keccak256, Address, Bytes, U256};
use parevm_evm_core::KECCAK_EMPTY;
use parevm_state::{AccountState, InMemoryState};
use std::collections::BTreeMap;

/// How many differences a report lists before it only counts the rest.
const MAX_LISTED: usize = 8;

/// One parsed account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Code.
    pub code: Bytes,
    /// Non-zero storage.
    pub storage: BTreeMap<U256, U256>,
}

/// Parses an allocation; the error names the field.
pub fn parse_alloc(
    alloc: &BTreeMap<String, FixtureAccount>,
) -> Result<BTreeMap<Address, Account>, String> {
    let mut out = BTreeMap::new();
    for (address, a) in alloc {
        let f = |what: &str, e: HexError| format!("{address}.{what}: {e}");
        let mut storage = BTreeMap::new();
        for (k, v) in &a.storage {
            let key = u256_of(k).map_err(|e| f("storage", e))?;
            let value = u256_of(v).map_err(|e| f("storage", e))?;
            if !value.is_zero() {
                storage.insert(key, value);
            }
        }
        out.insert(
            address_of(address).map_err(|e| f("address", e))?,
            Account {
                nonce: u64_of(&a.nonce).map_err(|e| f("nonce", e))?,
                balance: u256_of(&a.balance).map_err(|e| f("balance", e))?,
                code: bytes_of(&a.code).map_err(|e| f("code", e))?,
                storage,
            },
        );
    }
    Ok(out)
}

/// The state holding exactly `alloc`.
pub fn build_state(alloc: &BTreeMap<Address, Account>) -> InMemoryState {
    let mut state = InMemoryState::new();
    for (address, a) in alloc {
        state.insert_account(
            *address,
            a.balance,
            a.nonce,
            a.code.clone(),
            a.storage.iter().map(|(k, v)| (*k, *v)),
        );
    }
    state
}

/// How `state` differs from `expected`: one line per difference (at most [`MAX_LISTED`], then a count).
pub fn diff_state(state: &InMemoryState, expected: &BTreeMap<Address, Account>) -> Vec<String> {
    let mut lines = Vec::new();
    for (address, want) in expected {
        match state.account(address) {
            None => lines.push(format!("{address}: missing")),
            Some(got) => diff_account(state, address, got, want, &mut lines),
        }
    }
    let mut extra: Vec<&Address> = state
        .accounts()
        .map(|(a, _)| a)
        .filter(|a| !expected.contains_key(*a))
        .collect();
    extra.sort();
    for address in extra {
        lines.push(format!("{address}: unexpected account"));
    }
    if lines.len() > MAX_LISTED {
        let more = lines.len() - MAX_LISTED;
        lines.truncate(MAX_LISTED);
        lines.push(format!("... and {more} more"));
    }
    lines
}

fn diff_account(
    state: &InMemoryState,
    address: &Address,
    got: &AccountState,
    want: &Account,
    lines: &mut Vec<String>,
) {
    if got.nonce != want.nonce {
        lines.push(format!(
            "{address}: nonce {} expected {}",
            got.nonce, want.nonce
        ));
    }
    if got.balance != want.balance {
        lines.push(format!(
            "{address}: balance {} expected {}",
            got.balance, want.balance
        ));
    }
    let want_hash = if want.code.is_empty() {
        KECCAK_EMPTY
    } else {
        keccak256(&want.code)
    };
    if got.code_hash != want_hash {
        let len = state.code(&got.code_hash).map_or(0, |c| c.len());
        lines.push(format!(
            "{address}: code of {len} bytes, expected {} bytes",
            want.code.len()
        ));
    }
    let mut keys: Vec<&U256> = got.storage.keys().chain(want.storage.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let g = got.storage.get(key).copied().unwrap_or_default();
        let w = want.storage.get(key).copied().unwrap_or_default();
        if g != w {
            lines.push(format!(
                "{address}: storage[{key:#x}] {g:#x} expected {w:#x}"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(balance: &str, slot: &str) -> BTreeMap<String, FixtureAccount> {
        let mut storage = BTreeMap::new();
        storage.insert("0x01".to_owned(), slot.to_owned());
        let mut m = BTreeMap::new();
        m.insert(
            "0x095e7baea6a6c7c4c2dfeb977efac326af552d87".to_owned(),
            FixtureAccount {
                nonce: "0x00".into(),
                balance: balance.into(),
                code: "0x6001".into(),
                storage,
            },
        );
        m
    }

    #[test]
    fn equal_states_have_no_diff() {
        let a = parse_alloc(&alloc("0x10", "0x02")).expect("valid");
        assert!(diff_state(&build_state(&a), &a).is_empty());
    }

    #[test]
    fn differences_are_named() {
        let a = parse_alloc(&alloc("0x10", "0x02")).expect("valid");
        let b = parse_alloc(&alloc("0x11", "0x00")).expect("valid");
        let d = diff_state(&build_state(&a), &b);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].contains("balance 16 expected 17"), "{d:?}");
        assert!(d[1].contains("storage[0x1] 0x2 expected 0x0"), "{d:?}");
    }

    #[test]
    fn bad_value_names_the_field() {
        let e = parse_alloc(&alloc("0xzz", "0x02")).expect_err("bad balance");
        assert!(e.contains(".balance"), "{e}");
    }
}
