//! What one engine made of a case, in a shape both engines can be compared in: the execution result and
//! the whole resulting world state (zero storage dropped).

use alloy_primitives::{hex, Address, Bytes, Log, U256};
use std::collections::BTreeMap;
use std::fmt;

/// How execution ended, coarsely (halt reasons are named differently by the two engines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Finished normally.
    Success,
    /// REVERT at the top level.
    Revert,
    /// Exceptional halt.
    Halt,
}

/// The result of a transaction that was valid in this engine.
#[derive(Clone, Debug)]
pub struct Exec {
    /// How it ended.
    pub status: Status,
    /// The engine's own word for it (halt reason), for the dump only.
    pub detail: String,
    /// Gas charged to the sender.
    pub gas_used: u64,
    /// Refund granted (capped).
    pub gas_refunded: u64,
    /// Return or revert data (not compared for a successful creation: engines differ on what they report).
    pub output: Bytes,
    /// Logs.
    pub logs: Vec<Log>,
    /// Address of the created contract.
    pub created: Option<Address>,
}

/// An account of the resulting state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostAccount {
    /// Balance.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code.
    pub code: Bytes,
    /// Non-zero storage.
    pub storage: BTreeMap<U256, U256>,
}

/// A whole world state.
pub type Post = BTreeMap<Address, PostAccount>;

/// What one engine made of a case.
#[derive(Clone, Debug)]
pub struct Observed {
    /// The result, or the engine's reason for rejecting the transaction.
    pub result: Result<Exec, String>,
    /// The resulting state (the pre-state when the transaction was rejected).
    pub post: Post,
    /// parevm only: a failed self-check (a location read from the view but missing from the read set, or
    /// a different result when the execution is parked on not-ready reads and resumed).
    pub self_check: Option<String>,
}

/// Drops zero storage values (a slot set to zero and a slot never written are the same thing). Empty
/// accounts are kept: whether an empty account exists changes the state root, so EIP-161 clearing is compared.
pub fn normalize(mut post: Post) -> Post {
    for acc in post.values_mut() {
        acc.storage.retain(|_, v| !v.is_zero());
    }
    post
}

impl fmt::Display for Exec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:?} ({}) gas_used {} refunded {} created {:?}",
            self.status, self.detail, self.gas_used, self.gas_refunded, self.created
        )?;
        writeln!(f, "  output {}", hex::encode(&self.output))?;
        for l in &self.logs {
            writeln!(
                f,
                "  log {} topics {:?} data {}",
                l.address,
                l.data.topics(),
                hex::encode(&l.data.data)
            )?;
        }
        Ok(())
    }
}

/// One account in a dump.
pub fn fmt_account(a: &PostAccount) -> String {
    let mut s = format!(
        "balance {} nonce {} code {}",
        a.balance,
        a.nonce,
        hex::encode(&a.code)
    );
    for (k, v) in &a.storage {
        s.push_str(&format!(" [{k:#x}]={v:#x}"));
    }
    s
}
