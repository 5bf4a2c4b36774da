//! Importing blocks as `geth export` writes them (RLP blocks back to back): each block is decoded, its
//! senders recovered (a window ahead, in parallel), executed and validated on the head's state, and
//! committed; blocks already stored are skipped, so an import interrupted at any point continues where the
//! database stopped.
//!
//! ```text
//! bytes -> split_blocks (typed error at the first truncated or malformed block)
//!       -> window of 64 blocks: decode + fork + sender recovery (rayon)
//!       -> main thread, per block: skip if stored | execute on the previous block's overlay
//!            (BlockExecutor with the state root deferred)                      ──job──┐
//!       -> commit thread: rebase onto the committed head -> incremental root,         │
//!            checked against the header -> commit_block (one batch)            <──────┘
//!       -> on_block(report): timings for the progress bar and the benchmarks
//! ```

use crate::chain::{split_block_rlp, ChainStore, NewBlock};
use crate::error::StoreError;
use crate::overlay::{BlockState, Overlay};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Bytes, B256};
use parevm_block::{decode_block, BlockError, BlockExecutor, BlockInput, DecodeError, TxRunner};
use rayon::prelude::*;
use std::sync::{mpsc, Arc};
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
    /// Executing and validating, without the state root (deferred to the commit thread: see `root`).
    pub execute: Duration,
    /// The incremental state root (storage tries + account trie), on the commit thread.
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
    /// Time executing (the state root not included).
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

/// The last block executed (committed or on its way).
#[derive(Clone)]
struct Tip {
    number: u64,
    hash: B256,
    header: alloy_consensus::Header,
}

/// A block executed on the main thread, for the committer.
struct Job {
    state: BlockState,
    header: alloy_consensus::Header,
    hash: B256,
    body: Vec<u8>,
    tx_hashes: Vec<B256>,
    senders: Vec<alloy_primitives::Address>,
    receipts: Vec<Bytes>,
    report: BlockReport,
}

/// Imports every block of `data` on top of the store's head with `executor`'s rules and runner.
///
/// Pipelined: while block N's state root is computed and its batch committed on a second thread, block
/// N+1 executes on N's overlay (reads fall through it to the committed state); N+1 is moved onto the
/// committed state before its own root. A block that fails stops the import after the blocks before it
/// are committed; nothing of it is written.
pub fn import_blocks(
    store: &ChainStore,
    executor: &BlockExecutor,
    data: &[u8],
    on_block: &mut dyn FnMut(&BlockReport),
) -> Result<ImportSummary, ImportError> {
    let executor = BlockExecutor {
        defer_state_root: true,
        ..executor.clone()
    };
    let (head, header) = store
        .head()
        .map_err(|source| ImportError::Store { number: 0, source })?;
    let mut tip = Tip {
        number: head.number,
        hash: head.hash,
        header,
    };
    let mut summary = ImportSummary::default();
    let mut record = |r: &BlockReport, summary: &mut ImportSummary| {
        if r.skipped {
            summary.skipped += 1;
        } else {
            summary.imported += 1;
            summary.txs += r.txs as u64;
            summary.gas += r.gas;
            summary.execute += r.execute;
            summary.root += r.root;
            summary.commit += r.commit;
        }
        on_block(r);
    };
    std::thread::scope(|scope| {
        let (jobs, job_rx) = mpsc::sync_channel::<Job>(0);
        let (report_tx, reports) = mpsc::channel::<BlockReport>();
        let committer = scope.spawn(move || -> Result<(), ImportError> {
            for mut job in job_rx {
                let report = commit_job(store, &mut job)?;
                let _ = report_tx.send(report);
            }
            Ok(())
        });
        let executed = (|| -> Result<(), ImportError> {
            let mut pending: Option<Arc<Overlay>> = None;
            let mut blocks = split_blocks(data).peekable();
            while blocks.peek().is_some() {
                let window: Vec<_> = blocks.by_ref().take(WINDOW).collect();
                // Decode and recover senders ahead, in parallel; errors surface in block order below.
                let prepared: Vec<Result<Prepared<'_>, Box<(usize, ImportError)>>> = window
                    .into_par_iter()
                    .map(|item| prepare(&executor, item))
                    .collect();
                for p in prepared {
                    let p = p.map_err(|b| {
                        let (offset, e) = *b;
                        match e {
                            ImportError::Decode { source, .. } => ImportError::Decode {
                                number: tip.number + 1,
                                offset,
                                source,
                            },
                            other => other,
                        }
                    })?;
                    while let Ok(r) = reports.try_recv() {
                        record(&r, &mut summary);
                    }
                    let Some(job) = execute_one(store, &executor, &p, &tip, &pending)? else {
                        record(
                            &BlockReport {
                                number: p.input.header.number,
                                txs: p.input.transactions.len(),
                                skipped: true,
                                ..Default::default()
                            },
                            &mut summary,
                        );
                        continue;
                    };
                    pending = Some(Arc::new(job.state.overlay().clone()));
                    tip = Tip {
                        number: job.header.number,
                        hash: job.hash,
                        header: job.header.clone(),
                    };
                    if jobs.send(job).is_err() {
                        // The committer stopped on an error; it is reported below.
                        return Ok(());
                    }
                }
            }
            Ok(())
        })();
        drop(jobs);
        let committed = committer.join().unwrap_or_else(|_| {
            Err(ImportError::Store {
                number: tip.number,
                source: StoreError::Kv(crate::kv::KvError::Backend(
                    "the commit thread panicked".into(),
                )),
            })
        });
        while let Ok(r) = reports.try_recv() {
            record(&r, &mut summary);
        }
        // An earlier block's commit error comes before a later block's execution error.
        committed.and(executed)
    })?;
    Ok(summary)
}

/// Executes one prepared block on top of `tip` (on `pending`, the overlay of `tip` if it may not be
/// committed yet); `None` when the block is already stored.
fn execute_one(
    store: &ChainStore,
    executor: &BlockExecutor,
    p: &Prepared<'_>,
    tip: &Tip,
    pending: &Option<Arc<Overlay>>,
) -> Result<Option<Job>, ImportError> {
    let number = p.input.header.number;
    let hash = p.input.hash;
    let store_err = |source| ImportError::Store { number, source };
    if number <= tip.number {
        return match store.hash_by_number(number).map_err(store_err)? {
            Some(stored) if stored == hash => Ok(None),
            stored => Err(ImportError::Conflict {
                number,
                hash,
                reason: format!(
                    "the stored chain has {} at this number (head {})",
                    stored.map_or("nothing".into(), |s| s.to_string()),
                    tip.number
                ),
            }),
        };
    }
    if number != tip.number + 1 {
        return Err(ImportError::Conflict {
            number,
            hash,
            reason: format!("does not follow the head, block {}", tip.number),
        });
    }
    let started = Instant::now();
    let mut state = match pending {
        Some(below) => store.begin_block_on(below.clone(), (tip.number, tip.hash)),
        None => store.begin_block(),
    }
    .map_err(store_err)?;
    let outcome = executor
        .execute(&mut state, &tip.header, tip.hash, &p.input)
        .map_err(|source| ImportError::Invalid {
            number,
            hash,
            source,
        })?;
    let (_, body) = split_block_rlp(p.raw).map_err(|e| ImportError::Decode {
        number,
        offset: 0,
        source: DecodeError::Rlp(e),
    })?;
    let report = BlockReport {
        number,
        txs: p.input.transactions.len(),
        gas: outcome.gas_used,
        execute: started.elapsed(),
        ..Default::default()
    };
    Ok(Some(Job {
        state,
        header: p.input.header.clone(),
        hash,
        body,
        tx_hashes: p.tx_hashes.clone(),
        senders: p.input.transactions.iter().map(|t| t.caller).collect(),
        receipts: outcome
            .receipts
            .iter()
            .map(|r| r.encoded_2718().into())
            .collect(),
        report,
    }))
}

/// Moves an executed block onto the committed head, computes its root (checked against the header) and
/// commits it.
fn commit_job(store: &ChainStore, job: &mut Job) -> Result<BlockReport, ImportError> {
    let number = job.header.number;
    let hash = job.hash;
    let fail = |source: StoreError| match source {
        StoreError::StateRoot {
            computed, header, ..
        } => ImportError::Invalid {
            number,
            hash,
            source: BlockError::StateRoot {
                expected: computed,
                got: header,
            },
        },
        source => ImportError::Store { number, source },
    };
    if job.state.is_pending() {
        store.rebase(&mut job.state).map_err(fail)?;
    }
    let block = NewBlock {
        header: &job.header,
        hash,
        body: &job.body,
        tx_hashes: &job.tx_hashes,
        senders: &job.senders,
        receipts: &job.receipts,
    };
    let stats = store.commit_block(block, &job.state).map_err(fail)?;
    let mut report = job.report;
    report.root = stats.storage_root + stats.account_root;
    report.commit = stats.build + stats.write;
    Ok(report)
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

/// The executor for the store's chain with `runner`.
pub fn executor_for(store: &ChainStore, runner: TxRunner) -> Result<BlockExecutor, StoreError> {
    let spec = store.chain_spec()?;
    Ok(BlockExecutor {
        runner,
        ..BlockExecutor::new(spec.chain_id, spec.schedule)
    })
}
