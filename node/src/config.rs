//! What chain a node runs: the OP chain config (chain id, fork times, EIP-1559 constants) read from the
//! genesis file's `config` (op-geth keys) and, when given, the rollup node's `rollup.json` (kona/op-node
//! keys, which win); and the genesis block itself.
//!
//! ```text
//! --chain genesis.json  --> config.chainId, config.{regolith..jovian}Time, config.optimism.eip1559*
//! --rollup-config r.json --> l2_chain_id, {regolith..jovian}_time, chain_op_config, genesis.l2.hash
//!                        --> OpChainConfig (+ the genesis hash the rollup node expects)
//! genesis.json alloc + header fields --> op-stack-adapter's genesis rules --> block 0
//! ```

use crate::error::NodeError;
use alloy_primitives::B256;
use parevm_op_stack_adapter::genesis::{compute, GenesisFile, OpGenesis};
use parevm_op_stack_adapter::{Eip1559Params, ForkTimes, OpChainConfig};
use serde::Deserialize;
use std::path::Path;

/// The `config` object of an op-geth genesis file (only what execution needs).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GethConfig {
    chain_id: Option<u64>,
    regolith_time: Option<u64>,
    canyon_time: Option<u64>,
    delta_time: Option<u64>,
    ecotone_time: Option<u64>,
    fjord_time: Option<u64>,
    granite_time: Option<u64>,
    holocene_time: Option<u64>,
    isthmus_time: Option<u64>,
    jovian_time: Option<u64>,
    karst_time: Option<u64>,
    optimism: Option<Eip1559Params>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct GenesisConfigOnly {
    #[serde(default)]
    config: GethConfig,
}

/// The parts of a rollup node's `rollup.json` execution needs.
#[derive(Clone, Debug, Deserialize)]
struct RollupFile {
    l2_chain_id: u64,
    #[serde(flatten)]
    forks: ForkTimes,
    chain_op_config: Option<Eip1559Params>,
    genesis: Option<RollupGenesis>,
}

#[derive(Clone, Debug, Deserialize)]
struct RollupGenesis {
    l2: Option<RollupBlockId>,
}

#[derive(Clone, Debug, Deserialize)]
struct RollupBlockId {
    hash: B256,
}

/// The chain a node runs.
#[derive(Clone, Debug)]
pub struct NodeChain {
    /// Chain id, forks, EIP-1559 constants.
    pub config: OpChainConfig,
    /// The genesis block and state.
    pub genesis: OpGenesis,
}

fn read(path: &Path) -> Result<String, NodeError> {
    std::fs::read_to_string(path).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
}

impl NodeChain {
    /// Reads the genesis file and, when given, the rollup config; the rollup config's genesis hash, when
    /// present, must match the genesis computed here (kona recomputes it and stops on a mismatch).
    pub fn load(genesis: &Path, rollup: Option<&Path>) -> Result<Self, NodeError> {
        let text = read(genesis)?;
        let geth: GenesisConfigOnly = serde_json::from_str(&text)
            .map_err(|e| NodeError::Config(format!("{}: config: {e}", genesis.display())))?;
        let file = GenesisFile::load(genesis).map_err(|e| NodeError::Config(e.to_string()))?;
        let g = geth.config;
        let mut config = OpChainConfig {
            chain_id: g.chain_id.unwrap_or(0),
            forks: ForkTimes {
                regolith_time: g.regolith_time,
                canyon_time: g.canyon_time,
                delta_time: g.delta_time,
                ecotone_time: g.ecotone_time,
                fjord_time: g.fjord_time,
                granite_time: g.granite_time,
                holocene_time: g.holocene_time,
                isthmus_time: g.isthmus_time,
                jovian_time: g.jovian_time,
                karst_time: g.karst_time,
            },
            eip1559: g.optimism.unwrap_or_default(),
        };
        let mut expected_hash = None;
        if let Some(path) = rollup {
            let r: RollupFile = serde_json::from_str(&read(path)?)
                .map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))?;
            config.chain_id = r.l2_chain_id;
            config.forks = r.forks;
            if let Some(p) = r.chain_op_config {
                config.eip1559 = p;
            }
            expected_hash = r.genesis.and_then(|g| g.l2).map(|l2| l2.hash);
        }
        if config.chain_id == 0 {
            return Err(NodeError::Config(format!(
                "{}: no chain id (config.chainId, or l2_chain_id in the rollup config)",
                genesis.display()
            )));
        }
        let genesis_block = compute(&file, &config.forks);
        if let Some(expected) = expected_hash {
            if expected != genesis_block.hash {
                return Err(NodeError::Config(format!(
                    "the rollup config's genesis.l2.hash is {expected}, the genesis file gives {}",
                    genesis_block.hash
                )));
            }
        }
        Ok(Self {
            config,
            genesis: genesis_block,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_config_wins_over_genesis_config() {
        let dir = tempfile::tempdir().unwrap();
        let g = dir.path().join("genesis.json");
        std::fs::write(
            &g,
            r#"{"config":{"chainId":5,"canyonTime":100,"optimism":{"eip1559Elasticity":2,"eip1559Denominator":8,"eip1559DenominatorCanyon":16}},
               "nonce":"0x0","timestamp":"0x0","gasLimit":"0x1c9c380","alloc":{}}"#,
        )
        .unwrap();
        let c = NodeChain::load(&g, None).unwrap();
        assert_eq!(c.config.chain_id, 5);
        assert_eq!(c.config.forks.canyon_time, Some(100));
        assert_eq!(c.config.eip1559.eip1559_denominator_canyon, 16);
        let r = dir.path().join("rollup.json");
        std::fs::write(
            &r,
            r#"{"l2_chain_id":901,"block_time":2,"regolith_time":0,"canyon_time":0,"ecotone_time":0}"#,
        )
        .unwrap();
        let c = NodeChain::load(&g, Some(&r)).unwrap();
        assert_eq!(c.config.chain_id, 901);
        assert_eq!(c.config.forks.canyon_time, Some(0));
        assert_eq!(c.config.forks.ecotone_time, Some(0));
        assert_eq!(c.config.forks.fjord_time, None);
        std::fs::write(
            &r,
            format!(
                r#"{{"l2_chain_id":901,"genesis":{{"l2":{{"hash":"{}","number":0}}}}}}"#,
                B256::repeat_byte(1)
            ),
        )
        .unwrap();
        let err = NodeChain::load(&g, Some(&r)).unwrap_err().to_string();
        assert!(err.contains("genesis.l2.hash"), "{err}");
    }
}
