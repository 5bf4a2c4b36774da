//! The small OP chain that `parevm node`'s tests and the newPayload latency bench run on: every fork
//! through Isthmus at genesis (as the kona e2e chain), Holocene `extraData` with OP mainnet's constants
//! (elasticity 6, Canyon denominator 250), a 30M gas limit, base fee 1 gwei, and the L1Block fee inputs an
//! L1-info deposit leaves (so signed transactions pay an L1 fee and an operator fee from block 1 on).

use serde_json::{json, Map, Value};

/// The L1Block predeploy.
pub const L1_BLOCK: &str = "0x4200000000000000000000000000000000000015";

/// The genesis JSON of the test chain `chain_id` with the accounts of `alloc` (keyed by `0x` address)
/// plus the L1Block predeploy.
pub fn isthmus_genesis(chain_id: u64, mut alloc: Map<String, Value>) -> Value {
    // L1Block fee inputs: L1 base fee 1 gwei, Ecotone scalars 1368 / 810949, blob base fee 1, operator fee
    // constant 1000. Code so that the L1-info deposit's call lands on a contract (an empty account would
    // be touched away).
    alloc.insert(
        L1_BLOCK.to_owned(),
        json!({"balance": "0x0", "code": "0x00", "storage": {
            "0x1": "0x3b9aca00",
            "0x3": format!("0x{}00000558000c5fc5{}", "00".repeat(16), "00".repeat(8)),
            "0x7": "0x1",
            "0x8": format!("0x{}0000000000000000000003e8", "00".repeat(20))
        }}),
    );
    json!({
        "config": {
            "chainId": chain_id,
            "regolithTime": 0, "canyonTime": 0, "deltaTime": 0, "ecotoneTime": 0, "fjordTime": 0,
            "graniteTime": 0, "holoceneTime": 0, "isthmusTime": 0,
            "optimism": {"eip1559Elasticity": 6, "eip1559Denominator": 50, "eip1559DenominatorCanyon": 250}
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": "0x00000000fa00000006",
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "baseFeePerGas": "0x3b9aca00",
        "alloc": alloc,
    })
}
