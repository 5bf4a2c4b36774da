//! `eth_simulateV1` of `parevm node` in Ethereum mode: the request's base block resolved in the store,
//! a block state of the store opened on it (the head, or an earlier block whose reverse diffs are kept:
//! `ChainStore::begin_block_at` reads them first and lays them under the simulated blocks' changes for
//! their state roots), and the simulation itself run by [`parevm_rpc::simulate`], the code `parevm dev`
//! runs too. The block state is dropped afterwards: nothing reaches the store.

use crate::eth::{resolve, store, EthBackend, EthResult};
use crate::ethereum::EthereumChain;
use alloy_consensus::Header;
use alloy_eips::{BlockId, BlockNumberOrTag};
use parevm_block::fork::ForkParams;
use parevm_evm_core::CfgEnv;
use parevm_rpc::params::Args;
use parevm_rpc::simulate::call::code;
use parevm_rpc::simulate::{check_limits, simulate, SimChain, SimResult};
use parevm_rpc::RpcError;
use serde_json::Value;

fn server(message: impl Into<String>) -> RpcError {
    RpcError::Coded(code::SERVER, message.into())
}

impl SimChain for EthereumChain {
    fn fork_at(&self, number: u64, timestamp: u64) -> SimResult<ForkParams> {
        let probe = Header {
            number,
            timestamp,
            ..Default::default()
        };
        self.fork(&probe)
            .map_err(|e| RpcError::Coded(e.code, e.message))
    }

    fn cfg_env(&self, fork: &ForkParams) -> CfgEnv {
        let mut cfg = CfgEnv::new(self.spec().chain_id, fork.spec);
        cfg.blob = fork.blob;
        cfg
    }
}

/// `eth_simulateV1(payload, block?)`.
pub fn simulate_v1(a: &Args, c: &EthereumChain) -> EthResult<Value> {
    a.at_most(2)?;
    let payload = a.req(0)?;
    let id: Option<BlockId> = a.opt(1)?;
    check_limits(&payload)?;
    let id = id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest));
    let (_, base_hash) = resolve(c, id)?.ok_or_else(|| server("header not found"))?;
    let base = c
        .store()
        .header_by_hash(&base_hash)
        .map_err(store)?
        .ok_or_else(|| server("header not found"))?;
    // On the head, or on an earlier block whose reverse diffs are kept (its state is the head's with
    // them read first, and the simulated blocks' roots are computed over it).
    let mut state = c.store().begin_block_at(base.number).map_err(store)?;
    if state.parent().1 != base_hash {
        return Err(server(format!("block {} is no longer canonical", base.number)).into());
    }
    Ok(simulate(payload, &base, &mut state, c)?)
}
