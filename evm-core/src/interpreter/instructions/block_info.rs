//! Block context: COINBASE, TIMESTAMP, NUMBER, DIFFICULTY/PREVRANDAO, GASLIMIT, CHAINID, BASEFEE,
//! BLOBHASH, BLOBBASEFEE. (BLOCKHASH reads state and lives in `host`.)

use crate::interpreter::stack::Sp;
use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::U256;

/// COINBASE
pub fn coinbase(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from_be_slice(ctx.env.block.beneficiary.as_slice()));
    Ctl::Continue
}

/// TIMESTAMP
pub fn timestamp(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(ctx.env.block.timestamp));
    Ctl::Continue
}

/// NUMBER
pub fn number(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(ctx.env.block.number));
    Ctl::Continue
}

/// DIFFICULTY, or PREVRANDAO from the merge on (EIP-4399).
pub fn difficulty(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let v = match (
        ctx.spec.is_enabled_in(crate::SpecId::MERGE),
        ctx.env.block.prevrandao,
    ) {
        (true, Some(r)) => U256::from_be_bytes(r.0),
        _ => ctx.env.block.difficulty,
    };
    sp.push(v);
    Ctl::Continue
}

/// GASLIMIT
pub fn gaslimit(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(ctx.env.block.gas_limit));
    Ctl::Continue
}

/// CHAINID (EIP-1344)
pub fn chainid(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(ctx.env.cfg.chain_id));
    Ctl::Continue
}

/// BASEFEE (EIP-3198)
pub fn basefee(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(ctx.env.block.basefee);
    Ctl::Continue
}

/// BLOBHASH (EIP-4844): the i-th versioned hash, zero when out of range.
pub fn blobhash(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let i = sp.top();
    let hashes = &ctx.env.tx.blob_hashes;
    *i = if *i < U256::from(hashes.len()) {
        U256::from_be_bytes(hashes[i.to::<usize>()].0)
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// BLOBBASEFEE (EIP-7516)
pub fn blobbasefee(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(ctx.env.block.blob_basefee.unwrap_or_default()));
    Ctl::Continue
}
