//! The OP Stack's transaction rules: evm-core's chain seam ([`ChainRules`]) for each OP fork.
//!
//! ```text
//! OpRules::for_fork(fork) -> &'static OpRules  (one value per fork; CfgEnv::rules points at it)
//!   validate_tx       no blob transactions; a non-deposit needs its EIP-2718 encoding (for the L1 fee)
//!   deposits          always; Regolith changes their gas accounting
//!   extra_fee         L1 data fee + operator fee on the gas limit, from L1Block storage (read set)
//!   settle_extra_fee  operator fee refunded on the unused gas; L1 fee and operator fee to their vaults
//!   base_fee_recipient  BaseFeeVault (the base fee is not burned)
//!   precompiles       P256VERIFY from Fjord, input caps from Granite (see `precompiles`)
//! ```

pub mod fastlz;
pub mod l1_fee;
pub mod precompiles;

use crate::fork::OpFork;
use crate::predeploys::{BASE_FEE_VAULT, L1_FEE_VAULT, OPERATOR_FEE_VAULT};
use alloy_primitives::Address;
use l1_fee::{operator_fee, L1FeeInputs};
use parevm_evm_core::env::{tx_type, Env};
use parevm_evm_core::rules::{ChainRules, DepositRules, ExtraFee, FeeSettlement, RuleState};
use parevm_evm_core::{InvalidTx, SpecId, ViewError};
use revm_precompile::Precompiles;

/// The OP Stack's rules under one fork.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpRules {
    /// The fork in force.
    pub fork: OpFork,
}

static RULES: [OpRules; 11] = [
    OpRules {
        fork: OpFork::Bedrock,
    },
    OpRules {
        fork: OpFork::Regolith,
    },
    OpRules {
        fork: OpFork::Canyon,
    },
    OpRules {
        fork: OpFork::Delta,
    },
    OpRules {
        fork: OpFork::Ecotone,
    },
    OpRules {
        fork: OpFork::Fjord,
    },
    OpRules {
        fork: OpFork::Granite,
    },
    OpRules {
        fork: OpFork::Holocene,
    },
    OpRules {
        fork: OpFork::Isthmus,
    },
    OpRules {
        fork: OpFork::Jovian,
    },
    OpRules {
        fork: OpFork::Karst,
    },
];

impl OpRules {
    /// The rules of `fork`, for [`parevm_evm_core::CfgEnv::rules`].
    pub fn for_fork(fork: OpFork) -> &'static OpRules {
        &RULES[fork as usize]
    }
}

impl ChainRules for OpRules {
    fn name(&self) -> &'static str {
        "op-stack"
    }

    fn precompiles(&self, _spec: SpecId) -> &'static Precompiles {
        precompiles::for_fork(self.fork)
    }

    fn validate_tx(&self, env: &Env) -> Result<(), InvalidTx> {
        let tx = &env.tx;
        if tx.tx_type == tx_type::EIP4844 {
            return Err(InvalidTx::TypeNotSupported(tx.tx_type));
        }
        if tx.deposit.is_none() && tx.envelope.is_empty() {
            return Err(InvalidTx::Chain(
                "an OP transaction needs its EIP-2718 encoding for the L1 fee".into(),
            ));
        }
        Ok(())
    }

    fn deposits(&self) -> Option<DepositRules> {
        Some(DepositRules {
            regolith: self.fork.is_active(OpFork::Regolith),
        })
    }

    fn extra_fee(&self, env: &Env, state: &mut dyn RuleState) -> Result<ExtraFee, ViewError> {
        let inputs = L1FeeInputs::read(self.fork, state)?;
        let l1_fee = inputs.l1_fee(self.fork, &env.tx.envelope);
        let operator = inputs.operator_fee(self.fork, env.tx.gas_limit);
        Ok(ExtraFee {
            upfront: l1_fee.saturating_add(operator),
            memo: [
                l1_fee,
                inputs.operator_fee_scalar,
                inputs.operator_fee_constant,
            ],
        })
    }

    fn settle_extra_fee(&self, env: &Env, fee: &ExtraFee, gas_used: u64) -> FeeSettlement {
        let [l1_fee, scalar, constant] = fee.memo;
        let charged = operator_fee(self.fork, scalar, constant, env.tx.gas_limit);
        let kept = operator_fee(self.fork, scalar, constant, gas_used);
        FeeSettlement {
            refund: charged.saturating_sub(kept),
            credits: [
                Some((L1_FEE_VAULT, l1_fee)),
                Some((OPERATOR_FEE_VAULT, kept)),
            ],
        }
    }

    fn base_fee_recipient(&self) -> Option<Address> {
        Some(BASE_FEE_VAULT)
    }
}
