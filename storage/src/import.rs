//! Importing blocks as `geth export` writes them (RLP blocks back to back): each block is decoded, its
//! senders recovered (a window ahead, in parallel), executed and validated on the head's state, and
//! committed; blocks already stored are skipped, so an import interrupted at any point continues where the
//! database stopped.
//!
//! ```text
//! bytes -> split_blocks (typed error at the first truncated or malformed block)
//!       -> window of N blocks: decode + fork + sender recovery (rayon)
//!       -> per block: skip if stored | begin_block -> BlockExecutor::execute -> commit_block
//!       -> on_block(report): timings for the progress bar and the benchmarks
//! ```

use crate::chain::{split_block_rlp, ChainStore, NewBlock};
use crate::error::StoreError;
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Bytes, B256};
use parevm_block::{decode_block, BlockError, BlockExecutor, BlockInput, DecodeError, TxRunner};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Blocks decoded and recovered ahead of execution.
const WINDOW: usize = 64;

/// Why an import stopped. Every variant names the block; nothing of that block was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bytes of the block after `after` are not a block.
    #[error("block {number} (at byte {offset}): {source}")]
    Decode {
        /// The number the block would have (the previous block's plus one).
        number: u64,
        /// Byte offset of the block in the input.
        offset: usize,
        /// Why.
        source: DecodeError,
    },
    /// The block is invalid.
    #[error("block {number} ({hash}): {source}")]
    Invalid {
        /// Its number.
        number: u64,
        /// Its hash.
        hash: B256,
        /// Why.
        source: BlockError,
    },
    /// The block conflicts with the stored chain (a different block at that number, or a gap).
    #[error("block {number} ({hash}): {reason}")]
    Conflict {
        /// Its number.
        number: u64,
        /// Its hash.
        hash: B256,
        /// How.
        reason: String,
    },
    /// The store failed.
    #[error("block {number}: {source}")]
    Store {
        /// The block being imported.
        number: u64,
        /// Why.
        source: StoreError,
    },
}

/// One imported block.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockReport {
    /// Its number.
    pub number: u64,
    /// Transactions.
    pub txs: usize,
    /// Gas used.
    pub gas: u64,
    /// Executing and validating (state root included, see `root`).
    pub execute: Duration,
    /// The incremental state root (storage tries + account trie), part of `execute`.
    pub root: Duration,
    /// Building and writing the batch.
    pub commit: Duration,
    /// True when the block was already stored and skipped.
    pub skipped: bool,
}

/// Totals of an import.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportSummary {
    /// Blocks executed and committed.
    pub imported: u64,
    /// Blocks already stored.
    pub skipped: u64,
    /// Transactions executed.
    pub txs: u64,
    /// Gas executed.
    pub gas: u64,
    /// Time executing (root included).
    pub execute: Duration,
    /// Time in the state root.
    pub root: Duration,
    /// Time committing.
    pub commit: Duration,
}

/// Splits RLP blocks written back to back into `(offset, bytes)`; the first item that does not fit is an
/// error naming its offset.
pub fn split_blocks(
    data: &[u8],
) -> impl Iterator<Item = Result<(usize, &[u8]), (usize, DecodeError)>> {
    let mut offset = 0usize;
    std::iter::from_fn(move || {
        if offset >= data.len() {
            return None;
        }
        let mut rest = &data[offset..];
        let before = rest.len();
        let item = match alloy_rlp::Header::decode(&mut rest) {
            Ok(h) if !h.list => Err(DecodeError::Rlp(alloy_rlp::Error::UnexpectedString)),
            Ok(h) => {
                let header_len = before - rest.len();
                let total = header_len + h.payload_length;
                if total > before {
                    Err(DecodeError::Rlp(alloy_rlp::Error::InputTooShort))
                } else {
                    Ok(total)
                }
            }
            Err(e) => Err(DecodeError::Rlp(e)),
        };
        match item {
            Ok(total) => {
                let at = offset;
                offset += total;
                Some(Ok((at, &data[at..at + total])))
            }
            Err(e) => {
                let at = offset;
                offset = data.len();
                Some(Err((at, e)))
            }
        }
    })
}

/// A block decoded and ready to execute.
struct Prepared<'a> {
    input: BlockInput,
    raw: &'a [u8],
    tx_hashes: Vec<B256>,
}

/// Imports every block of `data` on top of the store's head with `executor`'s rules and `runner`.
pub fn import_blocks(
    store: &ChainStore,
    executor: &BlockExecutor,
    data: &[u8],
    on_block: &mut dyn FnMut(&BlockReport),
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let mut blocks = split_blocks(data).peekable();
    let mut last_number = store
        .head()
        .map_err(|source| ImportError::Store { number: 0, source })?
        .0
        .number;
    while blocks.peek().is_some() {
        let window: Vec<_> = blocks.by_ref().take(WINDOW).collect();
        // Decode and recover senders ahead, in parallel; errors surface in block order below.
        let prepared: Vec<Result<Prepared<'_>, Box<(usize, ImportError)>>> = window
            .into_par_iter()
            .map(|item| prepare(executor, item))
            .collect();
        for p in prepared {
            let p = p.map_err(|b| {
                let (offset, e) = *b;
                match e {
                    ImportError::Decode { source, .. } => ImportError::Decode {
                        number: last_number + 1,
                        offset,
                        source,
                    },
                    other => other,
                }
            })?;
            last_number = p.input.header.number;
            let report = import_one(store, executor, &p)?;
            if report.skipped {
                summary.skipped += 1;
            } else {
                summary.imported += 1;
                summary.txs += report.txs as u64;
                summary.gas += report.gas;
                summary.execute += report.execute;
                summary.root += report.root;
                summary.commit += report.commit;
            }
            on_block(&report);
        }
    }
    Ok(summary)
}

/// Decodes one block and recovers its senders.
fn prepare<'a>(
    executor: &BlockExecutor,
    item: Result<(usize, &'a [u8]), (usize, DecodeError)>,
) -> Result<Prepared<'a>, Box<(usize, ImportError)>> {
    let decode = |offset, source| {
        Box::new((
            offset,
            ImportError::Decode {
                number: 0,
                offset,
                source,
            },
        ))
    };
    let (offset, raw) = item.map_err(|(offset, e)| decode(offset, e))?;
    let decoded = decode_block(raw).map_err(|e| decode(offset, e))?;
    let number = decoded.block.header.number;
    let hash = decoded.hash;
    let invalid = |source| {
        Box::new((
            offset,
            ImportError::Invalid {
                number,
                hash,
                source,
            },
        ))
    };
    let tx_hashes = decoded
        .block
        .body
        .transactions
        .iter()
        .map(|tx| *tx.tx_hash())
        .collect();
    let fork = executor.fork(&decoded.block.header).map_err(invalid)?;
    let input = BlockInput::from_decoded(decoded, fork.spec).map_err(invalid)?;
    Ok(Prepared {
        input,
        raw,
        tx_hashes,
    })
}

/// Executes and commits one prepared block (or skips it when stored).
fn import_one(
    store: &ChainStore,
    executor: &BlockExecutor,
    p: &Prepared<'_>,
) -> Result<BlockReport, ImportError> {
    let number = p.input.header.number;
    let hash = p.input.hash;
    let store_err = |source| ImportError::Store { number, source };
    let (head, head_header) = store.head().map_err(store_err)?;
    let mut report = BlockReport {
        number,
        txs: p.input.transactions.len(),
        ..Default::default()
    };
    if number <= head.number {
        return match store.hash_by_number(number).map_err(store_err)? {
            Some(stored) if stored == hash => {
                report.skipped = true;
                Ok(report)
            }
            stored => Err(ImportError::Conflict {
                number,
                hash,
                reason: format!(
                    "the stored chain has {} at this number (head {})",
                    stored.map_or("nothing".into(), |s| s.to_string()),
                    head.number
                ),
            }),
        };
    }
    if number != head.number + 1 {
        return Err(ImportError::Conflict {
            number,
            hash,
            reason: format!("does not follow the head, block {}", head.number),
        });
    }
    let started = Instant::now();
    let mut state = store.begin_block().map_err(store_err)?;
    let outcome = executor
        .execute(&mut state, &head_header, head.hash, &p.input)
        .map_err(|source| ImportError::Invalid {
            number,
            hash,
            source,
        })?;
    report.execute = started.elapsed();
    report.gas = outcome.gas_used;

    let (_, body) = split_block_rlp(p.raw).map_err(|e| ImportError::Decode {
        number,
        offset: 0,
        source: DecodeError::Rlp(e),
    })?;
    let senders: Vec<_> = p.input.transactions.iter().map(|t| t.caller).collect();
    let receipts: Vec<Bytes> = outcome
        .receipts
        .iter()
        .map(|r| r.encoded_2718().into())
        .collect();
    let block = NewBlock {
        header: &p.input.header,
        hash,
        body: &body,
        tx_hashes: &p.tx_hashes,
        senders: &senders,
        receipts: &receipts,
    };
    let stats = store.commit_block(block, &state).map_err(store_err)?;
    report.root = stats.storage_root + stats.account_root;
    report.commit = stats.build + stats.write;
    Ok(report)
}

/// The executor for the store's chain with `runner`.
pub fn executor_for(store: &ChainStore, runner: TxRunner) -> Result<BlockExecutor, StoreError> {
    let spec = store.chain_spec()?;
    Ok(BlockExecutor {
        runner,
        ..BlockExecutor::new(spec.chain_id, spec.schedule)
    })
}
