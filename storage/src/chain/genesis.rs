//! Starting a chain: the genesis state, its tries and block 0, written in one batch.

use super::commit::{write_block, NewBlock};
use super::read::Label;
use super::{meta, ChainStore, Head, SCHEMA_VERSION};
use crate::changes::{
    compute_root, write_changes, AccountChange, AccountInfo, SlotChange, StateChanges,
};
use crate::codec::{decode_b256, encode_block_ref, encode_rlp, number_key};
use crate::error::StoreError;
use crate::kv::mem::MemKv;
use crate::kv::{Kv, Table, WriteBatch};
use alloy_consensus::{BlockBody, Header};
use alloy_primitives::{keccak256, B256};
use parevm_block::genesis::{alloc_state, genesis_header, ChainConfig, Genesis};
use parevm_block::input::BlockTx;
use parevm_block::{ChainSpec, GenesisError};
use parevm_state::InMemoryState;

/// The diff that creates `state` from nothing.
pub fn changes_from_state(state: &InMemoryState) -> StateChanges {
    let mut out = StateChanges::default();
    for (address, account) in state.accounts() {
        let slots = account
            .storage
            .iter()
            .map(|(slot, value)| {
                (
                    keccak256(slot.to_be_bytes::<32>()),
                    SlotChange {
                        slot: Some(*slot),
                        value: *value,
                    },
                )
            })
            .collect();
        out.accounts.insert(
            keccak256(address),
            AccountChange {
                address: Some(*address),
                info: Some(AccountInfo {
                    nonce: account.nonce,
                    balance: account.balance,
                    code_hash: account.code_hash,
                }),
                wiped: false,
                slots,
            },
        );
        if let Some(code) = state.code(&account.code_hash) {
            if !code.is_empty() {
                out.codes.insert(account.code_hash, code.bytes().clone());
            }
        }
    }
    out
}

impl ChainStore {
    /// Writes the chain of a geth-style genesis (`parevm init`) and returns the genesis hash. Idempotent for
    /// the same genesis; another genesis over an initialised database is refused.
    pub fn init_genesis(&self, genesis: &Genesis) -> Result<B256, StoreError> {
        let spec = ChainSpec::from_config(&genesis.config)?;
        let fork = spec.genesis_fork(genesis)?;
        let state = alloc_state(&genesis.alloc);
        self.init_chain(Some(&genesis.config), &state, |root| {
            genesis_header(genesis, root, &fork)
        })
    }

    /// Writes a chain starting from `state` with the header `make_header(state_root)` (another chain's
    /// genesis rules plug in here) and returns its hash. `config` is stored for [`ChainStore::chain_spec`];
    /// without it the caller brings its own executor (fixture runners).
    pub fn init_chain(
        &self,
        config: Option<&ChainConfig>,
        state: &InMemoryState,
        make_header: impl FnOnce(B256) -> Header,
    ) -> Result<B256, StoreError> {
        let spec = config.map(ChainSpec::from_config).transpose()?;
        let _writer = self.write.lock();
        let snap = self.kv.snapshot()?;
        let changes = changes_from_state(state);
        if let Some(stored) = snap.get(Table::Meta, meta::GENESIS_HASH)? {
            let stored = decode_b256("genesis hash", &stored)?;
            // The stored tries hold the head's state, not the genesis state (after an import they differ), so
            // the given genesis' root is computed over an empty database.
            let empty = MemKv::new().snapshot()?;
            let root = compute_root(empty.as_ref(), &changes)?;
            let hash = make_header(root.root).hash_slow();
            return if stored == hash {
                Ok(hash)
            } else {
                Err(StoreError::GenesisMismatch {
                    stored,
                    given: hash,
                })
            };
        }
        let root = compute_root(snap.as_ref(), &changes)?;
        let header = make_header(root.root);
        let hash = header.hash_slow();
        let mut batch = WriteBatch::new();
        write_changes(snap.as_ref(), &changes, &root, &mut batch)?;
        let body = BlockBody::<BlockTx> {
            transactions: vec![],
            ommers: vec![],
            withdrawals: header.withdrawals_root.map(|_| Default::default()),
        };
        let body = encode_rlp(&body);
        let block = NewBlock {
            header: &header,
            hash,
            body: &body,
            tx_hashes: &[],
            senders: &[],
            receipts: &[],
        };
        write_block(&mut batch, &block, header.difficulty);
        let number = header.number;
        for label in [Label::Safe, Label::Finalized] {
            batch.put(Table::Labels, label.key(), encode_block_ref(number, &hash));
        }
        if let Some(config) = config {
            let json = serde_json::to_vec(config)
                .map_err(|e| StoreError::Genesis(GenesisError::Json(e.to_string())))?;
            batch.put(Table::Meta, meta::CHAIN_CONFIG, json);
        }
        batch.put(Table::Meta, meta::GENESIS_HASH, hash.to_vec());
        batch.put(
            Table::Meta,
            meta::SCHEMA,
            number_key(SCHEMA_VERSION).to_vec(),
        );
        self.kv.commit(batch)?;
        *self.spec.lock() = spec;
        *self.head.lock() = Some(Head {
            number,
            hash,
            header,
        });
        Ok(hash)
    }

    /// The genesis hash, once initialised.
    pub fn genesis_hash(&self) -> Result<B256, StoreError> {
        let snap = self.kv.snapshot()?;
        let v = snap
            .get(Table::Meta, meta::GENESIS_HASH)?
            .ok_or(StoreError::NotInitialized)?;
        Ok(decode_b256("genesis hash", &v)?)
    }
}
