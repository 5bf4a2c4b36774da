//! The `eth_*`, `net_*` and `web3_*` namespaces: which method name runs which handler.

pub mod blocks;
pub mod exec;
pub mod fees;
pub mod overrides;
pub mod send;
pub mod state;

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::filters::get_logs;
use crate::params::Args;
use crate::register::{blocking, json, method};
use alloy_primitives::{keccak256, Bytes, U128, U256, U64};
use alloy_rpc_types_eth::Filter;
use jsonrpsee::RpcModule;
use serde_json::Value;

fn chain_id(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(U64::from(ctx.chain.chain_id()))
}

fn accounts(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(ctx.driver.accounts())
}

fn coinbase(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(ctx.driver.next_block().beneficiary)
}

fn syncing(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    Ok(Value::Bool(false))
}

fn mining(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    Ok(Value::Bool(true))
}

fn hashrate(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    json(U256::ZERO)
}

fn protocol_version(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    json(U64::from(1))
}

fn get_logs_m(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let filter: Filter = a.req(0)?;
    json(get_logs(&ctx.chain, &filter)?)
}

fn new_filter(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let filter: Filter = a.req(0)?;
    json(ctx.filters.new_logs(filter))
}

fn new_block_filter(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(ctx.filters.new_blocks())
}

fn new_pending_filter(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(ctx.filters.new_pending())
}

fn filter_changes(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let id: U128 = a.req(0)?;
    ctx.filters.changes(id)
}

fn filter_logs(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let id: U128 = a.req(0)?;
    json(ctx.filters.logs(id)?)
}

fn uninstall_filter(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let id: U128 = a.req(0)?;
    json(ctx.filters.uninstall(id))
}

fn net_version(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(ctx.chain.chain_id().to_string())
}

fn net_listening(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    Ok(Value::Bool(true))
}

fn net_peer_count(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    json(U64::ZERO)
}

fn client_version(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    json(ctx.driver.client_version())
}

fn sha3(a: &Args, _: &RpcContext) -> RpcResult<Value> {
    let data: Bytes = a.req(0)?;
    json(keccak256(&data))
}

fn not_supported(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    Err(RpcError::Unsupported("not supported".into()))
}

/// Registers the eth, net and web3 methods.
pub fn register(m: &mut RpcModule<RpcContext>) {
    method(m, "eth_chainId", chain_id);
    method(m, "eth_blockNumber", blocks::block_number);
    method(m, "eth_accounts", accounts);
    method(m, "eth_requestAccounts", accounts);
    method(m, "eth_coinbase", coinbase);
    method(m, "eth_syncing", syncing);
    method(m, "eth_mining", mining);
    method(m, "eth_hashrate", hashrate);
    method(m, "eth_protocolVersion", protocol_version);
    method(m, "eth_getWork", not_supported);
    method(m, "eth_submitWork", not_supported);
    method(m, "eth_submitHashrate", not_supported);

    method(m, "eth_getBalance", state::get_balance);
    method(m, "eth_getCode", state::get_code);
    method(m, "eth_getStorageAt", state::get_storage_at);
    method(m, "eth_getStorageValues", state::get_storage_values);
    method(m, "eth_getTransactionCount", state::get_transaction_count);
    blocking(m, "eth_getProof", state::get_proof);

    method(m, "eth_getBlockByNumber", blocks::get_block_by_number);
    method(m, "eth_getBlockByHash", blocks::get_block_by_hash);
    method(
        m,
        "eth_getBlockTransactionCountByNumber",
        blocks::tx_count_by_number,
    );
    method(
        m,
        "eth_getBlockTransactionCountByHash",
        blocks::tx_count_by_hash,
    );
    method(m, "eth_getUncleCountByBlockNumber", blocks::uncle_count);
    method(m, "eth_getUncleCountByBlockHash", blocks::uncle_count);
    method(m, "eth_getUncleByBlockNumberAndIndex", blocks::uncle);
    method(m, "eth_getUncleByBlockHashAndIndex", blocks::uncle);
    method(
        m,
        "eth_getTransactionByHash",
        blocks::get_transaction_by_hash,
    );
    method(
        m,
        "eth_getTransactionByBlockNumberAndIndex",
        blocks::tx_by_number_and_index,
    );
    method(
        m,
        "eth_getTransactionByBlockHashAndIndex",
        blocks::tx_by_hash_and_index,
    );
    method(
        m,
        "eth_getTransactionReceipt",
        blocks::get_transaction_receipt,
    );
    method(m, "eth_getBlockReceipts", blocks::get_block_receipts);
    method(m, "eth_getRawTransactionByHash", blocks::raw_tx_by_hash);
    method(
        m,
        "eth_getRawTransactionByBlockNumberAndIndex",
        blocks::raw_tx_by_number_and_index,
    );
    method(
        m,
        "eth_getRawTransactionByBlockHashAndIndex",
        blocks::raw_tx_by_hash_and_index,
    );
    blocking(
        m,
        "eth_getTransactionBySenderAndNonce",
        blocks::tx_by_sender_and_nonce,
    );
    blocking(m, "eth_getAccount", state::get_account);
    blocking(m, "eth_getAccountInfo", state::get_account_info);

    blocking(m, "eth_call", exec::call);
    blocking(m, "eth_estimateGas", exec::estimate_gas);
    blocking(m, "eth_simulateV1", crate::simulate::chain::simulate_v1);
    blocking(m, "eth_createAccessList", exec::create_access_list);
    blocking(m, "eth_sendRawTransaction", send::send_raw_transaction);
    blocking(
        m,
        "eth_sendRawTransactionSync",
        send::send_raw_transaction_sync,
    );
    blocking(m, "eth_sendTransaction", send::send_transaction);
    blocking(m, "eth_sendTransactionSync", send::send_transaction_sync);
    blocking(m, "eth_fillTransaction", send::fill_transaction);
    method(m, "eth_sign", send::sign);
    method(m, "personal_sign", send::personal_sign);
    method(m, "eth_signTypedData_v4", send::sign_typed_data);
    blocking(m, "eth_signTransaction", send::sign_transaction);

    method(m, "eth_gasPrice", fees::gas_price);
    method(m, "eth_maxPriorityFeePerGas", fees::max_priority_fee);
    method(m, "eth_blobBaseFee", fees::blob_base_fee);
    method(m, "eth_feeHistory", fees::fee_history);

    blocking(m, "eth_getLogs", get_logs_m);
    method(m, "eth_newFilter", new_filter);
    method(m, "eth_newBlockFilter", new_block_filter);
    method(m, "eth_newPendingTransactionFilter", new_pending_filter);
    blocking(m, "eth_getFilterChanges", filter_changes);
    blocking(m, "eth_getFilterLogs", filter_logs);
    method(m, "eth_uninstallFilter", uninstall_filter);

    method(m, "net_version", net_version);
    method(m, "eth_networkId", net_version);
    method(m, "eth_config", crate::eth_config::eth_config);
    method(m, "net_listening", net_listening);
    method(m, "net_peerCount", net_peer_count);
    method(m, "web3_clientVersion", client_version);
    method(m, "web3_sha3", sha3);
}
