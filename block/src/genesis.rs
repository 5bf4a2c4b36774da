//! Geth-style genesis files: the chain configuration they carry becomes a [`ChainSpec`] (chain id and
//! [`ForkSchedule`]), their `alloc` becomes a world state, and their header fields plus that state's root
//! become the genesis header.
//!
//! ```text
//! genesis.json -> parse_genesis -> Genesis { config, header fields, alloc }
//!   config -> ChainSpec::from_config -> ForkSchedule (blocks, TTD/merge block, timestamps, blobSchedule)
//!   alloc  -> alloc_state            -> InMemoryState (zero storage values left out)
//!   fields + state root + fork at genesis -> genesis_header -> Header (shape follows the forks active)
//! ```
//! The pieces are separate so another chain (OP) can reuse the alloc and header assembly and then adjust the
//! fields its rules define differently (an Isthmus `withdrawalsRoot`, say) before hashing.

use crate::fork::{Activation, ForkParams, ForkSchedule};
use crate::header::INITIAL_BASE_FEE;
use alloy_consensus::{Header, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, Bloom, B256, B64, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use parevm_evm_core::env::BlobParams;
use parevm_evm_core::SpecId;
use parevm_state::InMemoryState;
use std::collections::BTreeMap;

pub use alloy_genesis::{ChainConfig, Genesis, GenesisAccount};

/// EIP-7594: at most six blobs per transaction from Osaka on.
const OSAKA_MAX_BLOBS_PER_TX: u64 = 6;

/// Why a genesis file or chain config cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// The file is not a geth-style genesis.
    #[error("genesis JSON: {0}")]
    Json(String),
    /// The chain config names a fork parevm does not implement or an impossible order.
    #[error("chain config: {0}")]
    Config(String),
}

/// What block execution needs to know about a chain.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainSpec {
    /// Chain id transactions must carry (EIP-155).
    pub chain_id: u64,
    /// Forks by block number and timestamp.
    pub schedule: ForkSchedule,
    /// The config it was built from (kept so a store can save and reload it).
    pub config: ChainConfig,
}

/// Parses a geth-style genesis file.
pub fn parse_genesis(json: &str) -> Result<Genesis, GenesisError> {
    serde_json::from_str(json).map_err(|e| GenesisError::Json(e.to_string()))
}

impl ChainSpec {
    /// The spec of a geth-style chain config.
    pub fn from_config(config: &ChainConfig) -> Result<Self, GenesisError> {
        Ok(Self {
            chain_id: config.chain_id,
            schedule: schedule_from_config(config)?,
            config: config.clone(),
        })
    }

    /// The rules in force at genesis (`number`, `timestamp` of the genesis block).
    pub fn genesis_fork(&self, genesis: &Genesis) -> Result<ForkParams, GenesisError> {
        let number = genesis.number.unwrap_or(0);
        self.schedule
            .at(number, genesis.timestamp)
            .ok_or_else(|| GenesisError::Config(format!("no fork at genesis block {number}")))
    }
}

/// Builds the fork schedule of a geth-style chain config.
///
/// Block-numbered forks come first (Frontier at 0 unless Homestead is), then the Merge (at
/// `mergeNetsplitBlock`, or at genesis when `terminalTotalDifficulty` is 0), then the timestamped forks.
/// Constantinople without Petersburg runs Petersburg's rules: parevm does not implement EIP-1283, which
/// Petersburg removed again. The DAO fork's irregular state change is not implemented and is refused.
pub fn schedule_from_config(config: &ChainConfig) -> Result<ForkSchedule, GenesisError> {
    if config.dao_fork_support && config.dao_fork_block.is_some() {
        return Err(GenesisError::Config(
            "the DAO fork's irregular state change is not supported".into(),
        ));
    }
    if let (Some(a), Some(b)) = (config.eip155_block, config.eip158_block) {
        if a != b {
            return Err(GenesisError::Config(format!(
                "eip155Block {a} differs from eip158Block {b} (parevm runs both as Spurious Dragon)"
            )));
        }
    }
    let merge_block = match (
        config.merge_netsplit_block,
        config.terminal_total_difficulty,
    ) {
        (Some(n), _) => Some(n),
        (None, Some(ttd)) if ttd.is_zero() => Some(0),
        (None, Some(ttd)) => {
            return Err(GenesisError::Config(format!(
            "terminalTotalDifficulty {ttd} without mergeNetsplitBlock: set mergeNetsplitBlock to \
                 the first proof-of-stake block"
        )))
        }
        (None, None) => None,
    };
    // (name, rules, activation, optional): a fork that is not optional needs every earlier such fork.
    let by_block: [(&'static str, SpecId, Option<u64>, bool); 13] = [
        (
            "Homestead",
            SpecId::HOMESTEAD,
            config.homestead_block,
            false,
        ),
        ("EIP150", SpecId::TANGERINE, config.eip150_block, false),
        (
            "EIP158",
            SpecId::SPURIOUS_DRAGON,
            config.eip158_block.or(config.eip155_block),
            false,
        ),
        (
            "Byzantium",
            SpecId::BYZANTIUM,
            config.byzantium_block,
            false,
        ),
        (
            "ConstantinopleFix",
            SpecId::PETERSBURG,
            config.constantinople_block,
            false,
        ),
        // Geth runs Petersburg from Constantinople's block when petersburgBlock is absent.
        (
            "ConstantinopleFix",
            SpecId::PETERSBURG,
            config.petersburg_block,
            true,
        ),
        ("Istanbul", SpecId::ISTANBUL, config.istanbul_block, false),
        (
            "Istanbul",
            SpecId::ISTANBUL,
            config.muir_glacier_block,
            true,
        ),
        ("Berlin", SpecId::BERLIN, config.berlin_block, false),
        ("London", SpecId::LONDON, config.london_block, false),
        ("London", SpecId::LONDON, config.arrow_glacier_block, true),
        ("London", SpecId::LONDON, config.gray_glacier_block, true),
        ("Paris", SpecId::MERGE, merge_block, true),
    ];
    let by_time: [(&'static str, SpecId, Option<u64>); 9] = [
        ("Shanghai", SpecId::SHANGHAI, config.shanghai_time),
        ("Cancun", SpecId::CANCUN, config.cancun_time),
        ("Prague", SpecId::PRAGUE, config.prague_time),
        ("Osaka", SpecId::OSAKA, config.osaka_time),
        ("BPO1", SpecId::OSAKA, config.bpo1_time),
        ("BPO2", SpecId::OSAKA, config.bpo2_time),
        ("BPO3", SpecId::OSAKA, config.bpo3_time),
        ("BPO4", SpecId::OSAKA, config.bpo4_time),
        ("BPO5", SpecId::OSAKA, config.bpo5_time),
    ];
    if config.amsterdam_time.is_some() {
        return Err(GenesisError::Config(
            "amsterdamTime: Amsterdam is not scheduled by parevm yet".into(),
        ));
    }

    let mut schedule = ForkSchedule::new();
    let frontier_needed = config.homestead_block != Some(0);
    if frontier_needed {
        schedule = schedule.with(Activation::Block(0), plain("Frontier", SpecId::FRONTIER));
    }
    let mut last_block = 0u64;
    let mut missing: Option<&str> = None;
    for (name, spec, at, optional) in by_block {
        let Some(n) = at else {
            if !optional {
                missing.get_or_insert(name);
            }
            continue;
        };
        if let Some(missing) = missing {
            return Err(GenesisError::Config(format!(
                "{name} is scheduled but the earlier fork {missing} is not"
            )));
        }
        if n < last_block {
            return Err(GenesisError::Config(format!(
                "{name} at block {n} comes before an earlier fork at block {last_block}"
            )));
        }
        last_block = n;
        schedule = schedule.with(Activation::Block(n), plain(name, spec));
    }
    let mut last_time = 0u64;
    for (name, spec, at) in by_time {
        let Some(t) = at else { continue };
        if merge_block.is_none() {
            return Err(GenesisError::Config(format!(
                "{name} is scheduled by time but the Merge is not"
            )));
        }
        if t < last_time {
            return Err(GenesisError::Config(format!(
                "{name} at time {t} comes before an earlier fork at time {last_time}"
            )));
        }
        last_time = t;
        let blob = blob_params(name, spec, &config.blob_schedule)?;
        schedule = schedule.with(Activation::Timestamp(t), ForkParams { name, spec, blob });
    }
    Ok(schedule)
}

/// A fork whose blob parameters are the mainnet ones of its spec.
fn plain(name: &'static str, spec: SpecId) -> ForkParams {
    ForkParams {
        name,
        spec,
        blob: BlobParams::for_spec(spec),
    }
}

/// The blob parameters of fork `name` from the config's `blobSchedule` (keys in lower case, as geth writes
/// them), else the mainnet defaults; a BPO fork must be listed.
fn blob_params(
    name: &str,
    spec: SpecId,
    schedule: &BTreeMap<String, alloy_eips::eip7840::BlobParams>,
) -> Result<BlobParams, GenesisError> {
    let key = name.to_ascii_lowercase();
    let Some(p) = schedule.get(&key) else {
        if name.starts_with("BPO") {
            return Err(GenesisError::Config(format!(
                "{name} is scheduled without a blobSchedule.{key} entry"
            )));
        }
        return Ok(BlobParams::for_spec(spec));
    };
    let update_fraction = u64::try_from(p.update_fraction).map_err(|_| {
        GenesisError::Config(format!(
            "blobSchedule.{key}.baseFeeUpdateFraction too large"
        ))
    })?;
    let max_per_tx = if spec.is_enabled_in(SpecId::OSAKA) {
        OSAKA_MAX_BLOBS_PER_TX.min(p.max_blob_count)
    } else {
        p.max_blob_count
    };
    Ok(BlobParams {
        target: p.target_blob_count,
        max: p.max_blob_count,
        update_fraction,
        max_per_tx,
    })
}

/// The world state holding exactly `alloc` (storage entries with value zero are left out, as in the trie).
pub fn alloc_state(alloc: &BTreeMap<Address, GenesisAccount>) -> InMemoryState {
    let mut state = InMemoryState::new();
    insert_alloc(&mut state, alloc);
    state
}

/// Puts every account of `alloc` into `state`, each replacing what `state` held at its address.
pub fn insert_alloc(state: &mut InMemoryState, alloc: &BTreeMap<Address, GenesisAccount>) {
    for (address, account) in alloc {
        let storage = account
            .storage
            .iter()
            .flatten()
            .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)));
        state.insert_account(
            *address,
            account.balance,
            account.nonce.unwrap_or(0),
            account.code.clone().unwrap_or_default(),
            storage,
        );
    }
}

/// The genesis header for `genesis` with state root `state_root` under the rules `fork` in force at
/// genesis: London adds the base fee (the file's, else 1 gwei), Shanghai the empty withdrawals root, Cancun
/// the blob fields and a zero parent beacon root, Prague the empty requests hash.
pub fn genesis_header(genesis: &Genesis, state_root: B256, fork: &ForkParams) -> Header {
    let spec = fork.spec;
    let on = |s: SpecId| spec.is_enabled_in(s);
    Header {
        parent_hash: genesis.parent_hash.unwrap_or_default(),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: genesis.coinbase,
        state_root,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom: Bloom::ZERO,
        difficulty: genesis.difficulty,
        number: genesis.number.unwrap_or(0),
        gas_limit: genesis.gas_limit,
        gas_used: 0,
        timestamp: genesis.timestamp,
        extra_data: genesis.extra_data.clone(),
        mix_hash: genesis.mix_hash,
        nonce: B64::from(genesis.nonce),
        base_fee_per_gas: on(SpecId::LONDON).then(|| {
            genesis
                .base_fee_per_gas
                .map_or(INITIAL_BASE_FEE, |f| u64::try_from(f).unwrap_or(u64::MAX))
        }),
        withdrawals_root: on(SpecId::SHANGHAI).then_some(EMPTY_ROOT_HASH),
        blob_gas_used: on(SpecId::CANCUN).then(|| genesis.blob_gas_used.unwrap_or(0)),
        excess_blob_gas: on(SpecId::CANCUN).then(|| genesis.excess_blob_gas.unwrap_or(0)),
        parent_beacon_block_root: on(SpecId::CANCUN).then_some(B256::ZERO),
        requests_hash: on(SpecId::PRAGUE).then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> ChainConfig {
        serde_json::from_str(json).expect("config JSON")
    }

    #[test]
    fn hive_style_schedule() {
        let c = config(
            r#"{"chainId":7,"homesteadBlock":0,"eip150Block":3,"eip155Block":6,"eip158Block":6,
            "byzantiumBlock":9,"constantinopleBlock":12,"petersburgBlock":15,"istanbulBlock":18,
            "muirGlacierBlock":21,"berlinBlock":24,"londonBlock":27,"arrowGlacierBlock":30,
            "grayGlacierBlock":33,"mergeNetsplitBlock":36,"shanghaiTime":390,"cancunTime":420,
            "pragueTime":450,"osakaTime":480,"bpo1Time":510,"terminalTotalDifficulty":4732352,
            "blobSchedule":{"bpo1":{"target":10,"max":15,"baseFeeUpdateFraction":8346193}}}"#,
        );
        let spec = ChainSpec::from_config(&c).expect("valid");
        let at = |n, t| spec.schedule.at(n, t).map(|f| f.spec);
        assert_eq!(at(0, 0), Some(SpecId::HOMESTEAD));
        assert_eq!(at(5, 50), Some(SpecId::TANGERINE));
        assert_eq!(at(12, 120), Some(SpecId::PETERSBURG));
        assert_eq!(at(35, 350), Some(SpecId::LONDON));
        assert_eq!(at(36, 360), Some(SpecId::MERGE));
        assert_eq!(at(40, 420), Some(SpecId::CANCUN));
        let bpo1 = spec.schedule.at(60, 515).expect("scheduled");
        assert_eq!(
            (bpo1.name, bpo1.blob.max, bpo1.blob.max_per_tx),
            ("BPO1", 15, 6)
        );
    }

    #[test]
    fn bad_configs_are_typed_errors() {
        let no_merge_block =
            config(r#"{"chainId":1,"homesteadBlock":0,"terminalTotalDifficulty":5}"#);
        assert!(matches!(
            schedule_from_config(&no_merge_block),
            Err(GenesisError::Config(_))
        ));
        let bpo_without_params = config(
            r#"{"chainId":1,"homesteadBlock":0,"eip150Block":0,"eip155Block":0,"eip158Block":0,
            "byzantiumBlock":0,"constantinopleBlock":0,"petersburgBlock":0,"istanbulBlock":0,
            "berlinBlock":0,"londonBlock":0,"terminalTotalDifficulty":0,"shanghaiTime":0,
            "cancunTime":0,"pragueTime":0,"osakaTime":0,"bpo1Time":0}"#,
        );
        assert!(matches!(
            schedule_from_config(&bpo_without_params),
            Err(GenesisError::Config(_))
        ));
        let out_of_order = config(r#"{"chainId":1,"homesteadBlock":5,"eip150Block":2}"#);
        assert!(matches!(
            schedule_from_config(&out_of_order),
            Err(GenesisError::Config(_))
        ));
        assert!(matches!(parse_genesis("{"), Err(GenesisError::Json(_))));
    }

    #[test]
    fn header_shape_follows_forks() {
        let genesis = Genesis::default();
        let prague = plain("Prague", SpecId::PRAGUE);
        let h = genesis_header(&genesis, EMPTY_ROOT_HASH, &prague);
        assert_eq!(h.base_fee_per_gas, Some(INITIAL_BASE_FEE));
        assert_eq!(h.withdrawals_root, Some(EMPTY_ROOT_HASH));
        assert_eq!(h.requests_hash, Some(EMPTY_REQUESTS_HASH));
        let frontier = plain("Frontier", SpecId::FRONTIER);
        let h = genesis_header(&genesis, EMPTY_ROOT_HASH, &frontier);
        assert_eq!(h.base_fee_per_gas, None);
        assert_eq!(h.parent_beacon_block_root, None);
    }
}
