//! From a signed block transaction to the EVM's [`TxEnv`]: recovers the sender under the fork's
//! signature rules (EIP-2 low `s` from Homestead, EIP-155 chain ids from Spurious Dragon) and the
//! EIP-7702 authorities.

use crate::error::BlockError;
use crate::input::BlockTx;
use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::Transaction;
use alloy_eips::Typed2718;
use alloy_primitives::{Address, Bytes, U256};
use parevm_evm_core::env::{AccessListItem, Authorization};
use parevm_evm_core::{SpecId, TxEnv};

/// Converts transaction `index` of a block into a [`TxEnv`], recovering its sender.
pub fn tx_env_from_envelope(index: usize, tx: &BlockTx, spec: SpecId) -> Result<TxEnv, BlockError> {
    if let BlockTx::Legacy(signed) = tx {
        if signed.tx().chain_id.is_some() && !spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) {
            return Err(BlockError::TxForm {
                index,
                reason: "EIP-155 chain id before Spurious Dragon".into(),
            });
        }
    }
    let recovered = if spec.is_enabled_in(SpecId::HOMESTEAD) {
        tx.recover_signer()
    } else {
        tx.recover_signer_unchecked()
    };
    let caller = recovered.map_err(|e| BlockError::Signature {
        index,
        reason: e.to_string(),
    })?;
    Ok(tx_env_with_sender(tx, caller))
}

/// The [`TxEnv`] of any signed transaction whose sender is already known (the pool recovers senders as
/// transactions arrive; the block path above recovers them under the fork's rules; other chains'
/// envelopes come through here too). Deposit fields and the EIP-2718 encoding are left empty: a chain
/// that needs them fills them in.
pub fn tx_env_with_sender<T: Transaction + Typed2718>(tx: &T, caller: Address) -> TxEnv {
    let priority = tx.max_priority_fee_per_gas();
    TxEnv {
        tx_type: tx.ty(),
        caller,
        gas_limit: tx.gas_limit(),
        gas_price: U256::from(tx.max_fee_per_gas()),
        gas_priority_fee: priority.map(U256::from),
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx
            .access_list()
            .map(|list| {
                list.iter()
                    .map(|item| AccessListItem {
                        address: item.address,
                        storage_keys: item.storage_keys.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        blob_hashes: tx
            .blob_versioned_hashes()
            .map(<[_]>::to_vec)
            .unwrap_or_default(),
        max_fee_per_blob_gas: U256::from(tx.max_fee_per_blob_gas().unwrap_or(0)),
        authorization_list: tx
            .authorization_list()
            .map(|list| {
                list.iter()
                    .map(|auth| Authorization {
                        chain_id: auth.chain_id,
                        address: auth.address,
                        nonce: auth.nonce,
                        authority: auth.recover_authority().ok(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        deposit: None,
        envelope: Bytes::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxLegacy};
    use alloy_primitives::{address, b256, Signature, TxKind};

    /// The first mainnet transaction's signature with its `s` flipped to the high half (EIP-2).
    fn signed_legacy(high_s: bool) -> BlockTx {
        let tx = TxLegacy {
            chain_id: None,
            nonce: 0,
            gas_price: 50_000_000_000_000,
            gas_limit: 21_000,
            to: TxKind::Call(address!("5df9b87991262f6ba471f09758cde1c0fc1de734")),
            value: U256::from(31_337),
            input: Default::default(),
        };
        let r = U256::from_be_bytes(
            b256!("88ff6cf0fefd94db46111149ae4bfc179e9b94721fffd821d38d16464b3f71d0").0,
        );
        let s = U256::from_be_bytes(
            b256!("45e0aff800961cfce805daef7016b9b675c137a6a41a548f7b60a3484c06a33a").0,
        );
        let n = U256::from_be_bytes(
            b256!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").0,
        );
        let sig = if high_s {
            Signature::new(r, n - s, false)
        } else {
            Signature::new(r, s, true)
        };
        BlockTx::Legacy(tx.into_signed(sig))
    }

    #[test]
    fn recovers_the_first_mainnet_sender() {
        let env = tx_env_from_envelope(0, &signed_legacy(false), SpecId::FRONTIER).expect("valid");
        assert_eq!(
            env.caller,
            address!("a1e4380a3b1f749673e270229993ee55f35663b4")
        );
        assert_eq!(env.gas_limit, 21_000);
        assert_eq!(env.chain_id, None);
    }

    #[test]
    fn high_s_is_valid_only_in_frontier() {
        let tx = signed_legacy(true);
        let frontier = tx_env_from_envelope(0, &tx, SpecId::FRONTIER).expect("frontier allows");
        assert_eq!(
            frontier.caller,
            address!("a1e4380a3b1f749673e270229993ee55f35663b4")
        );
        assert!(matches!(
            tx_env_from_envelope(3, &tx, SpecId::HOMESTEAD),
            Err(BlockError::Signature { index: 3, .. })
        ));
    }
}
