//! Engine-neutral descriptions of what a benchmark runs: accounts of a pre-state, transactions, and the
//! chain context; with the conversions into parevm's and revm's types, so both engines always get the same
//! inputs.

use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use parevm_evm_core::{BlockEnv, CfgEnv, Env, SpecId, TxEnv, KECCAK_EMPTY};
use parevm_state::InMemoryState;
use revm::context::{BlockEnv as RevmBlockEnv, TxEnv as RevmTxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, MainBuilder, MainContext};

/// revm's mainnet EVM over an in-memory database.
pub type RevmEvm = MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>;

/// An account of a benchmark pre-state.
#[derive(Clone, Debug)]
pub struct Account {
    /// Address.
    pub address: Address,
    /// Balance.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code.
    pub code: Bytes,
    /// Storage.
    pub storage: Vec<(U256, U256)>,
}

impl Account {
    /// A contract with code and storage, nonce 1 and no balance.
    pub fn contract(address: Address, code: Bytes, storage: Vec<(U256, U256)>) -> Self {
        Self {
            address,
            balance: U256::ZERO,
            nonce: 1,
            code,
            storage,
        }
    }

    /// An account without code.
    pub fn eoa(address: Address, balance: U256, nonce: u64) -> Self {
        Self {
            address,
            balance,
            nonce,
            code: Bytes::new(),
            storage: Vec::new(),
        }
    }
}

/// A legacy transaction, sender already known.
#[derive(Clone, Debug)]
pub struct Tx {
    /// Sender.
    pub caller: Address,
    /// Call target, `None` for a creation.
    pub to: Option<Address>,
    /// Value sent.
    pub value: U256,
    /// Calldata or init code.
    pub data: Bytes,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas price.
    pub gas_price: u128,
    /// Sender nonce.
    pub nonce: u64,
}

impl Tx {
    fn kind(&self) -> TxKind {
        self.to.map_or(TxKind::Create, TxKind::Call)
    }
}

/// The fork and block every transaction of a benchmark runs in: base fee 0, gas limit `u64::MAX`,
/// PREVRANDAO 0, blob base fee 1.
#[derive(Clone, Copy, Debug)]
pub struct Chain {
    /// Fork.
    pub spec: SpecId,
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// Fee recipient.
    pub coinbase: Address,
}

impl Chain {
    /// parevm's environment for `tx`.
    pub fn parevm_env(&self, tx: &Tx) -> Env {
        let block = BlockEnv {
            number: self.number,
            beneficiary: self.coinbase,
            timestamp: self.timestamp,
            gas_limit: u64::MAX,
            prevrandao: Some(Default::default()),
            blob_basefee: Some(1),
            ..Default::default()
        };
        let tx = TxEnv {
            tx_type: 0,
            caller: tx.caller,
            gas_limit: tx.gas_limit,
            gas_price: U256::from(tx.gas_price),
            kind: tx.kind(),
            value: tx.value,
            data: tx.data.clone(),
            nonce: tx.nonce,
            chain_id: Some(1),
            ..Default::default()
        };
        Env {
            cfg: CfgEnv::new(1, self.spec),
            block,
            tx,
        }
    }

    /// revm's mainnet EVM over `db`, configured for this chain.
    pub fn revm_evm(&self, db: CacheDB<EmptyDB>) -> RevmEvm {
        let block = RevmBlockEnv {
            number: U256::from(self.number),
            beneficiary: self.coinbase,
            timestamp: U256::from(self.timestamp),
            gas_limit: u64::MAX,
            prevrandao: Some(Default::default()),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice {
                excess_blob_gas: 0,
                blob_gasprice: 1,
            }),
            ..Default::default()
        };
        let spec = self.spec;
        Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|c| {
                c.set_spec_and_mainnet_gas_params(spec);
                c.chain_id = 1;
            })
            .with_block(block)
            .build_mainnet()
    }
}

/// revm's transaction for `tx`.
pub fn revm_tx(tx: &Tx) -> RevmTxEnv {
    RevmTxEnv {
        tx_type: 0,
        caller: tx.caller,
        gas_limit: tx.gas_limit,
        gas_price: tx.gas_price,
        kind: tx.kind(),
        value: tx.value,
        data: tx.data.clone(),
        nonce: tx.nonce,
        chain_id: Some(1),
        ..Default::default()
    }
}

/// parevm's in-memory state holding `accounts` (code analysed once here).
pub fn parevm_state(accounts: &[Account]) -> InMemoryState {
    let mut state = InMemoryState::new();
    for a in accounts {
        state.insert_account(
            a.address,
            a.balance,
            a.nonce,
            a.code.clone(),
            a.storage.iter().copied(),
        );
    }
    state
}

/// revm's in-memory database holding `accounts` (code analysed once here).
pub fn revm_db(accounts: &[Account]) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::<EmptyDB>::default();
    for a in accounts {
        let code_hash = if a.code.is_empty() {
            KECCAK_EMPTY
        } else {
            keccak256(&a.code)
        };
        let info = AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash,
            code: Some(Bytecode::new_raw(a.code.clone())),
            ..Default::default()
        };
        db.insert_account_info(a.address, info);
        for (k, v) in &a.storage {
            // EmptyDB never fails.
            let _ = db.insert_account_storage(a.address, *k, *v);
        }
    }
    db
}
