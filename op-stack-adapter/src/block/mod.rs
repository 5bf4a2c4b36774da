//! OP blocks: build one from its parent header and the rollup node's payload attributes, on any
//! [`OpState`], sequentially or through the parallel executor, and seal its header.
//!
//! ```text
//! parent header + OpPayloadAttributes
//!   -> fork, base fee (Holocene/Jovian params), extraData, block env, OP rules for the fork
//!   -> Canyon activation: create2Deployer;  Ecotone: EIP-4788 call;  Isthmus: EIP-2935 call
//!   -> transactions (deposits first; sequential or parallel-commit), block gas pool, Jovian DA footprint
//!   -> with a pool: its transactions after the forced ones, each only if it fits and runs (included.rs)
//!   -> state root || (OP receipts (depositNonce, depositReceiptVersion), bloom, transactions and
//!      receipts roots), side by side
//!   -> header: withdrawalsRoot (empty trie, or the L2ToL1MessagePasser storage root from Isthmus),
//!      requestsHash (Isthmus), blob fields and parent beacon root (Ecotone) -> hash
//! ```
//! [`execute_block`] checks a given block by rebuilding it from the attributes its header implies.

pub mod base_fee;
pub mod included;
pub mod receipt;
pub mod receipt_fields;
pub mod system;

use crate::error::OpBlockError;
use crate::fork::{OpChainConfig, OpFork};
use crate::predeploys::L2_TO_L1_MESSAGE_PASSER;
use crate::rules::l1_fee::L1FeeInputs;
use crate::rules::OpRules;
use crate::state::OpState;
use crate::tx::{decode_txs, OpTx};
use alloy_consensus::{proofs, Header, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Bloom, Bytes, B256, B64, U256};
use alloy_rlp::BufMut;
use alloy_trie::EMPTY_ROOT_HASH;
pub use included::{Included, SkippedTx};
use op_alloy_consensus::OpReceiptEnvelope;
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use parevm_evm_core::{BlockEnv, CfgEnv, Env, TxOutcome};
use parevm_parallel_commit::ExecReport;
use receipt_fields::OpReceiptFields;
use std::time::{Duration, Instant};

/// How the block's transactions run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Runner {
    /// One after another.
    #[default]
    Sequential,
    /// Through parevm-parallel-commit on this many threads.
    Parallel(usize),
}

/// A built block.
#[derive(Clone, Debug)]
pub struct BuiltBlock {
    /// The sealed header's fields.
    pub header: Header,
    /// keccak256 of the RLP header.
    pub hash: B256,
    /// The EIP-2718 transactions, in order.
    pub transactions: Vec<Bytes>,
    /// The same transactions decoded, with their senders (recovered once, while building).
    pub txs: Vec<OpTx>,
    /// One OP receipt per transaction.
    pub receipts: Vec<OpReceiptEnvelope>,
    /// One set of OP receipt fields per transaction (L1 fee and its inputs, operator fee, deposit
    /// nonce and version), for the RPC layer.
    pub receipt_fields: Vec<OpReceiptFields>,
    /// The L1 fee inputs the block's sequenced transactions paid under (L1Block storage after the
    /// deposits); `None` when the block has only deposits.
    pub l1_fee_inputs: Option<L1FeeInputs>,
    /// Each transaction's outcome (read and write sets included).
    pub outcomes: Vec<TxOutcome>,
    /// The parallel executor's counters (parallel runs only).
    pub report: Option<ExecReport>,
    /// Pool transactions left out (none without a pool).
    pub skipped: Vec<SkippedTx>,
    /// Where the build's wall time went.
    pub timings: BuildTimings,
}

/// The wall time of a build's phases, for logs and the latency bench.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildTimings {
    /// Decoding the transactions and recovering their senders.
    pub decode: Duration,
    /// Executing them (the parallel executor's run, or the sequential loop with the next phase).
    pub execute: Duration,
    /// Including them: gas pool, DA footprint, L1 fee inputs, applying writes (and the pool's
    /// transactions); their receipts are built during the next phase.
    pub include: Duration,
    /// The state root and the withdrawals root (the receipts, their root and bloom and the transactions
    /// root are built meanwhile on another thread).
    pub root: Duration,
    /// The header and its hash.
    pub seal: Duration,
}

/// The EVM block context of the child of `parent` at the attributes' timestamp.
fn block_env(
    fork: OpFork,
    parent: &Header,
    attrs: &OpPayloadAttributes,
    gas_limit: u64,
    base_fee: u64,
) -> BlockEnv {
    let pa = &attrs.payload_attributes;
    BlockEnv {
        number: parent.number + 1,
        beneficiary: pa.suggested_fee_recipient,
        timestamp: pa.timestamp,
        gas_limit,
        basefee: U256::from(base_fee),
        difficulty: U256::ZERO,
        prevrandao: Some(pa.prev_randao),
        // Ecotone: BLOBBASEFEE answers 1 (no blobs on L2).
        blob_basefee: fork.is_active(OpFork::Ecotone).then_some(1),
        slot_number: None,
    }
}

/// The block-level state changes before a block's transactions, in the order a block runs them: the
/// create2 deployer in Canyon's first block, the EIP-4788 beacon root (Ecotone on; a block without it is
/// refused) and the EIP-2935 parent hash (Isthmus on). The block builder runs them, and so does a replay
/// of a stored block (the node's tracers). `block.timestamp` is the block's; `parent_timestamp` its
/// parent's.
pub fn apply_pre_transactions<S: OpState>(
    config: &OpChainConfig,
    cfg: &CfgEnv,
    block: &BlockEnv,
    parent_timestamp: u64,
    parent_hash: B256,
    parent_beacon_block_root: Option<B256>,
    state: &mut S,
) -> Result<(), OpBlockError> {
    let timestamp = block.timestamp;
    let fork = config.fork_at(timestamp);
    if config.forks.is_active(OpFork::Canyon, timestamp)
        && !config.forks.is_active(OpFork::Canyon, parent_timestamp)
    {
        system::deploy_create2_deployer(state)?;
    }
    // EIP-4788 from Ecotone, EIP-2935 from Isthmus, in that order.
    let mut calls = Vec::with_capacity(2);
    if fork.is_active(OpFork::Ecotone) {
        let root = parent_beacon_block_root.ok_or_else(|| {
            OpBlockError::Attributes("parentBeaconBlockRoot missing from Ecotone attributes".into())
        })?;
        calls.push((alloy_eips::eip4788::BEACON_ROOTS_ADDRESS, root));
    }
    if fork.is_active(OpFork::Isthmus) {
        calls.push((alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS, parent_hash));
    }
    for (target, word) in calls {
        let data = Bytes::copy_from_slice(word.as_slice());
        system::system_call(cfg, block, target, data, state)?;
    }
    Ok(())
}

/// Builds the child of `parent` (whose hash is `parent_hash`) from `attrs` on `state`, which ends up
/// holding the block's post-state. The attributes' transactions are the whole block (`noTxPool`).
pub fn build_block<S: OpState>(
    config: &OpChainConfig,
    state: &mut S,
    parent: &Header,
    parent_hash: B256,
    attrs: &OpPayloadAttributes,
    runner: Runner,
) -> Result<BuiltBlock, OpBlockError> {
    build_block_with_pool(config, state, parent, parent_hash, attrs, runner, &[])
}

/// [`build_block`], then the sequencer's pool transactions `pool` (EIP-2718 bytes, best first) after the
/// forced ones, each taken only if it fits and runs ([`Included::take_pool`]); the rest are listed in
/// [`BuiltBlock::skipped`].
pub fn build_block_with_pool<S: OpState>(
    config: &OpChainConfig,
    state: &mut S,
    parent: &Header,
    parent_hash: B256,
    attrs: &OpPayloadAttributes,
    runner: Runner,
    pool: &[Bytes],
) -> Result<BuiltBlock, OpBlockError> {
    let pa = &attrs.payload_attributes;
    let timestamp = pa.timestamp;
    let fork = config.fork_at(timestamp);
    let spec = fork.spec();
    let attr_err = |m: String| OpBlockError::Attributes(m);
    let gas_limit = attrs
        .gas_limit
        .ok_or_else(|| attr_err("gasLimit is required on a rollup".into()))?;
    let base_fee = base_fee::next_base_fee(config, parent, timestamp).map_err(attr_err)?;
    let extra_data =
        base_fee::extra_data(config, timestamp, attrs.eip_1559_params, attrs.min_base_fee)
            .map_err(attr_err)?;
    let cfg = CfgEnv::new(config.chain_id, spec).with_rules(OpRules::for_fork(fork));
    let block = block_env(fork, parent, attrs, gas_limit, base_fee);

    // Block-level state changes before the transactions.
    apply_pre_transactions(
        config,
        &cfg,
        &block,
        parent.timestamp,
        parent_hash,
        pa.parent_beacon_block_root,
        state,
    )?;

    // Transactions.
    let raw: Vec<Bytes> = attrs.transactions.clone().unwrap_or_default();
    let threads = match runner {
        Runner::Parallel(threads) => threads,
        Runner::Sequential => 1,
    };
    let mut timings = BuildTimings::default();
    let mut clock = Instant::now();
    let mut lap = || {
        let now = Instant::now();
        let took = now - clock;
        clock = now;
        took
    };
    let txs: Vec<OpTx> = decode_txs(&raw, threads)?;
    timings.decode = lap();
    if let Some(i) = txs
        .windows(2)
        .position(|w| !w[0].is_deposit() && w[1].is_deposit())
    {
        return Err(OpBlockError::DepositOutOfPlace { index: i + 1 });
    }
    let envs: Vec<Env> = txs
        .iter()
        .map(|t| Env {
            cfg: cfg.clone(),
            block: block.clone(),
            tx: t.env.clone(),
        })
        .collect();
    let (parallel, report) = match runner {
        Runner::Parallel(threads) => {
            let exec = parevm_parallel_commit::execute_parallel(&envs, &*state, threads)
                .map_err(|e| OpBlockError::Parallel(e.to_string()))?;
            (Some(exec.results.into_iter()), Some(exec.report))
        }
        Runner::Sequential => (None, None),
    };
    timings.execute = lap();
    let mut parallel = parallel;
    let mut inc = Included::with_capacity(txs.len());
    for (index, (tx, env)) in txs.into_iter().zip(&envs).enumerate() {
        let available = gas_limit.saturating_sub(inc.gas_used);
        // Deposits take from the block's gas pool from Regolith on.
        if (fork.is_active(OpFork::Regolith) || !tx.is_deposit()) && env.tx.gas_limit > available {
            return Err(OpBlockError::BlockGasExceeded {
                index,
                gas_limit: env.tx.gas_limit,
                available,
            });
        }
        let footprint = inc.footprint(fork, &*state, &tx)?;
        inc.da_used = inc.da_used.saturating_add(footprint);
        if inc.da_used > gas_limit {
            return Err(OpBlockError::DaFootprintExceeded {
                index,
                footprint: inc.da_used,
                gas_limit,
            });
        }
        let deposit_nonce = if tx.is_deposit() && fork.is_active(OpFork::Regolith) {
            Some(state.nonce(env.tx.caller)?)
        } else {
            None
        };
        let outcome = match parallel.as_mut().and_then(Iterator::next) {
            Some(r) => r.map_err(|source| OpBlockError::InvalidTx { index, source })?,
            None => parevm_evm_core::execute_tx(env, &*state).map_err(|e| match e {
                parevm_evm_core::TxError::Invalid(source) => {
                    OpBlockError::InvalidTx { index, source }
                }
                parevm_evm_core::TxError::View(v) => OpBlockError::State(v),
            })?,
        };
        inc.push(fork, state, raw[index].clone(), tx, outcome, deposit_nonce)?;
    }
    // Then the pool's transactions, best first, each only if it fits and runs.
    let skipped = inc.take_pool(fork, state, &cfg, &block, gas_limit, pool)?;
    timings.include = lap();

    // The state root on this thread; meanwhile, on another, the receipts with their root and bloom and the
    // transactions root (none of them reads the state).
    let (roots, sealed) = std::thread::scope(|s| {
        let seal = s.spawn(|| {
            let (receipts, fields) = inc.receipts(fork);
            let receipts_root = proofs::calculate_receipt_root(&receipts);
            let bloom = receipts
                .iter()
                .fold(Bloom::ZERO, |acc, r| acc | *r.logs_bloom());
            let transactions_root =
                alloy_trie::root::ordered_trie_root_with_encoder(&inc.raw, |b, buf| {
                    buf.put_slice(b)
                });
            (receipts, fields, receipts_root, bloom, transactions_root)
        });
        let roots = (|| -> Result<(B256, Option<B256>), OpBlockError> {
            let state_root = state.root()?;
            let withdrawals_root = if fork.is_active(OpFork::Isthmus) {
                Some(state.storage_root_of(L2_TO_L1_MESSAGE_PASSER)?)
            } else if fork.is_active(OpFork::Canyon) {
                Some(EMPTY_ROOT_HASH)
            } else {
                None
            };
            Ok((state_root, withdrawals_root))
        })();
        // A panic there is a bug; it goes on as if it had happened here.
        let sealed = seal.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (roots, sealed)
    });
    let (state_root, withdrawals_root) = roots?;
    let (receipts, fields, receipts_root, logs_bloom, transactions_root) = sealed;
    let Included {
        raw,
        txs,
        outcomes,
        gas_used,
        da_used,
        inputs,
        ..
    } = inc;
    timings.root = lap();
    let ecotone = fork.is_active(OpFork::Ecotone);
    let header = Header {
        parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: pa.suggested_fee_recipient,
        state_root,
        transactions_root,
        receipts_root,
        logs_bloom,
        difficulty: U256::ZERO,
        number: parent.number + 1,
        gas_limit,
        gas_used,
        timestamp,
        extra_data,
        mix_hash: pa.prev_randao,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(base_fee),
        withdrawals_root,
        blob_gas_used: ecotone.then_some(if fork.is_active(OpFork::Jovian) {
            da_used
        } else {
            0
        }),
        excess_blob_gas: ecotone.then_some(0),
        parent_beacon_block_root: if ecotone {
            pa.parent_beacon_block_root
        } else {
            None
        },
        requests_hash: fork
            .is_active(OpFork::Isthmus)
            .then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    };
    let hash = header.hash_slow();
    timings.seal = lap();
    Ok(BuiltBlock {
        header,
        hash,
        transactions: raw,
        txs,
        receipts,
        receipt_fields: fields,
        l1_fee_inputs: inputs,
        outcomes,
        report,
        skipped,
        timings,
    })
}

/// The payload attributes a given block implies (its header and transactions), for re-execution.
pub fn attributes_of(
    config: &OpChainConfig,
    header: &Header,
    transactions: Vec<Bytes>,
) -> OpPayloadAttributes {
    let holocene = config.forks.is_active(OpFork::Holocene, header.timestamp);
    let jovian = config.forks.is_active(OpFork::Jovian, header.timestamp);
    let eip_1559_params = holocene
        .then(|| header.extra_data.get(1..9).map(B64::from_slice))
        .flatten();
    let min_base_fee = jovian
        .then(|| {
            header
                .extra_data
                .get(9..17)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
        })
        .flatten();
    OpPayloadAttributes {
        payload_attributes: alloy_rpc_types_engine::PayloadAttributes {
            timestamp: header.timestamp,
            prev_randao: header.mix_hash,
            suggested_fee_recipient: header.beneficiary,
            withdrawals: config
                .forks
                .is_active(OpFork::Canyon, header.timestamp)
                .then(Vec::new),
            parent_beacon_block_root: header.parent_beacon_block_root,
            slot_number: None,
            target_gas_limit: None,
        },
        transactions: Some(transactions),
        no_tx_pool: Some(true),
        gas_limit: Some(header.gas_limit),
        eip_1559_params,
        min_base_fee,
    }
}

/// Executes a given block on `state` on top of `parent`, and checks that it hashes to `expected`.
pub fn execute_block<S: OpState>(
    config: &OpChainConfig,
    state: &mut S,
    parent: &Header,
    header: &Header,
    transactions: Vec<Bytes>,
    runner: Runner,
) -> Result<BuiltBlock, OpBlockError> {
    let attrs = attributes_of(config, header, transactions);
    let built = build_block(config, state, parent, parent.hash_slow(), &attrs, runner)?;
    let expected = header.hash_slow();
    if built.hash != expected {
        return Err(OpBlockError::HashMismatch {
            expected,
            got: built.hash,
        });
    }
    Ok(built)
}
