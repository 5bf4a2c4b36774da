//! From a fixture's `network` (`"Prague"`, `"CancunToPragueAtTime15k"`, `"FrontierToHomesteadAt5"`) and
//! its `config.blobSchedule` to a [`ForkSchedule`]. Blob-parameter-only forks (`"BPO1"`...) run Osaka's
//! rules with their own blob parameters.

use super::fixture::BlobEntry;
use crate::replay::hex::u64_of;
use parevm_block::{Activation, ForkParams, ForkSchedule};
use parevm_evm_core::env::BlobParams;
use parevm_evm_core::spec::spec_from_fixture_name;
use parevm_evm_core::SpecId;
use std::collections::BTreeMap;

/// The blob-parameter-only forks (EIP-7892) fixtures name.
const BPO_NAMES: [&str; 5] = ["BPO1", "BPO2", "BPO3", "BPO4", "BPO5"];

/// EIP-7594: at most six blobs per transaction from Osaka on.
const OSAKA_MAX_BLOBS_PER_TX: u64 = 6;

/// The rules of the fork called `name`, blob parameters from `blobs` when listed there.
pub fn fork_params(name: &str, blobs: &BTreeMap<String, BlobEntry>) -> Result<ForkParams, String> {
    let spec = if name.starts_with("BPO") {
        if !BPO_NAMES.contains(&name) {
            return Err(format!("unknown blob-parameter fork {name:?}"));
        }
        SpecId::OSAKA
    } else {
        spec_from_fixture_name(name).ok_or_else(|| format!("unknown fork {name:?}"))?
    };
    let blob = match blobs.get(name) {
        Some(entry) => {
            let num = |what: &str, v: &str| {
                u64_of(v).map_err(|e| format!("blobSchedule.{name}.{what}: {e}"))
            };
            let max = num("max", &entry.max)?;
            BlobParams {
                target: num("target", &entry.target)?,
                max,
                update_fraction: num("baseFeeUpdateFraction", &entry.base_fee_update_fraction)?,
                max_per_tx: if spec.is_enabled_in(SpecId::OSAKA) {
                    OSAKA_MAX_BLOBS_PER_TX.min(max)
                } else {
                    max
                },
            }
        }
        None if name.starts_with("BPO") => {
            return Err(format!(
                "blob-parameter fork {name} without a blobSchedule entry"
            ))
        }
        None => BlobParams::for_spec(spec),
    };
    let name = match BPO_NAMES.iter().find(|n| **n == name) {
        Some(n) => n,
        None => parevm_evm_core::spec::fixture_name(spec),
    };
    Ok(ForkParams { name, spec, blob })
}

/// The schedule of `network`: one fork from genesis, or `<A>To<B>At<N>` / `<A>To<B>AtTime<T>` with an
/// optional `k` (thousands) suffix.
pub fn schedule(
    network: &str,
    blobs: &BTreeMap<String, BlobEntry>,
) -> Result<ForkSchedule, String> {
    let Some((from, rest)) = network.split_once("To") else {
        return Ok(ForkSchedule::single(fork_params(network, blobs)?));
    };
    let (to, at) = rest
        .split_once("At")
        .ok_or_else(|| format!("transition {network:?} without At"))?;
    let (by_time, number) = match at.strip_prefix("Time") {
        Some(t) => (true, t),
        None => (false, at),
    };
    let (digits, scale) = match number.strip_suffix('k') {
        Some(d) => (d, 1000),
        None => (number, 1),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("transition {network:?}: bad activation {at:?}"))?;
    let activation = if by_time {
        Activation::Timestamp(n * scale)
    } else {
        Activation::Block(n * scale)
    };
    Ok(ForkSchedule::new()
        .with(Activation::Block(0), fork_params(from, blobs)?)
        .with(activation, fork_params(to, blobs)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(target: &str, max: &str, fraction: &str) -> BlobEntry {
        BlobEntry {
            target: target.into(),
            max: max.into(),
            base_fee_update_fraction: fraction.into(),
        }
    }

    #[test]
    fn single_fork() {
        let s = schedule("Prague", &BTreeMap::new()).expect("known");
        let p = s.at(1, 1).expect("active");
        assert_eq!(p.spec, SpecId::PRAGUE);
        assert_eq!(p.blob.max, 9);
        assert!(schedule("Constantinople", &BTreeMap::new()).is_err());
    }

    #[test]
    fn time_transition_with_bpo() {
        let mut blobs = BTreeMap::new();
        blobs.insert("BPO1".to_owned(), entry("0x0a", "0x0f", "0x7f5a51"));
        let s = schedule("OsakaToBPO1AtTime15k", &blobs).expect("known");
        let before = s.at(1, 14_999).expect("active");
        let after = s.at(2, 15_000).expect("active");
        assert_eq!(before.spec, SpecId::OSAKA);
        assert_eq!(before.blob.max, 9);
        assert_eq!(after.spec, SpecId::OSAKA);
        assert_eq!(after.name, "BPO1");
        assert_eq!(after.blob.max, 15);
        assert_eq!(after.blob.max_per_tx, 6);
        assert_eq!(after.blob.update_fraction, 8_346_193);
    }

    #[test]
    fn block_transition() {
        let s = schedule("FrontierToHomesteadAt5", &BTreeMap::new()).expect("known");
        assert_eq!(s.at(4, 0).map(|p| p.spec), Some(SpecId::FRONTIER));
        assert_eq!(s.at(5, 0).map(|p| p.spec), Some(SpecId::HOMESTEAD));
    }
}
