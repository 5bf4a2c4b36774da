//! anvil's ERC-20 cheats: `anvil_dealERC20(owner, token, amount)` sets `owner`'s token balance and
//! `anvil_setERC20Allowance(owner, spender, token, amount)` an allowance, for any token whose getter
//! (`balanceOf`, `allowance`) reads its answer from one storage slot.
//!
//! ```text
//! getter call -> the token's storage slots it read, in order -> for each: set it to `amount`, call again
//!   -> the getter answers `amount`: kept (done) | otherwise: the slot's old value put back, next slot
//! ```
//! Nothing else is changed; a token whose getter reads no slot that moves its answer is refused with
//! anvil's message ("no slot found").

use crate::methods::DevCtx;
use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;
use parevm_evm_core::Location;
use parevm_rpc::eth::exec::{call_context, call_tx};
use parevm_rpc::{RpcError, RpcResult};

/// `balanceOf(address)`.
const BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
/// `allowance(address,address)`.
const ALLOWANCE: [u8; 4] = [0xdd, 0x62, 0xed, 0x3e];

/// The getter's call data: its selector and the addresses as words.
fn getter(selector: [u8; 4], args: &[Address]) -> Bytes {
    let mut data = selector.to_vec();
    for a in args {
        data.extend_from_slice(a.into_word().as_slice());
    }
    data.into()
}

/// Runs the getter on the head state: its answer (when it returned one word) and the token slots it read.
fn ask(c: &DevCtx, token: Address, data: &Bytes) -> RpcResult<(Option<U256>, Vec<U256>)> {
    let req = TransactionRequest::default()
        .to(token)
        .input(data.clone().into());
    let (number, block, cap) = call_context(&c.rpc, None)?;
    let tx = call_tx(&c.rpc, &req, number, cap)?;
    let out = c.dev.chain.call(tx, number, block)?;
    let answer = (out.status.is_success() && out.output.len() == 32)
        .then(|| U256::from_be_slice(&out.output));
    let mut slots = Vec::new();
    for (loc, _) in &out.reads {
        if let Location::Storage(a, s) = loc {
            if *a == token && !slots.contains(s) {
                slots.push(*s);
            }
        }
    }
    Ok((answer, slots))
}

/// Sets the slot behind `token`'s getter answer to `amount`; `what` names it in the refusal.
fn set_through_getter(
    c: &DevCtx,
    token: Address,
    data: Bytes,
    amount: U256,
    what: &str,
) -> RpcResult<()> {
    let (_, slots) = ask(c, token, &data)?;
    for slot in slots {
        let old = c
            .dev
            .chain
            .read_state(c.dev.chain.head().number(), |s| s.storage(token, slot))??;
        c.dev.set_storage(token, slot, amount)?;
        if ask(c, token, &data)?.0 == Some(amount) {
            return Ok(());
        }
        c.dev.set_storage(token, slot, old)?;
    }
    Err(RpcError::Internal(format!(
        "Unable to set ERC20 {what}, no slot found"
    )))
}

/// `anvil_dealERC20(owner, token, amount)`.
pub fn deal(c: &DevCtx, owner: Address, token: Address, amount: U256) -> RpcResult<()> {
    set_through_getter(c, token, getter(BALANCE_OF, &[owner]), amount, "balance")
}

/// `anvil_setERC20Allowance(owner, spender, token, amount)`.
pub fn set_allowance(
    c: &DevCtx,
    owner: Address,
    spender: Address,
    token: Address,
    amount: U256,
) -> RpcResult<()> {
    set_through_getter(
        c,
        token,
        getter(ALLOWANCE, &[owner, spender]),
        amount,
        "allowance",
    )
}
