//! The Otterscan namespace where the client suite cannot compare with anvil: a contract's creator found
//! by the binary search over kept states (a creation deep in a longer chain) and by the walk over blocks
//! (a contract that destroyed itself in its creation has no code to search for), and an address search
//! from a block far past the head, which walks from the head instead of from that number.

mod common;

use common::devnet;
use parevm_testkit::bad_params::{result_of, ADDR, DEV0};
use serde_json::json;

async fn deploy(m: &jsonrpsee::RpcModule<parevm_rpc::RpcContext>, init: &str) -> (String, String) {
    let hash = result_of(
        m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "data": init}]),
    )
    .await;
    let r = result_of(m, "eth_getTransactionReceipt", json!([hash])).await;
    let address = r["contractAddress"]
        .as_str()
        .expect("a creation")
        .to_owned();
    (hash.as_str().expect("a hash").to_owned(), address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_creators_and_a_search_past_the_head() {
    let (_dev, m) = devnet(1);
    assert_eq!(result_of(&m, "ots_getApiLevel", json!([])).await, json!(8));
    result_of(&m, "anvil_mine", json!(["0x5"])).await;
    // Init code returning the runtime PUSH0 (one byte of code).
    let (kept_tx, kept) = deploy(&m, "0x605f5f5360016000f3").await;
    result_of(&m, "anvil_mine", json!(["0x1e"])).await;
    // Init code CALLER SELFDESTRUCT: created and destroyed in one transaction, so it never has code.
    let (gone_tx, gone) = deploy(&m, "0x33ff").await;
    result_of(&m, "anvil_mine", json!(["0x3"])).await;
    assert_eq!(
        result_of(&m, "eth_getCode", json!([kept, "latest"])).await,
        json!("0x5f")
    );
    assert_eq!(
        result_of(&m, "eth_getCode", json!([gone, "latest"])).await,
        json!("0x")
    );

    let dev0 = DEV0.to_lowercase();
    let creator = result_of(&m, "ots_getContractCreator", json!([kept])).await;
    assert_eq!(creator, json!({"hash": kept_tx, "creator": dev0}));
    let creator = result_of(&m, "ots_getContractCreator", json!([gone])).await;
    assert_eq!(creator, json!({"hash": gone_tx, "creator": dev0}));
    assert_eq!(
        result_of(&m, "ots_getContractCreator", json!([ADDR])).await,
        json!(null)
    );

    // A block number near 2^64: the walk starts at the head (40 blocks), not 2^64 blocks away.
    let page = result_of(
        &m,
        "ots_searchTransactionsBefore",
        json!([DEV0, u64::MAX - 1, 10]),
    )
    .await;
    assert_eq!(page["txs"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["firstPage"], json!(true));
    assert_eq!(page["lastPage"], json!(true));
}
