//! A from-scratch check of the stored state: every account's storage root recomputed from its slots and the
//! state root from every account, independent of the stored trie nodes (`parevm db check`, crash tests).

use super::ChainStore;
use crate::codec::{Account, CodecError};
use crate::error::StoreError;
use crate::kv::Table;
use alloy_primitives::B256;
use alloy_trie::{HashBuilder, Nibbles};

/// What [`ChainStore::verify_state`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// The state root recomputed from the leaves.
    pub root: B256,
    /// Accounts.
    pub accounts: u64,
    /// Storage slots.
    pub slots: u64,
}

impl ChainStore {
    /// Recomputes the state root of the latest snapshot from its leaves alone; an account whose stored
    /// storage root differs from its slots is an error.
    pub fn verify_state(&self) -> Result<VerifyReport, StoreError> {
        let snap = self.kv.snapshot()?;
        let mut accounts = Vec::new();
        snap.scan(Table::Accounts, &[], &mut |k, v| {
            accounts.push((B256::from_slice(k), v.to_vec()));
            true
        })?;
        let mut hb = HashBuilder::default();
        let mut slots = 0u64;
        for (hashed, value) in &accounts {
            let account = Account::decode_value(value)?;
            let mut storage = HashBuilder::default();
            snap.scan_prefix(Table::Storage, hashed.as_slice(), &mut |k, v| {
                storage.add_leaf(Nibbles::unpack(&k[32..]), v);
                slots += 1;
                true
            })?;
            let root = storage.root();
            if root != account.storage_root {
                return Err(StoreError::Codec(CodecError {
                    what: "account storage root",
                    reason: format!(
                        "account {hashed}: stored {}, slots give {root}",
                        account.storage_root
                    ),
                }));
            }
            hb.add_leaf(Nibbles::unpack(hashed), value);
        }
        Ok(VerifyReport {
            root: hb.root(),
            accounts: accounts.len() as u64,
            slots,
        })
    }
}
