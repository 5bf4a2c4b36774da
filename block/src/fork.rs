//! Which rules govern a block: a fork schedule maps `(number, timestamp)` to the fork in force and its
//! EIP-4844 blob parameters (EIP-7691 and the EIP-7892 blob-parameter-only forks change only those).
//!
//! The executor asks the schedule once per block; the conformance runners build a schedule from a
//! fixture's `network` name, the replay runner uses [`ForkSchedule::mainnet`].

use parevm_evm_core::env::BlobParams;
use parevm_evm_core::SpecId;

/// When a fork activates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// At this block number (forks up to the Merge).
    Block(u64),
    /// At this timestamp (Shanghai and later).
    Timestamp(u64),
}

impl Activation {
    fn is_active(self, number: u64, timestamp: u64) -> bool {
        match self {
            Activation::Block(n) => number >= n,
            Activation::Timestamp(t) => timestamp >= t,
        }
    }
}

/// The rules in force for one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkParams {
    /// Fork name as the fixtures spell it (`"Cancun"`, `"BPO1"`...).
    pub name: &'static str,
    /// EVM rules.
    pub spec: SpecId,
    /// Blob parameters in force (meaningful from Cancun on).
    pub blob: BlobParams,
}

/// One step of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    at: Activation,
    params: ForkParams,
}

/// Forks in activation order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForkSchedule {
    steps: Vec<Step>,
}

/// Blob parameters of EIP-7892's first blob-parameter-only fork on mainnet.
pub const BPO1_BLOBS: BlobParams = BlobParams {
    target: 10,
    max: 15,
    update_fraction: 8_346_193,
    max_per_tx: 6,
};

/// Blob parameters of the second blob-parameter-only fork on mainnet.
pub const BPO2_BLOBS: BlobParams = BlobParams {
    target: 14,
    max: 21,
    update_fraction: 11_684_671,
    max_per_tx: 6,
};

impl ForkSchedule {
    /// An empty schedule (add forks with [`ForkSchedule::with`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a fork activating at `at`; forks must be added in activation order.
    pub fn with(mut self, at: Activation, params: ForkParams) -> Self {
        self.steps.push(Step { at, params });
        self
    }

    /// A schedule with one fork from genesis on.
    pub fn single(params: ForkParams) -> Self {
        Self::new().with(Activation::Block(0), params)
    }

    /// The rules in force at `(number, timestamp)`; `None` before the first fork.
    pub fn at(&self, number: u64, timestamp: u64) -> Option<ForkParams> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.at.is_active(number, timestamp))
            .map(|s| s.params)
    }

    /// Ethereum mainnet from Frontier to the second BPO fork.
    pub fn mainnet() -> Self {
        use Activation::{Block, Timestamp};
        let f = |name, spec| ForkParams {
            name,
            spec,
            blob: BlobParams::for_spec(spec),
        };
        Self::new()
            .with(Block(0), f("Frontier", SpecId::FRONTIER))
            .with(Block(1_150_000), f("Homestead", SpecId::HOMESTEAD))
            .with(Block(2_463_000), f("TangerineWhistle", SpecId::TANGERINE))
            .with(
                Block(2_675_000),
                f("SpuriousDragon", SpecId::SPURIOUS_DRAGON),
            )
            .with(Block(4_370_000), f("Byzantium", SpecId::BYZANTIUM))
            .with(Block(7_280_000), f("Petersburg", SpecId::PETERSBURG))
            .with(Block(9_069_000), f("Istanbul", SpecId::ISTANBUL))
            .with(Block(12_244_000), f("Berlin", SpecId::BERLIN))
            .with(Block(12_965_000), f("London", SpecId::LONDON))
            .with(Block(15_537_394), f("Paris", SpecId::MERGE))
            .with(Timestamp(1_681_338_455), f("Shanghai", SpecId::SHANGHAI))
            .with(Timestamp(1_710_338_135), f("Cancun", SpecId::CANCUN))
            .with(Timestamp(1_746_612_311), f("Prague", SpecId::PRAGUE))
            .with(Timestamp(1_764_798_551), f("Osaka", SpecId::OSAKA))
            .with(
                Timestamp(1_765_290_071),
                ForkParams {
                    name: "BPO1",
                    spec: SpecId::OSAKA,
                    blob: BPO1_BLOBS,
                },
            )
            .with(
                Timestamp(1_767_747_671),
                ForkParams {
                    name: "BPO2",
                    spec: SpecId::OSAKA,
                    blob: BPO2_BLOBS,
                },
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_boundaries() {
        let m = ForkSchedule::mainnet();
        let name = |n, t| m.at(n, t).map(|p| p.name);
        assert_eq!(name(46_147, 0), Some("Frontier"));
        assert_eq!(name(4_369_999, 0), Some("SpuriousDragon"));
        assert_eq!(name(4_370_000, 0), Some("Byzantium"));
        assert_eq!(name(15_537_393, 1_663_224_162), Some("London"));
        assert_eq!(name(15_537_394, 1_663_224_179), Some("Paris"));
        assert_eq!(name(19_426_586, 1_710_338_123), Some("Shanghai"));
        assert_eq!(name(19_426_587, 1_710_338_135), Some("Cancun"));
        assert_eq!(
            m.at(30_000_000, 1_767_747_671).map(|p| p.blob.max),
            Some(21)
        );
    }

    #[test]
    fn empty_schedule_has_no_fork() {
        assert_eq!(ForkSchedule::new().at(0, 0), None);
    }
}
