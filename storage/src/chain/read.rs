//! Readers of the chain: blocks by number or hash, bodies, senders, receipts, transaction locations, head
//! labels, total difficulty. Each call reads one fresh snapshot; for several reads that must agree, take
//! [`ChainStore::snapshot`] and use the `*_in` functions.

use super::ChainStore;
use crate::codec::{
    decode_b256, decode_block_ref, decode_number, decode_rlp, decode_senders, encode_block_ref,
};
use crate::error::StoreError;
use crate::kv::{KvRead, Table, WriteBatch};
use alloy_consensus::Header;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rlp::Decodable;
use parevm_block::TypedReceipt;

/// A block by number and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRef {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
}

/// The head labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// The newest block (moves on every commit and unwind).
    Latest,
    /// The safe block (set by the consensus layer).
    Safe,
    /// The finalized block (set by the consensus layer; never unwound).
    Finalized,
}

impl Label {
    /// Key in the labels table.
    pub fn key(self) -> &'static [u8] {
        match self {
            Label::Latest => b"latest",
            Label::Safe => b"safe",
            Label::Finalized => b"finalized",
        }
    }
}

/// Where a canonical transaction sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub block_number: u64,
    /// Block hash.
    pub block_hash: B256,
    /// Index in the block.
    pub index: u32,
}

/// The canonical hash of block `number` in `snap`.
pub fn hash_in(snap: &dyn KvRead, number: u64) -> Result<Option<B256>, StoreError> {
    match snap.get(Table::Canonical, &number.to_be_bytes())? {
        Some(v) => Ok(Some(decode_b256("canonical hash", &v)?)),
        None => Ok(None),
    }
}

/// The header with `hash` in `snap`.
pub fn header_in(snap: &dyn KvRead, hash: &B256) -> Result<Option<Header>, StoreError> {
    match snap.get(Table::Headers, hash.as_slice())? {
        Some(v) => Ok(Some(decode_rlp("header", &v)?)),
        None => Ok(None),
    }
}

impl ChainStore {
    fn snap(&self) -> Result<std::sync::Arc<dyn KvRead>, StoreError> {
        Ok(self.kv.snapshot()?)
    }

    /// The canonical hash of block `number`.
    pub fn hash_by_number(&self, number: u64) -> Result<Option<B256>, StoreError> {
        hash_in(self.snap()?.as_ref(), number)
    }

    /// The number of the block with `hash` (canonical or not).
    pub fn number_by_hash(&self, hash: &B256) -> Result<Option<u64>, StoreError> {
        match self.snap()?.get(Table::HeaderNumbers, hash.as_slice())? {
            Some(v) => Ok(Some(decode_number(&v)?)),
            None => Ok(None),
        }
    }

    /// True when `hash` is the canonical block of its number.
    pub fn is_canonical(&self, hash: &B256) -> Result<bool, StoreError> {
        let snap = self.snap()?;
        let Some(v) = snap.get(Table::HeaderNumbers, hash.as_slice())? else {
            return Ok(false);
        };
        Ok(hash_in(snap.as_ref(), decode_number(&v)?)? == Some(*hash))
    }

    /// The header with `hash`.
    pub fn header_by_hash(&self, hash: &B256) -> Result<Option<Header>, StoreError> {
        header_in(self.snap()?.as_ref(), hash)
    }

    /// The canonical header of block `number`.
    pub fn header_by_number(&self, number: u64) -> Result<Option<Header>, StoreError> {
        let snap = self.snap()?;
        match hash_in(snap.as_ref(), number)? {
            Some(h) => header_in(snap.as_ref(), &h),
            None => Ok(None),
        }
    }

    /// The header's RLP (as hashed) of the block with `hash`.
    pub fn header_rlp(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self
            .snap()?
            .get(Table::Headers, hash.as_slice())?
            .map(Bytes::from))
    }

    /// The body RLP `[transactions, ommers, withdrawals?]` of the block with `hash`.
    pub fn body_rlp(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self
            .snap()?
            .get(Table::Bodies, hash.as_slice())?
            .map(Bytes::from))
    }

    /// The body of the block with `hash`, decoded as `T` (for Ethereum:
    /// `alloy_consensus::BlockBody<parevm_block::input::BlockTx>`).
    pub fn body<T: Decodable>(&self, hash: &B256) -> Result<Option<T>, StoreError> {
        match self.body_rlp(hash)? {
            Some(b) => Ok(Some(decode_rlp("body", &b)?)),
            None => Ok(None),
        }
    }

    /// The whole block's RLP `[header, transactions, ommers, withdrawals?]`, as `geth export` writes it.
    pub fn block_rlp(&self, hash: &B256) -> Result<Option<Vec<u8>>, StoreError> {
        let snap = self.snap()?;
        let (Some(header), Some(body)) = (
            snap.get(Table::Headers, hash.as_slice())?,
            snap.get(Table::Bodies, hash.as_slice())?,
        ) else {
            return Ok(None);
        };
        let mut slice = body.as_slice();
        let h = alloy_rlp::Header::decode(&mut slice).map_err(|e| {
            StoreError::Codec(crate::codec::CodecError {
                what: "body",
                reason: e.to_string(),
            })
        })?;
        if !h.list || slice.len() != h.payload_length {
            return Err(StoreError::Codec(crate::codec::CodecError {
                what: "body",
                reason: "not one RLP list".into(),
            }));
        }
        let payload_length = header.len() + slice.len();
        let mut out = Vec::with_capacity(payload_length + 9);
        alloy_rlp::Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        out.extend_from_slice(&header);
        out.extend_from_slice(slice);
        Ok(Some(out))
    }

    /// The senders of the block with `hash`, in transaction order.
    pub fn senders(&self, hash: &B256) -> Result<Option<Vec<Address>>, StoreError> {
        match self.snap()?.get(Table::Senders, hash.as_slice())? {
            Some(v) => Ok(Some(decode_senders(&v)?)),
            None => Ok(None),
        }
    }

    /// The transaction hashes of the block with `hash`, in order.
    pub fn tx_hashes(&self, hash: &B256) -> Result<Option<Vec<B256>>, StoreError> {
        match self.snap()?.get(Table::BlockTxHashes, hash.as_slice())? {
            Some(v) => Ok(Some(v.chunks_exact(32).map(B256::from_slice).collect())),
            None => Ok(None),
        }
    }

    /// The EIP-2718 encoded receipts of the block with `hash`.
    pub fn receipts_rlp(&self, hash: &B256) -> Result<Option<Vec<Bytes>>, StoreError> {
        match self.snap()?.get(Table::Receipts, hash.as_slice())? {
            Some(v) => Ok(Some(decode_rlp("receipts", &v)?)),
            None => Ok(None),
        }
    }

    /// The receipts of the block with `hash` as Ethereum receipt envelopes.
    pub fn receipts(&self, hash: &B256) -> Result<Option<Vec<TypedReceipt>>, StoreError> {
        use alloy_eips::eip2718::Decodable2718;
        let Some(raw) = self.receipts_rlp(hash)? else {
            return Ok(None);
        };
        raw.iter()
            .map(|r| {
                TypedReceipt::decode_2718(&mut r.as_ref()).map_err(|e| {
                    StoreError::Codec(crate::codec::CodecError {
                        what: "receipt",
                        reason: e.to_string(),
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Where the canonical transaction `tx_hash` is.
    pub fn transaction_location(&self, tx_hash: &B256) -> Result<Option<TxLocation>, StoreError> {
        let snap = self.snap()?;
        let Some(v) = snap.get(Table::TxIndex, tx_hash.as_slice())? else {
            return Ok(None);
        };
        if v.len() != 12 {
            return Err(StoreError::Codec(crate::codec::CodecError {
                what: "tx index",
                reason: format!("{} bytes", v.len()),
            }));
        }
        let block_number = decode_number(&v[..8])?;
        let index = u32::from_be_bytes([v[8], v[9], v[10], v[11]]);
        let block_hash = hash_in(snap.as_ref(), block_number)?
            .ok_or_else(|| StoreError::MissingBlock(block_number.to_string()))?;
        Ok(Some(TxLocation {
            block_number,
            block_hash,
            index,
        }))
    }

    /// Total difficulty up to and including the block with `hash`.
    pub fn total_difficulty(&self, hash: &B256) -> Result<Option<U256>, StoreError> {
        match self.snap()?.get(Table::TotalDifficulty, hash.as_slice())? {
            Some(v) => Ok(Some(U256::from_be_slice(
                &decode_b256("total difficulty", &v)?.0,
            ))),
            None => Ok(None),
        }
    }

    /// The block a label points at.
    pub fn label(&self, label: Label) -> Result<Option<BlockRef>, StoreError> {
        match self.snap()?.get(Table::Labels, label.key())? {
            Some(v) => {
                let (number, hash) = decode_block_ref(&v)?;
                Ok(Some(BlockRef { number, hash }))
            }
            None => Ok(None),
        }
    }

    /// Points the safe and finalized labels at canonical blocks (in one commit, none when both already
    /// point there). `latest` follows commits and unwinds only.
    pub fn set_safe_finalized(&self, safe: B256, finalized: B256) -> Result<(), StoreError> {
        let _writer = self.write.lock();
        let snap = self.snap()?;
        let mut batch = WriteBatch::new();
        for (label, hash) in [(Label::Safe, safe), (Label::Finalized, finalized)] {
            let number = snap
                .get(Table::HeaderNumbers, hash.as_slice())?
                .map(|v| decode_number(&v))
                .transpose()?
                .ok_or_else(|| StoreError::MissingBlock(hash.to_string()))?;
            if hash_in(snap.as_ref(), number)? != Some(hash) {
                return Err(StoreError::MissingBlock(format!("{hash} is not canonical")));
            }
            let value = encode_block_ref(number, &hash);
            // A label already there is not written again: a forkchoice update that moves only the
            // head (the common case) costs no second commit and no second sync.
            if snap.get(Table::Labels, label.key())?.as_deref() != Some(value.as_slice()) {
                batch.put(Table::Labels, label.key(), value);
            }
        }
        if !batch.is_empty() {
            self.kv.commit(batch)?;
        }
        Ok(())
    }
}
