//! What `parevm dev` starts with and allows, as anvil 1.7.1 does: the CREATE2 deployer in genesis (and not
//! with `--no-create2`), a genesis file's accounts and number (`--init`), the code size limit and its
//! overrides (`--code-size-limit`, `--disable-code-size-limit`), the EIP-7825 transaction gas cap, off
//! unless `--enable-tx-gas-limit` (with estimates kept within what a sender can pay), and the states kept
//! for older blocks (`--prune-history`).

use alloy_primitives::{keccak256, Address, B256};
use parevm_chain::ChainConfig;
use parevm_devnet::genesis::{CREATE2_DEPLOYER, CREATE2_DEPLOYER_CODE};
use parevm_devnet::DevnetOptions;
use parevm_testkit::bad_params::{error_of, result_of, ADDR, DEV0};
use serde_json::{json, Value};
mod common;

use common::devnet_with;

fn options(chain: ChainConfig) -> DevnetOptions {
    DevnetOptions {
        chain: ChainConfig {
            threads: 1,
            ..chain
        },
        genesis_timestamp: Some(1_700_000_000),
        ..DevnetOptions::default()
    }
}

/// Init code that deploys `n` zero bytes: PUSH3 n, PUSH1 0, RETURN.
fn deploys_zeros(n: usize) -> String {
    format!("0x62{n:06x}6000f3")
}

async fn receipt_of<C: Send + Sync + 'static>(m: &jsonrpsee::RpcModule<C>, tx: Value) -> Value {
    let hash = result_of(m, "eth_sendTransaction", json!([tx])).await;
    result_of(m, "eth_getTransactionReceipt", json!([hash])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salted_creations_go_through_the_create2_deployer() {
    let (_dev, m) = devnet_with(options(ChainConfig::default()));
    let code = result_of(&m, "eth_getCode", json!([CREATE2_DEPLOYER, "latest"])).await;
    assert_eq!(
        code,
        json!(alloy_primitives::hex::encode_prefixed(
            CREATE2_DEPLOYER_CODE
        ))
    );
    let salt = B256::with_last_byte(7);
    let init = alloy_primitives::hex::decode(deploys_zeros(3)).unwrap();
    let expected = CREATE2_DEPLOYER.create2(salt, keccak256(&init));
    let data = format!(
        "0x{}{}",
        alloy_primitives::hex::encode(salt),
        alloy_primitives::hex::encode(&init)
    );
    let call = json!({"from": DEV0, "to": CREATE2_DEPLOYER, "data": data, "gas": "0x100000"});
    let answer = result_of(&m, "eth_call", json!([call.clone(), "latest"])).await;
    assert_eq!(
        answer,
        json!(alloy_primitives::hex::encode_prefixed(expected)),
        "the deployer returns the new address"
    );
    let receipt = receipt_of(&m, call).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let code = result_of(&m, "eth_getCode", json!([expected, "latest"])).await;
    assert_eq!(code, "0x000000");

    let (_dev, m) = devnet_with(DevnetOptions {
        create2_deployer: false,
        ..options(ChainConfig::default())
    });
    let code = result_of(&m, "eth_getCode", json!([CREATE2_DEPLOYER, "latest"])).await;
    assert_eq!(code, "0x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_size_limit_holds_unless_raised_or_disabled() {
    let limits = [
        (None, "0x0"),
        (Some(0x8000), "0x1"),
        (Some(usize::MAX), "0x1"),
    ];
    for (limit, status) in limits {
        let (_dev, m) = devnet_with(options(ChainConfig {
            code_size_limit: limit,
            ..ChainConfig::default()
        }));
        let tx = json!({"from": DEV0, "data": deploys_zeros(0x6001), "gas": "0x989680"});
        let receipt = receipt_of(&m, tx).await;
        assert_eq!(receipt["status"], status, "limit {limit:?}: {receipt}");
        // At the limit itself the code is deployed under every setting.
        let tx = json!({"from": DEV0, "data": deploys_zeros(0x6000), "gas": "0x989680"});
        let receipt = receipt_of(&m, tx).await;
        assert_eq!(receipt["status"], "0x1", "limit {limit:?}: {receipt}");
    }
    // Init code may be twice the code size limit: longer is refused before the pool.
    let (_dev, m) = devnet_with(options(ChainConfig::default()));
    let long = format!("0x{}", "00".repeat(0xC001));
    let tx = json!({"from": DEV0, "data": long, "gas": "0x1000000"});
    let e = error_of(&m, "eth_sendTransaction", json!([tx])).await;
    assert_eq!(e, "max initcode size exceeded: code size 49153 limit 49152");
    let (_dev, m) = devnet_with(options(ChainConfig {
        code_size_limit: Some(0x8000),
        ..ChainConfig::default()
    }));
    let receipt = receipt_of(&m, tx).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transaction_gas_cap_holds_only_when_enabled() {
    let tx = json!({"from": DEV0, "to": ADDR, "value": "0x1", "gas": "0x1312d00"});
    let (_dev, m) = devnet_with(options(ChainConfig::default()));
    let receipt = receipt_of(&m, tx.clone()).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let (_dev, m) = devnet_with(options(ChainConfig {
        enforce_tx_gas_cap: true,
        ..ChainConfig::default()
    }));
    let e = error_of(&m, "eth_sendTransaction", json!([tx])).await;
    assert_eq!(
        e,
        "transaction gas limit 20000000 exceeds the maximum allowed gas limit 16777216"
    );
    let head = result_of(&m, "eth_blockNumber", json!([])).await;
    assert_eq!(head, "0x0", "nothing was mined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genesis_file_sets_accounts_and_the_first_number() {
    let genesis = parevm_block::genesis::parse_genesis(
        r#"{"config":{"chainId":4242},"number":"0x10","alloc":{
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266":{"balance":"0xde0b6b3a7640000"},
            "0x00000000000000000000000000000000000000bb":{"balance":"0x0","code":"0x60104060005260206000f3"}}}"#,
    )
    .unwrap();
    let (_dev, m) = devnet_with(DevnetOptions {
        init_alloc: std::sync::Arc::new(genesis.alloc),
        ..options(ChainConfig {
            genesis_number: 16,
            ..ChainConfig::default()
        })
    });
    assert_eq!(result_of(&m, "eth_blockNumber", json!([])).await, "0x10");
    let balance = result_of(&m, "eth_getBalance", json!([DEV0, "latest"])).await;
    assert_eq!(
        balance, "0xde0b6b3a7640000",
        "the file's balance replaces the dev one"
    );
    let earliest = result_of(&m, "eth_getBlockByNumber", json!(["earliest", false])).await;
    assert_eq!(earliest["number"], "0x10");
    let receipt = receipt_of(
        &m,
        json!({"from": DEV0, "to": ADDR, "value": "0x1", "maxFeePerGas": "0x77359400"}),
    )
    .await;
    assert_eq!(receipt["blockNumber"], "0x11", "{receipt}");
    let block = result_of(&m, "eth_getBlockByNumber", json!(["0x11", false])).await;
    assert_eq!(block["parentHash"], earliest["hash"]);
    // The first block after genesis keeps the genesis base fee, whatever the genesis number.
    assert_eq!(block["baseFeePerGas"], earliest["baseFeePerGas"]);
    // The contract at 0xbb returns BLOCKHASH(16): the genesis block's hash.
    let call = json!({"to": "0x00000000000000000000000000000000000000bb"});
    let answer = result_of(&m, "eth_call", json!([call, "latest"])).await;
    assert_eq!(answer, earliest["hash"]);
    let unknown = Address::with_last_byte(0xbb);
    let code = result_of(&m, "eth_getCode", json!([unknown, "0x10"])).await;
    assert_eq!(code, "0x60104060005260206000f3");
}

/// Without the EIP-7825 cap an estimate searches up to the block gas limit, but never above what the sender
/// can pay at the fee it offers (geth's allowance): with a block gas limit near 2^63 a transfer still
/// estimates, and `eth_sendTransaction` (which estimates to fill the gas) still sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estimate_stays_within_what_the_sender_can_pay() {
    let (_dev, m) = devnet_with(options(ChainConfig::default()));
    result_of(&m, "anvil_setBlockGasLimit", json!(["0x7fffffffffffffff"])).await;
    let transfer = json!({"from": DEV0, "to": ADDR, "value": "0x1", "maxFeePerGas": "0x77359400"});
    let gas = result_of(&m, "eth_estimateGas", json!([transfer])).await;
    assert_eq!(gas, "0x5208");
    let sent = receipt_of(&m, json!({"from": DEV0, "to": ADDR, "value": "0x1"})).await;
    assert_eq!(sent["gasUsed"], "0x5208", "{sent}");
    // A sender that cannot pay is refused when it sends.
    result_of(&m, "anvil_impersonateAccount", json!([ADDR])).await;
    let poor = json!({"from": ADDR, "to": DEV0, "value": "0x1"});
    let e = error_of(&m, "eth_sendTransaction", json!([poor])).await;
    assert_eq!(
        e, "Insufficient funds for gas * price + value",
        "anvil's words"
    );
}

/// `--prune-history N`: the states of at most N blocks below the head answer queries; older ones are
/// refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_history_keeps_only_the_newest_states() {
    let (_dev, m) = devnet_with(options(ChainConfig {
        history: 2,
        ..ChainConfig::default()
    }));
    result_of(&m, "anvil_mine", json!(["0x3"])).await;
    let kept = result_of(&m, "eth_getBalance", json!([DEV0, "0x1"])).await;
    assert_eq!(
        kept,
        result_of(&m, "eth_getBalance", json!([DEV0, "latest"])).await
    );
    let e = error_of(&m, "eth_getBalance", json!([DEV0, "0x0"])).await;
    assert_eq!(e, "state at block 0 is no longer kept (history limit)");
}
