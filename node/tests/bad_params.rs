//! Every method of `parevm node`'s auth port (Engine API and eth), in OP mode and in Ethereum mode,
//! called with wrong and extreme parameters (`parevm_testkit::bad_params`: absent, wrong types,
//! malformed hex, numbers at and past 2^64 and 2^256, block tags, payloads and forkchoice attributes with
//! extreme fields). Each call must come back as a JSON-RPC answer (a result, or an error with a code and
//! a message) and nothing may panic; afterwards the head is where it was.

mod common;

use common::*;
use jsonrpsee::RpcModule;
use parevm_node::{ethereum::EthereumChain, server, NodeChain, OpNode};
use parevm_storage::ChainStore;
use parevm_testkit::bad_params::{ask, panics, param_sets, record_panics, request, result_of};
use std::sync::Arc;

/// Calls every method of `module` with every parameter list, twice over; returns the methods, the calls
/// and how many were answered with an error, and panics with every call that was not answered.
async fn sweep<C: Send + Sync + 'static>(module: &RpcModule<C>) -> (usize, usize, usize) {
    let mut methods: Vec<&str> = module.method_names().collect();
    methods.sort_unstable();
    let sets = param_sets();
    let (mut calls, mut errors) = (0usize, 0usize);
    let mut malformed = Vec::new();
    for (round, method) in std::iter::repeat_n(&methods, 2).flatten().enumerate() {
        for (i, params) in sets.iter().enumerate() {
            let text = request(method, round * 1000 + i, params.as_ref());
            calls += 1;
            match ask(module, &text).await {
                Ok(error) => errors += usize::from(error),
                Err(why) => malformed.push(why),
            }
        }
    }
    assert!(
        malformed.is_empty(),
        "malformed answers:\n{}",
        malformed.join("\n")
    );
    assert_eq!(calls, 2 * methods.len() * sets.len());
    (methods.len(), calls, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn op_mode_answers_bad_parameters_without_a_panic() {
    record_panics();
    let dir = tempfile::tempdir().expect("temp dir");
    let chain = NodeChain::load(&write_genesis(dir.path()), None).expect("the test chain loads");
    let node = Arc::new(
        OpNode::open(chain, ChainStore::open_in_memory().expect("store"), 2).expect("node"),
    );
    let head = node.store().head().expect("head");
    let (methods, calls, errors) = sweep(&server::auth_module(node.clone())).await;
    eprintln!("OP mode: {methods} methods, {calls} calls, {errors} answered with an error");
    let panics = panics();
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(methods >= 30, "{methods} methods");
    assert_eq!(
        node.store().head().expect("head"),
        head,
        "nothing moved the head"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethereum_mode_answers_bad_parameters_without_a_panic() {
    record_panics();
    let genesis = serde_json::json!({
        "config": {
            "chainId": 1337, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
            "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0, "istanbulBlock": 0,
            "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0, "terminalTotalDifficulty": 0,
            "shanghaiTime": 0, "cancunTime": 0, "pragueTime": 0
        },
        "alloc": {"0x00000000000000000000000000000000000000aa": {"balance": "0x1000"}},
        "gasLimit": "0x1c9c380", "difficulty": "0x0", "timestamp": "0x0", "extraData": "0x",
        "baseFeePerGas": "0x3b9aca00"
    });
    let genesis =
        parevm_block::genesis::parse_genesis(&genesis.to_string()).expect("the genesis parses");
    let chain = Arc::new(
        EthereumChain::open(ChainStore::open_in_memory().expect("store"), &genesis).expect("chain"),
    );
    let (methods, calls, errors) = sweep(&server::ethereum_auth_module(chain)).await;
    eprintln!("Ethereum mode: {methods} methods, {calls} calls, {errors} answered with an error");
    let panics = panics();
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(methods >= 30, "{methods} methods");
}

/// A real OP block (the L1-info deposit, a user deposit, two transfers) built by one node, then fed to a
/// second node 3,000 times changed at one to three places at any depth (`parevm_testkit::bad_params::mutate`:
/// fields set to edge values, hex cut short, lengthened or with a byte flipped, transactions removed or
/// repeated), through `engine_newPayloadV4` and, with mutated attributes, `engine_forkchoiceUpdatedV3`.
/// Every call is answered, nothing panics, and afterwards the second node takes the unchanged block as
/// VALID and moves its head to it: no bad payload left anything behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_payloads_are_answered_and_leave_nothing_behind() {
    use alloy_primitives::{Address, B256};
    use parevm_testkit::bad_params::{mutate, Rng};
    use serde_json::json;
    record_panics();
    let dir = tempfile::tempdir().expect("temp dir");
    let builder = start(dir.path(), None, 1).await;
    let genesis = builder.node.genesis_hash();
    let txs = vec![
        l1_info_deposit(1),
        user_deposit(
            1,
            Address::repeat_byte(0x55),
            Address::repeat_byte(0x77),
            5_000_000_000,
        ),
        transfer(0, Address::repeat_byte(0x77), 1_000),
        transfer(1, Address::repeat_byte(0x78), 1_000),
    ];
    let env = build(builder.server.addr, genesis, 2, &txs, 1).await;
    let valid = new_payload_params(&env);
    let hash: B256 =
        serde_json::from_value(env["executionPayload"]["blockHash"].clone()).expect("a block hash");
    let follower_dir = tempfile::tempdir().expect("temp dir");
    let chain = NodeChain::load(&write_genesis(follower_dir.path()), None).expect("the test chain");
    let node = Arc::new(
        OpNode::open(chain, ChainStore::open_in_memory().expect("store"), 1).expect("node"),
    );
    let m = server::auth_module(node.clone());
    let fcu_valid = json!([fc(genesis), attributes(4, &[l1_info_deposit(2)], 3)]);
    let mut rng = Rng::new(0xb10c_5eed);
    let (mut calls, mut errors, mut malformed) = (0usize, 0usize, Vec::new());
    for n in 0..3_000 {
        let (method, mut params) = if n % 4 == 3 {
            ("engine_forkchoiceUpdatedV3", fcu_valid.clone())
        } else {
            ("engine_newPayloadV4", valid.clone())
        };
        for _ in 0..1 + rng.below(3) {
            mutate(&mut params, &mut rng);
        }
        let text = request(method, n, Some(&params));
        calls += 1;
        match ask(&m, &text).await {
            Ok(error) => errors += usize::from(error),
            Err(why) => malformed.push(why),
        }
    }
    let panics = panics();
    eprintln!("{calls} mutated Engine API calls: {errors} answered with an error, {} malformed, {} panics", malformed.len(), panics.len());
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
    assert!(malformed.is_empty(), "malformed:\n{}", malformed.join("\n"));
    // The unchanged block is still VALID on the follower, and forkchoice moves its head there.
    let st = result_of(&m, "engine_newPayloadV4", valid).await;
    assert_eq!(st["status"], "VALID", "{st}");
    let fcu = result_of(&m, "engine_forkchoiceUpdatedV3", json!([fc(hash)])).await;
    assert_eq!(fcu["payloadStatus"]["status"], "VALID", "{fcu}");
    assert_eq!(node.store().head().expect("head").0.hash, hash);
}
