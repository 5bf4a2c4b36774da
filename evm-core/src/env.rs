//! The inputs of one transaction: block context, transaction fields and chain configuration.

use crate::rules::{ChainRules, ETHEREUM};
use crate::spec::SpecId;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use revm_primitives::eip3860::MAX_INITCODE_SIZE;

/// EIP-170: the most bytes a deployed contract's code may hold, unless the chain sets its own limit.
pub const MAX_CODE_SIZE: usize = 0x6000;

/// Block-level context visible to the EVM.
#[derive(Clone, Debug, Default)]
pub struct BlockEnv {
    /// Block number.
    pub number: u64,
    /// Fee recipient (COINBASE).
    pub beneficiary: Address,
    /// Block timestamp in seconds.
    pub timestamp: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// EIP-1559 base fee per gas (zero before London).
    pub basefee: U256,
    /// Pre-merge difficulty.
    pub difficulty: U256,
    /// Post-merge PREVRANDAO (EIP-4399); `None` before the merge.
    pub prevrandao: Option<B256>,
    /// EIP-4844 blob base fee; `None` before Cancun.
    pub blob_basefee: Option<u128>,
    /// EIP-7843 slot number (Amsterdam devnets).
    pub slot_number: Option<u64>,
}

/// An EIP-2930 access-list entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessListItem {
    /// Address to warm.
    pub address: Address,
    /// Storage keys to warm.
    pub storage_keys: Vec<B256>,
}

/// An EIP-7702 authorization with its signer already recovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// Chain id the authorization is valid on (0 = any).
    pub chain_id: U256,
    /// Address whose code the authority delegates to (zero address clears the delegation).
    pub address: Address,
    /// Authority nonce the authorization expects.
    pub nonce: u64,
    /// Recovered signer; `None` when the signature is invalid (the authorization is then skipped).
    pub authority: Option<Address>,
}

/// EIP-2718 transaction types.
pub mod tx_type {
    /// Legacy transaction.
    pub const LEGACY: u8 = 0;
    /// EIP-2930 access-list transaction.
    pub const EIP2930: u8 = 1;
    /// EIP-1559 dynamic-fee transaction.
    pub const EIP1559: u8 = 2;
    /// EIP-4844 blob transaction.
    pub const EIP4844: u8 = 3;
    /// EIP-7702 set-code transaction.
    pub const EIP7702: u8 = 4;
    /// OP-Stack deposit transaction (type 0x7E); see [`super::DepositTx`].
    pub const DEPOSIT: u8 = 0x7e;
}

/// The fields of a deposit-style transaction: value minted on another layer and credited before execution,
/// no signature, nonce or fee (the OP Stack's type 0x7E). Whether a chain accepts them is its
/// [`crate::rules::ChainRules::deposits`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepositTx {
    /// Identifies the L1 event the deposit came from.
    pub source_hash: B256,
    /// Wei credited to the sender before execution, kept even when the deposit fails.
    pub mint: u128,
    /// A pre-Regolith system deposit (no gas reported).
    pub is_system: bool,
}

/// One transaction, sender already recovered.
#[derive(Clone, Debug, Default)]
pub struct TxEnv {
    /// EIP-2718 type (see [`tx_type`]).
    pub tx_type: u8,
    /// Recovered sender.
    pub caller: Address,
    /// Gas limit.
    pub gas_limit: u64,
    /// Legacy gas price, or `max_fee_per_gas` for dynamic-fee transactions.
    pub gas_price: U256,
    /// `max_priority_fee_per_gas` for dynamic-fee transactions.
    pub gas_priority_fee: Option<U256>,
    /// Call target or contract creation.
    pub kind: TxKind,
    /// Value transferred.
    pub value: U256,
    /// Call data or init code.
    pub data: Bytes,
    /// Sender nonce.
    pub nonce: u64,
    /// Chain id (`None` for pre-EIP-155 legacy transactions).
    pub chain_id: Option<u64>,
    /// EIP-2930 access list.
    pub access_list: Vec<AccessListItem>,
    /// EIP-4844 versioned blob hashes.
    pub blob_hashes: Vec<B256>,
    /// EIP-4844 max fee per blob gas.
    pub max_fee_per_blob_gas: U256,
    /// EIP-7702 authorizations.
    pub authorization_list: Vec<Authorization>,
    /// Deposit fields; `Some` makes this a deposit (`tx_type` is then [`tx_type::DEPOSIT`]).
    pub deposit: Option<DepositTx>,
    /// The transaction's EIP-2718 encoding, for chains that price it (the OP Stack's L1 data fee); empty
    /// where no rule needs it.
    pub envelope: Bytes,
}

impl TxEnv {
    /// The price per gas actually paid given the block's base fee (EIP-1559).
    pub fn effective_gas_price(&self, basefee: U256) -> U256 {
        match self.gas_priority_fee {
            None => self.gas_price,
            Some(tip) => self.gas_price.min(basefee.saturating_add(tip)),
        }
    }
}

/// EIP-4844 blob parameters of a fork (EIP-7691, EIP-7892 BPO forks change them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobParams {
    /// Target blobs per block.
    pub target: u64,
    /// Maximum blobs per block.
    pub max: u64,
    /// Base-fee update fraction.
    pub update_fraction: u64,
    /// Maximum blobs per transaction (EIP-7594 caps it at 6 from Osaka).
    pub max_per_tx: u64,
}

impl BlobParams {
    /// The mainnet blob parameters of `spec`.
    pub fn for_spec(spec: SpecId) -> Self {
        if spec.is_enabled_in(SpecId::OSAKA) {
            Self {
                target: 6,
                max: 9,
                update_fraction: 5_007_716,
                max_per_tx: 6,
            }
        } else if spec.is_enabled_in(SpecId::PRAGUE) {
            Self {
                target: 6,
                max: 9,
                update_fraction: 5_007_716,
                max_per_tx: 9,
            }
        } else {
            Self {
                target: 3,
                max: 6,
                update_fraction: 3_338_477,
                max_per_tx: 6,
            }
        }
    }
}

/// Chain configuration for one transaction.
#[derive(Clone, Debug)]
pub struct CfgEnv {
    /// Chain id transactions must carry.
    pub chain_id: u64,
    /// The chain's rules for this block ([`crate::rules::Ethereum`] unless a chain sets its own).
    pub rules: &'static dyn ChainRules,
    /// Fork in force.
    pub spec: SpecId,
    /// Blob parameters in force.
    pub blob: BlobParams,
    /// Skip the nonce check (eth_call-style execution).
    pub disable_nonce_check: bool,
    /// Skip the balance check for the maximum fee (eth_call-style execution).
    pub disable_balance_check: bool,
    /// Skip the base-fee check (eth_call-style execution); with it, a blob transaction offering no blob fee
    /// skips the blob-fee check too (geth's `NoBaseFee`).
    pub disable_base_fee: bool,
    /// Skip the checks geth's `SkipTransactionChecks` skips for calls that are not signed transactions
    /// (`eth_simulateV1`): the EIP-7825 gas cap and the EIP-3607 sender-code check.
    pub skip_transaction_checks: bool,
    /// Skip the EIP-7825 transaction gas cap for signed transactions too (anvil's default, which enforces
    /// it only with `--enable-tx-gas-limit`).
    pub disable_tx_gas_cap: bool,
    /// EIP-170 code size limit in bytes, when a chain sets its own (anvil's `--code-size-limit`); the
    /// EIP-3860 init code limit is then twice it. `None`: the fork's limits (0x6000 and 0xC000).
    pub limit_code_size: Option<usize>,
}

impl CfgEnv {
    /// Mainnet-style configuration for `spec` on `chain_id`, under Ethereum's rules.
    pub fn new(chain_id: u64, spec: SpecId) -> Self {
        Self {
            chain_id,
            rules: &ETHEREUM,
            spec,
            blob: BlobParams::for_spec(spec),
            disable_nonce_check: false,
            disable_balance_check: false,
            disable_base_fee: false,
            skip_transaction_checks: false,
            disable_tx_gas_cap: false,
            limit_code_size: None,
        }
    }

    /// The most bytes a deployed contract's code may hold (EIP-170).
    pub fn max_code_size(&self) -> usize {
        self.limit_code_size.unwrap_or(MAX_CODE_SIZE)
    }

    /// The most bytes a creation's init code may hold (EIP-3860): twice the code size limit.
    pub fn max_initcode_size(&self) -> usize {
        self.limit_code_size
            .map_or(MAX_INITCODE_SIZE, |l| l.saturating_mul(2))
    }

    /// The same configuration under `rules`.
    pub fn with_rules(mut self, rules: &'static dyn ChainRules) -> Self {
        self.rules = rules;
        self
    }
}

/// Everything a transaction execution needs besides state.
#[derive(Clone, Debug)]
pub struct Env {
    /// Chain configuration.
    pub cfg: CfgEnv,
    /// Block context.
    pub block: BlockEnv,
    /// The transaction.
    pub tx: TxEnv,
}

/// `fake_exponential` of EIP-4844: `factor * e ** (numerator / denominator)` in integers.
pub fn fake_exponential(factor: u64, numerator: u64, denominator: u64) -> u128 {
    if denominator == 0 {
        return 0;
    }
    let factor = factor as u128;
    let numerator = numerator as u128;
    let denominator = denominator as u128;
    let mut i = 1u128;
    let mut output = 0u128;
    let mut accum = factor * denominator;
    while accum > 0 {
        output = output.saturating_add(accum);
        accum = accum.saturating_mul(numerator) / (denominator * i);
        i += 1;
    }
    output / denominator
}

/// The blob base fee for a given excess blob gas (EIP-4844, minimum price 1).
pub fn blob_basefee(excess_blob_gas: u64, update_fraction: u64) -> u128 {
    fake_exponential(1, excess_blob_gas, update_fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_exponential_matches_eip_examples() {
        assert_eq!(fake_exponential(1, 0, 1), 1);
        assert_eq!(fake_exponential(38493, 0, 1000), 38493);
        assert_eq!(fake_exponential(0, 1234, 2345), 0);
        assert_eq!(fake_exponential(1, 2, 1), 6);
        assert_eq!(fake_exponential(1, 4, 2), 6);
        assert_eq!(fake_exponential(1, 3, 1), 16);
        assert_eq!(fake_exponential(1, 6, 2), 18);
    }

    #[test]
    fn effective_price_caps_at_max_fee() {
        let tx = TxEnv {
            gas_price: U256::from(10),
            gas_priority_fee: Some(U256::from(5)),
            ..Default::default()
        };
        assert_eq!(tx.effective_gas_price(U256::from(3)), U256::from(8));
        assert_eq!(tx.effective_gas_price(U256::from(7)), U256::from(10));
    }
}
