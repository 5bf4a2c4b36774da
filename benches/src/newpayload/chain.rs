//! Builds the generated chain on a builder node through its own Engine API, as a sequencer's rollup node
//! does: per block, `engine_forkchoiceUpdatedV3` with payload attributes whose `transactions` are the
//! L1-info deposit and the user transactions (`noTxPool`), `engine_getPayloadV4`, then a forkchoice update
//! that makes the block the head. Each block's `engine_newPayloadV4` request is kept for the replay.

use super::engine::{request, Engine};
use super::world::{OpWorld, Workload, BLOCK_TIME};
use super::NewPayloadError;
use alloy_primitives::{Bytes, B256};
use alloy_rpc_types_engine::PayloadId;
use serde_json::{json, Value};

/// One built block and the requests that replay it.
pub struct Payload {
    /// Block number.
    pub number: u64,
    /// Block hash (the builder's).
    pub hash: B256,
    /// Gas used.
    pub gas_used: u64,
    /// Its EIP-2718 transactions (the deposit included).
    pub transactions: Vec<Bytes>,
    /// The `engine_newPayloadV4` request.
    pub new_payload: String,
    /// The `engine_forkchoiceUpdatedV3` request that makes it the head.
    pub forkchoice: String,
}

/// A forkchoice state with the head at `head` (safe and finalized left as they are).
pub fn forkchoice(head: B256) -> Value {
    json!({"headBlockHash": head, "safeBlockHash": B256::ZERO, "finalizedBlockHash": B256::ZERO})
}

fn status(v: &Value) -> &str {
    v["status"].as_str().unwrap_or("")
}

fn mismatch(number: u64, what: String) -> NewPayloadError {
    NewPayloadError::Mismatch { number, what }
}

/// Builds `blocks` blocks of `workload` with gas limit `gas_limit` on `engine`'s head (the genesis).
pub fn build_chain(
    engine: &Engine,
    world: &mut OpWorld,
    workload: Workload,
    gas_limit: u64,
    blocks: usize,
) -> Result<Vec<Payload>, NewPayloadError> {
    let mut head = engine.node().genesis_hash();
    let mut out = Vec::with_capacity(blocks);
    for number in 1..=blocks as u64 {
        let txs = world.block_txs(workload, gas_limit, number)?;
        let attrs = json!({
            "timestamp": format!("{:#x}", number * BLOCK_TIME),
            "prevRandao": B256::from(alloy_primitives::U256::from(number)),
            "suggestedFeeRecipient": "0x4200000000000000000000000000000000000011",
            "withdrawals": [],
            "parentBeaconBlockRoot": B256::repeat_byte(0xbe),
            "transactions": txs,
            "noTxPool": true,
            "gasLimit": format!("{gas_limit:#x}"),
            "eip1559Params": "0x000000fa00000006"
        });
        let (r, _) = engine.send(
            "build: engine_forkchoiceUpdatedV3",
            &request(
                "engine_forkchoiceUpdatedV3",
                json!([forkchoice(head), attrs]),
            ),
        )?;
        if status(&r["payloadStatus"]) != "VALID" {
            return Err(mismatch(number, format!("building: {r}")));
        }
        let id: PayloadId = serde_json::from_value(r["payloadId"].clone())
            .map_err(|e| mismatch(number, format!("payload id in {r}: {e}")))?;
        let built = engine
            .node()
            .payload(&id)
            .ok_or_else(|| mismatch(number, format!("payload {id} not kept")))?;
        if let Some(i) = built.receipts.iter().position(|r| !r.status()) {
            return Err(mismatch(
                number,
                format!("transaction {i} failed while building"),
            ));
        }
        let (envelope, _) = engine.send(
            "engine_getPayloadV4",
            &request("engine_getPayloadV4", json!([id])),
        )?;
        let payload = &envelope["executionPayload"];
        let hash: B256 = serde_json::from_value(payload["blockHash"].clone())
            .map_err(|e| mismatch(number, format!("blockHash: {e}")))?;
        if hash != built.hash {
            return Err(mismatch(
                number,
                format!("getPayload's hash {hash}, built {}", built.hash),
            ));
        }
        let new_payload = request(
            "engine_newPayloadV4",
            json!([
                payload,
                [],
                envelope["parentBeaconBlockRoot"],
                envelope["executionRequests"]
            ]),
        );
        let fc = request("engine_forkchoiceUpdatedV3", json!([forkchoice(hash)]));
        let (r, _) = engine.send("build: engine_forkchoiceUpdatedV3 (head)", &fc)?;
        if status(&r["payloadStatus"]) != "VALID" {
            return Err(mismatch(number, format!("making it the head: {r}")));
        }
        out.push(Payload {
            number,
            hash,
            gas_used: built.header.gas_used,
            transactions: built.transactions.clone(),
            new_payload,
            forkchoice: fc,
        });
        head = hash;
    }
    Ok(out)
}
