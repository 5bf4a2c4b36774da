//! Unit tests of the blockchain-test runner on small generated fixtures: a valid Frontier block with its
//! reward, rejected invalid blocks, and malformed RLP or JSON reported as typed errors naming file and case.

use super::{run_file, BlocktestOptions, CaseError, FixtureError, Status};
use alloy_consensus::{Block, Header};
use alloy_primitives::{Address, B256, U256};
use parevm_block::input::BlockTx;
use parevm_state::InMemoryState;
use serde_json::json;
use std::path::PathBuf;

const CASE: &str = "tests/unit.py::test_case[fork_Frontier-blockchain_test]";

fn rlp_hex(block: &Block<BlockTx>) -> String {
    format!("0x{}", hex::encode(alloy_rlp::encode(block)))
}

fn genesis() -> Header {
    Header {
        gas_limit: 5_000_000,
        difficulty: U256::from(0x20000),
        ..Default::default()
    }
}

fn block_of(header: Header) -> Block<BlockTx> {
    Block {
        header,
        body: Default::default(),
    }
}

/// An empty block 1 on `genesis` paying the 5 ETH Frontier reward to `miner`.
fn block_one(genesis_hash: B256, miner: Address) -> Header {
    let mut post = InMemoryState::new();
    post.insert_account(
        miner,
        U256::from(5_000_000_000_000_000_000u128),
        0,
        Default::default(),
        [],
    );
    Header {
        parent_hash: genesis_hash,
        number: 1,
        timestamp: 1,
        gas_limit: 5_000_000,
        beneficiary: miner,
        difficulty: U256::from(0x20000),
        state_root: post.state_root(),
        ..Default::default()
    }
}

/// Writes a one-test file with the given blocks and returns its path.
fn fixture(
    tag: &str,
    genesis_rlp: String,
    blocks: serde_json::Value,
    last: B256,
    post: serde_json::Value,
) -> PathBuf {
    let g = genesis();
    let test = json!({
        CASE: {
            "network": "Frontier",
            "genesisBlockHeader": {"hash": g.hash_slow().to_string(), "stateRoot": g.state_root.to_string()},
            "genesisRLP": genesis_rlp,
            "pre": {},
            "postState": post,
            "lastblockhash": last.to_string(),
            "blocks": blocks,
            "config": {"chainid": "0x01"},
        }
    });
    let dir = std::env::temp_dir().join(format!("parevm-blocktest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{tag}.json"));
    std::fs::write(&path, test.to_string()).expect("write fixture");
    path
}

fn only_status(path: &std::path::Path) -> Status {
    let mut results = run_file(path, &BlocktestOptions::default());
    assert_eq!(results.len(), 1);
    results.remove(0).status
}

#[test]
fn valid_block_with_reward_passes() {
    let g = genesis();
    let b1 = block_one(g.hash_slow(), Address::repeat_byte(0xaa));
    let path = fixture(
        "valid",
        rlp_hex(&block_of(g)),
        json!([{"rlp": rlp_hex(&block_of(b1.clone()))}]),
        b1.hash_slow(),
        json!({"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":
            {"nonce": "0x00", "balance": "0x4563918244f40000", "code": "0x", "storage": {}}}),
    );
    assert!(matches!(only_status(&path), Status::Passed));
}

#[test]
fn invalid_block_is_rejected_and_rolled_back() {
    let g = genesis();
    let mut b1 = block_one(g.hash_slow(), Address::repeat_byte(0xaa));
    b1.state_root = B256::repeat_byte(1);
    let path = fixture(
        "invalid",
        rlp_hex(&block_of(g.clone())),
        json!([{"rlp": rlp_hex(&block_of(b1)), "expectException": "BlockException.INVALID_STATE_ROOT"},
               {"rlp": "0xdeadbeef", "expectException": "BlockException.RLP_STRUCTURES_ENCODING"}]),
        g.hash_slow(),
        json!({}),
    );
    assert!(matches!(only_status(&path), Status::Passed));
}

#[test]
fn malformed_block_rlp_names_file_and_case() {
    let g = genesis();
    let path = fixture(
        "bad-rlp",
        rlp_hex(&block_of(g.clone())),
        json!([{"rlp": "0xf90001"}]),
        g.hash_slow(),
        json!({}),
    );
    match only_status(&path) {
        Status::Failed(CaseError::Fixture(FixtureError::Rlp {
            file, case, block, ..
        })) => {
            assert_eq!(file, path);
            assert_eq!(case, CASE);
            assert_eq!(block, "1");
        }
        other => panic!("expected a typed RLP error, got {other:?}"),
    }
}

#[test]
fn malformed_genesis_rlp_names_file_and_case() {
    let path = fixture(
        "bad-genesis",
        "0xc0".into(),
        json!([]),
        B256::ZERO,
        json!({}),
    );
    match only_status(&path) {
        Status::Failed(CaseError::Fixture(FixtureError::Rlp { case, block, .. })) => {
            assert_eq!(case, CASE);
            assert_eq!(block, "genesis");
        }
        other => panic!("expected a typed RLP error, got {other:?}"),
    }
}

#[test]
fn malformed_json_names_file() {
    let dir = std::env::temp_dir().join(format!("parevm-blocktest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("not-json.json");
    std::fs::write(&path, "{ nope").expect("write");
    match only_status(&path) {
        Status::Failed(CaseError::Fixture(FixtureError::Json { file, .. })) => {
            assert_eq!(file, path)
        }
        other => panic!("expected a typed JSON error, got {other:?}"),
    }
}
