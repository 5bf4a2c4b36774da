//! One pooled transaction: the signed envelope as it arrived, its recovered sender and hash, the EVM's view
//! of it, and its place in arrival order.

use alloy_consensus::TxEnvelope;
use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::TxEnv;

/// A transaction waiting in the pool.
#[derive(Clone, Debug)]
pub struct PoolTx {
    /// Transaction hash.
    pub hash: B256,
    /// Recovered (or impersonated) sender.
    pub sender: Address,
    /// The signed transaction as it will be included.
    pub envelope: TxEnvelope,
    /// The EVM's fields, sender included.
    pub env: TxEnv,
    /// Arrival order (FIFO ordering and fee ties).
    pub arrival: u64,
}

impl PoolTx {
    /// The sender's nonce this transaction uses.
    pub fn nonce(&self) -> u64 {
        self.env.nonce
    }

    /// Max fee per gas (the gas price of legacy transactions).
    pub fn max_fee(&self) -> U256 {
        self.env.gas_price
    }

    /// What the block producer earns per gas at `basefee` (zero when the fee cap is below it).
    pub fn tip_at(&self, basefee: U256) -> U256 {
        self.env
            .effective_gas_price(basefee)
            .saturating_sub(basefee)
    }

    /// True when `self` may replace `old` (same sender and nonce): it must pay strictly more, both as fee
    /// cap and as priority fee.
    pub fn outbids(&self, old: &PoolTx) -> bool {
        let tip = |t: &PoolTx| t.env.gas_priority_fee.unwrap_or(t.env.gas_price);
        self.max_fee() > old.max_fee() && tip(self) > tip(old)
    }
}
