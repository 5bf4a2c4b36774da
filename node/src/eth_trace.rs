//! Ethereum mode's `debug_traceTransaction`, `debug_traceBlockByNumber`/`ByHash` and Parity's
//! `trace_block`, `trace_transaction`, `trace_filter`, `trace_replayBlockTransactions` and `trace_replayTransaction` (as
//! reth serves them): a stored block is replayed on the stored state after its parent, with the tracers
//! the devnet serves (`parevm_rpc::debug::trace_one`: struct logger, callTracer, prestateTracer;
//! `parevm_rpc::trace_ns::traces_of` and `parevm_rpc::trace_replay::replay`: flat traces, state diffs,
//! `vmTrace`).
//!
//! ```text
//! block -> state_at(parent) -> Overlay -> EIP-4788 / EIP-2935 system calls (as the block ran them)
//!       -> Replay::run, per transaction: f(env, state, place) (traced ones: a debug tracer, Parity
//!          traces or a replay with state diff and vmTrace), execute, apply its writes
//! (OP mode: the same loop on ChainStore::begin_block_at(parent) after the builder's block-level changes)
//!       -> struct logs in geth's form (as_geth)
//! ```

use crate::eth::{json, register, server, store, EthBackend, EthContext, EthResult};
use crate::ethereum::EthereumChain;
use crate::service::OpNode;
use crate::state::NodeState;
use alloy_consensus::BlockBody;
use alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS;
use alloy_eips::eip4788::BEACON_ROOTS_ADDRESS;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Bytes, B256};
use alloy_rpc_types_trace::geth::{DefaultFrame, GethDebugTracingOptions, GethTrace};
use alloy_rpc_types_trace::parity::{LocalizedTransactionTrace, TraceType};
use jsonrpsee::RpcModule;
use parevm_block::input::BlockTx;
use parevm_block::system::SYSTEM_CALL_GAS;
use parevm_block::tx_env::tx_env_with_sender;
use parevm_evm_core::{
    execute_system_call, BlockEnv, CfgEnv, Env, SpecId, StateView, TxEnv, WriteSet, KECCAK_EMPTY,
    SYSTEM_ADDRESS,
};
use parevm_parallel_commit::Overlay;
use parevm_rpc::trace_ns::{filter_traces, TraceFilter};
use parevm_trace::parity::TxPlace;
use serde_json::Value;
use std::collections::HashSet;

/// Adds the debug and Parity trace methods to a module of either mode.
pub fn register_trace<C: EthContext>(m: &mut RpcModule<C>) {
    register(m, "debug_traceTransaction", |a, c| {
        a.at_most(2)?;
        let hash: B256 = a.req(0)?;
        let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
        let Some(loc) = c.store().transaction_location(&hash).map_err(store)? else {
            return Err(server("transaction not found"));
        };
        let mut traces = trace_block(c, loc.block_hash, Some(loc.index as usize), &opts)?;
        match traces.pop() {
            Some((_, t)) => Ok(t),
            None => Err(server("transaction not found")),
        }
    });
    register(m, "debug_traceBlockByNumber", |a, c| {
        a.at_most(2)?;
        let tag: BlockNumberOrTag = a.req(0)?;
        let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
        let hash = crate::eth::resolve(c, alloy_eips::BlockId::Number(tag))?
            .map(|(_, h)| h)
            .ok_or_else(|| server(format!("block {tag} not found")))?;
        block_json(c, hash, &opts)
    });
    register(m, "debug_traceBlockByHash", |a, c| {
        a.at_most(2)?;
        let hash: B256 = a.req(0)?;
        let opts: GethDebugTracingOptions = a.opt(1)?.unwrap_or_default();
        block_json(c, hash, &opts)
    });
    register(m, "trace_block", |a, c| {
        a.at_most(1)?;
        let id = BlockId::Number(a.req(0)?);
        let Some((number, hash)) = crate::eth::resolve(c, id)? else {
            return Ok(Value::Null);
        };
        if number == 0 {
            return json(Vec::<Value>::new());
        }
        json(parity_traces(c, hash, None)?)
    });
    register(m, "trace_transaction", |a, c| {
        a.at_most(1)?;
        let hash: B256 = a.req(0)?;
        let Some(loc) = c.store().transaction_location(&hash).map_err(store)? else {
            return Ok(Value::Null);
        };
        json(parity_traces(c, loc.block_hash, Some(loc.index as usize))?)
    });
    register(m, "trace_filter", |a, c| {
        a.at_most(1)?;
        let f: TraceFilter = a.req(0)?;
        let head = c.store().head().map_err(store)?.0.number;
        let number = |tag: Option<BlockNumberOrTag>| -> EthResult<u64> {
            match tag {
                None => Ok(head),
                Some(t) => crate::eth::resolve(c, BlockId::Number(t))?
                    .map(|(n, _)| n)
                    .ok_or_else(|| {
                        crate::engine_api::EngineError::from(parevm_rpc::RpcError::InvalidParams(
                            format!("unknown block {t}"),
                        ))
                    }),
            }
        };
        let (from, to) = (number(f.from_block)?, number(f.to_block)?);
        let traces = filter_traces(&f, from, to, |n| {
            let server =
                |e: crate::engine_api::EngineError| parevm_rpc::RpcError::Server(e.message);
            match c.store().hash_by_number(n).map_err(store).map_err(server)? {
                Some(hash) if n > 0 => parity_traces(c, hash, None).map_err(server),
                _ => Ok(Vec::new()),
            }
        })?;
        json(traces)
    });
    register(m, "trace_replayBlockTransactions", |a, c| {
        a.at_most(2)?;
        let id: BlockId = a.req(0)?;
        let types: HashSet<TraceType> = a.req(1)?;
        let Some((number, hash)) = crate::eth::resolve(c, id)? else {
            return Ok(Value::Null);
        };
        if number == 0 {
            return json(Vec::<Value>::new());
        }
        let replayed = replay_block(c, hash, None, |env, view, place| {
            Ok(parevm_rpc::trace_replay::replay(env, view, &types, place)?)
        })?;
        json(replayed.into_iter().map(|t| t.result).collect::<Vec<_>>())
    });
    register(m, "trace_replayTransaction", |a, c| {
        a.at_most(2)?;
        let hash: B256 = a.req(0)?;
        let types: HashSet<TraceType> = a.req(1)?;
        let Some(loc) = c.store().transaction_location(&hash).map_err(store)? else {
            return Err(server("transaction not found"));
        };
        let mut replayed = replay_block(
            c,
            loc.block_hash,
            Some(loc.index as usize),
            |env, view, place| Ok(parevm_rpc::trace_replay::replay(env, view, &types, place)?),
        )?;
        match replayed.pop() {
            Some(t) => json(t.result.full_trace),
            None => Err(server("transaction not found")),
        }
    });
}

/// The Parity traces of block `hash`'s transactions (only transaction `last` when given), in order.
pub(crate) fn parity_traces(
    c: &dyn EthBackend,
    hash: B256,
    last: Option<usize>,
) -> EthResult<Vec<LocalizedTransactionTrace>> {
    let traced = replay_block(c, hash, last, |env, view, place| {
        Ok(parevm_rpc::trace_ns::traces_of(env, view, place)?)
    })?;
    Ok(traced.into_iter().flat_map(|t| t.result).collect())
}

/// Struct logs as geth writes them (the execution-apis answers): zero `refund` and empty `memory` and
/// `returnData` left out (geth's `omitempty`; the devnet keeps anvil's form), and a successful creation's
/// `returnValue` is the code it deployed.
fn as_geth(frame: &mut DefaultFrame, deployed: Option<Bytes>) {
    for log in &mut frame.struct_logs {
        if log.refund_counter == Some(0) {
            log.refund_counter = None;
        }
        if log.memory.as_ref().is_some_and(Vec::is_empty) {
            log.memory = None;
        }
        if log.return_data.as_ref().is_some_and(|d| d.is_empty()) {
            log.return_data = None;
        }
    }
    if let Some(code) = deployed {
        frame.return_value = code;
    }
}

fn block_json(c: &dyn EthBackend, hash: B256, opts: &GethDebugTracingOptions) -> EthResult<Value> {
    let traces = trace_block(c, hash, None, opts)?;
    json(
        traces
            .into_iter()
            .map(|(tx, result)| serde_json::json!({ "txHash": tx, "result": result }))
            .collect::<Vec<_>>(),
    )
}

/// Replays block `hash` and traces its transactions up to `last` (all when `None`; only `last` itself
/// when given) with the debug tracers.
fn trace_block(
    c: &dyn EthBackend,
    hash: B256,
    last: Option<usize>,
    opts: &GethDebugTracingOptions,
) -> EthResult<Vec<(B256, Value)>> {
    let traced = replay_block(c, hash, last, |env, view, _| {
        Ok(parevm_rpc::debug::trace_one(env, view, opts)?)
    })?;
    traced
        .into_iter()
        .map(|t| {
            let mut trace = t.result;
            if let GethTrace::Default(frame) = &mut trace {
                as_geth(frame, t.deployed);
            }
            Ok((t.hash, json(trace)?))
        })
        .collect()
}

/// One replayed transaction: what `f` made of it, its hash, and the code it deployed when it was a
/// successful creation (the struct logger's return value).
pub(crate) struct Replayed<T> {
    pub(crate) result: T,
    pub(crate) hash: B256,
    deployed: Option<Bytes>,
}

/// A traced transaction's hash and, for a successful creation, the code it deployed.
pub type ReplayedTx = (B256, Option<Bytes>);

/// What a replay calls with each traced transaction: its environment, the state before it and its
/// place in the block.
pub type ReplayHook<'a> = dyn FnMut(&Env, &dyn StateView, &TxPlace) -> EthResult<()> + 'a;

/// Replays block `hash` as it ran ([`EthBackend::replay_block`]): `f` gets each traced transaction
/// (every one, or only `last` when given) with the state before it and its place in the block.
pub(crate) fn replay_block<T>(
    c: &dyn EthBackend,
    hash: B256,
    last: Option<usize>,
    mut f: impl FnMut(&Env, &dyn StateView, &TxPlace) -> EthResult<T>,
) -> EthResult<Vec<Replayed<T>>> {
    let mut results = Vec::new();
    let replayed = c.replay_block(hash, last, &mut |env, view, place| {
        results.push(f(env, view, place)?);
        Ok(())
    })?;
    Ok(results
        .into_iter()
        .zip(replayed)
        .map(|(result, (hash, deployed))| Replayed {
            result,
            hash,
            deployed,
        })
        .collect())
}

/// The code a successful creation left at `created`, if any.
fn deployed_code(
    view: &dyn StateView,
    created: Option<alloy_primitives::Address>,
    success: bool,
) -> EthResult<Option<Bytes>> {
    let view_err = |e: parevm_evm_core::ViewError| server(e.to_string());
    let (Some(created), true) = (created, success) else {
        return Ok(None);
    };
    let code_hash = view.code_hash(created).map_err(view_err)?;
    if code_hash.is_zero() || code_hash == KECCAK_EMPTY {
        return Ok(None);
    }
    Ok(Some(
        view.code_by_hash(code_hash)
            .map_err(view_err)?
            .bytes()
            .clone(),
    ))
}

/// The stored header of block `hash`, which must not be genesis (nothing ran in it).
fn traceable_header(
    s: &parevm_storage::ChainStore,
    hash: B256,
) -> EthResult<alloy_consensus::Header> {
    let Some(header) = s.header_by_hash(&hash).map_err(store)? else {
        return Err(server(format!("block {hash} not found")));
    };
    if header.number == 0 {
        return Err(server("genesis is not traceable"));
    }
    Ok(header)
}

/// Ethereum mode's replay of block `hash` on the stored state after its parent (the system calls first,
/// as the block ran them) up to transaction `last` (all when `None`).
pub(crate) fn replay_ethereum(
    c: &EthereumChain,
    hash: B256,
    last: Option<usize>,
    f: &mut ReplayHook<'_>,
) -> EthResult<Vec<ReplayedTx>> {
    let s = c.store();
    let header = traceable_header(s, hash)?;
    let body: BlockBody<BlockTx> = s
        .body(&hash)
        .map_err(store)?
        .ok_or_else(|| server(format!("block {hash} has no stored body")))?;
    let senders = s.senders(&hash).map_err(store)?.unwrap_or_default();
    let fork = c.fork(&header)?;
    let mut cfg = CfgEnv::new(c.chain_id(), fork.spec);
    cfg.blob = fork.blob;
    let block = parevm_block::executor::block_env(&header, &fork);
    let parent = s.state_at(header.number - 1).map_err(store)?;
    let mut overlay = Overlay::new(&parent);
    let view_err = |e: parevm_evm_core::ViewError| server(e.to_string());
    // The system calls that ran before the transactions (parevm-block's executor order).
    let mut system = Vec::new();
    if fork.spec.is_enabled_in(SpecId::CANCUN) {
        let root = header.parent_beacon_block_root.unwrap_or_default();
        system.push((
            BEACON_ROOTS_ADDRESS,
            Bytes::copy_from_slice(root.as_slice()),
        ));
    }
    if fork.spec.is_enabled_in(SpecId::PRAGUE) {
        system.push((
            HISTORY_STORAGE_ADDRESS,
            Bytes::copy_from_slice(header.parent_hash.as_slice()),
        ));
    }
    for (target, data) in system {
        let code = overlay.code_hash(target).map_err(view_err)?;
        if code.is_zero() || code == KECCAK_EMPTY {
            continue;
        }
        let out = execute_system_call(
            &cfg,
            &block,
            SYSTEM_ADDRESS,
            target,
            data,
            SYSTEM_CALL_GAS,
            &overlay,
        )
        .map_err(|e| server(format!("system call to {target}: {e}")))?;
        overlay.apply(&out.writes);
    }
    let end = last.map_or(body.transactions.len(), |l| {
        (l + 1).min(body.transactions.len())
    });
    let txs = body.transactions[..end]
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let sender = senders
                .get(i)
                .copied()
                .ok_or_else(|| server(format!("block {hash}: no sender for transaction {i}")))?;
            Ok((*tx.tx_hash(), tx_env_with_sender(tx, sender)))
        })
        .collect::<EthResult<Vec<_>>>()?;
    let at = Replay {
        hash,
        number: header.number,
        last,
        cfg,
        block,
    };
    let apply = |o: &mut Overlay, writes: &WriteSet| {
        o.apply(writes);
        Ok(())
    };
    at.run(&mut overlay, apply, txs, f)
}

/// Where a replay runs a block's transactions, and which it traces.
struct Replay {
    hash: B256,
    number: u64,
    /// Trace only this transaction (and run none after it); every one when `None`.
    last: Option<usize>,
    cfg: CfgEnv,
    block: BlockEnv,
}

impl Replay {
    /// Runs `txs` (hash and environment, in block order, none after `last`) on `state`, applying each
    /// one's writes with `apply`, and hands each traced one to `f` with the state before it.
    fn run<S: StateView>(
        &self,
        state: &mut S,
        apply: impl Fn(&mut S, &WriteSet) -> EthResult<()>,
        txs: Vec<(B256, TxEnv)>,
        f: &mut ReplayHook<'_>,
    ) -> EthResult<Vec<ReplayedTx>> {
        let hash = self.hash;
        let mut out = Vec::with_capacity(txs.len());
        for (i, (tx_hash, tx)) in txs.into_iter().enumerate() {
            let env = Env {
                cfg: self.cfg.clone(),
                block: self.block.clone(),
                tx,
            };
            let place = TxPlace {
                block_hash: hash,
                block_number: self.number,
                tx_hash,
                tx_position: i as u64,
            };
            let traced = self.last.is_none_or(|l| l == i);
            if traced {
                f(&env, state, &place)?;
            }
            let outcome = parevm_evm_core::execute_tx(&env, state)
                .map_err(|e| server(format!("replaying transaction {i} of block {hash}: {e}")))?;
            apply(state, &outcome.writes)?;
            if traced {
                let deployed =
                    deployed_code(state, outcome.created_address, outcome.status.is_success())?;
                out.push((tx_hash, deployed));
            }
        }
        Ok(out)
    }
}

/// OP mode's replay of block `hash`: the state after its parent (`ChainStore::begin_block_at`, never
/// committed), the block-level changes the builder makes (op-stack-adapter's `apply_pre_transactions`),
/// then its transactions, deposits included, under the OP rules (L1 and operator fees) up to `last`.
pub(crate) fn replay_op(
    node: &OpNode,
    hash: B256,
    last: Option<usize>,
    f: &mut ReplayHook<'_>,
) -> EthResult<Vec<ReplayedTx>> {
    use alloy_eips::eip2718::Encodable2718;
    use op_alloy_consensus::OpTxEnvelope;
    use parevm_op_stack_adapter::OpState;
    let s = node.store();
    let header = traceable_header(s, hash)?;
    let parent = s
        .header_by_hash(&header.parent_hash)
        .map_err(store)?
        .ok_or_else(|| server(format!("parent of block {hash} not found")))?;
    let body: BlockBody<OpTxEnvelope> = s
        .body(&hash)
        .map_err(store)?
        .ok_or_else(|| server(format!("block {hash} has no stored body")))?;
    let raw: Vec<Bytes> = body
        .transactions
        .iter()
        .map(|t| Bytes::from(t.encoded_2718()))
        .collect();
    let config = node.config();
    let fork = node.fork_at(header.timestamp);
    let cfg = CfgEnv::new(config.chain_id, fork.spec())
        .with_rules(parevm_op_stack_adapter::OpRules::for_fork(fork));
    let (_, block) = EthBackend::call_env(node, &header)?;
    let op_err =
        |e: parevm_op_stack_adapter::OpBlockError| server(format!("replaying block {hash}: {e}"));
    let mut state = NodeState(s.begin_block_at(header.number - 1).map_err(store)?);
    parevm_op_stack_adapter::apply_pre_transactions(
        config,
        &cfg,
        &block,
        parent.timestamp,
        header.parent_hash,
        header.parent_beacon_block_root,
        &mut state,
    )
    .map_err(op_err)?;
    let txs = parevm_op_stack_adapter::tx::decode_txs(&raw, 1).map_err(op_err)?;
    let end = last.map_or(txs.len(), |l| (l + 1).min(txs.len()));
    let txs = txs
        .into_iter()
        .take(end)
        .map(|tx| (*tx.envelope.hash(), tx.env))
        .collect();
    let at = Replay {
        hash,
        number: header.number,
        last,
        cfg,
        block,
    };
    at.run(
        &mut state,
        |st, writes| st.apply_writes(writes).map_err(|e| server(e.to_string())),
        txs,
        f,
    )
}
