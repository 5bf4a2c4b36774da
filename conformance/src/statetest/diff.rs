//! What differs between the state the EVM produced and the fixture's expected post allocation (`state`):
//! one line per differing account field or storage slot, for state-root failures.

use super::fixture::{parse_post_state, FixtureAccount};
use alloy_primitives::{keccak256, Address, U256};
use parevm_evm_core::KECCAK_EMPTY;
use parevm_state::{AccountState, InMemoryState};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// At most this many lines are reported.
const MAX_LINES: usize = 24;

/// Lists the differences between `ours` and the expected allocation `raw` (JSON).
pub fn diff_post_state(
    file: &Path,
    name: &str,
    raw: &RawValue,
    ours: &InMemoryState,
) -> Vec<String> {
    let expected = match parse_post_state(file, name, raw) {
        Ok(e) => e,
        Err(e) => return vec![format!("cannot read the expected post state: {e}")],
    };
    let expected: BTreeMap<Address, FixtureAccount> =
        expected.into_iter().map(|(a, acc)| (a.0, acc)).collect();
    let addresses: BTreeSet<Address> = expected
        .keys()
        .copied()
        .chain(ours.accounts().map(|(a, _)| *a))
        .collect();
    let mut lines = Vec::new();
    for address in addresses {
        match (expected.get(&address), ours.account(&address)) {
            (Some(exp), None) => lines.push(format!(
                "{address}: missing (expected balance {}, nonce {}, {} code bytes, {} slots)",
                exp.balance.0,
                exp.nonce.0,
                exp.code.0.len(),
                exp.storage.len()
            )),
            (None, Some(got)) => lines.push(format!(
                "{address}: should not exist (got balance {}, nonce {}, code {}, {} slots)",
                got.balance,
                got.nonce,
                got.code_hash,
                got.storage.len()
            )),
            (Some(exp), Some(got)) => diff_account(address, exp, got, &mut lines),
            (None, None) => {}
        }
    }
    if lines.is_empty() {
        lines.push(
            "no account differs from the expected allocation: the root computation differs".into(),
        );
    }
    if lines.len() > MAX_LINES {
        let more = lines.len() - MAX_LINES;
        lines.truncate(MAX_LINES);
        lines.push(format!("… and {more} more differences"));
    }
    lines
}

fn diff_account(
    address: Address,
    exp: &FixtureAccount,
    got: &AccountState,
    lines: &mut Vec<String>,
) {
    if exp.balance.0 != got.balance {
        let (e, g) = (exp.balance.0, got.balance);
        let delta = if g > e {
            format!("+{}", g - e)
        } else {
            format!("-{}", e - g)
        };
        lines.push(format!(
            "{address}: balance expected {e}, got {g} ({delta})"
        ));
    }
    if exp.nonce.0 != got.nonce {
        lines.push(format!(
            "{address}: nonce expected {}, got {}",
            exp.nonce.0, got.nonce
        ));
    }
    let exp_hash = if exp.code.0.is_empty() {
        KECCAK_EMPTY
    } else {
        keccak256(&exp.code.0)
    };
    if exp_hash != got.code_hash {
        lines.push(format!(
            "{address}: code expected {} bytes (hash {exp_hash}), got hash {}",
            exp.code.0.len(),
            got.code_hash
        ));
    }
    let slots: BTreeSet<U256> = exp
        .storage
        .keys()
        .map(|k| k.0)
        .chain(got.storage.keys().copied())
        .collect();
    for slot in slots {
        let e = exp
            .storage
            .get(&super::quantity::HexU256(slot))
            .map_or(U256::ZERO, |v| v.0);
        let g = got.storage.get(&slot).copied().unwrap_or_default();
        if e != g {
            lines.push(format!(
                "{address}: storage[{slot:#x}] expected {e:#x}, got {g:#x}"
            ));
        }
    }
}
