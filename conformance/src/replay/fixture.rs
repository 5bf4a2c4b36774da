//! The replay fixture files: `<n>/block.json` (a JSON-RPC block with full transactions),
//! `<n>/pre_state.json` (the accounts the block reads), and the shared `bytecodes.json` and
//! `block_hashes.json`. Each converts into what the block executor consumes.

use super::hex::{
    address_of, b256_of, b64_of, bloom_of, bytes_of, u128_of, u256_of, u64_of, HexError,
};
use alloy_consensus::Header;
use alloy_primitives::{Address, TxKind, B256, U256};
use parevm_block::BlockInput;
use parevm_evm_core::env::{tx_type, AccessListItem};
use parevm_evm_core::TxEnv;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `<n>/block.json`: the fields a replay reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcBlock {
    /// Block hash.
    pub hash: String,
    /// Parent hash.
    pub parent_hash: String,
    /// Ommers hash.
    pub sha3_uncles: String,
    /// Beneficiary.
    pub miner: String,
    /// State root.
    pub state_root: String,
    /// Transactions root.
    pub transactions_root: String,
    /// Receipts root.
    pub receipts_root: String,
    /// Logs bloom.
    pub logs_bloom: String,
    /// Difficulty.
    pub difficulty: String,
    /// Number.
    pub number: String,
    /// Gas limit.
    pub gas_limit: String,
    /// Gas used.
    pub gas_used: String,
    /// Timestamp.
    pub timestamp: String,
    /// Extra data.
    pub extra_data: String,
    /// Mix hash (PREVRANDAO from the Merge on).
    pub mix_hash: String,
    /// Proof-of-work nonce.
    pub nonce: String,
    /// EIP-1559 base fee.
    pub base_fee_per_gas: Option<String>,
    /// EIP-4895 withdrawals root.
    pub withdrawals_root: Option<String>,
    /// EIP-4844 blob gas used.
    pub blob_gas_used: Option<String>,
    /// EIP-4844 excess blob gas.
    pub excess_blob_gas: Option<String>,
    /// EIP-4788 parent beacon block root.
    pub parent_beacon_block_root: Option<String>,
    /// Full transaction objects.
    pub transactions: Vec<RpcTx>,
}

/// One transaction of `block.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcTx {
    /// EIP-2718 type (absent means legacy).
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Sender.
    pub from: String,
    /// Recipient; `None` for contract creation.
    pub to: Option<String>,
    /// Value.
    pub value: String,
    /// Call data or init code.
    pub input: String,
    /// Gas limit.
    pub gas: String,
    /// Nonce.
    pub nonce: String,
    /// Legacy gas price (the effective price for dynamic-fee transactions).
    pub gas_price: Option<String>,
    /// EIP-1559 max fee.
    pub max_fee_per_gas: Option<String>,
    /// EIP-1559 priority fee.
    pub max_priority_fee_per_gas: Option<String>,
    /// Chain id (missing on pre-EIP-155 legacy transactions).
    pub chain_id: Option<String>,
    /// EIP-2930 access list.
    #[serde(default)]
    pub access_list: Vec<RpcAccessItem>,
    /// EIP-4844 max fee per blob gas.
    pub max_fee_per_blob_gas: Option<String>,
    /// EIP-4844 blob hashes.
    #[serde(default)]
    pub blob_versioned_hashes: Vec<String>,
}

/// One access-list entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcAccessItem {
    /// Address.
    pub address: String,
    /// Storage keys.
    #[serde(default)]
    pub storage_keys: Vec<String>,
}

/// One account of `pre_state.json`.
#[derive(Debug, Deserialize)]
pub struct PreAccount {
    /// Balance, hex.
    pub balance: String,
    /// Nonce.
    pub nonce: u64,
    /// Key into `bytecodes.json`, for accounts with code.
    pub code_hash: Option<String>,
    /// Slot to value, both hex.
    #[serde(default)]
    pub storage: BTreeMap<String, String>,
}

/// A field that did not convert: its name and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {source}")]
pub struct FieldError {
    /// Which field (`transactions[3].gas`...).
    pub field: String,
    /// Why.
    pub source: HexError,
}

/// Attaches a field name to a hex parse result.
fn at<T>(field: impl Into<String>, r: Result<T, HexError>) -> Result<T, FieldError> {
    r.map_err(|source| FieldError {
        field: field.into(),
        source,
    })
}

fn opt<T>(
    field: &str,
    v: &Option<String>,
    f: fn(&str) -> Result<T, HexError>,
) -> Result<Option<T>, FieldError> {
    v.as_deref().map(|s| at(field, f(s))).transpose()
}

impl RpcBlock {
    /// The header as the block's commitments state it.
    pub fn header(&self) -> Result<Header, FieldError> {
        Ok(Header {
            parent_hash: at("parentHash", b256_of(&self.parent_hash))?,
            ommers_hash: at("sha3Uncles", b256_of(&self.sha3_uncles))?,
            beneficiary: at("miner", address_of(&self.miner))?,
            state_root: at("stateRoot", b256_of(&self.state_root))?,
            transactions_root: at("transactionsRoot", b256_of(&self.transactions_root))?,
            receipts_root: at("receiptsRoot", b256_of(&self.receipts_root))?,
            logs_bloom: at("logsBloom", bloom_of(&self.logs_bloom))?,
            difficulty: at("difficulty", u256_of(&self.difficulty))?,
            number: at("number", u64_of(&self.number))?,
            gas_limit: at("gasLimit", u64_of(&self.gas_limit))?,
            gas_used: at("gasUsed", u64_of(&self.gas_used))?,
            timestamp: at("timestamp", u64_of(&self.timestamp))?,
            extra_data: at("extraData", bytes_of(&self.extra_data))?,
            mix_hash: at("mixHash", b256_of(&self.mix_hash))?,
            nonce: at("nonce", b64_of(&self.nonce))?,
            base_fee_per_gas: opt("baseFeePerGas", &self.base_fee_per_gas, u64_of)?,
            withdrawals_root: opt("withdrawalsRoot", &self.withdrawals_root, b256_of)?,
            blob_gas_used: opt("blobGasUsed", &self.blob_gas_used, u64_of)?,
            excess_blob_gas: opt("excessBlobGas", &self.excess_blob_gas, u64_of)?,
            parent_beacon_block_root: opt(
                "parentBeaconBlockRoot",
                &self.parent_beacon_block_root,
                b256_of,
            )?,
            ..Default::default()
        })
    }

    /// The block as the executor takes it: header, hash and transactions (senders from `from`).
    pub fn to_input(&self) -> Result<BlockInput, FieldError> {
        let transactions = self
            .transactions
            .iter()
            .enumerate()
            .map(|(i, tx)| tx.to_env(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BlockInput {
            header: self.header()?,
            hash: at("hash", b256_of(&self.hash))?,
            transactions,
            ..Default::default()
        })
    }
}

impl RpcTx {
    /// The transaction as the EVM takes it.
    pub fn to_env(&self, index: usize) -> Result<TxEnv, FieldError> {
        let f = |name: &str| format!("transactions[{index}].{name}");
        let ty = opt(&f("type"), &self.ty, u64_of)?.unwrap_or(0);
        let ty = u8::try_from(ty).map_err(|_| FieldError {
            field: f("type"),
            source: HexError {
                what: "a transaction type",
                text: format!("{ty}"),
            },
        })?;
        let dynamic = ty >= tx_type::EIP1559;
        let (gas_price, gas_priority_fee) = if dynamic {
            let max = opt(&f("maxFeePerGas"), &self.max_fee_per_gas, u128_of)?;
            let tip = opt(
                &f("maxPriorityFeePerGas"),
                &self.max_priority_fee_per_gas,
                u128_of,
            )?;
            (max.unwrap_or(0), Some(U256::from(tip.unwrap_or(0))))
        } else {
            let price = opt(&f("gasPrice"), &self.gas_price, u128_of)?;
            (price.unwrap_or(0), None)
        };
        let kind = match &self.to {
            Some(to) => TxKind::Call(at(f("to"), address_of(to))?),
            None => TxKind::Create,
        };
        let access_list = self
            .access_list
            .iter()
            .map(|item| {
                Ok(AccessListItem {
                    address: at(f("accessList"), address_of(&item.address))?,
                    storage_keys: item
                        .storage_keys
                        .iter()
                        .map(|k| at(f("accessList"), b256_of(k)))
                        .collect::<Result<Vec<B256>, _>>()?,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        Ok(TxEnv {
            tx_type: ty,
            caller: at(f("from"), address_of(&self.from))?,
            gas_limit: at(f("gas"), u64_of(&self.gas))?,
            gas_price: U256::from(gas_price),
            gas_priority_fee,
            kind,
            value: at(f("value"), u256_of(&self.value))?,
            data: at(f("input"), bytes_of(&self.input))?,
            nonce: at(f("nonce"), u64_of(&self.nonce))?,
            chain_id: opt(&f("chainId"), &self.chain_id, u64_of)?,
            access_list,
            blob_hashes: self
                .blob_versioned_hashes
                .iter()
                .map(|h| at(f("blobVersionedHashes"), b256_of(h)))
                .collect::<Result<_, _>>()?,
            max_fee_per_blob_gas: opt(&f("maxFeePerBlobGas"), &self.max_fee_per_blob_gas, u256_of)?
                .unwrap_or_default(),
            authorization_list: Vec::new(),
            ..Default::default()
        })
    }
}

/// A pre-state account's parsed fields.
pub struct ParsedAccount {
    /// Address.
    pub address: Address,
    /// Balance.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code hash, when the account has code.
    pub code_hash: Option<B256>,
    /// Storage slots.
    pub storage: Vec<(U256, U256)>,
}

impl PreAccount {
    /// Parses the account at `address`.
    pub fn parse(&self, address: &str) -> Result<ParsedAccount, FieldError> {
        let f = |name: &str| format!("{address}.{name}");
        Ok(ParsedAccount {
            address: at(address, address_of(address))?,
            balance: at(f("balance"), u256_of(&self.balance))?,
            nonce: self.nonce,
            code_hash: opt(&f("code_hash"), &self.code_hash, b256_of)?,
            storage: self
                .storage
                .iter()
                .map(|(k, v)| Ok((at(f("storage"), u256_of(k))?, at(f("storage"), u256_of(v))?)))
                .collect::<Result<_, FieldError>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_tx_without_chain_id() {
        let tx: RpcTx = serde_json::from_str(
            r#"{"nonce":"0x0","from":"0xa1e4380a3b1f749673e270229993ee55f35663b4",
               "to":"0x5df9b87991262f6ba471f09758cde1c0fc1de734","value":"0x7a69",
               "gasPrice":"0x2d79883d2000","gas":"0x5208","input":"0x","type":"0x0"}"#,
        )
        .expect("json");
        let env = tx.to_env(0).expect("valid");
        assert_eq!(env.chain_id, None);
        assert_eq!(env.gas_limit, 21_000);
        assert_eq!(env.gas_priority_fee, None);
        assert_eq!(env.value, U256::from(0x7a69));
    }

    #[test]
    fn dynamic_fee_tx_uses_max_fee_and_create() {
        let tx: RpcTx = serde_json::from_str(
            r#"{"nonce":"0x1","from":"0xa1e4380a3b1f749673e270229993ee55f35663b4","to":null,
               "value":"0x0","gasPrice":"0x5","maxFeePerGas":"0x9","maxPriorityFeePerGas":"0x2",
               "gas":"0x5208","input":"0x00","type":"0x2","chainId":"0x1","accessList":[]}"#,
        )
        .expect("json");
        let env = tx.to_env(0).expect("valid");
        assert_eq!(env.gas_price, U256::from(9));
        assert_eq!(env.gas_priority_fee, Some(U256::from(2)));
        assert_eq!(env.kind, TxKind::Create);
        assert_eq!(env.chain_id, Some(1));
    }

    #[test]
    fn bad_field_is_named() {
        let tx: RpcTx = serde_json::from_str(
            r#"{"nonce":"0x1","from":"0xa1","to":null,"value":"0x0","gas":"0x5208","input":"0x"}"#,
        )
        .expect("json");
        let e = tx.to_env(4).expect_err("bad sender");
        assert_eq!(e.field, "transactions[4].from");
    }
}
