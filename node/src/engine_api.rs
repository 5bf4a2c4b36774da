//! The Engine API methods (execution-apis `src/engine/`, OP additions from the OP specs
//! `protocol/exec-engine.md`): decoding each version's parameters, the fork checks per method version,
//! and the spec's error codes. The chain work is [`crate::service::OpNode`]'s.
//!
//! ```text
//! engine_exchangeCapabilities        -> the methods below
//! engine_forkchoiceUpdatedV2/V3      -> OpNode::forkchoice_updated (+ OpPayloadAttributes -> payload id)
//! engine_getPayloadV2/V3/V4          -> OpNode::payload -> envelope of the method's version
//! engine_newPayloadV2/V3/V4          -> payload -> block (hash checked) -> OpNode::new_payload
//! engine_getClientVersionV1          -> parevm's name and version
//! ```
//! Versions by fork (as op-node and kona call them): FCU V2 before Ecotone, V3 from Ecotone (and with no
//! attributes); new/getPayload V2 before Ecotone, V3 Ecotone..Holocene, V4 from Isthmus. A payload whose
//! timestamp belongs to another version's forks is answered -38005.

use crate::service::{ForkchoiceError, ForkchoiceOutcome, OpNode};
use alloy_consensus::Block;
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Bytes, B256};
use alloy_rpc_types_engine::{
    BlobsBundleV1, ExecutionPayloadEnvelopeV2, ExecutionPayloadFieldV2, ExecutionPayloadInputV2,
    ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3, ForkchoiceState, ForkchoiceUpdated,
    PayloadId, PayloadStatus, PayloadStatusEnum,
};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use op_alloy_rpc_types_engine::{
    OpExecutionPayloadEnvelopeV3, OpExecutionPayloadEnvelopeV4, OpExecutionPayloadV4,
    OpPayloadAttributes,
};
use parevm_op_stack_adapter::OpFork;
use parevm_rpc::params::Args;
use parevm_rpc::RpcError;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Engine API error codes (execution-apis `src/engine/common.md#errors`).
pub mod code {
    /// Payload does not exist / is not available.
    pub const UNKNOWN_PAYLOAD: i32 = -38001;
    /// Forkchoice state is invalid / inconsistent.
    pub const INVALID_FORKCHOICE_STATE: i32 = -38002;
    /// Payload attributes are invalid / inconsistent.
    pub const INVALID_PAYLOAD_ATTRIBUTES: i32 = -38003;
    /// Number of requested entities is too large.
    pub const TOO_LARGE_REQUEST: i32 = -38004;
    /// Payload belongs to a fork that is not supported by this method.
    pub const UNSUPPORTED_FORK: i32 = -38005;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal error.
    pub const INTERNAL: i32 = -32603;
}

/// The methods this node answers on the auth port, as `engine_exchangeCapabilities` lists them.
pub const CAPABILITIES: &[&str] = &[
    "engine_exchangeCapabilities",
    "engine_forkchoiceUpdatedV2",
    "engine_forkchoiceUpdatedV3",
    "engine_getPayloadV2",
    "engine_getPayloadV3",
    "engine_getPayloadV4",
    "engine_newPayloadV2",
    "engine_newPayloadV3",
    "engine_newPayloadV4",
    "engine_getClientVersionV1",
];

/// An Engine API error answer.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    /// JSON-RPC code.
    pub code: i32,
    /// Message.
    pub message: String,
    /// `error.data` (a call's revert output).
    pub data: Option<Value>,
}

impl EngineError {
    /// An error with `code` and `message`.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }
}

impl From<RpcError> for EngineError {
    fn from(e: RpcError) -> Self {
        if e == RpcError::InsufficientFunds {
            // geth's and op-reth's words and code (the devnet answers anvil's).
            return Self::new(-32000, "insufficient funds for gas * price + value");
        }
        let obj: ErrorObjectOwned = e.into();
        Self {
            data: obj.data().and_then(|d| serde_json::from_str(d.get()).ok()),
            ..Self::new(obj.code(), obj.message())
        }
    }
}

impl From<crate::error::NodeError> for EngineError {
    fn from(e: crate::error::NodeError) -> Self {
        Self::new(code::INTERNAL, e.to_string())
    }
}

impl From<ForkchoiceError> for EngineError {
    fn from(e: ForkchoiceError) -> Self {
        match e {
            ForkchoiceError::InvalidState(m) => Self::new(code::INVALID_FORKCHOICE_STATE, m),
            ForkchoiceError::InvalidAttributes(m) => Self::new(code::INVALID_PAYLOAD_ATTRIBUTES, m),
            ForkchoiceError::Node(n) => n.into(),
        }
    }
}

type EngineResult<T> = Result<T, EngineError>;

/// What the Engine API handlers share.
#[derive(Debug)]
pub struct EngineContext {
    /// The chain.
    pub node: Arc<OpNode>,
}

fn json<T: Serialize>(v: T) -> EngineResult<Value> {
    serde_json::to_value(v).map_err(|e| EngineError::new(code::INTERNAL, e.to_string()))
}

type Handler = fn(&Args, &EngineContext) -> EngineResult<Value>;

fn register(m: &mut RpcModule<EngineContext>, name: &'static str, f: Handler) {
    let r = m.register_blocking_method(name, move |params, ctx, _| {
        let args = Args::new(&params).map_err(EngineError::from);
        let out = args.and_then(|a| f(&a, &ctx));
        out.map_err(|e| ErrorObjectOwned::owned(e.code, e.message, e.data))
    });
    debug_assert!(r.is_ok(), "duplicate method {name}");
}

/// Adds the engine_* methods to `m`.
pub fn register_engine(m: &mut RpcModule<EngineContext>) {
    register(m, "engine_exchangeCapabilities", exchange_capabilities);
    register(m, "engine_forkchoiceUpdatedV2", |a, c| {
        forkchoice_updated(a, c, 2)
    });
    register(m, "engine_forkchoiceUpdatedV3", |a, c| {
        forkchoice_updated(a, c, 3)
    });
    register(m, "engine_getPayloadV2", |a, c| get_payload(a, c, 2));
    register(m, "engine_getPayloadV3", |a, c| get_payload(a, c, 3));
    register(m, "engine_getPayloadV4", |a, c| get_payload(a, c, 4));
    register(m, "engine_newPayloadV2", new_payload_v2);
    register(m, "engine_newPayloadV3", new_payload_v3);
    register(m, "engine_newPayloadV4", new_payload_v4);
    register(m, "engine_getClientVersionV1", client_version);
}

fn exchange_capabilities(a: &Args, _: &EngineContext) -> EngineResult<Value> {
    a.at_most(1)?;
    let _theirs: Vec<String> = a.opt(0)?.unwrap_or_default();
    json(CAPABILITIES)
}

/// The client version reported to the rollup node.
#[derive(Serialize)]
struct ClientVersion {
    code: &'static str,
    name: &'static str,
    version: &'static str,
    commit: &'static str,
}

fn client_version(a: &Args, _: &EngineContext) -> EngineResult<Value> {
    a.at_most(1)?;
    json([ClientVersion {
        code: "PV",
        name: "parevm",
        version: env!("CARGO_PKG_VERSION"),
        commit: match option_env!("PAREVM_GIT_COMMIT") {
            Some(c) => c,
            None => "0x00000000",
        },
    }])
}

/// The payload / attributes method version a fork is driven with.
fn payload_version(fork: OpFork) -> u8 {
    if fork.is_active(OpFork::Isthmus) {
        4
    } else if fork.is_active(OpFork::Ecotone) {
        3
    } else {
        2
    }
}

fn unsupported(method: &str, version: u8, fork: OpFork) -> EngineError {
    EngineError::new(
        code::UNSUPPORTED_FORK,
        format!("{method}V{version} does not serve {} payloads", fork.name()),
    )
}

fn forkchoice_updated(a: &Args, c: &EngineContext, version: u8) -> EngineResult<Value> {
    a.at_most(2)?;
    let state: ForkchoiceState = a.req(0)?;
    let attrs: Option<OpPayloadAttributes> = a.opt(1)?;
    if let Some(attrs) = &attrs {
        let fork = c.node.fork_at(attrs.payload_attributes.timestamp);
        let wanted = if fork.is_active(OpFork::Ecotone) {
            3
        } else {
            2
        };
        if wanted != version {
            return Err(unsupported("engine_forkchoiceUpdated", version, fork));
        }
        if version == 3 && attrs.payload_attributes.parent_beacon_block_root.is_none() {
            return Err(EngineError::new(
                code::INVALID_PAYLOAD_ATTRIBUTES,
                "parentBeaconBlockRoot is required from Ecotone on",
            ));
        }
        if attrs
            .payload_attributes
            .withdrawals
            .as_ref()
            .is_some_and(|w| !w.is_empty())
        {
            return Err(EngineError::new(
                code::INVALID_PAYLOAD_ATTRIBUTES,
                "withdrawals must be empty on an OP chain",
            ));
        }
    }
    let out = c
        .node
        .forkchoice_updated(state, attrs.map(|x| (x, version)))?;
    let answer = match out {
        ForkchoiceOutcome::Valid { head, payload_id } => ForkchoiceUpdated {
            payload_status: PayloadStatus::new(PayloadStatusEnum::Valid, Some(head)),
            payload_id,
        },
        ForkchoiceOutcome::Syncing => ForkchoiceUpdated {
            payload_status: PayloadStatus::new(PayloadStatusEnum::Syncing, None),
            payload_id: None,
        },
        ForkchoiceOutcome::Invalid(status) => ForkchoiceUpdated {
            payload_status: status,
            payload_id: None,
        },
    };
    json(answer)
}

fn get_payload(a: &Args, c: &EngineContext, version: u8) -> EngineResult<Value> {
    a.at_most(1)?;
    let id: PayloadId = a.req(0)?;
    let block = c
        .node
        .payload(&id)
        .ok_or_else(|| EngineError::new(code::UNKNOWN_PAYLOAD, format!("unknown payload {id}")))?;
    let fork = c.node.fork_at(block.header.timestamp);
    if payload_version(fork) != version {
        return Err(unsupported("engine_getPayload", version, fork));
    }
    let consensus = block.block();
    let empty_bundle = BlobsBundleV1 {
        commitments: Vec::new(),
        proofs: Vec::new(),
        blobs: Vec::new(),
    };
    let beacon_root = block.header.parent_beacon_block_root.unwrap_or_default();
    match version {
        2 => {
            let execution_payload = if block.header.withdrawals_root.is_some() {
                ExecutionPayloadFieldV2::V2(ExecutionPayloadV2::from_block_unchecked(
                    block.hash, &consensus,
                ))
            } else {
                ExecutionPayloadFieldV2::V1(ExecutionPayloadV1::from_block_unchecked(
                    block.hash, &consensus,
                ))
            };
            json(ExecutionPayloadEnvelopeV2 {
                execution_payload,
                block_value: block.block_value,
            })
        }
        3 => json(OpExecutionPayloadEnvelopeV3 {
            execution_payload: ExecutionPayloadV3::from_block_unchecked(block.hash, &consensus),
            block_value: block.block_value,
            blobs_bundle: empty_bundle,
            should_override_builder: false,
            parent_beacon_block_root: beacon_root,
        }),
        _ => json(OpExecutionPayloadEnvelopeV4 {
            execution_payload: OpExecutionPayloadV4::from_v3_with_withdrawals_root(
                ExecutionPayloadV3::from_block_unchecked(block.hash, &consensus),
                block.header.withdrawals_root.unwrap_or_default(),
            ),
            block_value: block.block_value,
            blobs_bundle: empty_bundle,
            should_override_builder: false,
            parent_beacon_block_root: beacon_root,
            execution_requests: Vec::new(),
        }),
    }
}

fn invalid(why: impl Into<String>) -> EngineResult<Value> {
    json(PayloadStatus::new(
        PayloadStatusEnum::Invalid {
            validation_error: why.into(),
        },
        None,
    ))
}

/// Checks the payload's block against its claimed hash and method version, then hands it to the node.
fn submit(
    c: &EngineContext,
    method_version: u8,
    block: Result<Block<Bytes>, String>,
    claimed: B256,
) -> EngineResult<Value> {
    let block = match block {
        Ok(b) => b,
        Err(why) => return invalid(format!("malformed payload: {why}")),
    };
    let fork = c.node.fork_at(block.header.timestamp);
    if payload_version(fork) != method_version {
        return Err(unsupported("engine_newPayload", method_version, fork));
    }
    let hash = block.header.hash_slow();
    if hash != claimed {
        return invalid(format!(
            "block hash mismatch: the payload says {claimed}, its fields hash to {hash}"
        ));
    }
    let status = c.node.new_payload(block.header, block.body.transactions)?;
    json(status)
}

fn new_payload_v2(a: &Args, c: &EngineContext) -> EngineResult<Value> {
    a.at_most(1)?;
    let input: ExecutionPayloadInputV2 = a.req(0)?;
    let claimed = input.execution_payload.block_hash;
    if input.withdrawals.as_ref().is_some_and(|w| !w.is_empty()) {
        return invalid("withdrawals must be empty on an OP chain");
    }
    let block = input
        .into_payload()
        .into_block_raw()
        .map_err(|e| e.to_string());
    submit(c, 2, block, claimed)
}

fn new_payload_v3(a: &Args, c: &EngineContext) -> EngineResult<Value> {
    a.at_most(3)?;
    let payload: ExecutionPayloadV3 = a.req(0)?;
    let hashes: Vec<B256> = a.req(1)?;
    let beacon_root: B256 = a.req(2)?;
    if !hashes.is_empty() {
        return invalid("expectedBlobVersionedHashes must be empty on an OP chain");
    }
    let claimed = payload.payload_inner.payload_inner.block_hash;
    let block = payload
        .into_block_raw()
        .map_err(|e| e.to_string())
        .map(|mut b| {
            b.header.parent_beacon_block_root = Some(beacon_root);
            b
        });
    submit(c, 3, block, claimed)
}

fn new_payload_v4(a: &Args, c: &EngineContext) -> EngineResult<Value> {
    a.at_most(4)?;
    let payload: OpExecutionPayloadV4 = a.req(0)?;
    let hashes: Vec<B256> = a.req(1)?;
    let beacon_root: B256 = a.req(2)?;
    let requests: Vec<Bytes> = a.req(3)?;
    if !hashes.is_empty() {
        return invalid("expectedBlobVersionedHashes must be empty on an OP chain");
    }
    if !requests.is_empty() {
        return invalid("executionRequests must be empty on an OP chain");
    }
    let claimed = payload.payload_inner.payload_inner.payload_inner.block_hash;
    let block = payload
        .into_block_raw()
        .map_err(|e| e.to_string())
        .map(|mut b| {
            b.header.parent_beacon_block_root = Some(beacon_root);
            b.header.requests_hash = Some(EMPTY_REQUESTS_HASH);
            b
        });
    submit(c, 4, block, claimed)
}
