//! Block context: COINBASE, TIMESTAMP, NUMBER, DIFFICULTY/PREVRANDAO, GASLIMIT, CHAINID, BASEFEE,
//! BLOBHASH, BLOBBASEFEE. (BLOCKHASH reads state and lives in `host`.)

use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::U256;

/// COINBASE
pub fn coinbase(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    f.stack
        .push(U256::from_be_slice(ctx.env.block.beneficiary.as_slice()));
    Ctl::Continue
}

/// TIMESTAMP
pub fn timestamp(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    f.stack.push(U256::from(ctx.env.block.timestamp));
    Ctl::Continue
}

/// NUMBER
pub fn number(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    f.stack.push(U256::from(ctx.env.block.number));
    Ctl::Continue
}

/// DIFFICULTY, or PREVRANDAO from the merge on (EIP-4399).
pub fn difficulty(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let v = match (
        ctx.spec.is_enabled_in(crate::SpecId::MERGE),
        ctx.env.block.prevrandao,
    ) {
        (true, Some(r)) => U256::from_be_bytes(r.0),
        _ => ctx.env.block.difficulty,
    };
    f.stack.push(v);
    Ctl::Continue
}

/// GASLIMIT
pub fn gaslimit(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    f.stack.push(U256::from(ctx.env.block.gas_limit));
    Ctl::Continue
}

/// CHAINID (EIP-1344)
pub fn chainid(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    f.stack.push(U256::from(ctx.env.cfg.chain_id));
    Ctl::Continue
}

/// BASEFEE (EIP-3198)
pub fn basefee(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    f.stack.push(ctx.env.block.basefee);
    Ctl::Continue
}

/// BLOBHASH (EIP-4844): the i-th versioned hash, zero when out of range.
pub fn blobhash(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let i = f.stack.top();
    let hashes = &ctx.env.tx.blob_hashes;
    *i = if *i < U256::from(hashes.len()) {
        U256::from_be_bytes(hashes[i.to::<usize>()].0)
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// BLOBBASEFEE (EIP-7516)
pub fn blobbasefee(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    f.stack
        .push(U256::from(ctx.env.block.blob_basefee.unwrap_or_default()));
    Ctl::Continue
}
