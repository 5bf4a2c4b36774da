//! One blockchain test: genesis checks, every block imported (valid ones must be accepted and match their
//! headers, invalid ones rejected with the state rolled back), then `lastblockhash` and the post state.

use super::alloc::{build_state, diff_state, parse_alloc, Account};
use super::error::{CaseError, FixtureError};
use super::fixture::{BlockchainTest, FixtureBlock};
use super::network::schedule;
use super::trace::block_trace;
use crate::exception::{block_exception, decode_exception, Expected};
use crate::replay::hex::{b256_of, bytes_of, u64_of};
use crate::statetest::trace::TraceSink;
use alloy_consensus::Header;
use alloy_primitives::{Address, B256};
use parevm_block::{
    decode_block, BlockError, BlockExecutor, BlockInput, DecodeError, Mode, TxRunner,
};
use parevm_evm_core::SpecId;
use parevm_state::InMemoryState;
use std::collections::BTreeMap;
use std::path::Path;

/// Per-case options.
#[derive(Clone, Debug, Default)]
pub struct CaseOptions {
    /// How each block's transactions run.
    pub runner: TxRunner,
    /// Import through the chain store (`parevm-storage`) instead of an in-memory state.
    pub store: bool,
    /// Stream an EIP-3155 trace of every transaction here (transactions then run sequentially; run one case
    /// at a time so that traces do not interleave).
    pub trace: Option<TraceSink>,
}

/// The chain head: header and hash.
struct Head {
    header: Header,
    hash: B256,
}

/// Why a block was not imported.
enum ImportError {
    /// Not RLP of a block.
    Decode(DecodeError),
    /// Decoded, but invalid (number from the header, spec of the block's fork when it has one).
    Invalid(u64, SpecId, BlockError),
}

impl ImportError {
    /// The EEST exception name of the rejection.
    fn exception(&self) -> &'static str {
        match self {
            ImportError::Decode(e) => decode_exception(e),
            ImportError::Invalid(_, spec, e) => block_exception(e, *spec),
        }
    }

    /// The rejection, as text.
    fn describe(&self) -> String {
        match self {
            ImportError::Decode(e) => e.to_string(),
            ImportError::Invalid(_, _, e) => e.to_string(),
        }
    }
}

/// Runs one test; `Ok(n)` when everything matched, `n` being the number of invalid blocks it holds (each
/// rejected with an exception the fixture names).
pub fn run_case(
    file: &Path,
    name: &str,
    test: &BlockchainTest,
    opts: &CaseOptions,
) -> Result<usize, CaseError> {
    if opts.store {
        return super::persistent::run_case_persistent(file, name, test, opts);
    }
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
    let chain_id = match &test.config.chainid {
        Some(id) => u64_of(id).map_err(|e| field(format!("config.chainid: {e}")))?,
        None => 1,
    };
    let schedule = schedule(&test.network, &test.config.blob_schedule).map_err(field)?;
    let pre = parse_alloc(&test.pre).map_err(|e| field(format!("pre: {e}")))?;
    let mut state = build_state(&pre);

    let genesis_rlp = bytes_of(&test.genesis_rlp).map_err(|e| field(format!("genesisRLP: {e}")))?;
    let genesis = decode_block(&genesis_rlp).map_err(|e| rlp_error("genesis".into(), e))?;
    let want_hash = b256_of(&test.genesis_block_header.hash)
        .map_err(|e| field(format!("genesisBlockHeader.hash: {e}")))?;
    let want_root = b256_of(&test.genesis_block_header.state_root)
        .map_err(|e| field(format!("genesisBlockHeader.stateRoot: {e}")))?;
    if genesis.hash != want_hash {
        return Err(CaseError::Genesis(format!(
            "RLP hashes to {}, header says {want_hash}",
            genesis.hash
        )));
    }
    let root = InMemoryState::state_root(&state);
    if root != want_root || root != genesis.block.header.state_root {
        return Err(CaseError::Genesis(format!(
            "pre state root {root}, header says {want_root}"
        )));
    }
    state.set_block_hash(genesis.block.header.number, genesis.hash);
    let mut head = Head {
        header: genesis.block.header,
        hash: genesis.hash,
    };

    let executor = BlockExecutor {
        runner: opts.runner,
        trace: opts.trace.clone().map(block_trace),
        ..BlockExecutor::new(chain_id, schedule)
    };
    let mut rejected = 0;
    for (i, block) in test.blocks.iter().enumerate() {
        let index = i + 1;
        let result = import(&executor, &mut state, &head, block);
        match (result, &block.expect_exception) {
            (Ok(next), None) => head = next,
            (Ok(next), Some(expected)) => {
                return Err(CaseError::Accepted {
                    index,
                    number: next.header.number,
                    expected: expected.clone(),
                })
            }
            (Err(e), Some(expected)) => {
                check_rejection(index, expected, e.exception(), || e.describe())?;
                rejected += 1;
            }
            (Err(ImportError::Decode(e)), None) => {
                return Err(rlp_error(index.to_string(), e).into());
            }
            (Err(ImportError::Invalid(number, _, error)), None) => {
                let last_valid = test.blocks[index..]
                    .iter()
                    .all(|b| b.expect_exception.is_some());
                let detail = if last_valid && is_commitment_mismatch(&error) {
                    diagnose(&executor, &state, &head, block, test)
                } else {
                    String::new()
                };
                return Err(CaseError::Rejected {
                    index,
                    number,
                    error,
                    detail,
                });
            }
        }
    }

    let want_last =
        b256_of(&test.lastblockhash).map_err(|e| field(format!("lastblockhash: {e}")))?;
    if head.hash != want_last {
        return Err(CaseError::LastBlockHash {
            expected: want_last.to_string(),
            got: head.hash.to_string(),
        });
    }
    check_post_state(&state, test).map_err(|e| match e {
        PostError::Fixture(what) => CaseError::Fixture(field(what)),
        PostError::Differs(d) => CaseError::PostState(d),
    })?;
    Ok(rejected)
}

/// A block its fixture expects rejected was rejected with the EEST exception `got`: fine when `expected`
/// (`|`-joined alternatives) names it, else a wrong-exception failure with the error's text.
pub(super) fn check_rejection(
    index: usize,
    expected: &str,
    got: &'static str,
    error: impl FnOnce() -> String,
) -> Result<(), CaseError> {
    if Expected::parse(expected).matches(got) {
        return Ok(());
    }
    Err(CaseError::WrongException {
        index,
        expected: expected.to_owned(),
        got,
        error: error(),
    })
}

/// Decodes, recovers senders and executes one block on top of `head`.
fn import(
    executor: &BlockExecutor,
    state: &mut InMemoryState,
    head: &Head,
    block: &FixtureBlock,
) -> Result<Head, ImportError> {
    let bytes = bytes_of(&block.rlp)
        .map_err(|_| ImportError::Decode(DecodeError::Rlp(alloy_rlp::Error::Custom("not hex"))))?;
    let decoded = decode_block(&bytes).map_err(ImportError::Decode)?;
    let number = decoded.block.header.number;
    let fork = executor
        .fork(&decoded.block.header)
        .map_err(|e| ImportError::Invalid(number, SpecId::FRONTIER, e))?;
    let invalid = |e| ImportError::Invalid(number, fork.spec, e);
    let input = BlockInput::from_decoded(decoded, fork.spec).map_err(invalid)?;
    executor
        .execute(state, &head.header, head.hash, &input)
        .map_err(invalid)?;
    Ok(Head {
        header: input.header,
        hash: input.hash,
    })
}

/// True for the post-execution comparisons, where a state diff says more than the roots.
fn is_commitment_mismatch(e: &BlockError) -> bool {
    matches!(
        e,
        BlockError::GasUsed { .. }
            | BlockError::ReceiptsRoot { .. }
            | BlockError::LogsBloom { .. }
            | BlockError::StateRoot { .. }
            | BlockError::RequestsHash { .. }
    )
}

/// Re-executes a rejected last block without checks and diffs the result with `postState`.
fn diagnose(
    executor: &BlockExecutor,
    state: &InMemoryState,
    head: &Head,
    block: &FixtureBlock,
    test: &BlockchainTest,
) -> String {
    let Some(post) = &test.post_state else {
        return String::new();
    };
    let Ok(expected) = parse_alloc(post) else {
        return String::new();
    };
    let unchecked = BlockExecutor {
        mode: Mode::Unchecked,
        ..executor.clone()
    };
    let mut scratch = state.clone();
    if import(&unchecked, &mut scratch, head, block).is_err() {
        return String::new();
    }
    let diff = diff_state(&scratch, &expected);
    if diff.is_empty() {
        String::new()
    } else {
        format!(" | post-state diff: {}", diff.join("; "))
    }
}

/// Why the post-state check failed.
enum PostError {
    /// The expected post state does not parse.
    Fixture(String),
    /// It differs.
    Differs(String),
}

/// Compares the final state with `postState` (or its root with `postStateHash`).
fn check_post_state(state: &InMemoryState, test: &BlockchainTest) -> Result<(), PostError> {
    if let Some(post) = &test.post_state {
        let expected: BTreeMap<Address, Account> =
            parse_alloc(post).map_err(|e| PostError::Fixture(format!("postState: {e}")))?;
        let diff = diff_state(state, &expected);
        if !diff.is_empty() {
            return Err(PostError::Differs(diff.join("; ")));
        }
    }
    if let Some(hash) = &test.post_state_hash {
        let want = b256_of(hash).map_err(|e| PostError::Fixture(format!("postStateHash: {e}")))?;
        let got = InMemoryState::state_root(state);
        if got != want {
            return Err(PostError::Differs(format!(
                "state root {got}, expected {want}"
            )));
        }
    }
    Ok(())
}
