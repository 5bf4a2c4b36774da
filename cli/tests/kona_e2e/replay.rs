//! The cross-check: a second `parevm node` fed the sequencer's blocks through `engine_newPayloadV4` and
//! `engine_forkchoiceUpdatedV3`, as an op-node verifier's EL would be. Each block is read from the first
//! node's eth port (op-alloy RPC types, as kona parses them), turned into an OP execution payload with
//! op-alloy's `from_block_unchecked`, and must come back VALID with the same hash. Every block must open
//! with kona's L1-info deposit (from the L1-info depositor): the blocks were built from kona's attributes.

use crate::rpc::Rpc;
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpExecutionPayload;
use serde_json::{json, Value};

/// Replays blocks `1..=head` of `from` into `to`; returns how many matched (all, or it panics).
pub fn replay(from: &Rpc, to: &Rpc, head: u64, depositor: Address) -> u64 {
    for n in 1..=head {
        let v = from.call("eth_getBlockByNumber", json!([format!("{n:#x}"), true]));
        let block: alloy_rpc_types_eth::Block<op_alloy_rpc_types::Transaction> =
            serde_json::from_value(v.clone())
                .unwrap_or_else(|e| panic!("block {n} does not parse as op-alloy's: {e}: {v}"));
        let hash = block.header.hash;
        let consensus = block
            .into_consensus()
            .map_transactions(|tx| tx.inner.inner.into_inner());
        match consensus.body.transactions.first() {
            Some(OpTxEnvelope::Deposit(d))
                if d.from == depositor && d.to() == Some(crate::l1info::L1_BLOCK) => {}
            other => panic!("block {n} does not open with the L1-info deposit: {other:?}"),
        }
        let (payload, sidecar) = OpExecutionPayload::from_block_unchecked(hash, &consensus);
        let OpExecutionPayload::V4(payload) = payload else {
            panic!("block {n} is not an Isthmus (V4) payload: {v}");
        };
        let status = to.call(
            "engine_newPayloadV4",
            json!([
                payload,
                Vec::<B256>::new(),
                sidecar.parent_beacon_block_root(),
                Vec::<Value>::new()
            ]),
        );
        assert_eq!(
            status["status"], "VALID",
            "newPayloadV4 of block {n}: {status}"
        );
        let fcu = to.call(
            "engine_forkchoiceUpdatedV3",
            json!([{"headBlockHash": hash, "safeBlockHash": B256::ZERO, "finalizedBlockHash": B256::ZERO}, null]),
        );
        assert_eq!(
            fcu["payloadStatus"]["status"], "VALID",
            "forkchoiceUpdatedV3 to block {n}: {fcu}"
        );
        let own = to.call("eth_getBlockByNumber", json!([format!("{n:#x}"), false]));
        assert_eq!(
            own["hash"].as_str().and_then(|h| h.parse::<B256>().ok()),
            Some(hash),
            "block {n}: the replaying node's hash differs"
        );
    }
    head
}
