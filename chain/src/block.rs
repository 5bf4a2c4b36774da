//! A mined block as the chain keeps it: the sealed header, its transactions with senders, and what each
//! transaction did (the receipt fields RPC serves).

use alloy_consensus::{Header, TxEnvelope};
use alloy_primitives::{Address, Bloom, Bytes, Log, B256};
use std::sync::Arc;

/// A transaction as included in a block.
#[derive(Clone, Debug)]
pub struct ChainTx {
    /// Transaction hash.
    pub hash: B256,
    /// Sender (recovered, or impersonated on a devnet).
    pub sender: Address,
    /// The signed transaction.
    pub envelope: TxEnvelope,
}

/// What executing an included transaction produced.
#[derive(Clone, Debug)]
pub struct TxReceipt {
    /// True on success (EIP-658 status).
    pub success: bool,
    /// Gas this transaction used.
    pub gas_used: u64,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Price per gas actually paid.
    pub effective_gas_price: u128,
    /// Address of the contract a creation made.
    pub contract_address: Option<Address>,
    /// Logs, in order.
    pub logs: Vec<Log>,
    /// Bloom of the logs.
    pub bloom: Bloom,
    /// Return or revert data (not part of the receipt; kept for clients that ask why a transaction failed).
    pub output: Bytes,
    /// Index of this transaction's first log in the block.
    pub first_log_index: u64,
}

/// A mined block.
#[derive(Clone, Debug)]
pub struct ChainBlock {
    /// The header.
    pub header: Header,
    /// keccak256 of the header's RLP.
    pub hash: B256,
    /// Transactions in block order.
    pub txs: Vec<ChainTx>,
    /// One receipt per transaction.
    pub receipts: Vec<TxReceipt>,
    /// Length of the block's RLP in bytes.
    pub size: u64,
}

impl ChainBlock {
    /// Block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }

    /// The index of the transaction with `hash`.
    pub fn tx_index(&self, hash: &B256) -> Option<usize> {
        self.txs.iter().position(|t| t.hash == *hash)
    }
}

/// A shared, immutable block.
pub type SharedBlock = Arc<ChainBlock>;
