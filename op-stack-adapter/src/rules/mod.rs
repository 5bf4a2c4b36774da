//! The OP Stack's transaction rules: evm-core's chain seam ([`ChainRules`]) for each OP fork.
//!
//! ```text
//! OpRules::for_fork(fork) -> &'static OpRules  (one value per fork; CfgEnv::rules points at it)
//! OpRules::for_calls(fork)                      the same for eth_call/estimateGas: no envelope, no L1 or
//!                                               operator fee (op-revm's empty-envelope rule, as op-reth)
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
    /// Calls (`eth_call`, `eth_estimateGas`): a transaction without EIP-2718 bytes is accepted and pays
    /// neither L1 fee nor operator fee, as op-revm charges an empty envelope (what op-reth runs its calls
    /// with).
    pub calls: bool,
}

static RULES: [OpRules; 11] = [
    OpRules {
        fork: OpFork::Bedrock,
        calls: false,
    },
    OpRules {
        fork: OpFork::Regolith,
        calls: false,
    },
    OpRules {
        fork: OpFork::Canyon,
        calls: false,
    },
    OpRules {
        fork: OpFork::Delta,
        calls: false,
    },
    OpRules {
        fork: OpFork::Ecotone,
        calls: false,
    },
    OpRules {
        fork: OpFork::Fjord,
        calls: false,
    },
    OpRules {
        fork: OpFork::Granite,
        calls: false,
    },
    OpRules {
        fork: OpFork::Holocene,
        calls: false,
    },
    OpRules {
        fork: OpFork::Isthmus,
        calls: false,
    },
    OpRules {
        fork: OpFork::Jovian,
        calls: false,
    },
    OpRules {
        fork: OpFork::Karst,
        calls: false,
    },
];

static CALL_RULES: [OpRules; 11] = [
    OpRules {
        fork: OpFork::Bedrock,
        calls: true,
    },
    OpRules {
        fork: OpFork::Regolith,
        calls: true,
    },
    OpRules {
        fork: OpFork::Canyon,
        calls: true,
    },
    OpRules {
        fork: OpFork::Delta,
        calls: true,
    },
    OpRules {
        fork: OpFork::Ecotone,
        calls: true,
    },
    OpRules {
        fork: OpFork::Fjord,
        calls: true,
    },
    OpRules {
        fork: OpFork::Granite,
        calls: true,
    },
    OpRules {
        fork: OpFork::Holocene,
        calls: true,
    },
    OpRules {
        fork: OpFork::Isthmus,
        calls: true,
    },
    OpRules {
        fork: OpFork::Jovian,
        calls: true,
    },
    OpRules {
        fork: OpFork::Karst,
        calls: true,
    },
];

impl OpRules {
    /// The rules of `fork`, for [`parevm_evm_core::CfgEnv::rules`].
    pub fn for_fork(fork: OpFork) -> &'static OpRules {
        &RULES[fork as usize]
    }

    /// The rules of `fork` for calls ([`OpRules::calls`]).
    pub fn for_calls(fork: OpFork) -> &'static OpRules {
        &CALL_RULES[fork as usize]
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
        if tx.deposit.is_none() && tx.envelope.is_empty() && !self.calls {
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
        if self.calls && env.tx.envelope.is_empty() {
            return Ok(ExtraFee::default());
        }
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
        if self.calls && env.tx.envelope.is_empty() {
            return FeeSettlement::default();
        }
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
