//! One differential case as plain data: fork, block, pre-state and transaction. Both engines are built from
//! this description, and a failure prints it.

use alloy_primitives::{hex, Address, Bytes, B256, U256};
use parevm_evm_core::SpecId;
use std::fmt;

/// An account of the pre-state.
#[derive(Clone, Debug)]
pub struct PreAccount {
    /// Where it lives.
    pub address: Address,
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Runtime code (empty for an EOA).
    pub code: Bytes,
    /// Storage slots (non-zero values).
    pub storage: Vec<(U256, U256)>,
}

/// An EIP-7702 authorization whose signer is already known.
#[derive(Clone, Debug)]
pub struct AuthSpec {
    /// Chain id the authorization names (0 = any).
    pub chain_id: u64,
    /// Delegate address.
    pub address: Address,
    /// Nonce the authority must have.
    pub nonce: u64,
    /// Recovered signer, `None` for an invalid signature.
    pub authority: Option<Address>,
}

/// The transaction of a case.
#[derive(Clone, Debug)]
pub struct TxSpec {
    /// EIP-2718 type.
    pub tx_type: u8,
    /// Sender.
    pub caller: Address,
    /// Call target, `None` for a creation.
    pub to: Option<Address>,
    /// Value sent.
    pub value: U256,
    /// Calldata or init code.
    pub data: Bytes,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas price, or max fee per gas for dynamic-fee types.
    pub gas_price: u128,
    /// Max priority fee for dynamic-fee types.
    pub priority_fee: Option<u128>,
    /// Sender nonce in the transaction.
    pub nonce: u64,
    /// EIP-2930 access list.
    pub access_list: Vec<(Address, Vec<B256>)>,
    /// EIP-4844 versioned hashes.
    pub blob_hashes: Vec<B256>,
    /// EIP-4844 max fee per blob gas.
    pub max_fee_per_blob_gas: u128,
    /// EIP-7702 authorizations.
    pub authorizations: Vec<AuthSpec>,
}

/// The block the transaction runs in.
#[derive(Clone, Debug)]
pub struct BlockSpec {
    /// Block number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Fee recipient.
    pub coinbase: Address,
    /// Base fee (London and later; zero before).
    pub basefee: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Difficulty (before the merge).
    pub difficulty: U256,
    /// PREVRANDAO (merge and later).
    pub prevrandao: B256,
}

/// A complete differential case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The seed that generated it.
    pub seed: u64,
    /// The fork.
    pub spec: SpecId,
    /// The block.
    pub block: BlockSpec,
    /// The accounts that exist before the transaction.
    pub accounts: Vec<PreAccount>,
    /// The transaction.
    pub tx: TxSpec,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {:#018x}  fork {:?}", self.seed, self.spec)?;
        let b = &self.block;
        writeln!(
            f,
            "block: number {} timestamp {} coinbase {} basefee {} gas_limit {} difficulty {} prevrandao {}",
            b.number, b.timestamp, b.coinbase, b.basefee, b.gas_limit, b.difficulty, b.prevrandao
        )?;
        writeln!(f, "pre-state:")?;
        for a in &self.accounts {
            writeln!(f, "  {} balance {} nonce {}", a.address, a.balance, a.nonce)?;
            if !a.code.is_empty() {
                writeln!(f, "    code {}", hex::encode(&a.code))?;
            }
            for (k, v) in &a.storage {
                writeln!(f, "    [{k:#x}] = {v:#x}")?;
            }
        }
        let t = &self.tx;
        let to = t.to.map_or_else(|| "CREATE".to_string(), |a| a.to_string());
        writeln!(
            f,
            "tx: type {} from {} to {} value {} nonce {} gas_limit {} gas_price {} priority {:?}",
            t.tx_type, t.caller, to, t.value, t.nonce, t.gas_limit, t.gas_price, t.priority_fee
        )?;
        writeln!(f, "  data {}", hex::encode(&t.data))?;
        for (a, keys) in &t.access_list {
            writeln!(f, "  access {a} {keys:?}")?;
        }
        if !t.blob_hashes.is_empty() {
            writeln!(
                f,
                "  blobs {:?} max_fee_per_blob_gas {}",
                t.blob_hashes, t.max_fee_per_blob_gas
            )?;
        }
        for a in &t.authorizations {
            writeln!(f, "  auth {a:?}")?;
        }
        Ok(())
    }
}
