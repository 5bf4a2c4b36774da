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
use parevm_rpc::eth_config::{fork_config as describe, ForkFacts, MAINNET_DEPOSIT_CONTRACT};
use serde_json::{json, Value};

/// The config object of the timed fork active from `time` (described by parevm-rpc's shared
/// `fork_config`).
fn fork_config(c: &EthereumChain, time: u64, fork_id: ForkHash) -> EthResult<Value> {
    let fork = c
        .spec()
        .schedule
        .at(u64::MAX, time)
        .ok_or_else(|| server(format!("no fork at timestamp {time}")))?;
    Ok(describe(&ForkFacts {
        spec: fork.spec,
        blob: fork.blob,
        activation_time: time,
        chain_id: c.chain_id(),
        fork_id,
        deposit_contract: c
            .spec()
            .config
            .deposit_contract_address
            .unwrap_or(MAINNET_DEPOSIT_CONTRACT),
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
