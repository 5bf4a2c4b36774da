//! What a run of one case shows, in a form both engines produce: validity, status, gas, logs, created
//! address and the whole post-state.

use alloy_primitives::{Address, Bytes, Log, U256};
use std::collections::BTreeMap;

/// An account after the transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostAccount {
    pub balance: U256,
    pub nonce: u64,
    pub code: Bytes,
    pub storage: BTreeMap<U256, U256>,
}

/// The post-state.
pub type Post = BTreeMap<Address, PostAccount>;

/// How a valid transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    Revert,
    Halt,
}

/// A valid transaction's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exec {
    pub status: Status,
    pub gas_used: u64,
    pub logs: Vec<Log>,
    pub created: Option<Address>,
}

/// One engine's view of a case: `Err` for an invalid transaction (reason text, not compared).
#[derive(Clone, Debug)]
pub struct Observed {
    pub result: Result<Exec, String>,
    pub post: Post,
}

/// Drops zero storage values (both engines' post-states list only non-zero slots).
pub fn normalize(mut post: Post) -> Post {
    for acc in post.values_mut() {
        acc.storage.retain(|_, v| !v.is_zero());
    }
    post
}

/// The first difference between two observations, if any.
pub fn diff(ours: &Observed, oracle: &Observed) -> Option<String> {
    match (&ours.result, &oracle.result) {
        (Ok(a), Ok(b)) => {
            if a != b {
                return Some(format!("result: ours {a:?}, op-revm {b:?}"));
            }
        }
        (Err(_), Err(_)) => return None,
        (a, b) => return Some(format!("validity: ours {a:?}, op-revm {b:?}")),
    }
    if ours.post != oracle.post {
        for (addr, acc) in &ours.post {
            match oracle.post.get(addr) {
                Some(o) if o == acc => {}
                o => return Some(format!("account {addr}: ours {acc:?}, op-revm {o:?}")),
            }
        }
        for (addr, acc) in &oracle.post {
            if !ours.post.contains_key(addr) {
                return Some(format!("account {addr}: ours absent, op-revm {acc:?}"));
            }
        }
    }
    None
}
