//! Superchain genesis sets: `expected.json` names each chain's genesis file, registry config, genesis hash
//! and state root; each chain is one case.

use super::{parse, read, CaseResult, OpTestError};
use alloy_primitives::B256;
use parevm_op_stack_adapter::genesis::load_chain;
use parevm_op_stack_adapter::ForkTimes;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One chain of `expected.json`.
#[derive(Debug, Deserialize)]
pub struct ExpectedChain {
    /// Genesis file, relative to the set.
    pub genesis_file: String,
    /// Registry config, relative to the set.
    pub config_file: String,
    /// L2 chain id.
    pub chain_id: u64,
    /// Genesis block hash.
    pub genesis_hash: B256,
    /// Genesis state root.
    pub state_root: B256,
    /// Fork times (the toml's `[hardforks]`).
    pub hardforks: ForkTimes,
}

/// Runs every chain of the set in `dir`.
pub fn run_set(dir: &Path) -> Result<Vec<CaseResult>, OpTestError> {
    let path = dir.join("expected.json");
    let chains: BTreeMap<String, ExpectedChain> = parse(&path, &read(&path)?)?;
    Ok(chains
        .into_iter()
        .map(|(key, chain)| CaseResult {
            name: format!("genesis {key}"),
            outcome: run_chain(dir, &chain)
                .map_err(|e| e.to_string())
                .and_then(|r| r),
        })
        .collect())
}

fn run_chain(dir: &Path, chain: &ExpectedChain) -> Result<Result<String, String>, OpTestError> {
    let loaded = load_chain(
        &dir.join(&chain.genesis_file),
        &dir.join(&chain.config_file),
    )?;
    if loaded.config.chain_id != chain.chain_id {
        return Ok(Err(format!(
            "chain id {} in {} expected {}",
            loaded.config.chain_id, chain.config_file, chain.chain_id
        )));
    }
    if loaded.config.forks != chain.hardforks {
        return Ok(Err(format!(
            "fork times in {} differ from expected.json",
            chain.config_file
        )));
    }
    let genesis = loaded.genesis;
    Ok(if genesis.header.state_root != chain.state_root {
        Err(format!(
            "state root {} expected {}",
            genesis.header.state_root, chain.state_root
        ))
    } else if genesis.hash != chain.genesis_hash {
        Err(format!(
            "genesis hash {} expected {}",
            genesis.hash, chain.genesis_hash
        ))
    } else {
        Ok(format!(
            "{} (state root {})",
            genesis.hash, genesis.header.state_root
        ))
    })
}
