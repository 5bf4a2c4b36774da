//! Replays built payloads on fresh nodes, one per thread count, block by block side by side (the order of
//! the nodes alternates from block to block): `engine_newPayloadV4` (execution on the head's overlay, state
//! root, hash check) then the `engine_forkchoiceUpdatedV3` that makes the block the head (the store's
//! commit, durable per `--durable-every`), each timed from the request text to the encoded answer.

use super::chain::Payload;
use super::engine::Engine;
use super::NewPayloadError;
use parevm_op_stack_adapter::BuildTimings;
use std::time::{Duration, Instant};

/// One block's times on one node.
#[derive(Clone, Copy, Debug)]
pub struct BlockTime {
    /// `engine_newPayloadV4`.
    pub new_payload: Duration,
    /// The forkchoice update that makes it the head.
    pub forkchoice: Duration,
    /// Process CPU time (all threads) over both calls: the work, less sensitive than wall time to other
    /// processes on a loaded machine.
    pub cpu: Duration,
    /// newPayload's execution phases, as the node reported them.
    pub phases: Option<BuildTimings>,
}

impl BlockTime {
    /// Both calls.
    pub fn total(&self) -> Duration {
        self.new_payload + self.forkchoice
    }
}

/// Replays `payloads` on every engine; returns the times per engine, in block order. Every node must
/// answer VALID with the builder's hash and end with that block as its head. After each block on each
/// engine the replay waits `gap` (untimed), as a chain's block time leaves the node between blocks (zero:
/// back to back, the harshest case: the store's background writes then compete with the next block).
pub fn replay(
    engines: &[Engine],
    payloads: &[Payload],
    gap: Duration,
) -> Result<Vec<Vec<BlockTime>>, NewPayloadError> {
    let mut times = vec![Vec::with_capacity(payloads.len()); engines.len()];
    for (i, p) in payloads.iter().enumerate() {
        let mut order: Vec<usize> = (0..engines.len()).collect();
        if i % 2 == 1 {
            order.reverse();
        }
        for e in order {
            let engine = &engines[e];
            let mismatch = |what: String| NewPayloadError::Mismatch {
                number: p.number,
                what: format!("{}: {what}", engine.dir.display()),
            };
            let cpu_start = crate::cpu::process_cpu_time();
            let (r, new_payload) = engine.send("engine_newPayloadV4", &p.new_payload)?;
            if r["status"] != "VALID" || r["latestValidHash"] != serde_json::json!(p.hash) {
                return Err(mismatch(format!("newPayload answered {r}")));
            }
            let phases = engine
                .node()
                .last_timings()
                .filter(|(n, _)| *n == p.number)
                .map(|(_, t)| t);
            let (r, forkchoice) = engine.send("engine_forkchoiceUpdatedV3", &p.forkchoice)?;
            let cpu = crate::cpu::process_cpu_time().saturating_sub(cpu_start);
            if r["payloadStatus"]["status"] != "VALID" {
                return Err(mismatch(format!("forkchoiceUpdated answered {r}")));
            }
            let head = engine
                .node()
                .store()
                .head()
                .map_err(parevm_node::NodeError::from)?
                .0;
            if (head.number, head.hash) != (p.number, p.hash) {
                return Err(mismatch(format!(
                    "head is {} {} after the forkchoice update",
                    head.number, head.hash
                )));
            }
            times[e].push(BlockTime {
                new_payload,
                forkchoice,
                cpu,
                phases,
            });
            if !gap.is_zero() {
                std::thread::sleep(gap);
            }
        }
    }
    Ok(times)
}

/// Decoding and sender recovery of every transaction of `p`, once, on this thread (newPayload does it
/// inside its execution; timed apart to show its share).
pub fn recovery_time(p: &Payload) -> Result<Duration, NewPayloadError> {
    let start = Instant::now();
    for (i, tx) in p.transactions.iter().enumerate() {
        parevm_op_stack_adapter::tx::decode_tx(i, tx)?;
    }
    Ok(start.elapsed())
}
