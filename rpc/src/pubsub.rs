//! `eth_subscribe` over WebSocket: `newHeads`, `logs` (with a filter) and `newPendingTransactions`, fed from
//! the chain's broadcast of new blocks and pool arrivals. A subscriber that falls behind skips what it
//! missed instead of holding memory; a closed connection ends its subscriptions.

use crate::context::RpcContext;
use crate::convert;
use crate::error::RpcError;
use crate::filters::block_logs;
use crate::params::Args;
use alloy_primitives::hex;
use alloy_rpc_types_eth::Filter;
use jsonrpsee::core::traits::IdProvider;
use jsonrpsee::types::SubscriptionId;
use jsonrpsee::{PendingSubscriptionSink, RpcModule, SubscriptionMessage};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Subscription ids as anvil gives them: `0x` and 32 hex digits.
#[derive(Debug, Default)]
pub struct HexIdProvider(AtomicU64);

impl IdProvider for HexIdProvider {
    fn next_id(&self) -> SubscriptionId<'static> {
        // ORDERING: the counter only has to be unique; no other memory depends on it.
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        let digest = alloy_primitives::keccak256(n.to_be_bytes());
        SubscriptionId::Str(format!("0x{}", hex::encode(&digest[..16])).into())
    }
}

enum Kind {
    Heads,
    Logs(Box<Filter>),
    Pending,
}

fn parse(params: &jsonrpsee::types::Params<'_>) -> Result<Kind, RpcError> {
    let a = Args::new(params)?;
    let name: String = a.req(0)?;
    match name.as_str() {
        "newHeads" => Ok(Kind::Heads),
        "logs" => Ok(Kind::Logs(Box::new(a.opt(1)?.unwrap_or_default()))),
        "newPendingTransactions" => Ok(Kind::Pending),
        other => Err(RpcError::InvalidParams(format!(
            "unknown subscription kind {other:?}"
        ))),
    }
}

async fn send<T: Serialize>(sink: &jsonrpsee::SubscriptionSink, v: &T) -> bool {
    let Ok(msg) = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), v) else {
        return false;
    };
    sink.send(msg).await.is_ok()
}

async fn run(pending: PendingSubscriptionSink, ctx: Arc<RpcContext>, kind: Kind) {
    let mut blocks = ctx.chain.subscribe_blocks();
    let mut txs = ctx.chain.subscribe_pending();
    let Ok(sink) = pending.accept().await else {
        return;
    };
    loop {
        let alive = tokio::select! {
            _ = sink.closed() => false,
            r = txs.recv(), if matches!(kind, Kind::Pending) => match r {
                Ok(h) => send(&sink, &h).await,
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => false,
            },
            r = blocks.recv(), if !matches!(kind, Kind::Pending) => match r {
                Ok(b) => match &kind {
                    Kind::Logs(f) => {
                        let mut ok = true;
                        for log in block_logs(&b, f) {
                            ok &= send(&sink, &log).await;
                        }
                        ok
                    }
                    _ => send(&sink, &convert::header(&b)).await,
                },
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => false,
            },
        };
        if !alive {
            return;
        }
    }
}

/// Registers `eth_subscribe` / `eth_unsubscribe`.
pub fn register(m: &mut RpcModule<RpcContext>) {
    let r = m.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, ctx, _| async move {
            match parse(&params) {
                Ok(kind) => run(pending, ctx, kind).await,
                Err(e) => pending.reject(e).await,
            }
        },
    );
    debug_assert!(r.is_ok());
}
