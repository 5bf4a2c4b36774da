//! The OP fields of a transaction's RPC receipt (`l1Fee`, `l1GasPrice`, `l1GasUsed`, the scalars, the
//! operator fee, `daFootprintGasScalar`, `depositNonce`, `depositReceiptVersion`), computed from the
//! block's L1 fee inputs (L1Block storage after the deposits) and the transaction's EIP-2718 bytes.
//! Block building fills one per transaction ([`super::BuiltBlock::receipt_fields`]); the RPC layer
//! serializes them.
//!
//! Which keys appear follows op-geth: none of the L1 keys on a deposit; `l1FeeScalar` before Ecotone;
//! the Ecotone scalars and blob base fee from Ecotone (not in its activation block, whose L1-info
//! deposit is still Bedrock's); the operator fee keys from Isthmus only when the scalar or the constant
//! is non-zero; `daFootprintGasScalar` and a `blobGasUsed` = the DA footprint from Jovian.

use crate::fork::OpFork;
use crate::rules::l1_fee::{da_footprint, L1FeeInputs};
use alloy_primitives::{Address, U256};
use parevm_evm_core::rules::RuleState;
use parevm_evm_core::{StateView, ViewError};

/// The OP fields of one receipt. `None` is an absent JSON key. Field for field what op-alloy-rpc-types'
/// `OpTransactionReceiptFields` / `L1BlockInfo` hold, plus the operator fee kept and the DA footprint.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OpReceiptFields {
    /// `l1GasPrice`: the L1 base fee the L1-attributes deposit stored.
    pub l1_gas_price: Option<u128>,
    /// `l1GasUsed`: calldata gas of the EIP-2718 encoding (plus the overhead under Bedrock's formula);
    /// from Fjord the FastLZ size estimate * 16.
    pub l1_gas_used: Option<u128>,
    /// `l1Fee`: the L1 data fee charged.
    pub l1_fee: Option<u128>,
    /// `l1FeeScalar`: the pre-Ecotone scalar / 1e6.
    pub l1_fee_scalar: Option<f64>,
    /// `l1BaseFeeScalar` (Ecotone on).
    pub l1_base_fee_scalar: Option<u128>,
    /// `l1BlobBaseFee` (Ecotone on).
    pub l1_blob_base_fee: Option<u128>,
    /// `l1BlobBaseFeeScalar` (Ecotone on).
    pub l1_blob_base_fee_scalar: Option<u128>,
    /// `operatorFeeScalar` (Isthmus on, only when the scalar or the constant is non-zero).
    pub operator_fee_scalar: Option<u128>,
    /// `operatorFeeConstant` (as `operator_fee_scalar`).
    pub operator_fee_constant: Option<u128>,
    /// The operator fee kept (charged on the gas limit, the unused part refunded), credited to the
    /// OperatorFeeVault; present with `operator_fee_scalar`. Not a receipt key of its own.
    pub operator_fee: Option<u128>,
    /// `daFootprintGasScalar` (Jovian on).
    pub da_footprint_gas_scalar: Option<u16>,
    /// The receipt's `blobGasUsed`: the transaction's DA footprint (Jovian on).
    pub blob_gas_used: Option<u64>,
    /// `depositNonce`: the sender's nonce before the deposit (deposits, Regolith on).
    pub deposit_nonce: Option<u64>,
    /// `depositReceiptVersion` = 1 (deposits, Canyon on).
    pub deposit_receipt_version: Option<u64>,
}

/// Reads the L1 fee inputs for `fork` from L1Block's storage in `state` (after the block's deposits).
pub fn l1_fee_inputs<S: StateView + ?Sized>(
    fork: OpFork,
    state: &S,
) -> Result<L1FeeInputs, ViewError> {
    struct Reader<'a, S: ?Sized>(&'a S);
    impl<S: StateView + ?Sized> RuleState for Reader<'_, S> {
        fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ViewError> {
            self.0.storage(address, slot)
        }
    }
    L1FeeInputs::read(fork, &mut Reader(state))
}

/// The OP receipt fields of one transaction: `tx` is its EIP-2718 encoding, `inputs` the block's L1 fee
/// inputs (used for a non-deposit only; `None` leaves the L1 keys out), `gas_used` its receipt gas and
/// `deposit_nonce` the sender's nonce before a deposit.
pub fn receipt_fields(
    fork: OpFork,
    tx: &[u8],
    inputs: Option<&L1FeeInputs>,
    gas_used: u64,
    deposit_nonce: Option<u64>,
) -> OpReceiptFields {
    let mut f = OpReceiptFields::default();
    if tx.first() == Some(&0x7e) {
        f.deposit_nonce = deposit_nonce.filter(|_| fork.is_active(OpFork::Regolith));
        f.deposit_receipt_version = fork.is_active(OpFork::Canyon).then_some(1);
        return f;
    }
    let Some(inputs) = inputs else {
        return f;
    };
    let int = |v: U256| -> u128 { v.saturating_to() };
    f.l1_gas_price = Some(int(inputs.l1_base_fee));
    f.l1_fee = Some(int(inputs.l1_fee(fork, tx)));
    f.l1_gas_used = Some(int(inputs.l1_gas_used(fork, tx)));
    if !fork.is_active(OpFork::Ecotone) {
        // A fixed-point number with 6 decimals (op-geth prints it as a decimal string).
        f.l1_fee_scalar = Some(int(inputs.base_fee_scalar) as f64 / 1e6);
    } else if !inputs.empty_ecotone_scalars {
        f.l1_base_fee_scalar = Some(int(inputs.base_fee_scalar));
        f.l1_blob_base_fee = Some(int(inputs.blob_base_fee));
        f.l1_blob_base_fee_scalar = Some(int(inputs.blob_base_fee_scalar));
    }
    if fork.is_active(OpFork::Isthmus)
        && !(inputs.operator_fee_scalar.is_zero() && inputs.operator_fee_constant.is_zero())
    {
        f.operator_fee_scalar = Some(int(inputs.operator_fee_scalar));
        f.operator_fee_constant = Some(int(inputs.operator_fee_constant));
        f.operator_fee = Some(int(inputs.operator_fee(fork, gas_used)));
    }
    if fork.is_active(OpFork::Jovian) {
        f.da_footprint_gas_scalar = Some(inputs.da_footprint_gas_scalar);
        f.blob_gas_used = Some(da_footprint(tx, inputs.da_footprint_gas_scalar));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{hex, keccak256};

    /// OP mainnet block 124665056 (Fjord), transaction 1
    /// (0x1059e8004daff32caa1f1b1ef97fe3a07a8cf40508f5b835b66d9420d87c4a4a); the block's L1-info deposit
    /// set l1BaseFee 1,055,991,687, baseFeeScalar 5,227, blobBaseFee 1, blobBaseFeeScalar 1,014,213.
    /// The chain's receipt: l1GasUsed 4,471, l1Fee 24,681,034,813.
    const OP_MAINNET_124665056_TX1: &str = include_str!("testdata/op_mainnet_124665056_tx1.hex");

    #[test]
    fn a_fjord_receipt_matches_op_mainnet() {
        let tx = hex::decode(OP_MAINNET_124665056_TX1.trim()).expect("hex");
        assert_eq!(
            keccak256(&tx),
            "0x1059e8004daff32caa1f1b1ef97fe3a07a8cf40508f5b835b66d9420d87c4a4a"
                .parse::<alloy_primitives::B256>()
                .expect("hash")
        );
        let inputs = L1FeeInputs {
            l1_base_fee: U256::from(1_055_991_687u64),
            base_fee_scalar: U256::from(5_227),
            blob_base_fee: U256::from(1),
            blob_base_fee_scalar: U256::from(1_014_213),
            ..Default::default()
        };
        let f = receipt_fields(OpFork::Fjord, &tx, Some(&inputs), 100_000, None);
        assert_eq!(
            f,
            OpReceiptFields {
                l1_gas_price: Some(1_055_991_687),
                l1_gas_used: Some(4_471),
                l1_fee: Some(24_681_034_813),
                l1_base_fee_scalar: Some(5_227),
                l1_blob_base_fee: Some(1),
                l1_blob_base_fee_scalar: Some(1_014_213),
                ..Default::default()
            }
        );
    }

    #[test]
    fn deposits_carry_only_their_nonce_and_version() {
        let f = receipt_fields(OpFork::Canyon, &[0x7e, 0xc0], None, 21_000, Some(7));
        assert_eq!(
            f,
            OpReceiptFields {
                deposit_nonce: Some(7),
                deposit_receipt_version: Some(1),
                ..Default::default()
            }
        );
        let f = receipt_fields(OpFork::Regolith, &[0x7e, 0xc0], None, 21_000, Some(7));
        assert_eq!(
            (f.deposit_nonce, f.deposit_receipt_version),
            (Some(7), None)
        );
        let f = receipt_fields(OpFork::Bedrock, &[0x7e, 0xc0], None, 21_000, Some(7));
        assert_eq!(f, OpReceiptFields::default());
    }

    #[test]
    fn bedrock_isthmus_and_jovian_keys() {
        let tx = [0x02, 0xfa, 0x00, 0xde];
        let bedrock = L1FeeInputs {
            l1_base_fee: U256::from(1_000),
            overhead: U256::from(2_100),
            base_fee_scalar: U256::from(684_000),
            ..Default::default()
        };
        let f = receipt_fields(OpFork::Regolith, &tx, Some(&bedrock), 21_000, None);
        // 3 non-zero bytes * 16 + 1 zero byte * 4 + overhead 2,100.
        assert_eq!(f.l1_gas_used, Some(2_152));
        assert_eq!(f.l1_fee_scalar, Some(0.684));
        assert_eq!(f.l1_fee, Some(2_152 * 1_000 * 684_000 / 1_000_000));
        assert_eq!(f.l1_base_fee_scalar, None);

        let isthmus = L1FeeInputs {
            l1_base_fee: U256::from(1_000),
            base_fee_scalar: U256::from(10),
            operator_fee_scalar: U256::from(2_000_000),
            operator_fee_constant: U256::from(5),
            da_footprint_gas_scalar: 400,
            ..Default::default()
        };
        let f = receipt_fields(OpFork::Isthmus, &tx, Some(&isthmus), 50_000, None);
        assert_eq!(f.operator_fee_scalar, Some(2_000_000));
        assert_eq!(f.operator_fee_constant, Some(5));
        assert_eq!(f.operator_fee, Some(100_005));
        assert_eq!((f.da_footprint_gas_scalar, f.blob_gas_used), (None, None));
        let f = receipt_fields(OpFork::Jovian, &tx, Some(&isthmus), 50_000, None);
        assert_eq!(f.operator_fee, Some(50_000 * 2_000_000 * 100 + 5));
        assert_eq!(f.da_footprint_gas_scalar, Some(400));
        // A tiny transaction's footprint is the minimum 100 * scalar.
        assert_eq!(f.blob_gas_used, Some(40_000));
        // Zero operator fee parameters leave the keys out.
        let none = L1FeeInputs {
            operator_fee_scalar: U256::ZERO,
            operator_fee_constant: U256::ZERO,
            ..isthmus
        };
        let f = receipt_fields(OpFork::Isthmus, &tx, Some(&none), 50_000, None);
        assert_eq!((f.operator_fee_scalar, f.operator_fee), (None, None));
    }
}
