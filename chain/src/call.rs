//! Executing without mining: `eth_call`, `eth_estimateGas` and replaying a mined transaction for tracing.
//!
//! ```text
//! call(tx, block)       -> state after `block`, that block's context, nonce/base-fee checks off -> TxOutcome
//! estimate_gas(tx, blk) -> the same at the cap; then a binary search for the least gas that succeeds
//! replay(hash, f)       -> state after the parent, the block's earlier transactions applied, f(env, view)
//! ```

use crate::block::ChainBlock;
use crate::builder::{block_env, BlockParams};
use crate::error::ChainError;
use crate::service::Chain;
use alloy_primitives::{Bytes, B256};
use parevm_evm_core::{
    intrinsic_gas, BlockEnv, CfgEnv, Env, ExecStatus, HaltReason, InvalidTx, StateView, TxEnv,
    TxError, TxExecution, TxOutcome, ViewError,
};
use parevm_parallel_commit::Overlay;

/// How a call ended when it produced no outcome.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The chain could not serve the request.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The EVM rejected the transaction.
    #[error("{0}")]
    Invalid(InvalidTx),
}

impl From<TxError> for CallError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Invalid(i) => CallError::Invalid(i),
            TxError::View(v) => CallError::Chain(ChainError::State(v)),
        }
    }
}

impl From<ViewError> for CallError {
    fn from(e: ViewError) -> Self {
        CallError::Chain(ChainError::State(e))
    }
}

/// What gas estimation found.
#[derive(Clone, Debug)]
pub enum Estimate {
    /// The least gas limit with which the transaction succeeds.
    Gas(u64),
    /// It fails even with the most gas allowed: the outcome at that gas (revert or halt).
    Fails(TxOutcome),
}

/// The EVM block context of an existing block.
pub fn block_env_of(chain: &Chain, block: &ChainBlock) -> BlockEnv {
    let h = &block.header;
    let params = BlockParams {
        timestamp: h.timestamp,
        beneficiary: h.beneficiary,
        gas_limit: h.gas_limit,
        base_fee: h.base_fee_per_gas.unwrap_or(0),
        prevrandao: h.mix_hash,
        extra_data: h.extra_data.clone(),
        parent_beacon_block_root: h.parent_beacon_block_root.unwrap_or_default(),
    };
    block_env(
        chain.config(),
        h.number,
        &params,
        h.excess_blob_gas.unwrap_or(0),
    )
}

/// What `eth_call` answers for a run that succeeded: its return data, or for a creation the code it
/// deployed (the init code's return data), as geth and anvil answer.
pub fn call_output(out: &TxOutcome) -> Bytes {
    match out.created_address {
        Some(created) => out
            .writes
            .iter()
            .find(|w| w.address == created)
            .and_then(|w| w.code.as_ref())
            .map(|(_, code)| code.bytes().clone())
            .unwrap_or_default(),
        None => out.output.clone(),
    }
}

fn run(env: Env, view: &dyn StateView) -> Result<TxOutcome, CallError> {
    Ok(TxExecution::new(env).resume(view)?)
}

impl Chain {
    /// Executes `tx` on the state after block `number` in a context `block`, without changing anything.
    pub fn call(&self, tx: TxEnv, number: u64, block: BlockEnv) -> Result<TxOutcome, CallError> {
        let env = Env {
            cfg: self.call_cfg(),
            block,
            tx,
        };
        self.read_state(number, |view| run(env, view))?
    }

    /// Call settings: no nonce check, no base-fee floor (a zero gas price is allowed).
    pub fn call_cfg(&self) -> CfgEnv {
        let mut cfg = self.cfg_env();
        cfg.disable_nonce_check = true;
        cfg.disable_base_fee = true;
        cfg
    }

    /// The least gas limit with which `tx` succeeds (at most `cap`), found by binary search on the state
    /// after block `number`.
    pub fn estimate_gas(
        &self,
        tx: TxEnv,
        number: u64,
        block: BlockEnv,
        cap: u64,
    ) -> Result<Estimate, CallError> {
        let cfg = self.call_cfg();
        self.read_state(number, |view| estimate_on(view, &cfg, &block, &tx, cap))?
    }

    /// Replays the mined transaction `hash`: `f` gets its environment and the state just before it.
    pub fn replay<R>(
        &self,
        hash: &B256,
        f: impl FnOnce(&Env, &dyn StateView) -> R,
    ) -> Result<Option<R>, CallError> {
        let Some((block, index)) = self.transaction(hash) else {
            return Ok(None);
        };
        let mut f = Some(f);
        self.replay_block(&block, Some(index), |env, view, i| {
            if i == index {
                f.take().map(|f| f(env, view))
            } else {
                None
            }
        })
        .map(|mut v| v.pop().flatten())
    }

    /// Replays the transactions of `block` (up to and including `last`, or all): `f` sees each one's
    /// environment and the state just before it, with its index.
    pub fn replay_block<R>(
        &self,
        block: &ChainBlock,
        last: Option<usize>,
        mut f: impl FnMut(&Env, &dyn StateView, usize) -> R,
    ) -> Result<Vec<R>, CallError> {
        let parent = block.number().saturating_sub(1);
        let mut cfg = self.cfg_env();
        cfg.disable_nonce_check = false;
        let benv = block_env_of(self, block);
        let end = last.map_or(block.txs.len(), |l| (l + 1).min(block.txs.len()));
        self.read_state(parent, |view| {
            let mut overlay = Overlay::new(view);
            let mut out = Vec::with_capacity(end);
            for (i, tx) in block.txs[..end].iter().enumerate() {
                let env = Env {
                    cfg: cfg.clone(),
                    block: benv.clone(),
                    tx: parevm_block::tx_env::tx_env_with_sender(&tx.envelope, tx.sender),
                };
                out.push(f(&env, &overlay, i));
                let outcome = run(env, &overlay)?;
                overlay.apply(&outcome.writes);
            }
            Ok(out)
        })?
    }
}

/// Executes `env` on `view` without keeping anything (eth_call on any state a caller holds).
pub fn call_on(env: Env, view: &dyn StateView) -> Result<TxOutcome, CallError> {
    run(env, view)
}

/// The least gas limit with which `tx` succeeds on `view` (at most `cap`): one run at the cap, then a
/// binary search from the intrinsic gas, with a first guess of what the top run used.
pub fn estimate_on(
    view: &dyn StateView,
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: &TxEnv,
    cap: u64,
) -> Result<Estimate, CallError> {
    let at = |gas: u64| {
        let mut t = tx.clone();
        t.gas_limit = gas;
        run(
            Env {
                cfg: cfg.clone(),
                block: block.clone(),
                tx: t,
            },
            view,
        )
    };
    let probe = Env {
        cfg: cfg.clone(),
        block: block.clone(),
        tx: tx.clone(),
    };
    let (intrinsic, floor) = intrinsic_gas(cfg.spec, &probe);
    let lowest = intrinsic.max(floor);
    let top = at(cap)?;
    if !top.status.is_success() {
        return Ok(Estimate::Fails(top));
    }
    // Invariant: `hi` succeeds, `lo` fails (or is below the intrinsic gas).
    let mut hi = cap;
    let mut lo = lowest.saturating_sub(1);
    // A first guess that usually succeeds: what the call used plus its refund, with the 63/64
    // reserve a nested call keeps back.
    let guess = (top.gas_used + top.gas_refunded).saturating_mul(64) / 63;
    if guess < hi && guess > lo {
        if succeeds(&at(guess))? {
            hi = guess;
        } else {
            lo = guess;
        }
    }
    if top.gas_used > lo && top.gas_used < hi {
        if succeeds(&at(top.gas_used))? {
            hi = top.gas_used;
        } else {
            lo = top.gas_used;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if succeeds(&at(mid))? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Estimate::Gas(hi))
}

fn succeeds(r: &Result<TxOutcome, CallError>) -> Result<bool, CallError> {
    match r {
        Ok(out) => Ok(out.status.is_success()),
        // Too little gas for the intrinsic cost (or the floor) counts as failure; anything else is real.
        Err(CallError::Invalid(InvalidTx::IntrinsicGasTooLow { .. })) => Ok(false),
        Err(e) => Err(e.clone()),
    }
}

/// True when an outcome ran out of gas (as opposed to reverting or another halt).
pub fn out_of_gas(out: &TxOutcome) -> bool {
    matches!(out.status, ExecStatus::Halt(HaltReason::OutOfGas))
}
