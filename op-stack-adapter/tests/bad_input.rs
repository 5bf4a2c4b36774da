//! Bad block input is a typed error naming the transaction, never a panic: an unknown transaction type,
//! an undecodable transaction, a deposit after a user transaction, a transaction the EVM rejects.

use alloy_primitives::{Bytes, B256, B64};
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use parevm_op_stack_adapter::{build_block, ForkTimes, OpBlockError, OpChainConfig, Runner};
use parevm_state::InMemoryState;

fn attrs(txs: Vec<Bytes>) -> OpPayloadAttributes {
    OpPayloadAttributes {
        payload_attributes: alloy_rpc_types_engine::PayloadAttributes {
            timestamp: 1_002,
            prev_randao: B256::ZERO,
            suggested_fee_recipient: parevm_op_stack_adapter::predeploys::SEQUENCER_FEE_VAULT,
            withdrawals: Some(vec![]),
            parent_beacon_block_root: Some(B256::ZERO),
            slot_number: None,
            target_gas_limit: None,
        },
        transactions: Some(txs),
        no_tx_pool: Some(true),
        gas_limit: Some(30_000_000),
        eip_1559_params: Some(B64::ZERO),
        min_base_fee: None,
    }
}

fn build(txs: Vec<Bytes>) -> Result<parevm_op_stack_adapter::BuiltBlock, OpBlockError> {
    let config = OpChainConfig {
        chain_id: 10,
        forks: ForkTimes {
            jovian_time: None,
            karst_time: None,
            ..ForkTimes::all_at_genesis()
        },
        eip1559: Default::default(),
    };
    let parent = alloy_consensus::Header {
        number: 7,
        timestamp: 1_000,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(1_000),
        extra_data: Bytes::from_static(&[0, 0, 0, 0, 250, 0, 0, 0, 6]),
        ..Default::default()
    };
    let mut state = InMemoryState::new();
    build_block(
        &config,
        &mut state,
        &parent,
        parent.hash_slow(),
        &attrs(txs),
        Runner::Sequential,
    )
}

/// A minimal deposit's EIP-2718 bytes.
fn deposit() -> Bytes {
    use alloy_eips::eip2718::Encodable2718;
    let d = op_alloy_consensus::TxDeposit {
        from: alloy_primitives::Address::repeat_byte(1),
        to: alloy_primitives::TxKind::Call(alloy_primitives::Address::repeat_byte(2)),
        gas_limit: 100_000,
        ..Default::default()
    };
    Bytes::from(
        op_alloy_consensus::OpTxEnvelope::Deposit(alloy_primitives::Sealed::new(d)).encoded_2718(),
    )
}

#[test]
fn an_empty_block_builds() {
    let b = build(vec![]).expect("empty block");
    assert_eq!(b.header.number, 8);
    assert_eq!(b.header.gas_used, 0);
}

#[test]
fn an_unknown_transaction_type_names_its_index() {
    let err = build(vec![deposit(), Bytes::from_static(&[0x7d, 0xc0])]).expect_err("rejected");
    assert!(
        matches!(
            err,
            OpBlockError::TxForm { index: 1, .. }
                | OpBlockError::UnsupportedTxType { index: 1, .. }
        ),
        "{err}"
    );
    let err = build(vec![Bytes::from_static(&[0x55, 1, 2])]).expect_err("rejected");
    assert!(
        matches!(err, OpBlockError::TxForm { index: 0, .. }),
        "{err}"
    );
}

/// A signed legacy transaction from an account with nothing in it.
fn signed_legacy() -> Bytes {
    use alloy_consensus::{SignableTransaction, TxLegacy};
    use alloy_eips::eip2718::Encodable2718;
    let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("key");
    let tx = TxLegacy {
        chain_id: Some(10),
        gas_price: 2_000,
        gas_limit: 21_000,
        to: alloy_primitives::TxKind::Call(alloy_primitives::Address::repeat_byte(9)),
        ..Default::default()
    };
    let (sig, recid) = key
        .sign_prehash_recoverable(tx.signature_hash().as_slice())
        .expect("sign");
    let sig = alloy_primitives::Signature::from_signature_and_parity(sig, recid.is_y_odd());
    Bytes::from(op_alloy_consensus::OpTxEnvelope::Legacy(tx.into_signed(sig)).encoded_2718())
}

#[test]
fn a_deposit_after_a_user_transaction_is_refused() {
    let err = build(vec![deposit(), signed_legacy(), deposit()]).expect_err("rejected");
    assert!(
        matches!(err, OpBlockError::DepositOutOfPlace { index: 2 }),
        "{err}"
    );
}

#[test]
fn a_transaction_the_evm_rejects_names_its_index() {
    let err = build(vec![deposit(), signed_legacy()]).expect_err("rejected");
    assert!(
        matches!(err, OpBlockError::InvalidTx { index: 1, .. }),
        "{err}"
    );
}
