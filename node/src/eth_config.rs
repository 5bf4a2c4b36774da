//! `eth_config` (EIP-7910) in Ethereum mode: the fork in force at the head with its blob schedule, chain
//! id, EIP-2124 fork id, precompiles and system contracts, and the next and last scheduled forks (`null`
//! when none is scheduled after the current one).
//!
//! ```text
//! ChainSpec.config (geth-style) -> block forks (numbers) + timed forks (timestamps), in order
//!   current = the latest timed fork at or before the head's timestamp
//!   forkId  = CRC32(genesis hash, every activation up to current)     (alloy-eip2124's ForkHash)
//! ```
//! Only chains whose head is past a timestamped fork (Shanghai on) have an EIP-7910 answer; before that
//! the method answers an error.

use crate::eth::{json, server, store, EthBackend, EthResult};
use crate::ethereum::EthereumChain;
use alloy_eip2124::ForkHash;
use alloy_primitives::{address, Address, U64};
use parevm_evm_core::SpecId;
use serde_json::{json, Map, Value};

/// The deposit contract of mainnet, used when the chain config names none (EIP-6110).
const MAINNET_DEPOSIT_CONTRACT: Address = address!("0x00000000219ab540356cbb839cbe05303d7705fa");

/// Precompiles by the fork that introduced them, with EIP-7910's names.
const PRECOMPILES: &[(SpecId, &str, u64)] = &[
    (SpecId::FRONTIER, "ECREC", 0x01),
    (SpecId::FRONTIER, "SHA256", 0x02),
    (SpecId::FRONTIER, "RIPEMD160", 0x03),
    (SpecId::FRONTIER, "ID", 0x04),
    (SpecId::BYZANTIUM, "MODEXP", 0x05),
    (SpecId::BYZANTIUM, "BN254_ADD", 0x06),
    (SpecId::BYZANTIUM, "BN254_MUL", 0x07),
    (SpecId::BYZANTIUM, "BN254_PAIRING", 0x08),
    (SpecId::ISTANBUL, "BLAKE2F", 0x09),
    (SpecId::CANCUN, "KZG_POINT_EVALUATION", 0x0a),
    (SpecId::PRAGUE, "BLS12_G1ADD", 0x0b),
    (SpecId::PRAGUE, "BLS12_G1MSM", 0x0c),
    (SpecId::PRAGUE, "BLS12_G2ADD", 0x0d),
    (SpecId::PRAGUE, "BLS12_G2MSM", 0x0e),
    (SpecId::PRAGUE, "BLS12_PAIRING_CHECK", 0x0f),
    (SpecId::PRAGUE, "BLS12_MAP_FP_TO_G1", 0x10),
    (SpecId::PRAGUE, "BLS12_MAP_FP2_TO_G2", 0x11),
    (SpecId::OSAKA, "P256VERIFY", 0x100),
];

fn addr_hex(a: Address) -> String {
    format!("0x{}", hex::encode(a))
}

/// The config object of the timed fork active from `time`.
fn fork_config(c: &EthereumChain, time: u64, fork_id: ForkHash) -> EthResult<Value> {
    let fork = c
        .spec()
        .schedule
        .at(u64::MAX, time)
        .ok_or_else(|| server(format!("no fork at timestamp {time}")))?;
    let spec = fork.spec;
    let mut precompiles = Map::new();
    for (since, name, at) in PRECOMPILES {
        if spec.is_enabled_in(*since) {
            let a = Address::from_word(alloy_primitives::B256::from(alloy_primitives::U256::from(
                *at,
            )));
            precompiles.insert((*name).to_owned(), Value::String(addr_hex(a)));
        }
    }
    let mut system = Map::new();
    if spec.is_enabled_in(SpecId::CANCUN) {
        system.insert(
            "BEACON_ROOTS_ADDRESS".into(),
            addr_hex(alloy_eips::eip4788::BEACON_ROOTS_ADDRESS).into(),
        );
    }
    if spec.is_enabled_in(SpecId::PRAGUE) {
        let deposit = c
            .spec()
            .config
            .deposit_contract_address
            .unwrap_or(MAINNET_DEPOSIT_CONTRACT);
        system.insert(
            "CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS".into(),
            addr_hex(alloy_eips::eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS).into(),
        );
        system.insert("DEPOSIT_CONTRACT_ADDRESS".into(), addr_hex(deposit).into());
        system.insert(
            "HISTORY_STORAGE_ADDRESS".into(),
            addr_hex(alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS).into(),
        );
        system.insert(
            "WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS".into(),
            addr_hex(alloy_eips::eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS).into(),
        );
    }
    let blob = if spec.is_enabled_in(SpecId::CANCUN) {
        json!({
            "target": fork.blob.target,
            "max": fork.blob.max,
            "baseFeeUpdateFraction": fork.blob.update_fraction,
        })
    } else {
        Value::Null
    };
    Ok(json!({
        "activationTime": time,
        "blobSchedule": blob,
        "chainId": U64::from(c.chain_id()),
        "forkId": format!("0x{}", hex::encode(fork_id.0)),
        "precompiles": precompiles,
        "systemContracts": system,
    }))
}

/// `eth_config`.
pub fn eth_config(c: &EthereumChain) -> EthResult<Value> {
    let cfg = &c.spec().config;
    let s = c.store();
    let genesis = s
        .header_by_number(0)
        .map_err(store)?
        .ok_or_else(|| server("no genesis block"))?;
    let (_, head) = s.head().map_err(store)?;
    let blocks: Vec<u64> = [
        cfg.homestead_block,
        cfg.dao_fork_block,
        cfg.eip150_block,
        cfg.eip155_block,
        cfg.eip158_block,
        cfg.byzantium_block,
        cfg.constantinople_block,
        cfg.petersburg_block,
        cfg.istanbul_block,
        cfg.muir_glacier_block,
        cfg.berlin_block,
        cfg.london_block,
        cfg.arrow_glacier_block,
        cfg.gray_glacier_block,
        cfg.merge_netsplit_block,
    ]
    .into_iter()
    .flatten()
    .collect();
    let times: Vec<u64> = [
        cfg.shanghai_time,
        cfg.cancun_time,
        cfg.prague_time,
        cfg.osaka_time,
        cfg.bpo1_time,
        cfg.bpo2_time,
        cfg.bpo3_time,
        cfg.bpo4_time,
        cfg.bpo5_time,
    ]
    .into_iter()
    .flatten()
    .collect();
    // EIP-2124: activations after genesis, each once, blocks before timestamps.
    let mut activations: Vec<u64> = Vec::new();
    for b in blocks {
        if b > 0 && !activations.contains(&b) {
            activations.push(b);
        }
    }
    let block_count = activations.len();
    let mut timed: Vec<u64> = Vec::new();
    for t in times {
        if t > genesis.timestamp && !timed.contains(&t) {
            timed.push(t);
        }
    }
    timed.sort_unstable();
    activations.sort_unstable();
    let Some(current) = timed.iter().copied().filter(|t| *t <= head.timestamp).max() else {
        return Err(server(
            "eth_config describes timestamped forks (Shanghai on); the head is before them",
        ));
    };
    let hash_up_to = |time: u64| {
        let mut h = ForkHash::from(genesis.hash_slow());
        for b in &activations[..block_count] {
            h += *b;
        }
        for t in timed.iter().filter(|t| **t <= time) {
            h += *t;
        }
        h
    };
    let next = timed.iter().copied().find(|t| *t > current);
    let last = timed.last().copied().filter(|t| *t > current);
    json(json!({
        "current": fork_config(c, current, hash_up_to(current))?,
        "next": next.map(|t| fork_config(c, t, hash_up_to(t))).transpose()?,
        "last": last.map(|t| fork_config(c, t, hash_up_to(t))).transpose()?,
    }))
}
