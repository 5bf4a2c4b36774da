//! One blockchain test through the chain store (`parevm-storage` on redb's in-memory backend) instead of
//! an [`parevm_state::InMemoryState`]: genesis written by `init_chain`, each block executed on a
//! `BlockState` overlay and committed in one batch (an invalid block is dropped with its overlay), then
//! `lastblockhash` and the post state (its root, which covers every account and slot) checked as in memory.

use super::alloc::{build_state, parse_alloc};
use super::error::{CaseError, FixtureError};
use super::fixture::BlockchainTest;
use super::network::schedule;
use super::runner::{check_rejection, CaseOptions};
use super::trace::block_trace;
use crate::exception::{block_exception, decode_exception};
use crate::replay::hex::{b256_of, bytes_of, u64_of};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::Bytes;
use parevm_block::{decode_block, BlockError, BlockExecutor, BlockInput, DecodeError};
use parevm_evm_core::SpecId;
use parevm_storage::chain::split_block_rlp;
use parevm_storage::kv::redb::RedbKv;
use parevm_storage::{ChainStore, NewBlock, StoreError};
use std::path::Path;

/// Why a block was not imported.
enum ImportError {
    Decode(DecodeError),
    Invalid(u64, SpecId, BlockError),
    Store(u64, StoreError),
}

impl ImportError {
    /// The EEST exception name of the rejection (a store failure matches none).
    fn exception(&self) -> &'static str {
        match self {
            ImportError::Decode(e) => decode_exception(e),
            ImportError::Invalid(_, spec, e) => block_exception(e, *spec),
            ImportError::Store(..) => "StoreError",
        }
    }

    /// The rejection, as text.
    fn describe(&self) -> String {
        match self {
            ImportError::Decode(e) => e.to_string(),
            ImportError::Invalid(_, _, e) => e.to_string(),
            ImportError::Store(n, e) => format!("block {n}: store: {e}"),
        }
    }
}

/// Runs one test through the store; `Ok(n)` when everything matched, `n` being the number of invalid
/// blocks (each rejected with an exception the fixture names), as in memory.
pub fn run_case_persistent(
    file: &Path,
    name: &str,
    test: &BlockchainTest,
    opts: &CaseOptions,
) -> Result<usize, CaseError> {
    let field = |what: String| FixtureError::Field {
        file: file.to_path_buf(),
        case: name.to_owned(),
        what,
    };
    let rlp_error = |block: String, source: DecodeError| FixtureError::Rlp {
        file: file.to_path_buf(),
        case: name.to_owned(),
        block,
        source,
    };
    let store_error = |e: StoreError| CaseError::Genesis(format!("store: {e}"));
    let chain_id = match &test.config.chainid {
        Some(id) => u64_of(id).map_err(|e| field(format!("config.chainid: {e}")))?,
        None => 1,
    };
    let schedule = schedule(&test.network, &test.config.blob_schedule).map_err(field)?;
    let pre = parse_alloc(&test.pre).map_err(|e| field(format!("pre: {e}")))?;
    let genesis_rlp = bytes_of(&test.genesis_rlp).map_err(|e| field(format!("genesisRLP: {e}")))?;
    let genesis = decode_block(&genesis_rlp).map_err(|e| rlp_error("genesis".into(), e))?;
    let want_hash = b256_of(&test.genesis_block_header.hash)
        .map_err(|e| field(format!("genesisBlockHeader.hash: {e}")))?;

    let kv = RedbKv::in_memory().map_err(|e| store_error(e.into()))?;
    let store = ChainStore::with_backend(Box::new(kv)).map_err(store_error)?;
    let mut root = None;
    let hash = store
        .init_chain(None, &build_state(&pre), |r| {
            root = Some(r);
            genesis.block.header.clone()
        })
        .map_err(store_error)?;
    if hash != want_hash || root != Some(genesis.block.header.state_root) {
        return Err(CaseError::Genesis(format!(
            "store genesis {hash} (root {root:?}), fixture {want_hash} (root {})",
            genesis.block.header.state_root
        )));
    }

    let executor = BlockExecutor {
        runner: opts.runner,
        trace: opts.trace.clone().map(block_trace),
        ..BlockExecutor::new(chain_id, schedule)
    };
    let mut rejected = 0;
    for (i, block) in test.blocks.iter().enumerate() {
        let index = i + 1;
        let result = import(&executor, &store, &block.rlp);
        match (result, &block.expect_exception) {
            (Ok(number), Some(expected)) => {
                return Err(CaseError::Accepted {
                    index,
                    number,
                    expected: expected.clone(),
                })
            }
            (Ok(_), None) => {}
            (Err(e), Some(expected)) => {
                check_rejection(index, expected, e.exception(), || e.describe())?;
                rejected += 1;
            }
            (Err(ImportError::Decode(e)), None) => {
                return Err(rlp_error(index.to_string(), e).into());
            }
            (Err(ImportError::Invalid(number, _, error)), None) => {
                return Err(CaseError::Rejected {
                    index,
                    number,
                    error,
                    detail: String::new(),
                });
            }
            (Err(ImportError::Store(number, e)), None) => {
                return Err(CaseError::Genesis(format!("block {number}: store: {e}")));
            }
        }
    }

    let want_last =
        b256_of(&test.lastblockhash).map_err(|e| field(format!("lastblockhash: {e}")))?;
    let (head, header) = store.head().map_err(store_error)?;
    if head.hash != want_last {
        return Err(CaseError::LastBlockHash {
            expected: want_last.to_string(),
            got: head.hash.to_string(),
        });
    }
    let want_root = match (&test.post_state, &test.post_state_hash) {
        (Some(post), _) => {
            let expected = parse_alloc(post).map_err(|e| field(format!("postState: {e}")))?;
            Some(build_state(&expected).state_root())
        }
        (None, Some(h)) => Some(b256_of(h).map_err(|e| field(format!("postStateHash: {e}")))?),
        (None, None) => None,
    };
    if let Some(want) = want_root {
        let got = store.latest_state().map_err(store_error)?;
        let stored = header.state_root;
        let recomputed = store.verify_state().map_err(store_error)?.root;
        if stored != want || recomputed != want {
            return Err(CaseError::PostState(format!(
                "store root {stored} (recomputed {recomputed}) at block {}, expected {want}",
                got.block().0
            )));
        }
    }
    Ok(rejected)
}

/// Decodes, executes and commits one block; returns its number.
fn import(executor: &BlockExecutor, store: &ChainStore, rlp: &str) -> Result<u64, ImportError> {
    let bytes = bytes_of(rlp)
        .map_err(|_| ImportError::Decode(DecodeError::Rlp(alloy_rlp::Error::Custom("not hex"))))?;
    let decoded = decode_block(&bytes).map_err(ImportError::Decode)?;
    let number = decoded.block.header.number;
    let fork = executor
        .fork(&decoded.block.header)
        .map_err(|e| ImportError::Invalid(number, SpecId::FRONTIER, e))?;
    let invalid = |e| ImportError::Invalid(number, fork.spec, e);
    let tx_hashes: Vec<_> = decoded
        .block
        .body
        .transactions
        .iter()
        .map(|t| *t.tx_hash())
        .collect();
    let input = BlockInput::from_decoded(decoded, fork.spec).map_err(invalid)?;
    let (head, parent) = store.head().map_err(|e| ImportError::Store(number, e))?;
    let mut state = store
        .begin_block()
        .map_err(|e| ImportError::Store(number, e))?;
    let outcome = executor
        .execute(&mut state, &parent, head.hash, &input)
        .map_err(invalid)?;
    let (_, body) =
        split_block_rlp(&bytes).map_err(|e| ImportError::Decode(DecodeError::Rlp(e)))?;
    let senders: Vec<_> = input.transactions.iter().map(|t| t.caller).collect();
    let receipts: Vec<Bytes> = outcome
        .receipts
        .iter()
        .map(|r| r.encoded_2718().into())
        .collect();
    store
        .commit_block(
            NewBlock {
                header: &input.header,
                hash: input.hash,
                body: &body,
                tx_hashes: &tx_hashes,
                senders: &senders,
                receipts: &receipts,
            },
            &state,
        )
        .map_err(|e| ImportError::Store(number, e))?;
    Ok(number)
}
