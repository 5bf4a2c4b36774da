//! Chain rules: the one seam through which a chain other than Ethereum mainnet (the OP Stack) changes how a
//! transaction is processed, without forking the interpreter.
//!
//! ```text
//! TxExecution::new(env)            rules = env.cfg.rules (a &'static, chosen per block by the block builder)
//!   validate   -> rules.validate_tx(env)                  transaction types and chain limits
//!              -> rules.deposits()                        deposit-style transactions (mint, no fees) or none
//!              -> rules.extra_fee(env, state)             fees besides gas, reading state through the journal
//!   frames     -> rules.precompiles(spec)                 precompile set and input caps (resolved once)
//!              -> rules.call_precompiles(spec)            what a CALL runs instead, for an RPC call whose
//!                                                         overrides moved precompiles (None otherwise)
//!   finalize   -> rules.settle_extra_fee(env, fee, used)  refund of the unused part, credits to vaults
//!              -> rules.base_fee_recipient()              burn (Ethereum) or credit a vault
//! ```
//!
//! Every hook runs once per transaction, never per instruction, and a hook that reads state does so through
//! [`RuleState`], which goes through the journal: the read lands in the read set, so the parallel layer
//! validates it like any other read. Credits to fee recipients are blind (`BalanceWrite::Add`), so
//! recipients written by every transaction create no conflicts. Block-level rules (system calls, header
//! fields, receipts) sit beside the block executors that use them, not here.

use crate::env::{tx_type, Env};
use crate::error::InvalidTx;
use crate::precompiles;
use crate::spec::SpecId;
use crate::view::ViewError;
use alloy_primitives::{Address, U256};
use revm_precompile::Precompiles;
use std::fmt::Debug;

/// State a rule may read while a transaction validates: reads go through the transaction's journal, so they
/// are recorded in its read set.
pub trait RuleState {
    /// Current value of one storage slot (the slot is loaded but not warmed: no gas is charged for it).
    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ViewError>;
}

/// How a chain runs deposit-style transactions ([`crate::env::TxEnv::deposit`]): value minted on another
/// layer, no signature, nonce or fee checks, no fees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepositRules {
    /// OP Regolith on: a deposit reports its real gas used (refunds included), a system deposit is invalid,
    /// and an execution that halts becomes a failed deposit (gas used = gas limit). Before it a deposit
    /// reports its gas limit (a successful system deposit 0) and gets no refund.
    pub regolith: bool,
}

/// A fee besides gas, computed when the transaction validates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtraFee {
    /// Charged to the sender before execution; part of the balance check.
    pub upfront: U256,
    /// What the rule needs again at settlement (its meaning is the rule's own).
    pub memo: [U256; 3],
}

/// How an [`ExtraFee`] ends once the gas used is known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeSettlement {
    /// Returned to the sender.
    pub refund: U256,
    /// Credited (blindly) to fee recipients. A recipient is credited even with zero, as the account is
    /// touched either way.
    pub credits: [Option<(Address, U256)>; 2],
}

/// Hooks a chain can override. Every method has Ethereum's behaviour as its default.
pub trait ChainRules: Debug + Send + Sync {
    /// Short name for reports.
    fn name(&self) -> &'static str;

    /// The precompiles of `spec` on this chain: which addresses they occupy and what they run (input caps
    /// included). Called once per transaction.
    fn precompiles(&self, spec: SpecId) -> &'static Precompiles {
        precompiles::set(spec)
    }

    /// The set a CALL runs when it is not [`ChainRules::precompiles`]: an RPC call's overrides that moved
    /// or replaced precompiles (`crate::precompile_moves`). EIP-2929 still counts
    /// [`ChainRules::precompiles`] warm, as geth does. `None` (the chain's own set) for every chain.
    fn call_precompiles(&self, _spec: SpecId) -> Option<&'static Precompiles> {
        None
    }

    /// [`ChainRules::precompiles`] and [`ChainRules::call_precompiles`] in one call (once per
    /// transaction). Implement the two, not this.
    #[inline]
    fn precompile_sets(
        &self,
        spec: SpecId,
    ) -> (&'static Precompiles, Option<&'static Precompiles>) {
        (self.precompiles(spec), self.call_precompiles(spec))
    }

    /// Extra validity checks on a transaction (types the chain does not accept, chain-specific limits).
    /// Runs before Ethereum's checks, for deposits too.
    fn validate_tx(&self, _env: &Env) -> Result<(), InvalidTx> {
        Ok(())
    }

    /// How deposits run; `None` (Ethereum) rejects a transaction with deposit fields.
    fn deposits(&self) -> Option<DepositRules> {
        None
    }

    /// A fee charged up front besides gas (the OP Stack's L1 data fee and operator fee), read from state
    /// through `state`. Not called for deposits. Zero on Ethereum.
    fn extra_fee(&self, _env: &Env, _state: &mut dyn RuleState) -> Result<ExtraFee, ViewError> {
        Ok(ExtraFee::default())
    }

    /// Settles `fee` once the transaction has used `gas_used` (after refunds and the EIP-7623 floor).
    fn settle_extra_fee(&self, _env: &Env, _fee: &ExtraFee, _gas_used: u64) -> FeeSettlement {
        FeeSettlement::default()
    }

    /// Where the base fee goes: `None` burns it (Ethereum); a chain may credit a vault instead.
    fn base_fee_recipient(&self) -> Option<Address> {
        None
    }
}

/// Ethereum mainnet rules.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ethereum;

/// The one [`Ethereum`] value, for [`crate::env::CfgEnv`]'s default.
pub static ETHEREUM: Ethereum = Ethereum;

impl ChainRules for Ethereum {
    fn name(&self) -> &'static str {
        "ethereum"
    }
}

/// The fork that introduced an Ethereum transaction type; `None` for a type Ethereum does not have.
pub fn ethereum_type_fork(ty: u8) -> Option<SpecId> {
    Some(match ty {
        tx_type::LEGACY => SpecId::FRONTIER,
        tx_type::EIP2930 => SpecId::BERLIN,
        tx_type::EIP1559 => SpecId::LONDON,
        tx_type::EIP4844 => SpecId::CANCUN,
        tx_type::EIP7702 => SpecId::PRAGUE,
        _ => return None,
    })
}
