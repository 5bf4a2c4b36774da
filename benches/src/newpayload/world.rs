//! The generated OP chain of the latency benchmark: a genesis (every fork through Isthmus at time 0, as
//! the node's tests and the kona e2e chain) with N funded filler accounts, T ERC-20 tokens (pevm's
//! `ERC20Token`) with H holders each, and a pool of signing senders; and the signed transactions of each
//! block, packed by gas limit up to the block's gas.
//!
//! ```text
//! OpWorld::generate -> genesis.json (alloc: fillers, tokens, senders, L1Block fee inputs)
//! OpWorld::block_txs(workload, gas, n) -> [L1-info deposit, signed EIP-1559 txs ...] (one tx per sender)
//! ```

use super::NewPayloadError;
use crate::synthetic::rng::Rng;
use crate::synthetic::workloads::{pevm_token, transfer_call};
use crate::world::{parevm_state, Account};
use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{address, Address, Bytes, Sealable, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use parevm_evm_core::{BlockEnv, CfgEnv, Env, SpecId};
use serde_json::{json, Map, Value};

/// Chain id of the generated chain.
pub const CHAIN_ID: u64 = 9_001;
/// The L1-info depositor.
pub const DEPOSITOR: Address = address!("deaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// The L1Block predeploy.
pub const L1_BLOCK: Address = address!("4200000000000000000000000000000000000015");
/// Gas limit of the L1-info deposit (it counts against the block's gas from Regolith on).
pub const DEPOSIT_GAS: u64 = 1_000_000;
/// Seconds between blocks.
pub const BLOCK_TIME: u64 = 2;
/// Gas of a plain value transfer (intrinsic gas).
const TRANSFER_GAS: u64 = 21_000;
/// Max fee per gas of every user transaction (the base fee starts at 1 gwei and rises about 2% per full
/// block under elasticity 6 and denominator 250).
const MAX_FEE: u128 = 100_000_000_000;
/// Priority fee.
const TIP: u128 = 1_000_000;

/// What each block's user transactions do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// ETH transfers to existing accounts.
    Transfers,
    /// ERC-20 `transfer(existing account, 1)` calls spread over the tokens.
    Erc20,
    /// Both, alternating.
    Mix,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 3] = [Workload::Transfers, Workload::Erc20, Workload::Mix];

    /// Its name (table row, CSV key, `--workloads`).
    pub fn name(self) -> &'static str {
        match self {
            Workload::Transfers => "transfers",
            Workload::Erc20 => "erc20",
            Workload::Mix => "mix",
        }
    }

    /// The workload called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// A sender: its key and address.
struct Sender {
    signer: PrivateKeySigner,
    address: Address,
    /// The token it holds (index into `tokens`).
    token: usize,
}

/// The generated world.
pub struct OpWorld {
    /// The genesis file's JSON.
    pub genesis: Value,
    fillers: Vec<Address>,
    tokens: Vec<Address>,
    senders: Vec<Sender>,
    /// Gas limit of an ERC-20 transfer to an account holding none (the dearest case), calibrated.
    erc20_gas: u64,
    rng: Rng,
}

fn setup(reason: impl Into<String>) -> NewPayloadError {
    NewPayloadError::Setup(reason.into())
}

fn hex_u256(v: U256) -> String {
    format!("{v:#x}")
}

impl OpWorld {
    /// `accounts` filler accounts, `tokens` tokens with `holders` filler holders each, and enough senders
    /// for a block of `max_gas` of plain transfers.
    pub fn generate(
        accounts: usize,
        tokens: usize,
        holders: usize,
        max_gas: u64,
    ) -> Result<Self, NewPayloadError> {
        let mut rng = Rng::new(0x1a7e_2026);
        let one_eth = U256::from(10u64).pow(U256::from(18u64));
        let fillers: Vec<Address> = (0..accounts.max(1)).map(|_| rng.address()).collect();
        let token_addresses: Vec<Address> = (0..tokens.max(1)).map(|_| rng.address()).collect();
        let count = (max_gas.saturating_sub(DEPOSIT_GAS) / TRANSFER_GAS + 1) as usize;
        let senders = (0..count)
            .map(|i| {
                let signer = PrivateKeySigner::from_bytes(&rng.b256())
                    .map_err(|e| setup(format!("sender key {i}: {e}")))?;
                Ok(Sender {
                    address: signer.address(),
                    signer,
                    token: i % token_addresses.len(),
                })
            })
            .collect::<Result<Vec<_>, NewPayloadError>>()?;

        let mut alloc = Map::new();
        let mut put = |a: &Account| {
            let mut entry = Map::new();
            entry.insert("balance".into(), json!(hex_u256(a.balance)));
            if a.nonce != 0 {
                entry.insert("nonce".into(), json!(format!("{:#x}", a.nonce)));
            }
            if !a.code.is_empty() {
                entry.insert("code".into(), json!(a.code));
                let storage: Map<String, Value> = a
                    .storage
                    .iter()
                    .map(|(k, v)| (format!("{k:#x}"), json!(format!("{v:#x}"))))
                    .collect();
                entry.insert("storage".into(), Value::Object(storage));
            }
            alloc.insert(format!("{:#x}", a.address), Value::Object(entry));
        };
        for f in &fillers {
            put(&Account::eoa(*f, one_eth, 1));
        }
        let mut token_accounts = Vec::with_capacity(token_addresses.len());
        for (t, token) in token_addresses.iter().enumerate() {
            let mut holding: Vec<Address> = (0..holders)
                .map(|_| fillers[rng.below(fillers.len() as u64) as usize])
                .collect();
            holding.extend(senders.iter().filter(|s| s.token == t).map(|s| s.address));
            let account = pevm_token(*token, "Latency Token", "LAT", &holding)?;
            put(&account);
            token_accounts.push(account);
        }
        let sender_balance = U256::from(1_000u64) * one_eth;
        for s in &senders {
            put(&Account::eoa(s.address, sender_balance, 0));
        }
        // The node tests' chain (parevm-testkit), with the L1Block fee inputs an L1-info deposit leaves.
        let genesis = parevm_testkit::op_genesis::isthmus_genesis(CHAIN_ID, alloc);

        // Calibrate the ERC-20 transfer's gas on the same token code and a recipient holding none.
        let sender = &senders[0];
        let probe_to = rng.address();
        let probe = erc20_tx(sender, &token_addresses, probe_to, 0, 1_000_000)?;
        let tx = parevm_op_stack_adapter::tx::decode_tx(0, &probe)?;
        let state = parevm_state(&[
            token_accounts[sender.token].clone(),
            Account::eoa(sender.address, sender_balance, 0),
        ]);
        let env = Env {
            cfg: CfgEnv::new(CHAIN_ID, SpecId::PRAGUE),
            block: BlockEnv {
                number: 1,
                timestamp: BLOCK_TIME,
                gas_limit: u64::MAX,
                prevrandao: Some(B256::ZERO),
                blob_basefee: Some(1),
                ..Default::default()
            },
            tx: tx.env,
        };
        let outcome = parevm_evm_core::execute_tx(&env, &state)
            .map_err(|e| setup(format!("calibrating the ERC-20 transfer: {e:?}")))?;
        if !outcome.status.is_success() {
            return Err(setup(format!(
                "the ERC-20 calibration transfer failed: {:?}",
                outcome.status
            )));
        }
        let erc20_gas = outcome.gas_used + outcome.gas_refunded;

        Ok(Self {
            genesis,
            fillers,
            tokens: token_addresses,
            senders,
            erc20_gas,
            rng,
        })
    }

    /// The calibrated gas limit of an ERC-20 transfer.
    pub fn erc20_gas(&self) -> u64 {
        self.erc20_gas
    }

    /// Block `number`'s transactions (the L1-info deposit first) for `workload`, packed by gas limit up to
    /// `gas_limit`; senders are used once each per block, so block `number` sends nonce `number - 1`.
    pub fn block_txs(
        &mut self,
        workload: Workload,
        gas_limit: u64,
        number: u64,
    ) -> Result<Vec<Bytes>, NewPayloadError> {
        let mut txs = vec![l1_info_deposit(number)];
        let mut gas = DEPOSIT_GAS;
        let nonce = number - 1;
        for (i, sender) in self.senders.iter().enumerate() {
            let erc20 = match workload {
                Workload::Transfers => false,
                Workload::Erc20 => true,
                Workload::Mix => i % 2 == 1,
            };
            let need = if erc20 { self.erc20_gas } else { TRANSFER_GAS };
            if gas + need > gas_limit {
                return Ok(txs);
            }
            gas += need;
            let to = self.fillers[self.rng.below(self.fillers.len() as u64) as usize];
            txs.push(if erc20 {
                erc20_tx(sender, &self.tokens, to, nonce, need)?
            } else {
                sign(sender, to, U256::from(1u8), Bytes::new(), nonce, need)?
            });
        }
        // Only reached when the senders run out before the gas does (the pool is sized for transfers).
        Err(setup(format!(
            "{} senders cannot fill {gas_limit} gas",
            self.senders.len()
        )))
    }
}

/// A signed EIP-1559 transaction.
fn sign(
    sender: &Sender,
    to: Address,
    value: U256,
    input: Bytes,
    nonce: u64,
    gas_limit: u64,
) -> Result<Bytes, NewPayloadError> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: MAX_FEE,
        max_priority_fee_per_gas: TIP,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input,
    };
    let sig = sender
        .signer
        .sign_hash_sync(&tx.signature_hash())
        .map_err(|e| setup(format!("signing: {e}")))?;
    Ok(Bytes::from(
        OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718(),
    ))
}

fn erc20_tx(
    sender: &Sender,
    tokens: &[Address],
    to: Address,
    nonce: u64,
    gas_limit: u64,
) -> Result<Bytes, NewPayloadError> {
    sign(
        sender,
        tokens[sender.token],
        U256::ZERO,
        transfer_call(to, U256::from(1u8)),
        nonce,
        gas_limit,
    )
}

/// An L1-info-like system deposit (tx 0 of every OP block), unique per block.
pub fn l1_info_deposit(number: u64) -> Bytes {
    let tx = TxDeposit {
        source_hash: B256::from(U256::from(number)),
        from: DEPOSITOR,
        to: TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit: DEPOSIT_GAS,
        is_system_transaction: false,
        input: Bytes::from(number.to_be_bytes().to_vec()),
    };
    Bytes::from(OpTxEnvelope::Deposit(tx.seal_slow()).encoded_2718())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_op_stack_adapter::tx::decode_tx;
    use std::collections::HashSet;

    #[test]
    fn blocks_start_with_the_deposit_and_pack_gas_limits_up_to_the_block() {
        let gas_limit = 3_000_000;
        let mut world = OpWorld::generate(10, 2, 3, gas_limit).expect("world");
        for workload in Workload::ALL {
            for number in [1u64, 2] {
                let txs = world.block_txs(workload, gas_limit, number).expect("txs");
                let decoded: Vec<_> = txs
                    .iter()
                    .enumerate()
                    .map(|(i, t)| decode_tx(i, t).expect("decodes"))
                    .collect();
                assert!(decoded[0].is_deposit(), "{workload:?}: deposit first");
                assert!(decoded[1..].iter().all(|t| !t.is_deposit()));
                let used: u64 = decoded.iter().map(|t| t.env.gas_limit).sum();
                assert!(used <= gas_limit, "{workload:?}: {used} > {gas_limit}");
                // Full: the next transaction (the dearest kind at most) would not fit.
                assert!(gas_limit - used < world.erc20_gas().max(TRANSFER_GAS));
                let senders: HashSet<Address> = decoded[1..].iter().map(|t| t.env.caller).collect();
                assert_eq!(senders.len(), decoded.len() - 1, "one tx per sender");
                assert!(decoded[1..].iter().all(|t| t.env.nonce == number - 1));
            }
        }
    }
}
