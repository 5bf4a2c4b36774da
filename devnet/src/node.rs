//! The devnet: the chain service plus what anvil adds around it: dev accounts, impersonation, the clock,
//! mining modes (automine, interval, manual), per-block overrides, snapshots. It is the RPC [`Driver`].
//!
//! ```text
//! eth_sendTransaction -> Driver::sign_transaction (dev key | impersonated) -> pool -> Driver::submitted
//!                                                                       automine: mine_blocks(1)
//! interval task ------------------------------------------------------> mine_blocks(1) every N s
//! mine_blocks: BlockParams from clock + overrides -> Chain::mine -> one log line per block
//! ```

use crate::accounts::{impersonated, DevAccounts};
use crate::clock::Clock;
use crate::genesis::{forked_state, genesis_state};
use alloy_consensus::TypedTransaction;
use alloy_primitives::map::{HashMap, HashSet};
use alloy_primitives::{keccak256, Address, Bytes, Signature, B256, U256};
use parevm_chain::{
    Added, BlockParams, Chain, ChainConfig, ChainError, ChainSnapshot, PoolTx, SharedBlock,
};
use parevm_rpc::eth::send::{pool_tx_from_envelope, pool_tx_with_sender};
use parevm_rpc::{Driver, RpcError, RpcResult};
use parevm_state::InMemoryState;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How blocks are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mining {
    /// One block per arriving transaction (anvil's default).
    Auto,
    /// A block every interval, with or without transactions.
    Interval(Duration),
    /// Only on `evm_mine` / `anvil_mine`.
    Manual,
}

/// Where `anvil_reset` forks: a node (`None`: the one forked now) and its block (`None`: its newest).
#[derive(Clone, Debug, Default)]
pub struct ForkTarget {
    /// The node's JSON-RPC URL.
    pub url: Option<String>,
    /// The block to fork at.
    pub block: Option<u64>,
}

/// Everything `parevm dev` is started with.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Chain id, fork, gas limit, base fee, order, threads.
    pub chain: ChainConfig,
    /// Number of dev accounts.
    pub accounts: usize,
    /// Balance of each dev account in wei.
    pub balance: U256,
    /// Mnemonic the accounts derive from.
    pub mnemonic: String,
    /// Derivation path prefix.
    pub derivation_path: String,
    /// Mining mode.
    pub mining: Mining,
    /// Every sender is impersonated (`--auto-impersonate`).
    pub auto_impersonate: bool,
    /// Genesis timestamp (now when unset).
    pub genesis_timestamp: Option<u64>,
    /// Print a line per mined block.
    pub log_blocks: bool,
    /// Keep the chain in this folder (`--datadir`): resumed from it when it holds one.
    pub datadir: Option<std::path::PathBuf>,
    /// Put the CREATE2 deployer at its usual address in genesis (anvil's default; `--no-create2` off).
    pub create2_deployer: bool,
    /// Blocks the `safe` tag trails the head (`finalized`: twice as many), anvil's `--slots-in-an-epoch`.
    pub slots_in_an_epoch: u64,
    /// Accounts of a genesis file (`--init`), laid over the dev accounts in genesis.
    pub init_alloc: Arc<std::collections::BTreeMap<Address, parevm_block::genesis::GenesisAccount>>,
    /// Another chain to fork at one of its blocks (`--fork-url`): the chain's first block is that block and
    /// its state reads from that chain where the devnet has not written. `chain.genesis_number` must be
    /// the block's number.
    pub fork: Option<Arc<crate::fork::ForkStart>>,
    /// How to talk to a forked node (`--fork-header`, `--timeout`, `--retries`): for `anvil_reset` to fork
    /// again.
    pub fork_client: crate::fork::ForkClient,
}

impl Default for DevnetOptions {
    /// anvil's defaults: chain 31337, 10 accounts of 10,000 ETH from the test mnemonic, automine, the
    /// chain in memory, genesis at the current time, no block lines.
    fn default() -> Self {
        Self {
            chain: ChainConfig::default(),
            accounts: 10,
            balance: U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64)),
            mnemonic: crate::accounts::DEFAULT_MNEMONIC.into(),
            derivation_path: crate::accounts::DEFAULT_DERIVATION_PATH.into(),
            mining: Mining::Auto,
            auto_impersonate: false,
            genesis_timestamp: None,
            log_blocks: false,
            datadir: None,
            create2_deployer: true,
            slots_in_an_epoch: 32,
            init_alloc: Arc::default(),
            fork: None,
            fork_client: crate::fork::ForkClient::default(),
        }
    }
}

/// Overrides for the next block(s).
#[derive(Clone, Debug)]
struct Overrides {
    gas_limit: u64,
    coinbase: Address,
    next_base_fee: Option<u64>,
}

/// A saved devnet: chain and clock.
struct Saved {
    chain: ChainSnapshot,
    clock: Clock,
}

/// The devnet.
pub struct Devnet {
    /// The chain service.
    pub chain: Arc<Chain>,
    /// Start options (for `anvil_reset`).
    pub options: DevnetOptions,
    accounts: DevAccounts,
    clock: Mutex<Clock>,
    automine: AtomicBool,
    interval: Mutex<Option<(Duration, tokio::task::JoinHandle<()>)>>,
    overrides: Mutex<Overrides>,
    impersonated: Mutex<HashSet<Address>>,
    auto_impersonate: AtomicBool,
    snapshots: Mutex<(u64, HashMap<u64, Saved>)>,
    /// Serializes mining so automine, interval and manual blocks never interleave.
    mining: Mutex<()>,
    /// The process is stopping: a run of blocks (`anvil_mine` of millions) ends at the next block instead
    /// of holding the shutdown until it is done.
    stopping: AtomicBool,
    /// Print a line per mined block (`--silent` off; `anvil_setLoggingEnabled`).
    logging: AtomicBool,
    /// The chain forked now: `options.fork` until `anvil_reset` forks another block or chain.
    fork: Mutex<Option<Arc<crate::fork::ForkStart>>>,
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("chain", &self.chain)
            .finish()
    }
}

impl Devnet {
    /// Builds the devnet (the interval miner starts with [`Devnet::start_interval`] inside a runtime).
    pub fn new(
        options: DevnetOptions,
        state: Option<InMemoryState>,
    ) -> Result<Arc<Self>, crate::DevnetError> {
        let accounts = DevAccounts::from_mnemonic(
            &options.mnemonic,
            &options.derivation_path,
            options.accounts,
        )?;
        // A new chain's clock starts at its genesis time; a resumed one runs on the wall clock.
        let mut clock = Clock::starting_at(options.genesis_timestamp);
        if let Some(fork) = &options.fork {
            if options.datadir.is_some() || state.is_some() {
                return Err(crate::DevnetError::Fork(
                    "a forked chain starts from the fork; it cannot be resumed from a datadir or a state file"
                        .into(),
                ));
            }
            let state = forked_state(&options, &accounts.addresses(), fork.source.clone())
                .map_err(|e| crate::DevnetError::Fork(e.to_string()))?;
            let chain = Chain::forked(options.chain.clone(), state, fork.header.clone());
            return Ok(Self::assemble(options, accounts, clock, chain));
        }
        let state = state.unwrap_or_else(|| genesis_state(&options, &accounts.addresses()));
        let ts = options.genesis_timestamp.unwrap_or_else(crate::clock::now);
        let chain = match &options.datadir {
            None => Chain::new(options.chain.clone(), state, ts),
            Some(dir) => {
                let dd = crate::datadir::Datadir::open(dir, options.chain.chain_id)?;
                let chain = match dd.recover()? {
                    Some(r) => {
                        clock = Clock::default();
                        Chain::restore(options.chain.clone(), r.state, r.blocks)?
                    }
                    None => Chain::new(options.chain.clone(), state, ts),
                };
                chain.set_journal(Arc::new(dd))?;
                chain
            }
        };
        Ok(Self::assemble(options, accounts, clock, chain))
    }

    fn assemble(
        options: DevnetOptions,
        accounts: DevAccounts,
        clock: Clock,
        chain: Arc<Chain>,
    ) -> Arc<Self> {
        Arc::new(Self {
            overrides: Mutex::new(Overrides {
                gas_limit: options.chain.gas_limit,
                coinbase: options.chain.coinbase,
                next_base_fee: None,
            }),
            automine: AtomicBool::new(options.mining == Mining::Auto),
            auto_impersonate: AtomicBool::new(options.auto_impersonate),
            chain,
            accounts,
            clock: Mutex::new(clock),
            interval: Mutex::new(None),
            impersonated: Mutex::new(HashSet::default()),
            snapshots: Mutex::new((0, HashMap::default())),
            mining: Mutex::new(()),
            stopping: AtomicBool::new(false),
            logging: AtomicBool::new(options.log_blocks),
            fork: Mutex::new(options.fork.clone()),
            options,
        })
    }

    /// The dev accounts.
    pub fn accounts(&self) -> &DevAccounts {
        &self.accounts
    }

    /// The clock, for dev methods.
    pub fn clock(&self) -> parking_lot::MutexGuard<'_, Clock> {
        self.clock.lock()
    }

    /// True when automining.
    pub fn automine(&self) -> bool {
        // ORDERING: a flag read on its own; no data is published through it.
        self.automine.load(Ordering::Relaxed)
    }

    /// Turns automine on or off.
    pub fn set_automine(&self, on: bool) {
        // ORDERING: as in `automine`.
        self.automine.store(on, Ordering::Relaxed);
    }

    /// Starts (or with `None` stops) mining a block every `every`.
    pub fn set_interval(self: &Arc<Self>, every: Option<Duration>) {
        let mut slot = self.interval.lock();
        if let Some((_, task)) = slot.take() {
            task.abort();
        }
        let Some(every) = every.filter(|d| !d.is_zero()) else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("interval mining needs a runtime; not started");
            return;
        };
        // An interval too long for the clock to reach (`evm_setIntervalMining(2^64 - 1)`) mines nothing:
        // the task waits for ever rather than overflowing the first deadline.
        let first = tokio::time::Instant::now().checked_add(every);
        let me = Arc::downgrade(self);
        let task = rt.spawn(async move {
            let Some(first) = first else {
                return std::future::pending::<()>().await;
            };
            let mut tick = tokio::time::interval_at(first, every);
            loop {
                tick.tick().await;
                let Some(dev) = me.upgrade() else { return };
                let r = tokio::task::spawn_blocking(move || dev.mine_blocks(1, None)).await;
                if let Ok(Err(e)) = r {
                    tracing::error!("interval mining failed: {e}");
                }
            }
        });
        *slot = Some((every, task));
    }

    /// The interval in force, if any.
    pub fn interval(&self) -> Option<Duration> {
        self.interval.lock().as_ref().map(|(d, _)| *d)
    }

    /// Sets the gas limit of the next blocks.
    pub fn set_gas_limit(&self, gas: u64) {
        self.overrides.lock().gas_limit = gas;
    }

    /// Sets the fee recipient of the next blocks.
    pub fn set_coinbase(&self, a: Address) {
        self.overrides.lock().coinbase = a;
    }

    /// Sets the base fee of the next block.
    pub fn set_next_base_fee(&self, fee: u64) {
        self.overrides.lock().next_base_fee = Some(fee);
    }

    /// Impersonates `a` (or stops).
    pub fn impersonate(&self, a: Address, on: bool) {
        let mut set = self.impersonated.lock();
        if on {
            set.insert(a);
        } else {
            set.remove(&a);
        }
    }

    /// Impersonates every sender (or stops).
    pub fn set_auto_impersonate(&self, on: bool) {
        // ORDERING: a flag read on its own.
        self.auto_impersonate.store(on, Ordering::Relaxed);
    }

    fn impersonating(&self, a: &Address) -> bool {
        // ORDERING: a flag read on its own.
        self.auto_impersonate.load(Ordering::Relaxed) || self.impersonated.lock().contains(a)
    }

    fn params_after(&self, parent: &SharedBlock, timestamp: Option<u64>) -> BlockParams {
        let o = self.overrides.lock().clone();
        let base_fee = o
            .next_base_fee
            .unwrap_or_else(|| self.chain.base_fee_after(parent));
        let ts = timestamp.unwrap_or_else(|| self.clock.lock().peek(parent.header.timestamp));
        BlockParams {
            timestamp: ts,
            beneficiary: o.coinbase,
            gas_limit: o.gas_limit,
            base_fee,
            prevrandao: keccak256([parent.hash.as_slice(), &ts.to_be_bytes()].concat()),
            extra_data: Bytes::new(),
            parent_beacon_block_root: B256::ZERO,
        }
    }

    /// Turns the line per mined block on or off (`anvil_setLoggingEnabled`).
    pub fn set_logging(&self, on: bool) {
        self.logging.store(on, Ordering::Relaxed);
    }

    /// Stops mining for good: a run of blocks in progress ends after its current block, and no block is
    /// mined after (called when the process is asked to stop).
    pub fn stop_mining(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Mines `n` blocks (fewer once [`Devnet::stop_mining`] was called); with `interval`, each block's
    /// timestamp is `interval` seconds after its parent's.
    pub fn mine_blocks(
        &self,
        n: u64,
        interval: Option<u64>,
    ) -> Result<Vec<SharedBlock>, ChainError> {
        let _guard = self.mining.lock();
        let mut out = Vec::with_capacity(n.min(1024) as usize);
        for _ in 0..n {
            if self.stopping.load(Ordering::Acquire) {
                break;
            }
            out.push(self.mine_one(interval, None)?);
        }
        Ok(out)
    }

    /// One block after the head, with the pool's best or exactly `txs`; the mining lock is the caller's.
    fn mine_one(
        &self,
        interval: Option<u64>,
        txs: Option<Vec<Arc<PoolTx>>>,
    ) -> Result<SharedBlock, ChainError> {
        let parent = self.chain.head();
        let ts = interval.map(|i| parent.header.timestamp.saturating_add(i));
        let params = self.params_after(&parent, ts);
        let started = std::time::Instant::now();
        let mined = self.chain.mine_with(&params, txs)?;
        self.overrides.lock().next_base_fee = None;
        {
            let mut clock = self.clock.lock();
            clock.mined(params.timestamp);
            if interval.is_some() {
                clock.set_time(params.timestamp);
            }
        }
        if self.logging.load(Ordering::Relaxed) {
            let b = &mined.block;
            // A closed stdout (`parevm dev | head`, a supervisor gone) must not fail the block: the line is
            // dropped (`println!` would panic in the method that mined it).
            use std::io::Write;
            let _ = writeln!(
                std::io::stdout().lock(),
                "Block {} | {} txs | {} gas | {:.2} ms | {}",
                b.number(),
                b.txs.len(),
                b.header.gas_used,
                started.elapsed().as_secs_f64() * 1e3,
                b.hash
            );
        }
        Ok(mined.block)
    }

    /// `anvil_reorg`: the newest `per_block.len()` blocks taken off and as many mined in their place, block
    /// `i` with exactly the transactions `per_block[i]`.
    pub fn reorg(&self, per_block: Vec<Vec<Arc<PoolTx>>>) -> Result<(), ChainError> {
        let _guard = self.mining.lock();
        self.chain.rollback(per_block.len() as u64)?;
        for txs in per_block {
            self.mine_one(None, Some(txs))?;
        }
        Ok(())
    }

    /// Saves the chain and clock; returns the snapshot id.
    pub fn snapshot(&self) -> u64 {
        let saved = Saved {
            chain: self.chain.snapshot(),
            clock: self.clock.lock().clone(),
        };
        let mut s = self.snapshots.lock();
        let id = s.0;
        s.0 += 1;
        s.1.insert(id, saved);
        id
    }

    /// Returns to snapshot `id` (usable once; later snapshots are dropped too). False for an unknown id.
    pub fn revert(&self, id: u64) -> bool {
        let _guard = self.mining.lock();
        let mut s = self.snapshots.lock();
        let Some(saved) = s.1.remove(&id) else {
            return false;
        };
        s.1.retain(|k, _| *k < id);
        drop(s);
        self.chain.revert(saved.chain);
        *self.clock.lock() = saved.clock;
        true
    }

    /// Sets one storage slot of the head state outside any block (`anvil_setStorageAt`, the ERC-20 cheats);
    /// a forked account is copied from the fork first.
    pub fn set_storage(
        &self,
        address: Address,
        slot: U256,
        value: U256,
    ) -> Result<(), parevm_evm_core::ViewError> {
        self.chain.edit_state(|s| {
            s.materialize_account(address)
                .map(|acc| acc.set_slot(slot, value))
        })
    }

    /// Takes the newest `depth` blocks off (`anvil_rollback`), with mining held off meanwhile.
    pub fn rollback(&self, depth: u64) -> Result<u64, ChainError> {
        let _guard = self.mining.lock();
        self.chain.rollback(depth)
    }

    /// The chain forked now, if any.
    pub fn fork(&self) -> Option<Arc<crate::fork::ForkStart>> {
        self.fork.lock().clone()
    }

    /// Starts the chain over (`anvil_reset`): from genesis, or a forked chain from the fork block with its
    /// state read from the fork again. With `forking`, from that block of that node instead (anvil's
    /// `{"forking": {"jsonRpcUrl", "blockNumber"}}`: the URL defaults to the fork's, the block to the node's
    /// newest); the next block's gas limit and base fee follow the new fork block, the chain id stays.
    pub fn reset(&self, forking: Option<ForkTarget>) -> Result<(), crate::DevnetError> {
        let _guard = self.mining.lock();
        let fork = match forking {
            Some(target) => {
                let url =
                    match (target.url, self.fork()) {
                        (Some(url), _) => url,
                        (None, Some(f)) => f.source.url().to_owned(),
                        (None, None) => return Err(crate::DevnetError::Fork(
                            "anvil_reset: forking without jsonRpcUrl on a chain that forks nothing"
                                .into(),
                        )),
                    };
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(crate::DevnetError::Fork(format!(
                        "anvil_reset: {url:?} is not an http:// or https:// URL"
                    )));
                }
                let start = crate::fork::RemoteFork::connect_with(
                    &url,
                    target.block,
                    self.options.fork_client.clone(),
                )
                .map_err(|e| crate::DevnetError::Fork(e.to_string()))?;
                Some(Arc::new(start))
            }
            None => self.fork(),
        };
        if let Some(fork) = fork {
            let state = forked_state(
                &self.options,
                &self.accounts.addresses(),
                fork.source.clone(),
            )
            .map_err(|e| crate::DevnetError::Fork(e.to_string()))?;
            let first = parevm_chain::builder::seal(
                fork.header.clone(),
                Vec::new(),
                Vec::new(),
                self.options.chain.spec,
            );
            let base_fee = fork.next_base_fee().unwrap_or(self.options.chain.base_fee);
            self.chain.reset_to(state, first, base_fee);
            self.overrides.lock().gas_limit = fork.header.gas_limit;
            *self.fork.lock() = Some(fork);
            *self.clock.lock() = Clock::starting_at(self.options.genesis_timestamp);
            self.snapshots.lock().1.clear();
            return Ok(());
        }
        let state = genesis_state(&self.options, &self.accounts.addresses());
        let ts = self
            .options
            .genesis_timestamp
            .unwrap_or_else(crate::clock::now);
        self.chain.reset(state, ts);
        *self.clock.lock() = Clock::starting_at(self.options.genesis_timestamp);
        self.snapshots.lock().1.clear();
        Ok(())
    }
}

impl Driver for Devnet {
    fn client_version(&self) -> String {
        format!("parevm/v{}", env!("CARGO_PKG_VERSION"))
    }

    fn accounts(&self) -> Vec<Address> {
        self.accounts.addresses()
    }

    fn next_block(&self) -> BlockParams {
        self.params_after(&self.chain.head(), None)
    }

    fn sign_transaction(&self, from: Address, tx: TypedTransaction) -> RpcResult<PoolTx> {
        if self.impersonating(&from) {
            return Ok(pool_tx_with_sender(impersonated(&from, tx), from));
        }
        match self.accounts.sign(&from, tx) {
            Some(Ok(envelope)) => pool_tx_from_envelope(envelope),
            Some(Err(e)) => Err(RpcError::Internal(e.to_string())),
            None => Err(RpcError::InvalidParams("No Signer available".into())),
        }
    }

    fn sign_message(&self, address: Address, message: &[u8]) -> RpcResult<Signature> {
        match self.accounts.sign_message(&address, message) {
            Some(r) => r.map_err(|e| RpcError::Internal(e.to_string())),
            None => Err(RpcError::InvalidParams("No Signer available".into())),
        }
    }

    fn safe_lag(&self) -> u64 {
        self.options.slots_in_an_epoch
    }

    fn sign_hash(&self, address: Address, hash: B256) -> RpcResult<Signature> {
        match self.accounts.sign_hash(&address, &hash) {
            Some(r) => r.map_err(|e| RpcError::Internal(e.to_string())),
            None => Err(RpcError::InvalidParams("No Signer available".into())),
        }
    }

    fn submitted(&self, added: &Added) -> RpcResult<()> {
        if self.automine() && added.pending {
            self.mine_blocks(1, None)?;
        }
        Ok(())
    }
}
