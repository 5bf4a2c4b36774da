//! OP-Stack forks: the schedule a chain activates them on (by L2 block timestamp), and the Ethereum EVM
//! rules each one runs on.
//!
//! ```text
//! OpChainConfig::fork_at(timestamp) -> OpFork -> OpFork::spec() (evm-core SpecId)
//!                                             -> rules::OpRules::for_fork (the chain seam for that fork)
//! ```

use parevm_evm_core::SpecId;
use serde::Deserialize;

/// An OP-Stack network upgrade, in activation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpFork {
    /// Deposits, L1 fee v1, fee vaults.
    Bedrock,
    /// Deposits report real gas, no system transactions, `depositNonce` in receipts.
    Regolith,
    /// Shanghai, EIP-1559 denominator change, create2Deployer, `depositReceiptVersion`.
    Canyon,
    /// Span batches (consensus layer only).
    Delta,
    /// Cancun without blobs, EIP-4788, L1 fee v2.
    Ecotone,
    /// L1 fee v3 (FastLZ), P256VERIFY.
    Fjord,
    /// `bn256Pairing` input cap.
    Granite,
    /// EIP-1559 parameters in payload attributes and `extraData`.
    Holocene,
    /// Prague, operator fee, `withdrawalsRoot` = L2ToL1MessagePasser storage root.
    Isthmus,
    /// Minimum base fee, DA footprint, operator fee x100, tighter precompile caps.
    Jovian,
    /// Osaka, tighter `bn256Pairing` cap.
    Karst,
}

impl OpFork {
    /// Every fork, oldest first.
    pub const ALL: [OpFork; 11] = [
        OpFork::Bedrock,
        OpFork::Regolith,
        OpFork::Canyon,
        OpFork::Delta,
        OpFork::Ecotone,
        OpFork::Fjord,
        OpFork::Granite,
        OpFork::Holocene,
        OpFork::Isthmus,
        OpFork::Jovian,
        OpFork::Karst,
    ];

    /// The Ethereum EVM rules this fork runs on.
    pub fn spec(self) -> SpecId {
        match self {
            OpFork::Bedrock | OpFork::Regolith => SpecId::MERGE,
            OpFork::Canyon | OpFork::Delta => SpecId::SHANGHAI,
            OpFork::Ecotone | OpFork::Fjord | OpFork::Granite | OpFork::Holocene => SpecId::CANCUN,
            OpFork::Isthmus | OpFork::Jovian => SpecId::PRAGUE,
            OpFork::Karst => SpecId::OSAKA,
        }
    }

    /// True when `self` is `fork` or later.
    pub fn is_active(self, fork: OpFork) -> bool {
        self >= fork
    }

    /// The fork's name as the registry spells its time key (`canyon` for `canyon_time`).
    pub fn name(self) -> &'static str {
        match self {
            OpFork::Bedrock => "bedrock",
            OpFork::Regolith => "regolith",
            OpFork::Canyon => "canyon",
            OpFork::Delta => "delta",
            OpFork::Ecotone => "ecotone",
            OpFork::Fjord => "fjord",
            OpFork::Granite => "granite",
            OpFork::Holocene => "holocene",
            OpFork::Isthmus => "isthmus",
            OpFork::Jovian => "jovian",
            OpFork::Karst => "karst",
        }
    }
}

/// Activation times of the forks after Bedrock (`None`: not scheduled). Field names follow the
/// registry's `[hardforks]` table and kona's rollup config (`canyon_time`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ForkTimes {
    /// Regolith.
    pub regolith_time: Option<u64>,
    /// Canyon.
    pub canyon_time: Option<u64>,
    /// Delta.
    pub delta_time: Option<u64>,
    /// Ecotone.
    pub ecotone_time: Option<u64>,
    /// Fjord.
    pub fjord_time: Option<u64>,
    /// Granite.
    pub granite_time: Option<u64>,
    /// Holocene.
    pub holocene_time: Option<u64>,
    /// Isthmus.
    pub isthmus_time: Option<u64>,
    /// Jovian.
    pub jovian_time: Option<u64>,
    /// Karst.
    pub karst_time: Option<u64>,
}

impl ForkTimes {
    /// Every fork active from genesis (tests and devnets).
    pub fn all_at_genesis() -> Self {
        Self {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: Some(0),
            fjord_time: Some(0),
            granite_time: Some(0),
            holocene_time: Some(0),
            isthmus_time: Some(0),
            jovian_time: Some(0),
            karst_time: Some(0),
        }
    }

    /// Activation time of `fork` (`Some(0)` for Bedrock).
    pub fn time(&self, fork: OpFork) -> Option<u64> {
        match fork {
            OpFork::Bedrock => Some(0),
            OpFork::Regolith => self.regolith_time,
            OpFork::Canyon => self.canyon_time,
            OpFork::Delta => self.delta_time,
            OpFork::Ecotone => self.ecotone_time,
            OpFork::Fjord => self.fjord_time,
            OpFork::Granite => self.granite_time,
            OpFork::Holocene => self.holocene_time,
            OpFork::Isthmus => self.isthmus_time,
            OpFork::Jovian => self.jovian_time,
            OpFork::Karst => self.karst_time,
        }
    }

    /// The latest fork active at `timestamp`.
    pub fn fork_at(&self, timestamp: u64) -> OpFork {
        OpFork::ALL
            .iter()
            .rev()
            .copied()
            .find(|f| self.time(*f).is_some_and(|t| t <= timestamp))
            .unwrap_or(OpFork::Bedrock)
    }

    /// True when `fork` is active at `timestamp`.
    pub fn is_active(&self, fork: OpFork, timestamp: u64) -> bool {
        self.time(fork).is_some_and(|t| t <= timestamp)
    }
}

/// The EIP-1559 constants of an OP chain (registry `[optimism]`, kona `chain_op_config`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Eip1559Params {
    /// Elasticity multiplier.
    #[serde(alias = "eip1559Elasticity")]
    pub eip1559_elasticity: u64,
    /// Base-fee change denominator before Canyon.
    #[serde(alias = "eip1559Denominator")]
    pub eip1559_denominator: u64,
    /// Base-fee change denominator from Canyon on.
    #[serde(alias = "eip1559DenominatorCanyon")]
    pub eip1559_denominator_canyon: u64,
}

impl Default for Eip1559Params {
    /// OP mainnet's constants.
    fn default() -> Self {
        Self {
            eip1559_elasticity: 6,
            eip1559_denominator: 50,
            eip1559_denominator_canyon: 250,
        }
    }
}

/// What block execution needs to know about an OP chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpChainConfig {
    /// L2 chain id.
    pub chain_id: u64,
    /// Fork activation times.
    pub forks: ForkTimes,
    /// EIP-1559 constants.
    pub eip1559: Eip1559Params,
}

impl OpChainConfig {
    /// The fork in force at `timestamp`.
    pub fn fork_at(&self, timestamp: u64) -> OpFork {
        self.forks.fork_at(timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forks_map_to_their_evm_rules() {
        assert_eq!(OpFork::Regolith.spec(), SpecId::MERGE);
        assert_eq!(OpFork::Delta.spec(), SpecId::SHANGHAI);
        assert_eq!(OpFork::Holocene.spec(), SpecId::CANCUN);
        assert_eq!(OpFork::Jovian.spec(), SpecId::PRAGUE);
        assert_eq!(OpFork::Karst.spec(), SpecId::OSAKA);
    }

    #[test]
    fn fork_at_picks_the_latest_active() {
        let times = ForkTimes {
            regolith_time: Some(0),
            canyon_time: Some(10),
            delta_time: Some(10),
            ecotone_time: Some(20),
            ..Default::default()
        };
        assert_eq!(times.fork_at(0), OpFork::Regolith);
        assert_eq!(times.fork_at(9), OpFork::Regolith);
        assert_eq!(times.fork_at(10), OpFork::Delta);
        assert_eq!(times.fork_at(1_000), OpFork::Ecotone);
        assert_eq!(ForkTimes::default().fork_at(5), OpFork::Bedrock);
        assert!(times.is_active(OpFork::Canyon, 10));
        assert!(!times.is_active(OpFork::Fjord, 10));
    }
}
