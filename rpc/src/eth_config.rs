//! `eth_config` (EIP-7910): how one fork of a chain is described (its activation time, blob schedule,
//! chain id, EIP-2124 fork id, precompiles by EIP-7910's names and system contracts), shared by
//! `parevm node` (a fork schedule from a genesis file) and `parevm dev` (one fork from genesis on).
//!
//! ```text
//! ForkFacts { spec, blob, time, chain id, fork id, deposit contract } -> fork_config -> JSON object
//! parevm dev: eth_config = { current: the devnet's fork (activation 0, fork id CRC32(genesis hash)),
//!                            next: null, last: null }
//! ```

use crate::context::RpcContext;
use crate::error::RpcResult;
use crate::params::Args;
use crate::register::json;
use alloy_eip2124::ForkHash;
use alloy_primitives::{address, hex, Address, B256, U256, U64};
use parevm_evm_core::env::BlobParams;
use parevm_evm_core::SpecId;
use serde_json::{json, Map, Value};

/// The deposit contract of mainnet, used when a chain config names none (EIP-6110).
pub const MAINNET_DEPOSIT_CONTRACT: Address =
    address!("0x00000000219ab540356cbb839cbe05303d7705fa");

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

/// What describes one fork of a chain.
#[derive(Clone, Copy, Debug)]
pub struct ForkFacts {
    /// The rules in force.
    pub spec: SpecId,
    /// Its blob parameters (reported from Cancun on).
    pub blob: BlobParams,
    /// When it activates (seconds).
    pub activation_time: u64,
    /// The chain's id.
    pub chain_id: u64,
    /// EIP-2124 fork hash of the chain up to and with this fork.
    pub fork_id: ForkHash,
    /// The EIP-6110 deposit contract (reported from Prague on).
    pub deposit_contract: Address,
}

fn addr_hex(a: Address) -> String {
    format!("0x{}", hex::encode(a))
}

/// The EIP-7910 object of one fork.
pub fn fork_config(f: &ForkFacts) -> Value {
    let spec = f.spec;
    let mut precompiles = Map::new();
    for (since, name, at) in PRECOMPILES {
        if spec.is_enabled_in(*since) {
            let a = Address::from_word(B256::from(U256::from(*at)));
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
        system.insert(
            "CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS".into(),
            addr_hex(alloy_eips::eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS).into(),
        );
        system.insert(
            "DEPOSIT_CONTRACT_ADDRESS".into(),
            addr_hex(f.deposit_contract).into(),
        );
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
            "target": f.blob.target,
            "max": f.blob.max,
            "baseFeeUpdateFraction": f.blob.update_fraction,
        })
    } else {
        Value::Null
    };
    json!({
        "activationTime": f.activation_time,
        "blobSchedule": blob,
        "chainId": U64::from(f.chain_id),
        "forkId": format!("0x{}", hex::encode(f.fork_id.0)),
        "precompiles": precompiles,
        "systemContracts": system,
    })
}

/// `eth_config` of a chain that runs one fork from its genesis on (`parevm dev`): that fork, active from
/// time 0, its fork id the genesis hash's CRC32 (no activation after genesis), and no next or last fork.
pub fn eth_config(_: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let config = ctx.chain.config();
    let facts = ForkFacts {
        spec: config.spec,
        blob: parevm_chain::builder::blob_params(config.spec),
        activation_time: 0,
        chain_id: ctx.chain.chain_id(),
        fork_id: ForkHash::from(ctx.chain.genesis().hash),
        deposit_contract: MAINNET_DEPOSIT_CONTRACT,
    };
    json(json!({ "current": fork_config(&facts), "next": null, "last": null }))
}
