//! kona executor fixtures: one OP block, its parent header, the rollup node's payload attributes and the
//! stateless witness kona's executor fetched; the block is rebuilt on a witness-backed state and its hash
//! compared with the real chain's.

use super::{parse, read, CaseResult, OpTestError};
use alloy_consensus::Header;
use alloy_primitives::map::HashMap;
use alloy_primitives::{keccak256, Bytes, B256};
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use parevm_op_stack_adapter::witness::trie::Preimages;
use parevm_op_stack_adapter::{
    build_block, BuiltBlock, Eip1559Params, ForkTimes, OpChainConfig, Runner, WitnessState,
};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

/// kona's rollup config: the parts block execution needs.
#[derive(Debug, Deserialize)]
pub struct RollupConfig {
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Fork times (`regolith_time`, ...).
    #[serde(flatten)]
    pub forks: ForkTimes,
    /// EIP-1559 constants.
    pub chain_op_config: Eip1559Params,
}

/// `fixture.json`.
#[derive(Debug, Deserialize)]
pub struct Fixture {
    /// Chain configuration.
    pub rollup_config: RollupConfig,
    /// The parent block's header.
    pub parent_header: Header,
    /// The attributes of the block to build.
    pub executing_payload: OpPayloadAttributes,
    /// The real block's hash.
    pub expected_block_hash: B256,
}

/// Reads `preimages.json`, checking every key is the keccak256 of its value.
pub fn load_preimages(path: &Path) -> Result<Preimages, OpTestError> {
    let map: HashMap<B256, Bytes> = parse(path, &read(path)?)?;
    for (k, v) in &map {
        if keccak256(v) != *k {
            return Err(OpTestError::BadPreimage {
                path: path.to_path_buf(),
                key: *k,
            });
        }
    }
    Ok(Preimages::new(map))
}

/// Builds the fixture's block on its witness with `runner`.
pub fn build_fixture(dir: &Path, runner: Runner) -> Result<(Fixture, BuiltBlock), OpTestError> {
    let fixture_path = dir.join("fixture.json");
    let fixture: Fixture = parse(&fixture_path, &read(&fixture_path)?)?;
    let preimages = load_preimages(&dir.join("preimages.json"))?;
    let parent = &fixture.parent_header;
    let parent_hash = parent.hash_slow();
    let config = OpChainConfig {
        chain_id: fixture.rollup_config.l2_chain_id,
        forks: fixture.rollup_config.forks,
        eip1559: fixture.rollup_config.chain_op_config,
    };
    let mut state = WitnessState::new(Arc::new(preimages), parent.state_root);
    state.set_block_hash(parent.number, parent_hash);
    let built = build_block(
        &config,
        &mut state,
        parent,
        parent_hash,
        &fixture.executing_payload,
        runner,
    )
    .map_err(|source| OpTestError::Block {
        path: fixture_path.clone(),
        number: parent.number + 1,
        source,
    })?;
    Ok((fixture, built))
}

/// Runs one fixture folder.
pub fn run_fixture(dir: &Path, runner: Runner) -> CaseResult {
    let label = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = match runner {
        Runner::Sequential => label,
        Runner::Parallel(n) => format!("{label} ({n} threads)"),
    };
    let outcome = match build_fixture(dir, runner) {
        Ok((fixture, built)) if built.hash == fixture.expected_block_hash => {
            Ok(format!("{} ({} txs)", built.hash, built.transactions.len()))
        }
        Ok((fixture, built)) => Err(format!(
            "block hash {} expected {} (state root {}, receipts root {}, gas used {})",
            built.hash,
            fixture.expected_block_hash,
            built.header.state_root,
            built.header.receipts_root,
            built.header.gas_used
        )),
        Err(e) => Err(e.to_string()),
    };
    CaseResult { name, outcome }
}
