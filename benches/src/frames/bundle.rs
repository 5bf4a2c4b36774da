//! `bundle_4337`: one transaction of an ERC-4337-style entry point running 16 independent user
//! operations. Each operation's account checks its owner's ECDSA signature (the `ecrecover`
//! precompile), the entry point bumps its nonce and charges its deposit, and the account calls an ERC-20
//! `transfer` of its own tokens to a fresh recipient; the bundler collects the fees at the end.
//! The contracts are `benches/data/bundle/Bundle.sol` (ours), compiled with solc-js by `compile.js` there.

use super::workloads::sender;
use crate::error::BenchError;
use crate::synthetic::rng::Rng;
use crate::synthetic::storage::{map, word};
use crate::synthetic::workloads::{pevm_token, transfer_call, Workload, CHAIN};
use crate::world::{Account, Tx};
use alloy_primitives::{hex, keccak256, Address, Bytes, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall};

const ENTRY_POINT_RUNTIME: &str = include_str!("../../data/bundle/entry_point_runtime.hex");
const ACCOUNT_RUNTIME: &str = include_str!("../../data/bundle/account_runtime.hex");

sol! {
    /// `Bundle.sol`'s user operation.
    struct UserOp {
        address sender;
        uint256 nonce;
        bytes callData;
        uint256 fee;
        bytes signature;
    }
    /// The entry point: validate and run each operation, pay the bundler.
    function handleOps(UserOp[] ops, address beneficiary) external;
    /// The account: call `target` with `data`.
    function execute(address target, bytes data) external;
}

/// The chain id the benchmark chain runs with (`world::Chain`).
const CHAIN_ID: u64 = 1;

/// Builds the bundle of `n` user operations.
pub fn bundle_4337(n: usize) -> Result<Workload, BenchError> {
    let setup = |reason: String| BenchError::Setup {
        case: "bundle_4337".into(),
        reason,
    };
    let decode = |name: &str, text: &str| {
        hex::decode(text.trim()).map_err(|e| setup(format!("benches/data/bundle/{name}: {e}")))
    };
    let entry_code = decode("entry_point_runtime.hex", ENTRY_POINT_RUNTIME)?;
    let account_code = decode("account_runtime.hex", ACCOUNT_RUNTIME)?;
    let mut rng = Rng::new(0x4337);
    let (bundler, beneficiary, entry, token) =
        (rng.address(), rng.address(), rng.address(), rng.address());
    let e18 = U256::from(10u64).pow(U256::from(18u64));
    let fee = U256::from(10u64).pow(U256::from(15u64));
    let mut accounts = vec![Account::eoa(Address::ZERO, U256::ZERO, 0), sender(bundler)];
    let mut entry_storage = Vec::new();
    let mut holders = Vec::new();
    let mut ops = Vec::with_capacity(n);
    for i in 0..n {
        let owner = PrivateKeySigner::from_bytes(&rng.b256())
            .map_err(|e| setup(format!("owner key {i}: {e}")))?;
        let account = rng.address();
        // `deposits[account]` (slot 1) holds 1 ETH; the entry point holds the ETH.
        entry_storage.push((map(U256::from(1u8), &[word(account)]), e18));
        accounts.push(Account::contract(
            account,
            account_code.clone().into(),
            vec![
                (U256::ZERO, word(owner.address())),
                (U256::from(1u8), word(entry)),
            ],
        ));
        holders.push(account);
        let call_data: Bytes = executeCall {
            target: token,
            data: transfer_call(rng.address(), U256::from(1 + rng.below(1000))),
        }
        .abi_encode()
        .into();
        let nonce = U256::ZERO;
        // `opHash`: keccak256(abi.encode(sender, nonce, keccak256(callData), fee, entryPoint, chainid)).
        let mut enc = Vec::with_capacity(6 * 32);
        enc.extend(word(account).to_be_bytes::<32>());
        enc.extend(nonce.to_be_bytes::<32>());
        enc.extend(keccak256(&call_data).0);
        enc.extend(fee.to_be_bytes::<32>());
        enc.extend(word(entry).to_be_bytes::<32>());
        enc.extend(U256::from(CHAIN_ID).to_be_bytes::<32>());
        let hash = keccak256(&enc);
        let sig = owner
            .sign_hash_sync(&hash)
            .map_err(|e| setup(format!("signing operation {i}: {e}")))?;
        let mut signature = Vec::with_capacity(65);
        signature.extend(sig.r().to_be_bytes::<32>());
        signature.extend(sig.s().to_be_bytes::<32>());
        signature.push(27 + sig.v() as u8);
        ops.push(UserOp {
            sender: account,
            nonce,
            callData: call_data,
            fee,
            signature: signature.into(),
        });
    }
    let mut entry_account = Account::contract(entry, entry_code.into(), entry_storage);
    entry_account.balance = e18 * U256::from(n as u64);
    accounts.push(entry_account);
    accounts.push(pevm_token(token, "Gold Token", "GLD", &holders)?);
    Ok(Workload {
        name: "bundle_4337",
        chain: CHAIN,
        accounts,
        txs: vec![Tx {
            caller: bundler,
            to: Some(entry),
            value: U256::ZERO,
            data: handleOpsCall { ops, beneficiary }.abi_encode().into(),
            gas_limit: 3_000_000,
            gas_price: 1_000_000_000,
            nonce: 0,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::suite::prepare;
    use parevm_evm_core::ExecStatus;
    use parevm_parallel_commit::execute_sequential;

    #[test]
    fn every_user_operation_passes_its_signature_check_and_transfers() {
        let w = bundle_4337(16).expect("the bundle builds");
        let p = prepare(&w);
        let results = execute_sequential(&p.envs, &p.state);
        let out = results[0].as_ref().expect("the bundle is valid");
        assert_eq!(out.status, ExecStatus::Success);
        let done = keccak256("UserOpDone(address,uint256,bool)");
        let transfer = keccak256("Transfer(address,address,uint256)");
        let succeeded = out
            .logs
            .iter()
            .filter(|l| l.topics().first() == Some(&done) && l.data.data.last() == Some(&1))
            .count();
        let transfers = out
            .logs
            .iter()
            .filter(|l| l.topics().first() == Some(&transfer))
            .count();
        assert_eq!((succeeded, transfers), (16, 16));
    }
}
