//! What the executor consumes: a header plus a body whose transactions already have their senders.
//!
//! [`decode_block`] turns canonical block RLP into a [`DecodedBlock`] (alloy-consensus types, with the
//! header hash and encoded size); [`BlockInput::from_decoded`] recovers the senders under the fork's
//! signature rules and computes the transactions root the header must match.

use crate::error::BlockError;
use crate::tx_env::tx_env_from_envelope;
use alloy_consensus::{proofs, Block, EthereumTxEnvelope, Header, TxEip4844};
use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{keccak256, B256};
use alloy_rlp::Decodable;
use parevm_evm_core::{SpecId, TxEnv};

/// A block transaction as it appears inside a block (blob transactions without sidecars).
pub type BlockTx = EthereumTxEnvelope<TxEip4844>;

/// Why block bytes are not a block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The RLP is malformed or does not have the block's shape.
    #[error("block RLP: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// Bytes follow the block.
    #[error("{0} trailing bytes after the block RLP")]
    TrailingBytes(usize),
    /// A blob (type 3) or set-code (type 4) transaction without a recipient: these cannot create
    /// contracts, and their encoding has no empty `to`.
    #[error("transaction {index}: type {tx_type} transaction without a recipient")]
    CreateNotAllowed {
        /// Transaction index in the block.
        index: usize,
        /// Its type.
        tx_type: u8,
    },
    /// A fee per gas so large that fee times gas limit overflows 256 bits.
    #[error("transaction {index}: fee per gas times gas limit overflows 256 bits")]
    FeeOverflow {
        /// Transaction index in the block.
        index: usize,
    },
    /// The header is a list of well-formed fields that is no fork's header (a field missing, or a field
    /// of a fork not active).
    #[error("header of {fields} fields is not a header of any fork")]
    HeaderFields {
        /// Fields in the header list.
        fields: usize,
    },
}

/// A decoded block with the facts only its bytes give.
#[derive(Clone, Debug)]
pub struct DecodedBlock {
    /// The block.
    pub block: Block<BlockTx>,
    /// keccak256 of the header's RLP.
    pub hash: B256,
    /// Length of the whole block's RLP (EIP-7934).
    pub size: usize,
}

/// Decodes one block from its canonical RLP `[header, transactions, ommers, withdrawals?]`.
pub fn decode_block(bytes: &[u8]) -> Result<DecodedBlock, DecodeError> {
    let mut buf = bytes;
    let (block, hash) = match Block::<BlockTx>::decode_sealed(&mut buf) {
        Ok(sealed) => sealed.into_parts(),
        Err(e) => return Err(crate::decode_diag::diagnose(bytes).unwrap_or(DecodeError::Rlp(e))),
    };
    if !buf.is_empty() {
        return Err(DecodeError::TrailingBytes(buf.len()));
    }
    Ok(DecodedBlock {
        block,
        hash,
        size: bytes.len(),
    })
}

/// Decodes a lone header (a genesis header, say) from RLP and returns it with its hash.
pub fn decode_header(bytes: &[u8]) -> Result<(Header, B256), DecodeError> {
    let mut buf = bytes;
    let header = Header::decode(&mut buf)?;
    if !buf.is_empty() {
        return Err(DecodeError::TrailingBytes(buf.len()));
    }
    Ok((header, keccak256(bytes)))
}

/// The block hash: keccak256 of the header's RLP.
pub fn header_hash(header: &Header) -> B256 {
    header.hash_slow()
}

/// A block ready to execute.
#[derive(Clone, Debug, Default)]
pub struct BlockInput {
    /// The header.
    pub header: Header,
    /// The header's hash.
    pub hash: B256,
    /// Transactions with senders recovered.
    pub transactions: Vec<TxEnv>,
    /// Root of the encoded transactions; `None` when the source had no encoding (replay JSON).
    pub transactions_root: Option<B256>,
    /// Ommer headers.
    pub ommers: Vec<Header>,
    /// EIP-4895 withdrawals (Shanghai on).
    pub withdrawals: Option<Vec<Withdrawal>>,
    /// Length of the block's RLP; `None` when unknown.
    pub encoded_size: Option<usize>,
}

impl BlockInput {
    /// Recovers the senders of a decoded block under the signature rules of `spec`.
    pub fn from_decoded(decoded: DecodedBlock, spec: SpecId) -> Result<Self, BlockError> {
        let DecodedBlock { block, hash, size } = decoded;
        let transactions_root = proofs::calculate_transaction_root(&block.body.transactions);
        let transactions = block
            .body
            .transactions
            .iter()
            .enumerate()
            .map(|(index, tx)| tx_env_from_envelope(index, tx, spec))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            header: block.header,
            hash,
            transactions,
            transactions_root: Some(transactions_root),
            ommers: block.body.ommers,
            withdrawals: block.body.withdrawals.map(|w| w.into_inner()),
            encoded_size: Some(size),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(matches!(
            decode_block(&[0x01, 0x02]),
            Err(DecodeError::Rlp(_))
        ));
        assert!(matches!(decode_block(&[]), Err(DecodeError::Rlp(_))));
        assert!(matches!(decode_header(&[0xc0]), Err(DecodeError::Rlp(_))));
    }

    #[test]
    fn header_round_trips_with_hash() {
        let header = Header {
            number: 7,
            gas_limit: 30_000_000,
            ..Default::default()
        };
        let bytes = alloy_rlp::encode(&header);
        let (decoded, hash) = decode_header(&bytes).expect("valid header");
        assert_eq!(decoded, header);
        assert_eq!(hash, header.hash_slow());
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(decode_header(&long), Err(DecodeError::TrailingBytes(1)));
    }

    #[test]
    fn empty_block_round_trips() {
        let block = Block::<BlockTx> {
            header: Header::default(),
            body: Default::default(),
        };
        let bytes = alloy_rlp::encode(&block);
        let decoded = decode_block(&bytes).expect("valid block");
        assert_eq!(decoded.hash, Header::default().hash_slow());
        assert_eq!(decoded.size, bytes.len());
        let input = BlockInput::from_decoded(decoded, SpecId::CANCUN).expect("no txs");
        assert!(input.transactions.is_empty());
        assert_eq!(input.transactions_root, Some(alloy_trie::EMPTY_ROOT_HASH));
    }
}
