//! From a parsed fixture to what the EVM runs: the pre-state ([`pre_state`]) and the [`Env`] of one
//! case ([`case_env`]): block context from `env`, the transaction variant picked by `indexes`, the chain
//! id and blob parameters from `config`.

use super::fixture::{FixtureTx, Indexes, StateTest};
use super::signer::{address_of_secret, authorization_hash, recover_authority};
use alloy_primitives::{TxKind, U256};
use parevm_evm_core::env::{
    blob_basefee, tx_type, AccessListItem, Authorization, BlobParams, BlockEnv, TxEnv,
};
use parevm_evm_core::{CfgEnv, Env, SpecId};
use parevm_state::InMemoryState;

/// Builds the world state of `pre`.
pub fn pre_state(test: &StateTest<'_>) -> InMemoryState {
    let mut state = InMemoryState::new();
    for (address, account) in &test.pre {
        state.insert_account(
            address.0,
            account.balance.0,
            account.nonce.0,
            account.code.0.clone(),
            account.storage.iter().map(|(k, v)| (k.0, v.0)),
        );
    }
    state
}

/// The EIP-2718 type the fixture's fields imply, lowest to highest priority: legacy, access list (1),
/// max fee (2), blob fee (3), authorization list (4).
pub fn infer_tx_type(tx: &FixtureTx, data_index: usize) -> u8 {
    if tx.authorization_list.is_some() {
        tx_type::EIP7702
    } else if tx.max_fee_per_blob_gas.is_some() || tx.blob_versioned_hashes.is_some() {
        tx_type::EIP4844
    } else if tx.max_fee_per_gas.is_some() {
        tx_type::EIP1559
    } else if tx
        .access_lists
        .as_ref()
        .is_some_and(|l| l.get(data_index).is_some_and(Option::is_some))
    {
        tx_type::EIP2930
    } else {
        tx_type::LEGACY
    }
}

/// Blob parameters for `fork`: mainnet defaults for the spec, overridden by `config.blobSchedule`.
fn blob_params(test: &StateTest<'_>, fork: &str, spec: SpecId) -> BlobParams {
    let mut params = BlobParams::for_spec(spec);
    if let Some(p) = test.config.blob_schedule.as_ref().and_then(|s| s.get(fork)) {
        params.target = p.target.0;
        params.max = p.max.0;
        params.update_fraction = p.base_fee_update_fraction.0;
    }
    params
}

/// The block context of `env` under `spec`.
fn block_env(test: &StateTest<'_>, spec: SpecId, blob: &BlobParams) -> BlockEnv {
    let env = &test.env;
    BlockEnv {
        number: env.current_number.0,
        beneficiary: env.current_coinbase.0,
        timestamp: env.current_timestamp.0,
        gas_limit: env.current_gas_limit.0,
        basefee: env.current_base_fee.map_or(U256::ZERO, |b| b.0),
        difficulty: env.current_difficulty.0,
        prevrandao: spec
            .is_enabled_in(SpecId::MERGE)
            .then(|| env.current_random.map(|r| r.0).unwrap_or_default()),
        blob_basefee: spec.is_enabled_in(SpecId::CANCUN).then(|| {
            blob_basefee(
                env.current_excess_blob_gas.map_or(0, |e| e.0),
                blob.update_fraction,
            )
        }),
        slot_number: env.slot_number.map(|s| s.0),
    }
}

/// Picks `list[index]`, or says which list is too short.
fn pick<T: Copy>(list: &[T], index: usize, field: &str) -> Result<T, String> {
    list.get(index).copied().ok_or_else(|| {
        format!(
            "index {index} out of range for transaction.{field} (length {})",
            list.len()
        )
    })
}

/// The transaction of one case. Errors are messages about the fixture (index out of range, no sender).
fn tx_env(tx: &FixtureTx, indexes: Indexes, chain_id: u64) -> Result<TxEnv, String> {
    let data = tx
        .data
        .get(indexes.data)
        .map(|d| d.0.clone())
        .ok_or_else(|| {
            format!(
                "index {} out of range for transaction.data (length {})",
                indexes.data,
                tx.data.len()
            )
        })?;
    let gas_limit = pick(&tx.gas_limit, indexes.gas, "gasLimit")?.0;
    let value = pick(&tx.value, indexes.value, "value")?.0;
    let caller = match (tx.sender, tx.secret_key) {
        (Some(s), _) => s.0,
        (None, Some(k)) => address_of_secret(&k.0)
            .ok_or_else(|| "transaction.secretKey is not a valid key".to_owned())?,
        (None, None) => return Err("transaction has neither sender nor secretKey".to_owned()),
    };
    let (gas_price, gas_priority_fee) = match (tx.gas_price, tx.max_fee_per_gas) {
        (_, Some(max)) => (
            max.0,
            Some(tx.max_priority_fee_per_gas.map_or(U256::ZERO, |p| p.0)),
        ),
        (Some(price), None) => (price.0, None),
        (None, None) => {
            return Err("transaction has neither gasPrice nor maxFeePerGas".to_owned());
        }
    };
    let access_list = tx
        .access_lists
        .as_ref()
        .and_then(|l| l.get(indexes.data))
        .and_then(Option::as_ref)
        .map(|items| {
            items
                .iter()
                .map(|i| AccessListItem {
                    address: i.address.0,
                    storage_keys: i.storage_keys.iter().map(|k| k.0).collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let authorization_list = tx
        .authorization_list
        .iter()
        .flatten()
        .map(|a| {
            let hash = authorization_hash(a.chain_id.0, a.address.0, a.nonce.0);
            let y = a.y_parity.or(a.v).map_or(U256::MAX, |y| y.0);
            Authorization {
                chain_id: a.chain_id.0,
                address: a.address.0,
                nonce: a.nonce.0,
                authority: recover_authority(hash, y, a.r.0, a.s.0),
            }
        })
        .collect();
    Ok(TxEnv {
        tx_type: infer_tx_type(tx, indexes.data),
        caller,
        gas_limit,
        gas_price,
        gas_priority_fee,
        kind: tx.to.0.map_or(TxKind::Create, TxKind::Call),
        value,
        data,
        nonce: tx.nonce.0,
        chain_id: Some(chain_id),
        access_list,
        blob_hashes: tx
            .blob_versioned_hashes
            .iter()
            .flatten()
            .map(|h| h.0)
            .collect(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas.map_or(U256::ZERO, |f| f.0),
        authorization_list,
        ..Default::default()
    })
}

/// The full environment of one case: `fork` is the post key, `spec` its parsed fork.
pub fn case_env(
    test: &StateTest<'_>,
    fork: &str,
    spec: SpecId,
    indexes: Indexes,
) -> Result<Env, String> {
    let chain_id = test.config.chainid.map_or(1, |c| c.0);
    let mut cfg = CfgEnv::new(chain_id, spec);
    cfg.blob = blob_params(test, fork, spec);
    let block = block_env(test, spec, &cfg.blob);
    let tx = tx_env(&test.transaction, indexes, chain_id)?;
    Ok(Env { cfg, block, tx })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statetest::fixture::{parse_file, parse_test};
    use std::path::Path;

    fn tx_json(extra: &str) -> String {
        format!(
            r#"{{"t": {{
              "env": {{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentGasLimit": "0x07a120",
                      "currentNumber": "0x01", "currentTimestamp": "0x03e8", "currentDifficulty": "0x00",
                      "currentBaseFee": "0x07", "currentExcessBlobGas": "0x00",
                      "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000"}},
              "pre": {{}},
              "transaction": {{"nonce": "0x00", "gasLimit": ["0x061a80"], "to": "0x095e7baea6a6c7c4c2dfeb977efac326af552d87",
                      "value": ["0x01"], "data": ["0x", "0x01"], "sender": "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"
                      {extra}}},
              "post": {{}},
              "config": {{"chainid": "0x05", "blobSchedule": {{"Cancun": {{"target": "0x03", "max": "0x06",
                      "baseFeeUpdateFraction": "0x32f0ed"}}}}}}
            }}}}"#
        )
    }

    fn with_test<R>(extra: &str, f: impl FnOnce(&StateTest<'_>) -> R) -> R {
        let json = tx_json(extra);
        let file = Path::new("t.json");
        let raw = parse_file(file, &json).expect("valid JSON");
        let test = parse_test(file, "t", raw["t"]).expect("valid test");
        f(&test)
    }

    #[test]
    fn tx_type_inference() {
        let cases = [
            (r#", "gasPrice": "0x0a""#, tx_type::LEGACY),
            (
                r#", "gasPrice": "0x0a", "accessLists": [[], null]"#,
                tx_type::EIP2930,
            ),
            (
                r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01", "accessLists": [[]]"#,
                tx_type::EIP1559,
            ),
            (
                r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01", "maxFeePerBlobGas": "0x01", "blobVersionedHashes": []"#,
                tx_type::EIP4844,
            ),
            (
                r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01", "authorizationList": []"#,
                tx_type::EIP7702,
            ),
        ];
        for (extra, ty) in cases {
            with_test(extra, |t| {
                assert_eq!(infer_tx_type(&t.transaction, 0), ty, "{extra}");
            });
        }
        // A null access list for data index 1 is a legacy transaction.
        with_test(r#", "gasPrice": "0x0a", "accessLists": [[], null]"#, |t| {
            assert_eq!(infer_tx_type(&t.transaction, 1), tx_type::LEGACY);
        });
    }

    #[test]
    fn env_from_fixture() {
        with_test(r#", "gasPrice": "0x0a""#, |t| {
            let env = case_env(t, "Cancun", SpecId::CANCUN, Indexes::default()).expect("builds");
            assert_eq!(env.cfg.chain_id, 5);
            assert_eq!(env.cfg.blob.update_fraction, 3_338_477);
            assert_eq!(env.block.blob_basefee, Some(1));
            assert_eq!(env.block.basefee, U256::from(7));
            assert!(env.block.prevrandao.is_some());
            assert_eq!(env.tx.chain_id, Some(5));
            assert_eq!(env.tx.gas_price, U256::from(10));
            assert_eq!(env.tx.gas_priority_fee, None);
            let env = case_env(t, "Berlin", SpecId::BERLIN, Indexes::default()).expect("builds");
            assert_eq!(env.block.prevrandao, None);
            assert_eq!(env.block.blob_basefee, None);
            let bad = Indexes {
                data: 0,
                gas: 3,
                value: 0,
            };
            let err = case_env(t, "Cancun", SpecId::CANCUN, bad).expect_err("out of range");
            assert!(err.contains("transaction.gasLimit"), "{err}");
        });
    }
}
