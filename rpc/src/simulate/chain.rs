//! `eth_simulateV1` of `parevm dev`: the base block the request names (latest when not given, `pending`
//! as latest, as geth resolves it), a copy of the chain's state after it (`Chain::state_at`: the head
//! state with the kept diffs above the block undone), and the simulation on that copy with the dev
//! chain's fork and EVM settings (chain id in force, code size limit, transaction gas cap setting).
//! Nothing of it reaches the chain.

use super::{check_limits, simulate, SimChain, SimResult};
use crate::context::RpcContext;
use crate::error::RpcResult;
use crate::params::Args;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_rpc_types_eth::simulate::SimulatePayload;
use parevm_block::fork::ForkParams;
use parevm_chain::builder::blob_params;
use parevm_chain::Chain;
use parevm_evm_core::spec::fixture_name;
use parevm_evm_core::CfgEnv;
use serde_json::Value;

/// The dev chain runs one fork for every block.
impl SimChain for Chain {
    fn fork_at(&self, _number: u64, _timestamp: u64) -> SimResult<ForkParams> {
        let spec = self.config().spec;
        Ok(ForkParams {
            name: fixture_name(spec),
            spec,
            blob: blob_params(spec),
        })
    }

    fn cfg_env(&self, fork: &ForkParams) -> CfgEnv {
        let mut cfg = Chain::cfg_env(self);
        cfg.spec = fork.spec;
        cfg.blob = fork.blob;
        cfg
    }

    /// The dev chain's blocks carry no execution requests (nor does it deploy their contracts).
    fn execution_requests(&self) -> bool {
        false
    }
}

/// `eth_simulateV1(payload, block?)`.
pub fn simulate_v1(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let payload: SimulatePayload = a.req(0)?;
    let id: Option<BlockId> = a.opt(1)?;
    check_limits(&payload)?;
    let id = match id {
        Some(BlockId::Number(BlockNumberOrTag::Pending)) | None => None,
        id => id,
    };
    let block = ctx.state_block(id)?;
    let (mut state, block) = ctx.chain.state_at(block.number())?;
    simulate(payload, &block.header, &mut state, &*ctx.chain)
}
