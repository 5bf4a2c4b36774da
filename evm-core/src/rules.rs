//! Chain rules: the seams where a chain other than Ethereum mainnet (the OP Stack) changes transaction
//! processing without forking the interpreter. Ethereum mainnet is the [`Ethereum`] plug-in.

use crate::env::Env;
use crate::error::InvalidTx;
use alloy_primitives::{Address, U256};
use std::fmt::Debug;

/// Hooks a chain can override. Every method has Ethereum's behaviour as its default.
pub trait ChainRules: Debug + Send + Sync {
    /// Short name for reports.
    fn name(&self) -> &'static str;

    /// Extra validity checks on the transaction (custom types, chain-specific limits).
    fn validate_tx(&self, _env: &Env) -> Result<(), InvalidTx> {
        Ok(())
    }

    /// A fee charged to the sender up front besides gas (the OP Stack's L1 data fee). Zero on Ethereum.
    fn extra_fee(&self, _env: &Env) -> U256 {
        U256::ZERO
    }

    /// Where the extra fee goes once charged (an OP fee vault). `None` burns it.
    fn extra_fee_recipient(&self) -> Option<Address> {
        None
    }

    /// True when the base fee is burned (Ethereum). A chain may instead send it to a vault.
    fn base_fee_recipient(&self) -> Option<Address> {
        None
    }
}

/// Ethereum mainnet rules.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ethereum;

impl ChainRules for Ethereum {
    fn name(&self) -> &'static str {
        "ethereum"
    }
}
