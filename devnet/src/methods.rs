//! The dev methods: `evm_*`, `anvil_*` and their `hardhat_*` aliases, with anvil's parameters and answers.

use crate::node::Devnet;
use crate::state_file;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use jsonrpsee::RpcModule;
use parevm_rpc::params::Args;
use parevm_rpc::register::{alias, blocking, json, method};
use parevm_rpc::{RpcContext, RpcError, RpcResult};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// What dev methods see.
pub struct DevCtx {
    /// The devnet.
    pub dev: Arc<Devnet>,
    /// The eth context (filters, driver).
    pub rpc: Arc<RpcContext>,
}

/// A number given as a hex quantity, a decimal number or a decimal string.
#[derive(Clone, Copy, Debug)]
struct Num(u64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let n = match &v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) if s.starts_with("0x") => u64::from_str_radix(&s[2..], 16).ok(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        n.map(Num)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid number {v}")))
    }
}

fn ok_null() -> RpcResult<Value> {
    Ok(Value::Null)
}

/// Mines as `evm_mine(timestamp?)` or `evm_mine({ timestamp?, blocks? })` asks; the blocks mined.
fn mine_as_asked(a: &Args, c: &DevCtx) -> RpcResult<Vec<parevm_chain::SharedBlock>> {
    #[derive(Deserialize)]
    struct Opts {
        timestamp: Option<Num>,
        blocks: Option<Num>,
    }
    let (ts, blocks) = match a.opt::<Value>(0)? {
        Some(Value::Object(o)) => {
            let o: Opts = serde_json::from_value(Value::Object(o))
                .map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            (o.timestamp.map(|n| n.0), o.blocks.map_or(1, |n| n.0))
        }
        Some(v) => {
            let n: Num =
                serde_json::from_value(v).map_err(|e| RpcError::InvalidParams(e.to_string()))?;
            (Some(n.0), 1)
        }
        None => (None, 1),
    };
    if let Some(t) = ts {
        c.dev.clock().set_next(t);
    }
    Ok(c.dev.mine_blocks(blocks, None)?)
}

fn evm_mine(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    mine_as_asked(a, c)?;
    json("0x0")
}

/// `evm_mine_detailed` / `anvil_mine_detailed`: mines as `evm_mine` and answers the blocks with their
/// transactions in full, each with its call's `output`, as anvil does.
fn evm_mine_detailed(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let blocks = mine_as_asked(a, c)?;
    let mut out = Vec::with_capacity(blocks.len());
    for b in &blocks {
        let mut v = serde_json::to_value(parevm_rpc::convert::block(b, true))
            .map_err(|e| RpcError::Internal(e.to_string()))?;
        if let Some(txs) = v.get_mut("transactions").and_then(Value::as_array_mut) {
            for (tx, r) in txs.iter_mut().zip(&b.receipts) {
                tx["output"] = json!(r.output);
            }
        }
        out.push(v);
    }
    json(out)
}

fn anvil_mine(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let n = a.opt::<Num>(0)?.map_or(1, |n| n.0);
    let interval = a.opt::<Num>(1)?.map(|n| n.0);
    c.dev.mine_blocks(n, interval)?;
    ok_null()
}

fn evm_snapshot(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    json(U256::from(c.dev.snapshot()))
}

fn evm_revert(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let id: Num = a.req(0)?;
    json(c.dev.revert(id.0))
}

fn evm_increase_time(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let secs: Num = a.req(0)?;
    let total = c.dev.clock().increase(secs.0 as i128);
    json(total as i64)
}

fn set_next_timestamp(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let t: Num = a.req(0)?;
    let head = c.dev.chain.head().header.timestamp;
    if t.0 < head {
        return Err(RpcError::Server(format!(
            "Timestamp error: {} is lower than previous block's timestamp {head}",
            t.0
        )));
    }
    c.dev.clock().set_next(t.0);
    ok_null()
}

fn set_time(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let t: Num = a.req(0)?;
    c.dev.clock().set_time(t.0);
    json(t.0)
}

fn set_automine(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let on: bool = a.req(0)?;
    c.dev.set_automine(on);
    if on {
        c.dev.set_interval(None);
    }
    ok_null()
}

fn get_automine(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    json(c.dev.automine())
}

fn set_interval_mining(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let secs: Num = a.req(0)?;
    if secs.0 == 0 {
        c.dev.set_interval(None);
    } else {
        c.dev.set_automine(false);
        c.dev.set_interval(Some(Duration::from_secs(secs.0)));
    }
    ok_null()
}

fn set_block_gas_limit(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let g: Num = a.req(0)?;
    c.dev.set_gas_limit(g.0);
    json(true)
}

fn set_balance(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let addr: Address = a.req(0)?;
    let bal: U256 = a.req(1)?;
    c.dev
        .chain
        .edit_state(|s| s.materialize_account(addr).map(|acc| acc.balance = bal))?;
    ok_null()
}

/// `anvil_addBalance(address, amount)`: adds to the balance; a sum past 2^256 - 1 is refused.
fn add_balance(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(2)?;
    let addr: Address = a.req(0)?;
    let amount: U256 = a.req(1)?;
    let added = c.dev.chain.edit_state(|s| {
        let acc = s.materialize_account(addr)?;
        Ok::<_, parevm_evm_core::ViewError>(
            acc.balance.checked_add(amount).map(|b| acc.balance = b),
        )
    })?;
    if added.is_none() {
        return Err(RpcError::InvalidParams(format!(
            "balance of {addr} plus {amount} exceeds 2^256 - 1"
        )));
    }
    ok_null()
}

fn set_code(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let addr: Address = a.req(0)?;
    let code: Bytes = a.req(1)?;
    c.dev.chain.edit_state(|s| {
        let hash = s.insert_code(code);
        s.materialize_account(addr).map(|acc| acc.code_hash = hash)
    })?;
    ok_null()
}

fn set_nonce(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let addr: Address = a.req(0)?;
    let n: Num = a.req(1)?;
    c.dev
        .chain
        .edit_state(|s| s.materialize_account(addr).map(|acc| acc.nonce = n.0))?;
    ok_null()
}

fn set_storage_at(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let addr: Address = a.req(0)?;
    let slot: U256 = a.req(1)?;
    let value: B256 = a.req(2)?;
    c.dev
        .set_storage(addr, slot, U256::from_be_bytes(value.0))?;
    json(true)
}

fn impersonate(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let addr: Address = a.req(0)?;
    c.dev.impersonate(addr, true);
    ok_null()
}

fn stop_impersonating(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let addr: Address = a.req(0)?;
    c.dev.impersonate(addr, false);
    ok_null()
}

fn auto_impersonate(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let on: bool = a.req(0)?;
    c.dev.set_auto_impersonate(on);
    ok_null()
}

fn set_next_base_fee(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let fee: U256 = a.req(0)?;
    c.dev
        .set_next_base_fee(u64::try_from(fee).unwrap_or(u64::MAX));
    ok_null()
}

fn set_coinbase(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let addr: Address = a.req(0)?;
    c.dev.set_coinbase(addr);
    ok_null()
}

/// `anvil_setChainId(id)`: transactions must carry `id` from now on and CHAINID reads it; the blocks so far
/// and the pool stay (a pooled transaction signed for the old id is left out of blocks, as anvil does).
fn set_chain_id(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let id: Num = a.req(0)?;
    c.dev.chain.set_chain_id(id.0);
    ok_null()
}

fn drop_transaction(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let hash: B256 = a.req(0)?;
    json(c.dev.chain.pool().remove(&hash).map(|t| t.hash))
}

/// `anvil_removePoolTransactions(address)`: drops every pooled transaction of `address`.
fn remove_pool_transactions(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(1)?;
    let sender: Address = a.req(0)?;
    c.dev.chain.pool().remove_sender(&sender);
    ok_null()
}

/// `anvil_setBlockTimestampInterval(seconds)`: each next block that many seconds after its parent.
fn set_block_timestamp_interval(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(1)?;
    let secs: Num = a.req(0)?;
    c.dev.clock().set_interval(secs.0);
    ok_null()
}

/// `anvil_removeBlockTimestampInterval()`: back to the clock; true when an interval was set.
fn remove_block_timestamp_interval(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(0)?;
    json(c.dev.clock().remove_interval())
}

/// `anvil_setLoggingEnabled(bool)`: the line per mined block on or off.
fn set_logging_enabled(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(1)?;
    let on: bool = a.req(0)?;
    c.dev.set_logging(on);
    ok_null()
}

/// `eth_sendUnsignedTransaction(request)`: `eth_sendTransaction` from any `from`, unsigned, as if it were
/// impersonated (anvil's).
fn send_unsigned_transaction(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(1)?;
    let req: alloy_rpc_types_eth::TransactionRequest = a.req(0)?;
    if req.from.is_none() {
        return Err(RpcError::InvalidParams("missing from".into()));
    }
    let (from, typed) = parevm_rpc::eth::send::filled(a, &c.rpc, None)?;
    let tx = parevm_rpc::eth::send::pool_tx_with_sender(
        crate::accounts::impersonated(&from, typed),
        from,
    );
    parevm_rpc::eth::send::submit(&c.rpc, tx)
}

fn drop_all(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    c.dev.chain.pool().clear();
    ok_null()
}

/// `anvil_reset([{"forking": {"jsonRpcUrl": URL, "blockNumber": N}}])`: the chain over from genesis or the
/// fork block, or forking that block of that node (both optional: the node forked now, its newest block).
fn reset(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Forking {
        json_rpc_url: Option<String>,
        block_number: Option<Num>,
    }
    #[derive(Deserialize)]
    struct Reset {
        forking: Option<Forking>,
    }
    a.at_most(1)?;
    let forking = a.opt::<Reset>(0)?.and_then(|r| r.forking);
    let target = forking.map(|f| crate::ForkTarget {
        url: f.json_rpc_url,
        block: f.block_number.map(|n| n.0),
    });
    c.dev
        .reset(target)
        .map_err(|e| RpcError::Internal(e.to_string()))?;
    ok_null()
}

fn node_info(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    let head = c.dev.chain.head();
    let next = parevm_rpc::Driver::next_block(&*c.dev);
    let cfg = c.dev.chain.config();
    json(serde_json::json!({
        "currentBlockNumber": U64::from(head.number()),
        "currentBlockTimestamp": head.header.timestamp,
        "currentBlockHash": head.hash,
        "hardFork": format!("{:?}", cfg.spec),
        "transactionOrder": cfg.order.to_string(),
        "environment": {
            "baseFee": U256::from(next.base_fee),
            "chainId": c.dev.chain.chain_id(),
            "gasLimit": U256::from(next.gas_limit),
            "gasPrice": U256::from(next.base_fee as u128 + 1_000_000_000),
        },
        "forkConfig": match &c.dev.fork() {
            Some(f) => serde_json::json!({
                "forkUrl": f.source.url(),
                "forkBlockNumber": f.header.number,
                "forkRetryBackoff": null,
            }),
            None => serde_json::json!({ "forkUrl": null, "forkBlockNumber": null, "forkRetryBackoff": null }),
        },
    }))
}

fn metadata(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    let head = c.dev.chain.head();
    json(serde_json::json!({
        "clientVersion": parevm_rpc::Driver::client_version(&*c.dev),
        "chainId": c.dev.chain.chain_id(),
        "instanceId": c.dev.chain.genesis().hash,
        "latestBlockNumber": head.number(),
        "latestBlockHash": head.hash,
        "forkedNetwork": c.dev.fork().map(|f| serde_json::json!({
            "chainId": f.chain_id,
            "forkBlockNumber": f.header.number,
            "forkBlockHash": c.dev.chain.genesis().hash,
        })),
        "snapshots": {},
    }))
}

fn dump_state(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    let bytes = state_file::dump_gz(&c.dev.chain).map_err(|e| RpcError::Internal(e.to_string()))?;
    json(Bytes::from(bytes))
}

fn load_state(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    let bytes: Bytes = a.req(0)?;
    let dump = state_file::decode(&bytes).map_err(|e| RpcError::InvalidParams(e.to_string()))?;
    state_file::merge_into(&c.dev.chain, dump);
    json(true)
}

/// `anvil_dealERC20(owner, token, amount)`.
fn deal_erc20(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(3)?;
    crate::erc20::deal(c, a.req(0)?, a.req(1)?, a.req(2)?)?;
    ok_null()
}

/// `anvil_setERC20Allowance(owner, spender, token, amount)`.
fn set_erc20_allowance(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(4)?;
    crate::erc20::set_allowance(c, a.req(0)?, a.req(1)?, a.req(2)?, a.req(3)?)?;
    ok_null()
}

/// `anvil_reorg(depth, [[tx, block index], ...])`.
fn reorg(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(2)?;
    let depth: Num = a.req(0)?;
    let pairs: Vec<(crate::reorg::TxData, Num)> = a.opt(1)?.unwrap_or_default();
    let pairs = pairs.into_iter().map(|(t, n)| (t, n.0)).collect();
    crate::reorg::reorg(c, depth.0, pairs)?;
    ok_null()
}

/// `anvil_rollback(depth)`: the newest `depth` blocks (1 when null) taken off; their transactions are
/// dropped, as anvil drops them.
fn rollback(a: &Args, c: &DevCtx) -> RpcResult<Value> {
    a.at_most(1)?;
    let depth = a.req::<Option<Num>>(0)?.map_or(1, |n| n.0);
    c.dev.rollback(depth)?;
    ok_null()
}

/// `anvil_getGenesisTime`: the first block's timestamp, as a plain number.
fn genesis_time(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    json(c.dev.chain.genesis().header.timestamp)
}

fn interval_of(_: &Args, c: &DevCtx) -> RpcResult<Value> {
    json(c.dev.interval().map(|d| d.as_secs()))
}

/// The dev methods over `dev`.
pub fn dev_module(dev: Arc<Devnet>, rpc: Arc<RpcContext>) -> RpcModule<DevCtx> {
    let mut m = RpcModule::new(DevCtx { dev, rpc });
    blocking(&mut m, "evm_mine", evm_mine);
    blocking(&mut m, "evm_mine_detailed", evm_mine_detailed);
    alias(&mut m, "anvil_mine_detailed", "evm_mine_detailed");
    method(&mut m, "anvil_getGenesisTime", genesis_time);
    blocking(&mut m, "anvil_rollback", rollback);
    blocking(&mut m, "anvil_reorg", reorg);
    blocking(&mut m, "anvil_dealERC20", deal_erc20);
    blocking(&mut m, "anvil_setERC20Allowance", set_erc20_allowance);
    blocking(&mut m, "anvil_mine", anvil_mine);
    alias(&mut m, "hardhat_mine", "anvil_mine");
    blocking(&mut m, "evm_snapshot", evm_snapshot);
    blocking(&mut m, "evm_revert", evm_revert);
    alias(&mut m, "anvil_snapshot", "evm_snapshot");
    alias(&mut m, "anvil_revert", "evm_revert");
    method(&mut m, "evm_increaseTime", evm_increase_time);
    alias(&mut m, "anvil_increaseTime", "evm_increaseTime");
    method(&mut m, "evm_setNextBlockTimestamp", set_next_timestamp);
    alias(
        &mut m,
        "anvil_setNextBlockTimestamp",
        "evm_setNextBlockTimestamp",
    );
    method(&mut m, "anvil_setTime", set_time);
    alias(&mut m, "evm_setTime", "anvil_setTime");
    method(&mut m, "evm_setAutomine", set_automine);
    alias(&mut m, "anvil_setAutomine", "evm_setAutomine");
    method(&mut m, "anvil_getAutomine", get_automine);
    alias(&mut m, "hardhat_getAutomine", "anvil_getAutomine");
    method(&mut m, "evm_setIntervalMining", set_interval_mining);
    alias(&mut m, "anvil_setIntervalMining", "evm_setIntervalMining");
    method(&mut m, "anvil_getIntervalMining", interval_of);
    method(&mut m, "evm_setBlockGasLimit", set_block_gas_limit);
    alias(&mut m, "anvil_setBlockGasLimit", "evm_setBlockGasLimit");
    method(&mut m, "anvil_setBalance", set_balance);
    method(&mut m, "anvil_addBalance", add_balance);
    method(&mut m, "anvil_setCode", set_code);
    method(&mut m, "anvil_setNonce", set_nonce);
    method(&mut m, "anvil_setStorageAt", set_storage_at);
    method(&mut m, "anvil_impersonateAccount", impersonate);
    method(&mut m, "anvil_stopImpersonatingAccount", stop_impersonating);
    method(&mut m, "anvil_autoImpersonateAccount", auto_impersonate);
    method(&mut m, "anvil_setNextBlockBaseFeePerGas", set_next_base_fee);
    method(&mut m, "anvil_setCoinbase", set_coinbase);
    method(&mut m, "anvil_setChainId", set_chain_id);
    method(&mut m, "anvil_dropTransaction", drop_transaction);
    method(&mut m, "anvil_dropAllTransactions", drop_all);
    method(
        &mut m,
        "anvil_removePoolTransactions",
        remove_pool_transactions,
    );
    method(
        &mut m,
        "anvil_setBlockTimestampInterval",
        set_block_timestamp_interval,
    );
    method(
        &mut m,
        "anvil_removeBlockTimestampInterval",
        remove_block_timestamp_interval,
    );
    method(&mut m, "anvil_setLoggingEnabled", set_logging_enabled);
    blocking(
        &mut m,
        "eth_sendUnsignedTransaction",
        send_unsigned_transaction,
    );
    blocking(&mut m, "anvil_reset", reset);
    method(&mut m, "anvil_nodeInfo", node_info);
    method(&mut m, "anvil_metadata", metadata);
    blocking(&mut m, "anvil_dumpState", dump_state);
    blocking(&mut m, "anvil_loadState", load_state);
    for (h, a) in [
        ("hardhat_setBalance", "anvil_setBalance"),
        ("hardhat_setCode", "anvil_setCode"),
        ("hardhat_setNonce", "anvil_setNonce"),
        ("hardhat_setStorageAt", "anvil_setStorageAt"),
        ("hardhat_impersonateAccount", "anvil_impersonateAccount"),
        (
            "hardhat_stopImpersonatingAccount",
            "anvil_stopImpersonatingAccount",
        ),
        (
            "hardhat_setNextBlockBaseFeePerGas",
            "anvil_setNextBlockBaseFeePerGas",
        ),
        ("hardhat_setCoinbase", "anvil_setCoinbase"),
        ("hardhat_dropTransaction", "anvil_dropTransaction"),
        ("hardhat_reset", "anvil_reset"),
        ("hardhat_metadata", "anvil_metadata"),
        ("hardhat_addBalance", "anvil_addBalance"),
        (
            "hardhat_autoImpersonateAccount",
            "anvil_autoImpersonateAccount",
        ),
        ("hardhat_dropAllTransactions", "anvil_dropAllTransactions"),
        ("hardhat_dumpState", "anvil_dumpState"),
        ("hardhat_loadState", "anvil_loadState"),
        ("hardhat_setLoggingEnabled", "anvil_setLoggingEnabled"),
        ("hardhat_dealERC20", "anvil_dealERC20"),
        ("anvil_setERC20Balance", "anvil_dealERC20"),
        ("evm_setAccountNonce", "anvil_setNonce"),
        ("tenderly_setBalance", "anvil_setBalance"),
        ("tenderly_addBalance", "anvil_addBalance"),
    ] {
        alias(&mut m, h, a);
    }
    m
}
