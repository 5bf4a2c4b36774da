//! `parevm dev --datadir DIR`: the chain kept durably in `DIR/devnet.redb` (redb), so that a crash, a
//! `kill -9` or a SIGINT never loses a mined block. It is the chain's [`Journal`]: every mined block is
//! written, with the values it left at the locations it touched, in one redb transaction committed with
//! immediate durability before the block becomes visible; a wholesale change (dev edits such as
//! `anvil_setBalance`, `evm_revert`, `anvil_reset`) writes a checkpoint of the whole state.
//!
//! ```text
//! tables: meta       "chain_id" -> u64 (JSON), "checkpoint" -> (head number, state dump JSON)
//!         blocks     number -> block (header RLP, EIP-2718 transactions, senders, receipts) as JSON
//!         changes    number -> StateChanges of a block mined after the checkpoint
//! open:   checkpoint state + changes of later blocks, in order -> head state (root checked against the
//!         head header when blocks follow the checkpoint) ; blocks 0..=head -> Chain::restore
//! ```
//! NOTE: the devnet's own store until the chain service runs on `parevm-storage` (issue 11); the chain's
//! in-memory store and history say the same.

use crate::state_file;
use alloy_consensus::{Header, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use parevm_chain::{
    AccountAfter, ChainBlock, ChainTx, Journal, JournalError, StateChanges, TxReceipt,
};
use parevm_state::InMemoryState;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name of the database inside the datadir.
pub const DB_FILE: &str = "devnet.redb";

const META: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<'static, u64, &[u8]> = TableDefinition::new("blocks");
const CHANGES: TableDefinition<'static, u64, &[u8]> = TableDefinition::new("changes");

/// Why the datadir could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum DatadirError {
    /// The database could not be opened, read or written.
    #[error("{path}: {reason}")]
    Db {
        /// The database file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A stored record does not decode.
    #[error("{path}: stored {what} is corrupt: {reason}")]
    Corrupt {
        /// The database file.
        path: String,
        /// Which record.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The stored chain has another chain id than the one asked for.
    #[error("{path} holds chain {stored}, not chain {asked} (use another --datadir)")]
    ChainId {
        /// The database file.
        path: String,
        /// Chain id on disk.
        stored: u64,
        /// Chain id of this run.
        asked: u64,
    },
}

/// The chain recovered from a datadir.
#[derive(Debug)]
pub struct Recovered {
    /// The head state.
    pub state: InMemoryState,
    /// Blocks from genesis to the head.
    pub blocks: Vec<Arc<ChainBlock>>,
}

/// An open datadir.
pub struct Datadir {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Datadir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Datadir").field("path", &self.path).finish()
    }
}

#[derive(Serialize, Deserialize)]
struct Checkpoint {
    head: u64,
    state: state_file::StateDump,
}

#[derive(Serialize, Deserialize)]
struct StoredTx {
    hash: B256,
    sender: Address,
    envelope: Bytes,
}

#[derive(Serialize, Deserialize)]
struct StoredLog {
    address: Address,
    topics: Vec<B256>,
    data: Bytes,
}

#[derive(Serialize, Deserialize)]
struct StoredReceipt {
    success: bool,
    gas_used: u64,
    cumulative_gas_used: u64,
    effective_gas_price: u128,
    contract_address: Option<Address>,
    logs: Vec<StoredLog>,
    bloom: Bloom,
    output: Bytes,
    first_log_index: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredBlock {
    header: Bytes,
    hash: B256,
    txs: Vec<StoredTx>,
    receipts: Vec<StoredReceipt>,
    size: u64,
}

/// An account after a block: balance, nonce, code hash (`None`: gone).
type StoredAccount = Option<(U256, u64, B256)>;

#[derive(Serialize, Deserialize)]
struct StoredChanges {
    accounts: Vec<(Address, StoredAccount)>,
    storage: Vec<(Address, U256, U256)>,
    codes: Vec<(B256, Bytes)>,
}

fn encode_block(b: &ChainBlock) -> Result<Vec<u8>, serde_json::Error> {
    let mut header = Vec::new();
    alloy_rlp::Encodable::encode(&b.header, &mut header);
    let stored = StoredBlock {
        header: header.into(),
        hash: b.hash,
        txs: b
            .txs
            .iter()
            .map(|t| StoredTx {
                hash: t.hash,
                sender: t.sender,
                envelope: t.envelope.encoded_2718().into(),
            })
            .collect(),
        receipts: b
            .receipts
            .iter()
            .map(|r| StoredReceipt {
                success: r.success,
                gas_used: r.gas_used,
                cumulative_gas_used: r.cumulative_gas_used,
                effective_gas_price: r.effective_gas_price,
                contract_address: r.contract_address,
                logs: r
                    .logs
                    .iter()
                    .map(|l| StoredLog {
                        address: l.address,
                        topics: l.data.topics().to_vec(),
                        data: l.data.data.clone(),
                    })
                    .collect(),
                bloom: r.bloom,
                output: r.output.clone(),
                first_log_index: r.first_log_index,
            })
            .collect(),
        size: b.size,
    };
    serde_json::to_vec(&stored)
}

fn decode_block(bytes: &[u8]) -> Result<ChainBlock, String> {
    let s: StoredBlock = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let header: Header =
        alloy_rlp::Decodable::decode(&mut s.header.as_ref()).map_err(|e| format!("header: {e}"))?;
    let mut txs = Vec::with_capacity(s.txs.len());
    for t in s.txs {
        let envelope = TxEnvelope::decode_2718(&mut t.envelope.as_ref())
            .map_err(|e| format!("transaction {}: {e}", t.hash))?;
        txs.push(ChainTx {
            hash: t.hash,
            sender: t.sender,
            envelope,
        });
    }
    let receipts = s
        .receipts
        .into_iter()
        .map(|r| TxReceipt {
            success: r.success,
            gas_used: r.gas_used,
            cumulative_gas_used: r.cumulative_gas_used,
            effective_gas_price: r.effective_gas_price,
            contract_address: r.contract_address,
            logs: r
                .logs
                .into_iter()
                .map(|l| alloy_primitives::Log::new_unchecked(l.address, l.topics, l.data))
                .collect(),
            bloom: r.bloom,
            output: r.output,
            first_log_index: r.first_log_index,
        })
        .collect();
    Ok(ChainBlock {
        header,
        hash: s.hash,
        txs,
        receipts,
        size: s.size,
    })
}

fn encode_changes(c: &StateChanges) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&StoredChanges {
        accounts: c
            .accounts
            .iter()
            .map(|(a, after)| {
                (
                    *a,
                    after.as_ref().map(|x| (x.balance, x.nonce, x.code_hash)),
                )
            })
            .collect(),
        storage: c.storage.clone(),
        codes: c.codes.clone(),
    })
}

fn decode_changes(bytes: &[u8]) -> Result<StateChanges, String> {
    let s: StoredChanges = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    Ok(StateChanges {
        accounts: s
            .accounts
            .into_iter()
            .map(|(a, after)| {
                (
                    a,
                    after.map(|(balance, nonce, code_hash)| AccountAfter {
                        balance,
                        nonce,
                        code_hash,
                    }),
                )
            })
            .collect(),
        storage: s.storage,
        codes: s.codes,
    })
}

impl Datadir {
    /// Opens (creating when absent) the database in `dir` for chain `chain_id`.
    pub fn open(dir: &Path, chain_id: u64) -> Result<Self, DatadirError> {
        let path = dir.join(DB_FILE);
        let fail = |reason: String| DatadirError::Db {
            path: path.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("creating the folder: {e}")))?;
        let db = Database::create(&path).map_err(|e| fail(e.to_string()))?;
        let me = Self { db, path };
        let stored = me.read_meta("chain_id")?;
        match stored {
            Some(bytes) => {
                let stored: u64 =
                    serde_json::from_slice(&bytes).map_err(|e| me.corrupt("chain id", e))?;
                if stored != chain_id {
                    return Err(DatadirError::ChainId {
                        path: me.path.display().to_string(),
                        stored,
                        asked: chain_id,
                    });
                }
            }
            None => {
                let tx = me.db.begin_write().map_err(|e| me.db_err(e))?;
                {
                    let mut t = tx.open_table(META).map_err(|e| me.db_err(e))?;
                    let v = serde_json::to_vec(&chain_id).map_err(|e| me.db_err(e))?;
                    t.insert("chain_id", v.as_slice())
                        .map_err(|e| me.db_err(e))?;
                    tx.open_table(BLOCKS).map_err(|e| me.db_err(e))?;
                    tx.open_table(CHANGES).map_err(|e| me.db_err(e))?;
                }
                tx.commit().map_err(|e| me.db_err(e))?;
            }
        }
        Ok(me)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db_err(&self, e: impl std::fmt::Display) -> DatadirError {
        DatadirError::Db {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    fn corrupt(&self, what: impl Into<String>, e: impl std::fmt::Display) -> DatadirError {
        DatadirError::Corrupt {
            path: self.path.display().to_string(),
            what: what.into(),
            reason: e.to_string(),
        }
    }

    fn read_meta(&self, key: &str) -> Result<Option<Vec<u8>>, DatadirError> {
        let tx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let t = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.db_err(e)),
        };
        Ok(t.get(key)
            .map_err(|e| self.db_err(e))?
            .map(|v| v.value().to_vec()))
    }

    /// The stored chain, or `None` when the datadir is new.
    pub fn recover(&self) -> Result<Option<Recovered>, DatadirError> {
        let Some(bytes) = self.read_meta("checkpoint")? else {
            return Ok(None);
        };
        let cp: Checkpoint =
            serde_json::from_slice(&bytes).map_err(|e| self.corrupt("checkpoint", e))?;
        let mut state = state_file::to_state(&cp.state);
        let tx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let changes = tx.open_table(CHANGES).map_err(|e| self.db_err(e))?;
        let mut last_changed = None;
        for entry in changes.range(cp.head + 1..).map_err(|e| self.db_err(e))? {
            let (k, v) = entry.map_err(|e| self.db_err(e))?;
            let c = decode_changes(v.value())
                .map_err(|e| self.corrupt(format!("changes of block {}", k.value()), e))?;
            c.apply_to(&mut state);
            last_changed = Some(k.value());
        }
        let table = tx.open_table(BLOCKS).map_err(|e| self.db_err(e))?;
        let mut blocks = Vec::new();
        for entry in table.iter().map_err(|e| self.db_err(e))? {
            let (k, v) = entry.map_err(|e| self.db_err(e))?;
            let b = decode_block(v.value())
                .map_err(|e| self.corrupt(format!("block {}", k.value()), e))?;
            blocks.push(Arc::new(b));
        }
        let Some(head) = blocks.last() else {
            return Err(self.corrupt("chain", "a checkpoint without blocks"));
        };
        if let Some(n) = last_changed {
            if n != head.number() {
                return Err(self.corrupt(
                    "chain",
                    format!("changes end at block {n}, blocks at {}", head.number()),
                ));
            }
            let root = state.state_root();
            if root != head.header.state_root {
                return Err(self.corrupt(
                    "state",
                    format!(
                        "rebuilt root {root} differs from block {}'s {}",
                        n, head.header.state_root
                    ),
                ));
            }
        }
        Ok(Some(Recovered { state, blocks }))
    }

    fn write_block(&self, block: &ChainBlock, changes: &StateChanges) -> Result<(), String> {
        let b = encode_block(block).map_err(|e| e.to_string())?;
        let c = encode_changes(changes).map_err(|e| e.to_string())?;
        let tx = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut blocks = tx.open_table(BLOCKS).map_err(|e| e.to_string())?;
            blocks
                .insert(block.number(), b.as_slice())
                .map_err(|e| e.to_string())?;
            let mut t = tx.open_table(CHANGES).map_err(|e| e.to_string())?;
            t.insert(block.number(), c.as_slice())
                .map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())
    }

    fn write_checkpoint(&self, state: &InMemoryState, head: &ChainBlock) -> Result<(), String> {
        let cp = Checkpoint {
            head: head.number(),
            state: state_file::dump(state, Some((head.number(), head.header.timestamp))),
        };
        let cp = serde_json::to_vec(&cp).map_err(|e| e.to_string())?;
        let b = encode_block(head).map_err(|e| e.to_string())?;
        let tx = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut meta = tx.open_table(META).map_err(|e| e.to_string())?;
            meta.insert("checkpoint", cp.as_slice())
                .map_err(|e| e.to_string())?;
            // Blocks above the head are gone (revert); the head itself may be new (a reset's genesis).
            let mut blocks = tx.open_table(BLOCKS).map_err(|e| e.to_string())?;
            blocks
                .retain(|n, _| n < head.number())
                .map_err(|e| e.to_string())?;
            blocks
                .insert(head.number(), b.as_slice())
                .map_err(|e| e.to_string())?;
            let mut changes = tx.open_table(CHANGES).map_err(|e| e.to_string())?;
            changes.retain(|_, _| false).map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())
    }
}

impl Journal for Datadir {
    fn block_mined(&self, block: &ChainBlock, changes: &StateChanges) -> Result<(), JournalError> {
        self.write_block(block, changes).map_err(|e| {
            JournalError(format!(
                "{}: block {} not written: {e}",
                self.path.display(),
                block.number()
            ))
        })
    }

    fn state_replaced(&self, state: &InMemoryState, head: &ChainBlock) -> Result<(), JournalError> {
        self.write_checkpoint(state, head).map_err(|e| {
            JournalError(format!(
                "{}: checkpoint at block {} not written: {e}",
                self.path.display(),
                head.number()
            ))
        })
    }
}
