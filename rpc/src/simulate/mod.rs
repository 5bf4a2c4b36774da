//! `eth_simulateV1` in Ethereum mode, for `parevm node` and `parevm dev` alike: a chain of simulated blocks
//! on top of a base block, each with its block overrides, state overrides and calls, executed with
//! parevm-block's pieces (system calls, the transaction loop's receipts, requests) on the caller's copy
//! of the base state ([`StateStore`]: the node's block state of the store, the devnet's in-memory state),
//! which is dropped afterwards, and answered as geth answers it: full blocks (hash, roots, size) with a
//! `calls` list.
//!
//! ```text
//! SimulatePayload (limits: check_limits) + base header + state after it + SimChain (forks, chain id)
//!   -> plan: numbers and timestamps checked (-38020, -38021, -38026), gaps filled with empty blocks
//!   -> per block: header (parent's coinbase and gas limit carried, overrides, base fee 0 unless
//!      validating or overridden, excess blob gas) -> state overrides -> beacon root + parent hash calls
//!      -> calls ([`call`]: defaults, unsigned tx; evm-core with a log recorder: [`logs`])
//!      -> requests -> state root -> sealed header, size; its hash feeds BLOCKHASH of the next blocks
//!   -> JSON: alloy Block (hashes or full transactions) + calls
//! ```
//! Nothing reaches the chain. State overrides may move precompiles (`movePrecompileToAddress`) or put
//! code over one, as geth allows ([`precompile_rules`]); each block starts from the fork's own set.

pub mod call;
pub mod chain;
pub mod logs;

use crate::error::RpcError;
use crate::register::json;
use alloy_consensus::transaction::Recovered;
use alloy_consensus::{proofs, Header, Sealed, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::eip4895::Withdrawals;
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Bytes, B256, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::simulate::{SimBlock, SimulatePayload};
use alloy_rpc_types_eth::{
    Block, BlockOverrides, BlockTransactions, Log, TransactionInfo, TransactionRequest,
};
use call::{code, invalid_call, override_writes, prepare_call, GasBudget, SimCall, RPC_GAS_CAP};
use logs::{call_logs, LogRecorder};
use parevm_block::fork::ForkParams;
use parevm_block::header::{next_base_fee, next_excess_blob_gas, GAS_PER_BLOB};
use parevm_block::receipt::{build_receipt, logs_bloom, receipts_root, ReceiptStatus};
use parevm_block::requests::{collect_requests, parse_deposits, requests_hash};
use parevm_block::rewards::apply_rewards;
use parevm_block::system::{
    checked_call, unchecked_call, BEACON_ROOTS_ADDRESS, CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
    HISTORY_STORAGE_ADDRESS, WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
};
use parevm_block::{StateStore, TypedReceipt};

/// A simulated transaction as geth shows it in a full block.
type RpcTransaction = alloy_rpc_types_eth::Transaction<parevm_block::input::BlockTx>;
use alloy_primitives::Address;
use parevm_evm_core::rules::ChainRules;
use parevm_evm_core::{precompile_moves, CfgEnv, Env, ExecStatus, SpecId, TxExecution};
use serde_json::Value;

/// Most blocks one simulation may span (counted from the base).
pub const MAX_BLOCKS: u64 = 256;
/// Most calls in one simulated block.
pub const MAX_CALLS_PER_BLOCK: usize = 5000;
/// Most calls in one simulation.
pub const MAX_CALLS: usize = 10_000;
/// Seconds between simulated blocks whose timestamp is not given.
pub const TIMESTAMP_INCREMENT: u64 = 12;

/// What a simulation answers with: an error carries its execution-apis code.
pub type SimResult<T> = Result<T, RpcError>;

/// An error with an execution-apis code.
pub(crate) fn err(code: i32, message: impl Into<String>) -> RpcError {
    RpcError::Coded(code, message.into())
}

fn block_err(e: impl std::fmt::Display) -> RpcError {
    err(code::INTERNAL_ERROR, e.to_string())
}

/// The chain a simulation runs on: its fork schedule and EVM settings.
pub trait SimChain {
    /// The fork in force at block `number` with `timestamp`.
    fn fork_at(&self, number: u64, timestamp: u64) -> SimResult<ForkParams>;
    /// The EVM settings of a block under `fork` (chain id, rules, the chain's own limits).
    fn cfg_env(&self, fork: &ForkParams) -> CfgEnv;
    /// Whether blocks from Prague on collect EIP-7685 execution requests (deposit logs, the withdrawal and
    /// consolidation request contracts, which must then exist) as a mainnet block does; a chain that
    /// builds its blocks without them (`parevm dev`, as anvil) gives its simulated blocks the empty
    /// requests hash.
    fn execution_requests(&self) -> bool {
        true
    }
}

/// One block to simulate, with its number and timestamp settled.
struct Planned {
    number: u64,
    time: u64,
    overrides: BlockOverrides,
    state: Option<alloy_rpc_types_eth::state::StateOverride>,
    calls: Vec<TransactionRequest>,
}

/// What one simulated block gives back.
struct SimulatedBlock {
    header: Header,
    hash: B256,
    size: u64,
    calls: Vec<(SimCall, Value)>,
    withdrawals: Option<Withdrawals>,
}

/// geth's `sanitizeChain`: numbers and timestamps strictly increasing, gaps filled with empty blocks
/// [`TIMESTAMP_INCREMENT`] seconds apart.
fn plan(blocks: Vec<SimBlock>, base: &Header) -> SimResult<Vec<Planned>> {
    let mut out = Vec::with_capacity(blocks.len());
    let (mut prev_number, mut prev_time) = (base.number, base.timestamp);
    for b in blocks {
        let overrides = b.block_overrides.unwrap_or_default();
        let number = match overrides.number {
            Some(n) => u64::try_from(n).map_err(|_| {
                err(
                    code::BLOCK_NUMBER_INVALID,
                    format!("block number {n} too large"),
                )
            })?,
            None => prev_number + 1,
        };
        if number <= prev_number {
            return Err(err(
                code::BLOCK_NUMBER_INVALID,
                format!("block numbers must be in order: {number} <= {prev_number}"),
            ));
        }
        if number - base.number > MAX_BLOCKS {
            return Err(err(code::CLIENT_LIMIT_EXCEEDED, "too many blocks"));
        }
        for n in prev_number + 1..number {
            prev_time += TIMESTAMP_INCREMENT;
            out.push(Planned {
                number: n,
                time: prev_time,
                overrides: BlockOverrides::default(),
                state: None,
                calls: Vec::new(),
            });
        }
        prev_number = number;
        let time = match overrides.time {
            Some(t) if t <= prev_time => {
                return Err(err(
                    code::BLOCK_TIMESTAMP_INVALID,
                    format!("block timestamps must be in order: {t} <= {prev_time}"),
                ))
            }
            Some(t) => t,
            None => prev_time + TIMESTAMP_INCREMENT,
        };
        prev_time = time;
        out.push(Planned {
            number,
            time,
            overrides,
            state: b.state_overrides,
            calls: b.calls,
        });
    }
    Ok(out)
}

/// geth's limits on a request (blocks, calls per block, calls in all), checked before its base block is
/// resolved.
pub fn check_limits(payload: &SimulatePayload) -> SimResult<()> {
    if payload.block_state_calls.is_empty() {
        return Err(err(code::INVALID_PARAMS, "empty input"));
    }
    if payload.block_state_calls.len() as u64 > MAX_BLOCKS {
        return Err(err(code::CLIENT_LIMIT_EXCEEDED, "too many blocks"));
    }
    let mut total = 0;
    for b in &payload.block_state_calls {
        if b.calls.len() > MAX_CALLS_PER_BLOCK {
            return Err(err(
                code::CLIENT_LIMIT_EXCEEDED,
                format!(
                    "too many calls in block: {} > {MAX_CALLS_PER_BLOCK}",
                    b.calls.len()
                ),
            ));
        }
        total += b.calls.len();
        if total > MAX_CALLS {
            return Err(err(
                code::CLIENT_LIMIT_EXCEEDED,
                format!("too many calls: {total} > {MAX_CALLS}"),
            ));
        }
    }
    Ok(())
}

/// Simulates `payload` (its limits already checked: [`check_limits`]) on `state`, the state after `base`,
/// and answers the simulated blocks as geth does. `state` is the caller's copy: it holds the last
/// simulated block's state afterwards.
pub fn simulate<S: StateStore>(
    payload: SimulatePayload,
    base: &Header,
    state: &mut S,
    chain: &dyn SimChain,
) -> SimResult<Value> {
    let planned = plan(payload.block_state_calls, base)?;
    let mut sim = Simulator {
        chain,
        budget: GasBudget {
            remaining: RPC_GAS_CAP,
        },
        validate: payload.validation,
        transfers: payload.trace_transfers,
    };
    let full = payload.return_full_transactions;
    let mut parent = base.clone();
    let (mut coinbase, mut gas_limit, mut difficulty) =
        (base.beneficiary, base.gas_limit, base.difficulty);
    let mut out = Vec::with_capacity(planned.len());
    for p in planned {
        let fork = chain.fork_at(p.number, p.time)?;
        // geth's makeHeaders: coinbase, gas limit and (before the Merge) difficulty carry over.
        if fork.spec.is_enabled_in(SpecId::MERGE) {
            difficulty = U256::ZERO;
        }
        let o = &p.overrides;
        coinbase = o.coinbase.unwrap_or(coinbase);
        gas_limit = o.gas_limit.unwrap_or(gas_limit);
        difficulty = o.difficulty.unwrap_or(difficulty);
        let block = sim.block(state, &p, &parent, coinbase, gas_limit, difficulty)?;
        state.set_block_hash(block.header.number, block.hash);
        parent = block.header.clone();
        out.push(block_json(block, full)?);
    }
    Ok(Value::Array(out))
}

/// The state shared by the blocks of one simulation.
struct Simulator<'a> {
    chain: &'a dyn SimChain,
    budget: GasBudget,
    validate: bool,
    transfers: bool,
}

impl Simulator<'_> {
    /// Simulates one block on `state` after `parent`.
    fn block<S: StateStore>(
        &mut self,
        state: &mut S,
        p: &Planned,
        parent: &Header,
        coinbase: alloy_primitives::Address,
        gas_limit: u64,
        difficulty: U256,
    ) -> SimResult<SimulatedBlock> {
        let c = self.chain;
        let fork = c.fork_at(p.number, p.time)?;
        let spec = fork.spec;
        let o = &p.overrides;
        let base_fee = spec
            .is_enabled_in(SpecId::LONDON)
            .then(|| match o.base_fee {
                Some(f) => u64::try_from(f).unwrap_or(u64::MAX),
                None if self.validate => parent.base_fee_per_gas.map_or(0, |base| {
                    next_base_fee(parent.gas_used, parent.gas_limit, base)
                }),
                None => 0,
            });
        let cancun = spec.is_enabled_in(SpecId::CANCUN);
        let excess_blob_gas = cancun.then(|| match parent.excess_blob_gas {
            Some(excess) => c.fork_at(parent.number, parent.timestamp).map_or(0, |pf| {
                next_excess_blob_gas(
                    excess,
                    parent.blob_gas_used.unwrap_or(0),
                    parent.base_fee_per_gas.unwrap_or(0),
                    &pf.blob,
                    spec,
                )
            }),
            None => 0,
        });
        let shanghai = spec.is_enabled_in(SpecId::SHANGHAI);
        let withdrawals = shanghai.then(Withdrawals::default);
        let mut header = Header {
            parent_hash: parent.hash_slow(),
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: coinbase,
            difficulty,
            number: p.number,
            gas_limit,
            timestamp: p.time,
            mix_hash: o.random.unwrap_or_default(),
            base_fee_per_gas: base_fee,
            withdrawals_root: withdrawals
                .as_ref()
                .map(|w| proofs::calculate_withdrawals_root(w)),
            excess_blob_gas,
            parent_beacon_block_root: cancun.then(|| o.beacon_root.unwrap_or_default()),
            ..Default::default()
        };
        let mut block_env = parevm_block::block_env(&header, &fork);
        if let Some(f) = o.blob_base_fee {
            block_env.blob_basefee = Some(u128::try_from(f).unwrap_or(u128::MAX));
        }
        let mut cfg = c.cfg_env(&fork);

        if let Some(overrides) = &p.state {
            cfg.rules = precompile_rules(overrides, cfg.rules, spec)?;
            let writes = override_writes(overrides, &*state)?;
            state.apply(&writes).map_err(block_err)?;
        }
        if cancun {
            let root = header.parent_beacon_block_root.unwrap_or_default();
            let data = Bytes::copy_from_slice(root.as_slice());
            unchecked_call(&cfg, &block_env, BEACON_ROOTS_ADDRESS, data, state)
                .map_err(block_err)?;
        }
        if spec.is_enabled_in(SpecId::PRAGUE) {
            let data = Bytes::copy_from_slice(header.parent_hash.as_slice());
            unchecked_call(&cfg, &block_env, HISTORY_STORAGE_ADDRESS, data, state)
                .map_err(block_err)?;
        }

        let mut receipts: Vec<TypedReceipt> = Vec::with_capacity(p.calls.len());
        let mut calls = Vec::with_capacity(p.calls.len());
        let mut gas_used = 0u64;
        let mut blob_gas_used = 0u64;
        let mut log_index = 0u64;
        let byzantium = spec.is_enabled_in(SpecId::BYZANTIUM);
        for (i, req) in p.calls.iter().enumerate() {
            let call = prepare_call(
                req,
                &*state,
                gas_limit.saturating_sub(gas_used),
                &self.budget,
                base_fee,
                cfg.chain_id,
            )?;
            let pre_nonce = state.nonce(call.from).map_err(block_err)?;
            if self.validate {
                check_nonce(call.tx.nonce, pre_nonce, call.from)?;
            }
            let mut cfg = cfg.clone();
            cfg.skip_transaction_checks = true;
            cfg.disable_nonce_check = !self.validate;
            // geth's NoBaseFee: without validation a call that offers no fee skips the fee checks.
            cfg.disable_base_fee = !self.validate
                && call.tx.gas_price.is_zero()
                && call.tx.gas_priority_fee.unwrap_or_default().is_zero();
            let env = Env {
                cfg,
                block: block_env.clone(),
                tx: call.tx.clone(),
            };
            let (recorder, events) = LogRecorder::new();
            let mut exec = TxExecution::new(env);
            exec.set_tracer(Box::new(recorder));
            let outcome = exec.resume(&*state).map_err(|e| invalid_call(&e))?;
            let events = events.lock().clone();
            let logs = call_logs(
                &events,
                &outcome.logs,
                &*state,
                self.transfers,
                &mut log_index,
            )
            .map_err(block_err)?;
            state.apply(&outcome.writes).map_err(block_err)?;
            if !self.validate && pre_nonce == u64::MAX && call.tx.kind.is_call() {
                // geth bumps the nonce of an unchecked call without an overflow check: it wraps to 0.
                let mut w = parevm_evm_core::AccountWrite::new(call.from);
                w.nonce = Some(0);
                state.apply(&vec![w]).map_err(block_err)?;
            }
            gas_used += outcome.gas_used;
            self.budget.remaining = self
                .budget
                .remaining
                .checked_sub(outcome.gas_used)
                .ok_or_else(|| {
                    err(
                        code::SERVER,
                        format!(
                            "RPC gas cap exhausted: need {}, remaining {}",
                            outcome.gas_used, self.budget.remaining
                        ),
                    )
                })?;
            blob_gas_used += call.tx.blob_hashes.len() as u64 * GAS_PER_BLOB;
            let status = if byzantium {
                ReceiptStatus::Status(outcome.status.is_success())
            } else {
                ReceiptStatus::PostState(state.state_root().map_err(block_err)?)
            };
            receipts.push(build_receipt(
                call.tx.tx_type,
                status,
                gas_used,
                outcome.logs.clone(),
            ));
            // geth's `Return()`: the output of a success (a creation's returned code), nothing otherwise.
            let return_data = match (outcome.status, outcome.created_address) {
                (ExecStatus::Success, Some(created)) => {
                    let hash = state.code_hash(created).map_err(block_err)?;
                    state.code_by_hash(hash).map_err(block_err)?.bytes().clone()
                }
                (ExecStatus::Success, None) => outcome.output.clone(),
                _ => Bytes::new(),
            };
            let result = call_result(&outcome, &call, return_data, logs, i, &header);
            calls.push((call, result));
        }
        header.gas_used = gas_used;
        if cancun {
            header.blob_gas_used = Some(blob_gas_used);
        }
        apply_rewards(state, header.beneficiary, header.number, &[], spec).map_err(block_err)?;
        if spec.is_enabled_in(SpecId::PRAGUE) && !c.execution_requests() {
            header.requests_hash = Some(EMPTY_REQUESTS_HASH);
        } else if spec.is_enabled_in(SpecId::PRAGUE) {
            let deposits = parse_deposits(&receipts).map_err(block_err)?;
            let w = checked_call(
                &cfg,
                &block_env,
                WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
                state,
            )
            .map_err(block_err)?;
            let cons = checked_call(
                &cfg,
                &block_env,
                CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
                state,
            )
            .map_err(block_err)?;
            header.requests_hash = Some(requests_hash(&collect_requests(&deposits, &w, &cons)));
        }
        header.state_root = state.state_root().map_err(block_err)?;
        header.receipts_root = receipts_root(&receipts);
        header.logs_bloom = logs_bloom(&receipts);
        let encoded: Vec<&Bytes> = calls.iter().map(|(c, _)| &c.encoded).collect();
        header.transactions_root =
            alloy_trie::root::ordered_trie_root_with_encoder(&encoded, |b, buf| {
                buf.extend_from_slice(b)
            });
        let hash = header.hash_slow();
        let size = block_size(&header, &encoded, withdrawals.as_ref());
        // The logs learn the block hash now (geth's repairLogs).
        for (_, result) in &mut calls {
            if let Some(logs) = result.get_mut("logs").and_then(Value::as_array_mut) {
                for l in logs {
                    l["blockHash"] = Value::String(format!("{hash:#x}"));
                }
            }
        }
        Ok(SimulatedBlock {
            header,
            hash,
            size,
            calls,
            withdrawals,
        })
    }
}

/// `rules` with the precompile changes of `overrides` in force under `spec`, as geth applies them: an
/// overridden precompile address loses its precompile (its code, if given, runs there instead), and
/// `movePrecompileToAddress` puts the precompile at another address first (`parevm_evm_core::precompile_moves`).
/// An account that is not a precompile cannot be moved, nor a precompile moved onto an address the same
/// overrides change.
pub fn precompile_rules(
    overrides: &alloy_rpc_types_eth::state::StateOverride,
    rules: &'static dyn ChainRules,
    spec: SpecId,
) -> SimResult<&'static dyn ChainRules> {
    let overridden: Vec<Address> = overrides.keys().copied().collect();
    let moves: Vec<(Address, Address)> = overrides
        .iter()
        .filter_map(|(from, o)| o.move_precompile_to.map(|to| (*from, to)))
        .collect();
    precompile_moves::with_moves(rules, spec, &overridden, &moves)
        .map_err(|e| err(code::SERVER, e.to_string()))
}

/// One call's entry of the `calls` list (geth's `simCallResult`).
fn call_result(
    outcome: &parevm_evm_core::TxOutcome,
    call: &SimCall,
    return_data: Bytes,
    logs: Vec<(alloy_primitives::Log, u64)>,
    index: usize,
    header: &Header,
) -> Value {
    let logs: Vec<Log> = logs
        .into_iter()
        .map(|(inner, log_index)| Log {
            inner,
            block_hash: Some(B256::ZERO),
            block_number: Some(header.number),
            block_timestamp: Some(header.timestamp),
            transaction_hash: Some(call.hash),
            transaction_index: Some(index as u64),
            log_index: Some(log_index),
            removed: false,
        })
        .collect();
    let mut v = serde_json::json!({
        "returnData": return_data,
        "logs": logs,
        "gasUsed": U256::from(outcome.gas_used),
        "maxUsedGas": U256::from(outcome.gas_used + outcome.gas_refunded),
        "status": U256::from(u8::from(outcome.status.is_success())),
    });
    match outcome.status {
        ExecStatus::Success => {}
        ExecStatus::Revert => {
            v["error"] = serde_json::json!({
                "message": revert_message(&outcome.output),
                "code": code::REVERTED,
                "data": outcome.output,
            });
        }
        ExecStatus::Halt(h) => {
            let mut message = h.geth_message().to_owned();
            if call.capped {
                message.push_str(" (gas limit was capped by the RPC server's global gas cap)");
            }
            v["error"] = serde_json::json!({ "message": message, "code": code::VM_ERROR });
        }
    }
    v
}

/// geth's nonce checks, which come before its fee checks (evm-core checks the fee first).
fn check_nonce(tx: u64, state: u64, from: alloy_primitives::Address) -> SimResult<()> {
    if state < tx {
        return Err(err(
            code::NONCE_TOO_HIGH,
            format!("err: nonce too high: address {from}, tx: {tx} state: {state}"),
        ));
    }
    if state > tx {
        return Err(err(
            code::NONCE_TOO_LOW,
            format!("err: nonce too low: address {from}, tx: {tx} state: {state}"),
        ));
    }
    if state == u64::MAX {
        return Err(err(
            code::INTERNAL_ERROR,
            format!("err: nonce has max value: address {from}, nonce: {state}"),
        ));
    }
    Ok(())
}

/// geth's revert message: the `Error(string)` reason when there is one.
fn revert_message(output: &[u8]) -> String {
    if output.starts_with(&[0x08, 0xc3, 0x79, 0xa0]) {
        if let Some(reason) = crate::error::decode_revert_reason(output) {
            return format!("execution reverted: {reason}");
        }
    }
    "execution reverted".to_owned()
}

/// The RLP length of the block `[header, transactions, ommers, withdrawals?]`.
fn block_size(header: &Header, txs: &[&Bytes], withdrawals: Option<&Withdrawals>) -> u64 {
    let tx_len: usize = txs
        .iter()
        .map(|t| {
            // A typed transaction sits in the list as a byte string, a legacy one as its own list.
            if t.first().is_some_and(|b| *b >= 0xc0) {
                t.len()
            } else {
                t.as_ref().length()
            }
        })
        .sum();
    let list = |payload: usize| alloy_rlp::length_of_length(payload) + payload;
    let mut payload = header.length() + list(tx_len) + list(0);
    if let Some(w) = withdrawals {
        payload += w.length();
    }
    list(payload) as u64
}

/// A simulated block as geth shows it: the block (transaction hashes, or full transactions with their
/// senders) and its `calls`.
fn block_json(b: SimulatedBlock, full: bool) -> SimResult<Value> {
    let SimulatedBlock {
        header,
        hash,
        size,
        calls,
        withdrawals,
    } = b;
    let transactions = if full {
        BlockTransactions::Full(
            calls
                .iter()
                .enumerate()
                .map(|(i, (call, _))| {
                    RpcTransaction::from_transaction(
                        Recovered::new_unchecked(call.envelope.clone(), call.from),
                        TransactionInfo {
                            hash: Some(call.hash),
                            index: Some(i as u64),
                            block_hash: Some(hash),
                            block_number: Some(header.number),
                            block_timestamp: Some(header.timestamp),
                            base_fee: header.base_fee_per_gas,
                        },
                    )
                })
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(calls.iter().map(|(c, _)| c.hash).collect())
    };
    let block: Block<RpcTransaction> = Block {
        header: alloy_rpc_types_eth::Header::from_consensus(
            Sealed::new_unchecked(header, hash),
            None,
            Some(U256::from(size)),
        ),
        uncles: Vec::new(),
        transactions,
        withdrawals,
    };
    let mut v = json(block)?;
    v["calls"] = Value::Array(calls.into_iter().map(|(_, r)| r).collect());
    Ok(v)
}
