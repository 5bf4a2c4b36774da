//! The L1 data fee and the operator fee: their inputs, read from the L1Block predeploy's storage (which the
//! L1-attributes deposit writes at the top of every block), and their formulas per fork.
//!
//! ```text
//! L1Block slot 1: l1 base fee      slot 3: baseFeeScalar (bytes 16..20), blobBaseFeeScalar (20..24)
//!         slot 5: overhead         slot 6: scalar (pre-Ecotone)      slot 7: blob base fee
//!         slot 8: operatorFeeScalar (20..24), operatorFeeConstant (24..32), daFootprintGasScalar (18..20)
//! Bedrock:  (zeros*4 + ones*16 [+ 68*16 before Regolith] + overhead) * l1BaseFee * scalar / 1e6
//! Ecotone:  (zeros*4 + ones*16) * (16*l1BaseFee*baseFeeScalar + blobBaseFee*blobBaseFeeScalar) / 16e6
//!           (Bedrock's formula while both Ecotone scalars are still zero: the activation block)
//! Fjord:    max(100e6, 836_500*fastlz(tx) - 42_585_600) * (16*l1BaseFee*baseFeeScalar + ...) / 1e12
//! operator: gas*operatorFeeScalar/1e6 + operatorFeeConstant (Isthmus); gas*scalar*100 + constant (Jovian)
//! ```
//! The slots read are exactly those op-revm reads, so a stateless run needs no more witness than kona's.

use super::fastlz;
use crate::fork::OpFork;
use crate::predeploys::L1_BLOCK;
use alloy_primitives::U256;
use parevm_evm_core::rules::RuleState;
use parevm_evm_core::ViewError;

const L1_BASE_FEE_SLOT: U256 = U256::from_limbs([1, 0, 0, 0]);
const SCALARS_SLOT: U256 = U256::from_limbs([3, 0, 0, 0]);
const OVERHEAD_SLOT: U256 = U256::from_limbs([5, 0, 0, 0]);
const SCALAR_SLOT: U256 = U256::from_limbs([6, 0, 0, 0]);
const BLOB_BASE_FEE_SLOT: U256 = U256::from_limbs([7, 0, 0, 0]);
const OPERATOR_SLOT: U256 = U256::from_limbs([8, 0, 0, 0]);

/// Fjord's minimum estimated size, scaled by 1e6.
const MIN_SIZE_SCALED: u64 = 100_000_000;
/// Fjord's linear-regression intercept and FastLZ coefficient (scaled by 1e6).
const INTERCEPT: u64 = 42_585_600;
const FASTLZ_COEF: u64 = 836_500;

/// The fee inputs of one block, as the L1Block predeploy holds them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L1FeeInputs {
    /// L1 base fee.
    pub l1_base_fee: U256,
    /// Pre-Ecotone overhead (also read in the Ecotone activation block).
    pub overhead: U256,
    /// Pre-Ecotone scalar, or the Ecotone base-fee scalar.
    pub base_fee_scalar: U256,
    /// L1 blob base fee (Ecotone on).
    pub blob_base_fee: U256,
    /// Blob base-fee scalar (Ecotone on).
    pub blob_base_fee_scalar: U256,
    /// Ecotone is active but its scalars are still zero: Bedrock's formula applies.
    pub empty_ecotone_scalars: bool,
    /// Operator fee scalar (Isthmus on).
    pub operator_fee_scalar: U256,
    /// Operator fee constant (Isthmus on).
    pub operator_fee_constant: U256,
    /// Jovian's DA footprint gas scalar.
    pub da_footprint_gas_scalar: u16,
}

fn be_slice(word: &[u8; 32], from: usize, len: usize) -> U256 {
    U256::from_be_slice(&word[from..from + len])
}

impl L1FeeInputs {
    /// Reads the inputs for `fork` from L1Block's storage through `state`.
    pub fn read(fork: OpFork, state: &mut dyn RuleState) -> Result<Self, ViewError> {
        let mut out = Self {
            l1_base_fee: state.storage(L1_BLOCK, L1_BASE_FEE_SLOT)?,
            ..Self::default()
        };
        if !fork.is_active(OpFork::Ecotone) {
            out.base_fee_scalar = state.storage(L1_BLOCK, SCALAR_SLOT)?;
            out.overhead = state.storage(L1_BLOCK, OVERHEAD_SLOT)?;
            return Ok(out);
        }
        out.blob_base_fee = state.storage(L1_BLOCK, BLOB_BASE_FEE_SLOT)?;
        let scalars = state.storage(L1_BLOCK, SCALARS_SLOT)?.to_be_bytes::<32>();
        out.base_fee_scalar = be_slice(&scalars, 16, 4);
        out.blob_base_fee_scalar = be_slice(&scalars, 20, 4);
        out.empty_ecotone_scalars = scalars[16..24].iter().all(|b| *b == 0);
        if out.empty_ecotone_scalars {
            out.overhead = state.storage(L1_BLOCK, OVERHEAD_SLOT)?;
        }
        if fork.is_active(OpFork::Isthmus) {
            let word = state.storage(L1_BLOCK, OPERATOR_SLOT)?.to_be_bytes::<32>();
            out.operator_fee_scalar = be_slice(&word, 20, 4);
            out.operator_fee_constant = be_slice(&word, 24, 8);
            if fork.is_active(OpFork::Jovian) {
                out.da_footprint_gas_scalar = u16::from_be_bytes([word[18], word[19]]);
            }
        }
        Ok(out)
    }

    /// The L1 data fee of a transaction whose EIP-2718 encoding is `tx` (zero for a deposit or an empty
    /// encoding).
    pub fn l1_fee(&self, fork: OpFork, tx: &[u8]) -> U256 {
        if tx.is_empty() || tx[0] == 0x7e {
            return U256::ZERO;
        }
        if fork.is_active(OpFork::Fjord) {
            let scaled = self.scaled_price();
            if scaled.is_zero() {
                return U256::ZERO;
            }
            return U256::from(estimated_size(tx)).saturating_mul(scaled)
                / U256::from(1_000_000_000_000u64);
        }
        if fork.is_active(OpFork::Ecotone) && !self.empty_ecotone_scalars {
            return self.scaled_price().saturating_mul(data_gas(fork, tx))
                / U256::from(16_000_000u64);
        }
        data_gas(fork, tx)
            .saturating_add(self.overhead)
            .saturating_mul(self.l1_base_fee)
            .saturating_mul(self.base_fee_scalar)
            / U256::from(1_000_000u64)
    }

    /// Whether the fee uses Bedrock's formula: before Ecotone, and in the Ecotone activation block while
    /// both Ecotone scalars are still zero.
    pub fn bedrock_formula(&self, fork: OpFork) -> bool {
        !fork.is_active(OpFork::Ecotone) || self.empty_ecotone_scalars
    }

    /// The receipt's `l1GasUsed` of a non-deposit whose EIP-2718 encoding is `tx`: its calldata gas, from
    /// Fjord the FastLZ size estimate * 16; plus the overhead while Bedrock's scalars are in force (as
    /// op-reth reports it).
    pub fn l1_gas_used(&self, fork: OpFork, tx: &[u8]) -> U256 {
        let gas = if fork.is_active(OpFork::Fjord) {
            U256::from(estimated_size(tx)).saturating_mul(U256::from(16)) / U256::from(1_000_000u64)
        } else {
            data_gas(fork, tx)
        };
        if self.bedrock_formula(fork) {
            gas.saturating_add(self.overhead)
        } else {
            gas
        }
    }

    /// `16 * l1BaseFee * baseFeeScalar + blobBaseFee * blobBaseFeeScalar`.
    fn scaled_price(&self) -> U256 {
        self.l1_base_fee
            .saturating_mul(U256::from(16))
            .saturating_mul(self.base_fee_scalar)
            .saturating_add(self.blob_base_fee.saturating_mul(self.blob_base_fee_scalar))
    }

    /// The operator fee for `gas` under `fork` (zero before Isthmus).
    pub fn operator_fee(&self, fork: OpFork, gas: u64) -> U256 {
        operator_fee(
            fork,
            self.operator_fee_scalar,
            self.operator_fee_constant,
            gas,
        )
    }
}

/// The operator fee for `gas` with the given scalar and constant (zero before Isthmus).
pub fn operator_fee(fork: OpFork, scalar: U256, constant: U256, gas: u64) -> U256 {
    if !fork.is_active(OpFork::Isthmus) {
        return U256::ZERO;
    }
    let gas = U256::from(gas);
    let product = if fork.is_active(OpFork::Jovian) {
        gas.saturating_mul(scalar).saturating_mul(U256::from(100))
    } else {
        gas.saturating_mul(scalar) / U256::from(1_000_000u64)
    };
    product.saturating_add(constant)
}

/// Calldata gas of the encoding: 4 per zero byte, 16 per other byte, plus 68 * 16 before Regolith (the
/// signature the Bedrock formula assumed missing).
fn data_gas(fork: OpFork, tx: &[u8]) -> U256 {
    let zeros = tx.iter().filter(|b| **b == 0).count() as u64;
    let ones = tx.len() as u64 - zeros;
    let mut gas = zeros * 4 + ones * 16;
    if !fork.is_active(OpFork::Regolith) {
        gas += 68 * 16;
    }
    U256::from(gas)
}

/// Fjord's estimated compressed size of `tx`, scaled by 1e6.
pub fn estimated_size(tx: &[u8]) -> u64 {
    (fastlz::compressed_len(tx) as u64)
        .saturating_mul(FASTLZ_COEF)
        .saturating_sub(INTERCEPT)
        .max(MIN_SIZE_SCALED)
}

/// Jovian's DA footprint of a non-deposit transaction: `max(100, estimated size / 1e6) * scalar`.
pub fn da_footprint(tx: &[u8], scalar: u16) -> u64 {
    (estimated_size(tx) / 1_000_000).saturating_mul(u64::from(scalar))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> L1FeeInputs {
        L1FeeInputs {
            l1_base_fee: U256::from(1_000_000),
            overhead: U256::from(1_000_000),
            base_fee_scalar: U256::from(1_000_000),
            ..Default::default()
        }
    }

    #[test]
    fn bedrock_regolith_and_ecotone_formulas() {
        let tx = [0xfa, 0xca, 0xde];
        // Bedrock: (3*16 + 68*16 + 1e6) * 1e6 * 1e6 / 1e6 = 1,001,136 * 1e6.
        assert_eq!(
            inputs().l1_fee(OpFork::Bedrock, &tx),
            U256::from(1_001_136_000_000u64)
        );
        // Regolith drops the 68 bytes: (48 + 1e6) * 1e6.
        assert_eq!(
            inputs().l1_fee(OpFork::Regolith, &tx),
            U256::from(1_000_048_000_000u64)
        );
        // Ecotone, scalars set: 48 * (16*1000*10 + 5*2) / 16e6 = 48 * 160,010 / 16e6 = 0 (integer).
        let eco = L1FeeInputs {
            l1_base_fee: U256::from(1_000),
            base_fee_scalar: U256::from(10),
            blob_base_fee: U256::from(5),
            blob_base_fee_scalar: U256::from(2),
            ..Default::default()
        };
        assert_eq!(eco.l1_fee(OpFork::Ecotone, &tx), U256::ZERO);
        let big = vec![1u8; 100_000];
        // 1,600,000 * 160,010 / 16e6 = 16,001.
        assert_eq!(eco.l1_fee(OpFork::Ecotone, &big), U256::from(16_001));
        // Deposits pay nothing.
        assert_eq!(inputs().l1_fee(OpFork::Regolith, &[0x7e, 1]), U256::ZERO);
    }

    #[test]
    fn fjord_uses_the_minimum_size_for_small_transactions() {
        let eco = L1FeeInputs {
            l1_base_fee: U256::from(1_000_000_000u64),
            base_fee_scalar: U256::from(1_000),
            ..Default::default()
        };
        // 100e6 * (16 * 1e9 * 1000) / 1e12 = 1e8 * 1.6e13 / 1e12 = 1.6e9.
        assert_eq!(
            eco.l1_fee(OpFork::Fjord, &[1, 2, 3]),
            U256::from(1_600_000_000u64)
        );
        assert_eq!(da_footprint(&[1, 2, 3], 400), 40_000);
    }

    #[test]
    fn operator_fee_scales_by_fork() {
        let s = U256::from(2_000_000);
        let c = U256::from(7);
        assert_eq!(operator_fee(OpFork::Holocene, s, c, 100), U256::ZERO);
        assert_eq!(operator_fee(OpFork::Isthmus, s, c, 100), U256::from(207));
        assert_eq!(
            operator_fee(OpFork::Jovian, s, c, 100),
            U256::from(20_000_000_007u64)
        );
    }
}
