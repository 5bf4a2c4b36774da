//! Transaction processing: validation, the EIP-7702 authorization list, the frame loop over an explicit
//! frame stack, refunds and fees. [`TxExecution`] is a resumable state machine:
//!
//! ```text
//!  Validate -> Authorize -> Start -> Run (frame stack) -> Finalize -> done
//!      ^           ^          ^        ^                    ^
//!      '-----------'----------'--------'--------------------'-- a NotReady read returns here; resume() retries
//!                                                               the same step, nothing is redone
//! ```
//! Every step performs its reads before its writes, so a [`ViewError::NotReady`] can interrupt any step
//! and the retry sees the same journal.
//!
//! Chain-specific steps go through `env.cfg.rules` ([`ChainRules`]), called once per transaction: extra
//! fees and their settlement, the precompile set, and deposits. A deposit ([`crate::env::DepositTx`]) is
//! credited its mint, skips the fee, nonce and signature checks and pays no fee; when it cannot execute
//! (an invalid-transaction error, or a halt from Regolith on) it becomes a *failed deposit*: every change
//! but the mint and the nonce bump is dropped and it reports its gas limit.

use crate::code::{delegation_code, Bytecode, Code};
use crate::env::{tx_type, Env};
use crate::error::{InvalidTx, TxError};
use crate::interpreter::{
    self, gas, table, CallRequest, CallScheme, CreateRequest, Ctl, Ctx, Frame, FrameEntry,
    FrameKind, FrameRequest, FrameStart, Tracer,
};
use crate::journal::{AccIdx, Checkpoint, Journal};
use crate::outcome::{ExecStatus, HaltReason, TxOutcome};
use crate::precompiles::{self, PrecompileCall};
use crate::rules::{ChainRules, DepositRules, ExtraFee, RuleState};
use crate::spec::SpecId;
use crate::view::{StateView, ViewError};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use revm_precompile::Precompiles;
use revm_primitives::{eip7702, CALL_STACK_LIMIT, KECCAK_EMPTY};
use std::borrow::Cow;
use std::sync::Arc;

mod frames;
mod lookahead;
mod redo;
pub use lookahead::{call_kind, run_frame_helper, CallKind, FrameBoard};
pub use redo::RedoLog;

/// EIP-7825 (Osaka): the most gas one transaction may ask for; the chain, the pool and the RPC cap with it.
pub const TX_GAS_LIMIT_CAP: u64 = 1 << 24;
/// EIP-4844 gas per blob.
const GAS_PER_BLOB: u64 = 1 << 17;

/// Executes one transaction to completion against `view` (sequential use: the view never answers
/// not-ready, or the caller treats that as an error).
pub fn execute_tx(env: &Env, view: &dyn StateView) -> Result<TxOutcome, TxError> {
    TxExecution::borrowed(env).resume(view)
}

/// Result of a finished frame, before it is applied to its parent.
#[derive(Debug)]
struct FrameResult {
    status: ExecStatus,
    gas_left: u64,
    refund: i64,
    output: Bytes,
    created: Option<Address>,
    /// The deployed code of a successful creation, kept only for an attached tracer.
    deployed: Option<Bytes>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Validate,
    Authorize,
    Start,
    Run,
    Finalize,
    /// A deposit that could not execute: drop its changes, keep the mint and the nonce bump.
    DepositFailed,
    Done,
}

/// Counters a scheduler can report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecStats {
    /// Times this execution parked on a not-ready read.
    pub parks: u32,
}

/// One transaction's execution, resumable after a not-ready state read. It owns its environment
/// ([`TxExecution::new`]) or borrows it ([`TxExecution::borrowed`]: a block's executors lend each
/// transaction's `Env` rather than copy it per execution).
pub struct TxExecution<'a> {
    env: Cow<'a, Env>,
    /// The sender's nonce for the top-level creation address: the transaction's, or for a deposit the
    /// state's (deposits carry none).
    tx_nonce: u64,
    spec: SpecId,
    rules: &'static dyn ChainRules,
    /// The chain's precompiles for this fork.
    precompiles: &'static Precompiles,
    /// `precompiles` is a call's changed set (`crate::precompile_moves`), whose precompiles may sit at
    /// any address: looked up without the leading-zero shortcut. The journal keeps the fork's own set.
    moved_precompiles: bool,
    /// The extra fee charged at validation (zero on Ethereum).
    extra_fee: ExtraFee,
    /// The chain's deposit rules when this transaction is a deposit.
    deposit: Option<DepositRules>,
    /// A deposit that creates bumps its nonce when the creation starts (after the value check).
    deposit_create_nonce: bool,
    journal: Journal,
    stage: Stage,
    frames: Vec<Frame>,
    /// A child frame requested but not started yet (its start blocked on state).
    pending: Option<FrameRequest>,
    /// The top-level frame's result once it finished.
    top: Option<FrameResult>,
    intrinsic: u64,
    floor: u64,
    auth_index: usize,
    auth_refund: u64,
    stats: ExecStats,
    tracer: Option<Box<dyn Tracer + Send>>,
    /// A system call (EIP-4788, EIP-2935, EIP-7002, EIP-7251): no validation, no fees, no nonce.
    system: bool,
    /// Call depth of this execution's first frame: 0 for a transaction, the call's depth for a helper
    /// frame (`transact/frames.rs`).
    base_depth: usize,
    /// This execution runs one helper frame on a forked journal: its own calls run inline.
    helper: bool,
    /// The frame lookahead this execution commits (takes helper frames from), if any.
    board: Option<&'a FrameBoard>,
    /// The frame lookahead this execution scouts for (publishes its top frame's calls to), if any.
    scout: Option<&'a FrameBoard>,
    /// The scout's run times of the calls it ran itself.
    scout_clock: lookahead::ScoutClock,
    /// Calls of the top frame resolved so far: the index of the next one on the board.
    top_calls: usize,
    /// [`crate::frame_mode::FrameMode::ForcedStale`]: the seed of this transaction's first helper frame.
    stale_seed: Option<Arc<crate::journal::Seed>>,
    /// Redo points being recorded (`transact/redo.rs`), when asked for.
    redo: Option<Box<redo::Recorder>>,
}

impl std::fmt::Debug for TxExecution<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxExecution")
            .field("stage", &self.stage)
            .field("frames", &self.frames.len())
            .finish()
    }
}

impl<'a> TxExecution<'a> {
    /// Prepares the execution of `env.tx` under the chain rules of `env.cfg.rules`.
    pub fn new(env: Env) -> Self {
        Self::with_env(Cow::Owned(env))
    }

    /// [`TxExecution::new`] on a borrowed environment (no copy of it).
    #[inline(always)]
    pub fn borrowed(env: &'a Env) -> Self {
        Self::with_env(Cow::Borrowed(env))
    }

    // Inlined into the caller so that the execution state is built where it lives, not built and then
    // moved (two `memcpy` of the whole state per transaction otherwise).
    #[inline(always)]
    fn with_env(env: Cow<'a, Env>) -> Self {
        let spec = env.cfg.spec;
        let rules = env.cfg.rules;
        let (warm_precompiles, moved) = rules.precompile_sets(spec);
        let precompiles = moved.unwrap_or(warm_precompiles);
        let deposit = if env.tx.deposit.is_some() {
            rules.deposits()
        } else {
            None
        };
        Self {
            tx_nonce: env.tx.nonce,
            env,
            spec,
            rules,
            precompiles,
            moved_precompiles: moved.is_some(),
            extra_fee: ExtraFee::default(),
            deposit,
            deposit_create_nonce: false,
            journal: Journal::with_precompiles(spec, warm_precompiles),
            stage: Stage::Validate,
            frames: Vec::new(),
            pending: None,
            top: None,
            intrinsic: 0,
            floor: 0,
            auth_index: 0,
            auth_refund: 0,
            stats: ExecStats::default(),
            tracer: None,
            system: false,
            base_depth: 0,
            helper: false,
            board: None,
            scout: None,
            scout_clock: lookahead::ScoutClock::default(),
            top_calls: 0,
            stale_seed: None,
            redo: None,
        }
    }

    /// Prepares a system call: `env.tx.caller` calls `env.tx.kind` with `env.tx.gas_limit` gas, without
    /// validation, fees or a nonce change.
    pub fn new_system(env: Env) -> Self {
        let mut exec = Self::new(env);
        exec.system = true;
        exec
    }

    /// Records no read set: the outcome's `reads` stays empty. For a caller that applies each outcome to
    /// its own state in order and never validates it against other transactions' writes.
    /// Call it before the first `resume` (taking `&mut self`, so the execution state is not moved).
    pub fn skip_read_set(&mut self) {
        self.journal.without_read_set();
    }

    /// Attaches an EIP-3155 tracer.
    pub fn set_tracer(&mut self, tracer: Box<dyn Tracer + Send>) {
        self.tracer = Some(tracer);
    }

    /// Counters so far.
    pub fn stats(&self) -> ExecStats {
        self.stats
    }

    /// The environment being executed.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Runs until the transaction finishes or a read is not ready.
    ///
    /// `Err(TxError::View(ViewError::NotReady(k)))` means *parked*: call `resume` again once transaction
    /// `k` has produced its writes. Any other error is final.
    pub fn resume(&mut self, view: &dyn StateView) -> Result<TxOutcome, TxError> {
        let mut r = self.step_all(view);
        if matches!(r, Err(TxError::Invalid(_))) && self.deposit.is_some() {
            // A deposit cannot be invalid: it fails, keeping its mint and nonce bump.
            self.stage = Stage::DepositFailed;
            r = self.step_all(view);
        }
        if matches!(r, Err(TxError::View(ViewError::NotReady(_)))) {
            self.stats.parks += 1;
        }
        r
    }

    fn step_all(&mut self, view: &dyn StateView) -> Result<TxOutcome, TxError> {
        loop {
            if let Some(out) = self.step(view)? {
                return Ok(out);
            }
        }
    }

    /// Runs the current stage and moves to the next; the outcome once the transaction is done.
    #[inline]
    fn step(&mut self, view: &dyn StateView) -> Result<Option<TxOutcome>, TxError> {
        match self.stage {
            Stage::Validate => {
                self.validate(view)?;
                self.stage = Stage::Authorize;
            }
            Stage::Authorize => {
                self.authorize(view)?;
                self.stage = Stage::Start;
            }
            Stage::Start => {
                self.pending = Some(self.top_request(view)?);
                self.stage = Stage::Run;
            }
            Stage::Run => {
                self.run_frames(view)?;
                self.stage = Stage::Finalize;
            }
            Stage::Finalize => {
                let out = self.finalize(view)?;
                self.stage = Stage::Done;
                return Ok(Some(out));
            }
            Stage::DepositFailed => {
                let out = self.failed_deposit(view)?;
                self.stage = Stage::Done;
                return Ok(Some(out));
            }
            Stage::Done => {
                return Err(TxError::View(ViewError::Backend(
                    "transaction already finished".into(),
                )));
            }
        }
        Ok(None)
    }

    // ----- validation -----

    fn validate(&mut self, view: &dyn StateView) -> Result<(), TxError> {
        if self.system {
            return Ok(());
        }
        let spec = self.spec;
        let env = &self.env;
        let tx = &env.tx;
        let cfg = &env.cfg;
        self.rules.validate_tx(env)?;
        if tx.deposit.is_some() {
            return self.validate_deposit(view);
        }

        let Some(type_fork) = crate::rules::ethereum_type_fork(tx.tx_type) else {
            return Err(InvalidTx::TypeNotSupported(tx.tx_type).into());
        };
        if !spec.is_enabled_in(type_fork) {
            return Err(InvalidTx::TypeNotSupported(tx.tx_type).into());
        }
        if let Some(id) = tx.chain_id {
            if id != cfg.chain_id {
                return Err(InvalidTx::ChainIdMismatch.into());
            }
        }
        if spec.is_enabled_in(SpecId::OSAKA)
            && !cfg.skip_transaction_checks
            && !cfg.disable_tx_gas_cap
            && tx.gas_limit > TX_GAS_LIMIT_CAP
        {
            return Err(InvalidTx::GasLimitAboveCap(tx.gas_limit).into());
        }
        if tx.gas_limit > env.block.gas_limit {
            return Err(InvalidTx::GasLimitAboveBlock(tx.gas_limit).into());
        }
        if let Some(tip) = tx.gas_priority_fee {
            if tip > tx.gas_price {
                return Err(InvalidTx::PriorityFeeAboveMaxFee.into());
            }
        }
        if spec.is_enabled_in(SpecId::LONDON)
            && !cfg.disable_base_fee
            && tx.gas_price < env.block.basefee
        {
            return Err(InvalidTx::FeeBelowBaseFee.into());
        }
        let is_create = tx.kind.is_create();
        if spec.is_enabled_in(SpecId::SHANGHAI)
            && is_create
            && tx.data.len() > cfg.max_initcode_size()
        {
            return Err(InvalidTx::InitCodeTooLarge(tx.data.len()).into());
        }
        if tx.tx_type == tx_type::EIP4844 {
            if is_create {
                return Err(InvalidTx::CreateNotAllowed(tx.tx_type).into());
            }
            if tx.blob_hashes.is_empty() {
                return Err(InvalidTx::EmptyBlobs.into());
            }
            if tx.blob_hashes.len() as u64 > cfg.blob.max_per_tx
                || tx.blob_hashes.len() as u64 > cfg.blob.max
            {
                return Err(InvalidTx::TooManyBlobs(tx.blob_hashes.len()).into());
            }
            if tx
                .blob_hashes
                .iter()
                .any(|h| h[0] != revm_primitives::eip4844::VERSIONED_HASH_VERSION_KZG)
            {
                return Err(InvalidTx::InvalidBlobVersion.into());
            }
            let blob_fee = U256::from(env.block.blob_basefee.unwrap_or(1));
            let unpaid_call = cfg.disable_base_fee && tx.max_fee_per_blob_gas.is_zero();
            if !unpaid_call && tx.max_fee_per_blob_gas < blob_fee {
                return Err(InvalidTx::BlobFeeTooLow.into());
            }
        }
        if tx.tx_type == tx_type::EIP7702 {
            if is_create {
                return Err(InvalidTx::CreateNotAllowed(tx.tx_type).into());
            }
            if tx.authorization_list.is_empty() {
                return Err(InvalidTx::EmptyAuthorizationList.into());
            }
        }

        let (intrinsic, floor) = intrinsic_gas(spec, &self.env);
        let tx = &self.env.tx;
        if tx.gas_limit < intrinsic {
            return Err(InvalidTx::IntrinsicGasTooLow {
                limit: tx.gas_limit,
                needed: intrinsic,
            }
            .into());
        }
        if tx.gas_limit < floor {
            return Err(InvalidTx::FloorGasTooLow {
                limit: tx.gas_limit,
                floor,
            }
            .into());
        }
        self.intrinsic = intrinsic;
        self.floor = floor;

        // Reads (the three of the sender with one view call).
        let caller = tx.caller;
        let ci = self.journal.idx(caller);
        self.journal.preload_at(view, ci)?;
        let nonce = self.journal.nonce_at(view, ci)?;
        let balance = self.journal.balance_at(view, ci)?;
        // The code itself only when the hash says there is some (an EOA's is empty).
        let code_hash = self.journal.code_hash_at(view, ci)?;
        if code_hash != KECCAK_EMPTY && code_hash != B256::ZERO {
            let code = self.journal.code_at(view, ci)?;
            if !code.is_empty()
                && code.delegation().is_none()
                && !self.env.cfg.skip_transaction_checks
            {
                return Err(InvalidTx::SenderHasCode(caller).into());
            }
        }
        if !self.env.cfg.disable_nonce_check {
            if nonce == u64::MAX {
                return Err(InvalidTx::NonceOverflow.into());
            }
            if tx.nonce != nonce {
                return Err(InvalidTx::NonceMismatch {
                    tx: tx.nonce,
                    state: nonce,
                }
                .into());
            }
        }
        let gas_limit = tx.gas_limit;
        let blob_gas = tx.blob_hashes.len() as u64 * GAS_PER_BLOB;
        let extra_fee = self.rules.extra_fee(
            &self.env,
            &mut JournalState {
                journal: &mut self.journal,
                view,
            },
        )?;
        let extra = extra_fee.upfront;
        let tx = &self.env.tx;
        let max_cost = checked_gas_cost(gas_limit, tx.gas_price)
            .and_then(|c| c.checked_add(tx.value))
            .and_then(|c| c.checked_add(checked_gas_cost(blob_gas, tx.max_fee_per_blob_gas)?))
            .and_then(|c| c.checked_add(extra))
            .ok_or(InvalidTx::FeeOverflow)?;
        if !self.env.cfg.disable_balance_check && balance < max_cost {
            return Err(InvalidTx::InsufficientFunds {
                balance,
                needed: max_cost,
            }
            .into());
        }
        // Writes: charge the gas up front, bump the nonce, warm the access list.
        self.extra_fee = extra_fee;
        let price = tx.effective_gas_price(self.env.block.basefee);
        let blob_price = U256::from(self.env.block.blob_basefee.unwrap_or(0));
        let upfront = gas_cost(gas_limit, price) + gas_cost(blob_gas, blob_price) + extra;
        let new_balance = balance.saturating_sub(upfront);
        let to = tx.kind.to().copied();
        let new_nonce = (!self.env.cfg.disable_nonce_check || nonce < u64::MAX)
            .then(|| nonce.saturating_add(1));
        self.journal.charge_sender_at(ci, new_balance, new_nonce);
        self.warm_up(caller, to);
        Ok(())
    }

    /// Warms the sender, the target, the access list and (Shanghai on) the coinbase.
    fn warm_up(&mut self, caller: Address, to: Option<Address>) {
        let spec = self.spec;
        if spec.is_enabled_in(SpecId::BERLIN) {
            self.journal.prewarm_account(caller);
            if let Some(to) = to {
                self.journal.prewarm_account(to);
            }
            // Precompiles are warm implicitly (see `Journal::warm_account`): never marked.
            for item in &self.env.tx.access_list {
                self.journal.prewarm_account(item.address);
                for key in &item.storage_keys {
                    self.journal
                        .warm_slot(item.address, U256::from_be_bytes(key.0));
                }
            }
        }
        if spec.is_enabled_in(SpecId::SHANGHAI) {
            // EIP-3651: warm COINBASE.
            self.journal.prewarm_account(self.env.block.beneficiary);
        }
    }

    /// Validates a deposit: no fee, nonce, signature or sender-code checks; the mint is credited first.
    /// Any error here makes it a failed deposit (see [`TxExecution::resume`]).
    fn validate_deposit(&mut self, view: &dyn StateView) -> Result<(), TxError> {
        let (Some(rules), Some(deposit)) = (self.deposit, self.env.tx.deposit) else {
            return Err(InvalidTx::TypeNotSupported(tx_type::DEPOSIT).into());
        };
        if deposit.is_system && rules.regolith {
            return Err(InvalidTx::Chain("system deposit after Regolith".into()).into());
        }
        let (intrinsic, floor) = intrinsic_gas(self.spec, &self.env);
        let tx = &self.env.tx;
        if tx.gas_limit < intrinsic || tx.gas_limit < floor {
            return Err(InvalidTx::IntrinsicGasTooLow {
                limit: tx.gas_limit,
                needed: intrinsic.max(floor),
            }
            .into());
        }
        self.intrinsic = intrinsic;
        self.floor = floor;
        let caller = tx.caller;
        let to = tx.kind.to().copied();
        // Reads.
        let nonce = self.journal.nonce(view, caller)?;
        self.journal.code_hash(view, caller)?;
        // Writes: the mint, then the nonce (a creation bumps it when it starts, after its value check).
        self.journal
            .credit(view, caller, U256::from(deposit.mint))?;
        self.tx_nonce = nonce;
        if to.is_some() {
            self.journal
                .set_nonce(view, caller, nonce.wrapping_add(1))?;
        } else {
            self.deposit_create_nonce = true;
        }
        self.warm_up(caller, to);
        Ok(())
    }

    // ----- EIP-7702 -----

    fn authorize(&mut self, view: &dyn StateView) -> Result<(), TxError> {
        if self.env.tx.tx_type != tx_type::EIP7702 {
            return Ok(());
        }
        let chain_id = U256::from(self.env.cfg.chain_id);
        while self.auth_index < self.env.tx.authorization_list.len() {
            let auth = self.env.tx.authorization_list[self.auth_index].clone();
            let Some(authority) = auth.authority else {
                self.auth_index += 1;
                continue;
            };
            if (auth.chain_id != U256::ZERO && auth.chain_id != chain_id) || auth.nonce == u64::MAX
            {
                self.auth_index += 1;
                continue;
            }
            // Reads first.
            let code = self.journal.code(view, authority)?;
            let nonce = self.journal.nonce(view, authority)?;
            let exists = self.journal.exists(view, authority)?;
            // Then writes.
            self.journal.warm_account(authority);
            self.auth_index += 1;
            if !code.is_empty()
                && code.delegation().is_none()
                && !self.env.cfg.skip_transaction_checks
            {
                continue;
            }
            if nonce != auth.nonce {
                continue;
            }
            if exists {
                self.auth_refund += eip7702::PER_EMPTY_ACCOUNT_COST - eip7702::PER_AUTH_BASE_COST;
            }
            let new_code = if auth.address == Address::ZERO {
                Bytecode::empty()
            } else {
                Arc::new(Bytecode::new(delegation_code(auth.address)))
            };
            self.journal.set_code(view, authority, new_code)?;
            self.journal.set_nonce(view, authority, nonce + 1)?;
        }
        Ok(())
    }

    // ----- frames -----

    fn top_request(&mut self, view: &dyn StateView) -> Result<FrameRequest, TxError> {
        let tx = &self.env.tx;
        let gas_limit = tx.gas_limit - self.intrinsic;
        Ok(match tx.kind {
            TxKind::Call(to) => {
                let mut code = self.journal.code(view, to)?;
                if self.spec.is_enabled_in(SpecId::PRAGUE) {
                    if let Some(d) = code.delegation() {
                        code = self.journal.code(view, d)?;
                        self.journal.warm_account(d);
                    }
                }
                FrameRequest::Call(CallRequest {
                    scheme: CallScheme::Call,
                    target: to,
                    code_address: to,
                    code,
                    caller: tx.caller,
                    transfer: tx.value,
                    apparent_value: tx.value,
                    input: tx.data.clone(),
                    gas_limit,
                    is_static: false,
                    ret_offset: 0,
                    ret_len: 0,
                })
            }
            TxKind::Create => FrameRequest::Create(CreateRequest {
                caller: tx.caller,
                value: tx.value,
                init_code: tx.data.clone(),
                gas_limit,
                salt: None,
            }),
        })
    }

    /// Drives the frame stack until the top-level frame returns.
    fn run_frames(&mut self, view: &dyn StateView) -> Result<(), TxError> {
        let spec = self.spec;
        let tables = table::tables(spec);
        let frames_on = !self.helper
            && self.tracer.is_none()
            && crate::frame_mode::mode() != crate::frame_mode::FrameMode::Off;
        let mut keccak = interpreter::keccak_memo::KeccakMemo::new();
        loop {
            if self.redo.is_some() && self.pending.is_some() {
                self.note_redo_point();
            }
            if let Some(req) = self.pending.take() {
                let top_call = self.frames.len() == 1
                    && (self.board.is_some() || self.scout.is_some())
                    && matches!(req, FrameRequest::Call(_));
                let started = match self.call_elsewhere(view, &req, top_call, frames_on) {
                    Ok(true) => Ok(None),
                    Ok(false) => {
                        let r = self.start_frame(view, &req);
                        if top_call && r.is_ok() {
                            self.top_calls += 1;
                        }
                        r
                    }
                    Err(e) => Err(e),
                };
                match started {
                    Ok(Some(frame)) => self.frames.push(frame),
                    Ok(None) => {}
                    Err(e) => {
                        self.pending = Some(req);
                        return Err(e.into());
                    }
                }
                if self.top.is_some() {
                    return Ok(());
                }
                continue;
            }
            let Some(frame) = self.frames.last_mut() else {
                return Ok(());
            };
            let ctl = {
                let mut ctx = Ctx {
                    journal: &mut self.journal,
                    view,
                    env: &self.env,
                    spec,
                    view_error: None,
                    request: None,
                    tracer: self.tracer.as_deref_mut().map(|t| t as &mut dyn Tracer),
                    keccak: &mut keccak,
                    ctl: Ctl::Continue,
                    stop_ip: std::ptr::null(),
                };
                let ctl = interpreter::run(frame, &mut ctx, tables);
                match ctl {
                    Ctl::Blocked => {
                        let e = ctx
                            .view_error
                            .take()
                            .unwrap_or(ViewError::Backend("blocked without reason".into()));
                        return Err(e.into());
                    }
                    Ctl::Request => {
                        self.pending = ctx.request.take();
                        if self.pending.is_none() {
                            return Err(ViewError::Backend("frame request missing".into()).into());
                        }
                        continue;
                    }
                    other => other,
                }
            };
            let Some(frame) = self.frames.pop() else {
                return Ok(());
            };
            let kind = frame.kind;
            let result = self.finish_frame(frame, ctl);
            match kind {
                FrameKind::Call {
                    ret_offset,
                    ret_len,
                } => self.deliver_call(result, ret_offset, ret_len),
                FrameKind::Create { .. } => self.deliver(result),
            }
            if self.top.is_some() {
                return Ok(());
            }
        }
    }

    /// Turns a stopped frame into its result: code deposit for creations, journal revert on failure.
    fn finish_frame(&mut self, mut frame: Frame, ctl: Ctl) -> FrameResult {
        let result = self.frame_result(&mut frame, ctl);
        let Frame { stack, memory, .. } = frame;
        interpreter::buffers::give(stack, memory);
        result
    }

    fn frame_result(&mut self, frame: &mut Frame, ctl: Ctl) -> FrameResult {
        let spec = self.spec;
        let status = match ctl {
            Ctl::Stop | Ctl::Return => ExecStatus::Success,
            Ctl::Revert if spec.is_enabled_in(SpecId::BYZANTIUM) => ExecStatus::Revert,
            Ctl::Halt(h) => ExecStatus::Halt(h),
            _ => ExecStatus::Halt(HaltReason::InvalidOpcode),
        };
        if ctl == Ctl::Stop {
            frame.output = Bytes::new();
        }
        let mut created = None;
        let mut deployed = None;
        let mut status = status;
        if let (FrameKind::Create { address }, ExecStatus::Success) = (frame.kind, status) {
            match deposit_code(spec, self.env.cfg.max_code_size(), frame) {
                Ok(Some(code)) => {
                    if self.tracer.is_some() {
                        deployed = Some(frame.output.clone());
                    }
                    // set_code only reads the code hash, which creation already loaded.
                    if self.journal.set_code(&NoView, address, code).is_err() {
                        status = ExecStatus::Halt(HaltReason::OutOfGas);
                    } else {
                        created = Some(address);
                    }
                }
                Ok(None) => created = Some(address),
                Err(h) => status = ExecStatus::Halt(h),
            }
            frame.output = Bytes::new();
        }
        match status {
            ExecStatus::Success => FrameResult {
                status,
                gas_left: frame.gas.remaining(),
                refund: frame.gas.refund(),
                output: std::mem::take(&mut frame.output),
                created,
                deployed,
            },
            ExecStatus::Revert => {
                self.journal.revert(frame.checkpoint);
                FrameResult {
                    status,
                    gas_left: frame.gas.remaining(),
                    refund: 0,
                    output: std::mem::take(&mut frame.output),
                    created: None,
                    deployed: None,
                }
            }
            ExecStatus::Halt(_) => {
                self.journal.revert(frame.checkpoint);
                FrameResult {
                    status,
                    gas_left: 0,
                    refund: 0,
                    output: Bytes::new(),
                    created: None,
                    deployed: None,
                }
            }
        }
    }

    /// Hands a finished child's result to its parent, or records the top-level result.
    fn deliver(&mut self, r: FrameResult) {
        if let Some(t) = self.tracer.as_deref_mut() {
            let out = r.deployed.as_ref().unwrap_or(&r.output);
            t.frame_end(r.status, r.gas_left, out, self.frames.len());
        }
        if matches!(r.status, ExecStatus::Halt(_)) && self.helper {
            // A halt consumes the frame's whole limit: the helper frame's gas depends on its limit.
            self.journal.note_gas_sensitive();
        }
        let Some(parent) = self.frames.last_mut() else {
            self.top = Some(r);
            return;
        };
        parent.gas.give_back(r.gas_left);
        let success = r.status.is_success();
        if success {
            parent.gas.record_refund(r.refund);
        }
        match r.created {
            Some(addr) => {
                parent.return_data = Bytes::new();
                parent.stack.push(U256::from_be_slice(addr.as_slice()));
            }
            None => {
                parent.return_data = r.output;
                parent.stack.push(U256::from(success as u8));
            }
        }
    }

    /// Delivers the result of a child whose request ended before it started a frame.
    fn deliver_call(&mut self, r: FrameResult, ret_offset: usize, ret_len: usize) {
        if let Some(parent) = self.frames.last_mut() {
            let n = ret_len.min(r.output.len());
            if n > 0 {
                parent
                    .memory
                    .slice_mut(ret_offset, n)
                    .copy_from_slice(&r.output[..n]);
            }
        }
        self.deliver(r);
    }

    /// Starts the frame for `req`, or resolves it at once (precompile, empty code, failed checks).
    /// `Ok(None)` means the result was already delivered.
    fn start_frame(
        &mut self,
        view: &dyn StateView,
        req: &FrameRequest,
    ) -> Result<Option<Frame>, ViewError> {
        let depth = self.base_depth + self.frames.len();
        match req {
            FrameRequest::Call(c) => self.start_call(view, c, depth),
            FrameRequest::Create(c) => self.start_create(view, c, depth),
        }
    }

    fn start_call(
        &mut self,
        view: &dyn StateView,
        c: &CallRequest,
        depth: usize,
    ) -> Result<Option<Frame>, ViewError> {
        let fail = |gas| FrameResult {
            status: ExecStatus::Revert,
            gas_left: gas,
            refund: 0,
            output: Bytes::new(),
            created: None,
            deployed: None,
        };
        if let Some(t) = self.tracer.as_deref_mut() {
            let parent = self.frames.last();
            t.frame_start(&FrameStart {
                entry: FrameEntry::Call(c.scheme),
                from: parent.map_or(c.caller, |f| f.address),
                to: c.code_address,
                input: &c.input,
                value: c.transfer,
                gas_limit: c.gas_limit,
                depth,
                caller_gas_left: parent.map(|f| f.gas.remaining()),
            });
        }
        if depth as u64 > CALL_STACK_LIMIT {
            self.deliver_call(fail(c.gas_limit), c.ret_offset, c.ret_len);
            return Ok(None);
        }
        // Reads.
        let from = self.journal.idx(c.caller);
        let to = self.journal.idx(c.target);
        let covered =
            c.transfer.is_zero() || self.journal.balance_covers_at(view, from, c.transfer)?;
        self.journal.code_hash_at(view, to)?;
        if !covered {
            let r = if depth == 0 {
                // Only a deposit (or a run without the balance check) gets here at the top level.
                FrameResult {
                    status: ExecStatus::Halt(HaltReason::OutOfFunds),
                    gas_left: 0,
                    refund: 0,
                    output: Bytes::new(),
                    created: None,
                    deployed: None,
                }
            } else {
                fail(c.gas_limit)
            };
            self.deliver_call(r, c.ret_offset, c.ret_len);
            return Ok(None);
        }
        let checkpoint = self.journal.checkpoint();
        self.journal.transfer_at(view, from, to, c.transfer)?;

        {
            let ran = if self.moved_precompiles {
                precompiles::run_moved(self.precompiles, &c.code_address, &c.input, c.gas_limit)
            } else {
                precompiles::run_in_static(self.precompiles, &c.code_address, &c.input, c.gas_limit)
            };
            if let Some(p) = ran {
                let r = match p {
                    PrecompileCall::Success { gas_used, output } => FrameResult {
                        status: ExecStatus::Success,
                        gas_left: c.gas_limit - gas_used,
                        refund: 0,
                        output,
                        created: None,
                        deployed: None,
                    },
                    PrecompileCall::Revert { gas_used, output } => {
                        self.journal.revert(checkpoint);
                        FrameResult {
                            status: ExecStatus::Revert,
                            gas_left: c.gas_limit.saturating_sub(gas_used),
                            refund: 0,
                            output,
                            created: None,
                            deployed: None,
                        }
                    }
                    PrecompileCall::Failed => {
                        self.journal.revert(checkpoint);
                        FrameResult {
                            status: ExecStatus::Halt(HaltReason::PrecompileError),
                            gas_left: 0,
                            refund: 0,
                            output: Bytes::new(),
                            created: None,
                            deployed: None,
                        }
                    }
                };
                self.deliver_call(r, c.ret_offset, c.ret_len);
                return Ok(None);
            }
        }
        if c.code.is_empty() {
            let r = FrameResult {
                status: ExecStatus::Success,
                gas_left: c.gas_limit,
                refund: 0,
                output: Bytes::new(),
                created: None,
                deployed: None,
            };
            self.deliver_call(r, c.ret_offset, c.ret_len);
            return Ok(None);
        }
        Ok(Some(self.new_frame(
            c.code.clone(),
            c.input.clone(),
            c.target,
            c.caller,
            c.apparent_value,
            c.is_static,
            depth,
            c.gas_limit,
            FrameKind::Call {
                ret_offset: c.ret_offset,
                ret_len: c.ret_len,
            },
            checkpoint,
        )))
    }

    fn start_create(
        &mut self,
        view: &dyn StateView,
        c: &CreateRequest,
        depth: usize,
    ) -> Result<Option<Frame>, ViewError> {
        let spec = self.spec;
        let top = depth == 0;
        let fail = |gas| FrameResult {
            status: ExecStatus::Revert,
            gas_left: gas,
            refund: 0,
            output: Bytes::new(),
            created: None,
            deployed: None,
        };
        // Reads.
        let balance = self.journal.balance(view, c.caller)?;
        let nonce = self.journal.nonce(view, c.caller)?;
        let creator_nonce = if top { self.tx_nonce } else { nonce };
        let address = match c.salt {
            Some(salt) => c
                .caller
                .create2_from_code(B256::from(salt.to_be_bytes::<32>()), &c.init_code),
            None => c.caller.create(creator_nonce),
        };
        let target_hash = self.journal.code_hash(view, address)?;
        let target_nonce = self.journal.nonce(view, address)?;
        if let Some(t) = self.tracer.as_deref_mut() {
            t.frame_start(&FrameStart {
                entry: if c.salt.is_some() {
                    FrameEntry::Create2
                } else {
                    FrameEntry::Create
                },
                from: c.caller,
                to: address,
                input: &c.init_code,
                value: c.value,
                gas_limit: c.gas_limit,
                depth,
                caller_gas_left: self.frames.last().map(|f| f.gas.remaining()),
            });
        }
        // EIP-7610: storage counts only where nonce and code do not already collide.
        let collision = (target_hash != B256::ZERO && target_hash != KECCAK_EMPTY)
            || target_nonce != 0
            || self.journal.has_storage(view, address)?;

        // Writes. The new address is warm even when the creation fails its checks (EIP-2929).
        if spec.is_enabled_in(SpecId::BERLIN) {
            self.journal.warm_account(address);
        }
        if top && balance < c.value {
            // Only a deposit (or a run without the balance check) gets here at the top level.
            self.deliver(FrameResult {
                status: ExecStatus::Halt(HaltReason::OutOfFunds),
                gas_left: 0,
                refund: 0,
                output: Bytes::new(),
                created: None,
                deployed: None,
            });
            return Ok(None);
        }
        if balance < c.value || (!top && nonce == u64::MAX) || depth as u64 > CALL_STACK_LIMIT {
            self.deliver(fail(c.gas_limit));
            return Ok(None);
        }
        if !top || self.deposit_create_nonce {
            self.journal
                .set_nonce(view, c.caller, nonce.wrapping_add(1))?;
        }
        if collision {
            let r = FrameResult {
                status: ExecStatus::Halt(HaltReason::CreateCollision),
                gas_left: 0,
                refund: 0,
                output: Bytes::new(),
                created: None,
                deployed: None,
            };
            self.deliver(r);
            return Ok(None);
        }
        let checkpoint = self.journal.checkpoint();
        let new_nonce = if spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) {
            1
        } else {
            0
        };
        self.journal.create_account(view, address, new_nonce)?;
        self.journal.transfer(view, c.caller, address, c.value)?;
        let code: Code = Arc::new(Bytecode::new(c.init_code.clone()));
        Ok(Some(self.new_frame(
            code,
            Bytes::new(),
            address,
            c.caller,
            c.value,
            false,
            depth,
            c.gas_limit,
            FrameKind::Create { address },
            checkpoint,
        )))
    }

    #[allow(clippy::too_many_arguments)]
    fn new_frame(
        &mut self,
        code: Code,
        input: Bytes,
        address: Address,
        caller: Address,
        value: U256,
        is_static: bool,
        depth: usize,
        gas_limit: u64,
        kind: FrameKind,
        checkpoint: Checkpoint,
    ) -> Frame {
        let (stack, memory) = interpreter::buffers::take();
        Frame {
            code,
            pc: 0,
            stack,
            memory,
            gas: gas::Gas::new(gas_limit),
            input,
            address,
            caller,
            value,
            is_static,
            depth,
            return_data: Bytes::new(),
            output: Bytes::new(),
            kind,
            checkpoint,
            block_pending: true,
        }
    }

    // ----- end of transaction -----

    fn finalize(&mut self, view: &dyn StateView) -> Result<TxOutcome, TxError> {
        let spec = self.spec;
        if self.system {
            return self.finish_system(view);
        }
        if let Some(rules) = self.deposit {
            return self.finalize_deposit(view, rules);
        }
        let Some(top) = self.top.as_ref() else {
            return Err(ViewError::Backend("transaction finished without a result".into()).into());
        };
        let tx = &self.env.tx;
        let gas_limit = tx.gas_limit;
        let exec_limit = gas_limit - self.intrinsic;
        let mut gas_used = gas_limit - top.gas_left.min(exec_limit);
        let quotient = if spec.is_enabled_in(SpecId::LONDON) {
            5
        } else {
            2
        };
        let counter = if top.status.is_success() {
            top.refund.max(0) as u64
        } else {
            0
        } + self.auth_refund;
        let refund = counter.min(gas_used / quotient);
        gas_used -= refund;
        if spec.is_enabled_in(SpecId::PRAGUE) {
            gas_used = gas_used.max(self.floor);
        }
        let price = tx.effective_gas_price(self.env.block.basefee);
        let caller = tx.caller;
        let coinbase = self.env.block.beneficiary;
        let tip = if spec.is_enabled_in(SpecId::LONDON) {
            price - self.env.block.basefee.min(price)
        } else {
            price
        };

        // Reads first. A non-zero fee credit does not read whether the fee recipient exists (see
        // `Journal::credit_blind_at`); a zero one touches it, which does.
        let ci = self.journal.idx(caller);
        let balance = self.journal.balance_at(view, ci)?;
        let bi = self.journal.idx(coinbase);
        if gas_cost(gas_used, tip).is_zero() {
            self.journal.code_hash_at(view, bi)?;
        }
        // Writes, inside a checkpoint: the EIP-161 clearing may still read (and park on) a touched account's
        // emptiness, and a resumed finalize must start again from a journal without the fee writes.
        let cp = self.journal.checkpoint();
        let settlement = self
            .rules
            .settle_extra_fee(&self.env, &self.extra_fee, gas_used);
        let written = self.apply_fees(
            view,
            (ci, bi),
            balance + settlement.refund,
            gas_limit - gas_used,
            gas_used,
            price,
            tip,
        );
        let written = written.and_then(|()| {
            for (vault, amount) in settlement.credits.into_iter().flatten() {
                self.journal.credit(view, vault, amount)?;
            }
            self.journal.clear_touched_empty(view)
        });
        if let Err(e) = written {
            self.journal.revert(cp);
            return Err(e.into());
        }
        self.finish(gas_used, refund)
    }
}

impl TxExecution<'_> {
    /// Refunds the sender's unused gas, pays the fee recipients and clears touched empty accounts.
    #[allow(clippy::too_many_arguments)]
    fn apply_fees(
        &mut self,
        view: &dyn StateView,
        (caller, coinbase): (AccIdx, AccIdx),
        balance: U256,
        unused: u64,
        gas_used: u64,
        price: U256,
        tip: U256,
    ) -> Result<(), ViewError> {
        let basefee = self.env.block.basefee;
        self.journal
            .set_balance_at(view, caller, balance + gas_cost(unused, price))?;
        self.journal
            .credit_blind_at(view, coinbase, gas_cost(gas_used, tip))?;
        if let Some(vault) = self.rules.base_fee_recipient() {
            self.journal
                .credit(view, vault, gas_cost(gas_used, basefee.min(price)))?;
        }
        Ok(())
    }

    /// The end of a deposit that executed: no fee and no refund in ETH; before Regolith it reports its gas
    /// limit (a successful system deposit 0), and from Regolith on a halt makes it a failed deposit.
    fn finalize_deposit(
        &mut self,
        view: &dyn StateView,
        rules: DepositRules,
    ) -> Result<TxOutcome, TxError> {
        let Some(top) = self.top.as_ref() else {
            return Err(ViewError::Backend("deposit finished without a result".into()).into());
        };
        let tx = &self.env.tx;
        let gas_limit = tx.gas_limit;
        let (gas_used, refund) = if rules.regolith {
            if matches!(top.status, ExecStatus::Halt(_)) {
                self.stage = Stage::DepositFailed;
                return self.failed_deposit(view);
            }
            let exec_limit = gas_limit - self.intrinsic;
            let mut gas_used = gas_limit - top.gas_left.min(exec_limit);
            let counter = if top.status.is_success() {
                top.refund.max(0) as u64
            } else {
                0
            };
            let quotient = if self.spec.is_enabled_in(SpecId::LONDON) {
                5
            } else {
                2
            };
            let refund = counter.min(gas_used / quotient);
            gas_used -= refund;
            if self.spec.is_enabled_in(SpecId::PRAGUE) {
                gas_used = gas_used.max(self.floor);
            }
            (gas_used, refund)
        } else {
            let system = tx.deposit.is_some_and(|d| d.is_system);
            if system && top.status.is_success() {
                (0, 0)
            } else {
                (gas_limit, 0)
            }
        };
        self.journal.clear_touched_empty(view)?;
        self.finish(gas_used, refund)
    }

    /// A deposit that could not execute: every change is dropped except the mint and the nonce bump, and it
    /// reports its gas limit (before Regolith, a system deposit reports 0).
    fn failed_deposit(&mut self, view: &dyn StateView) -> Result<TxOutcome, TxError> {
        let (Some(deposit), regolith) = (
            self.env.tx.deposit,
            self.deposit.is_some_and(|r| r.regolith),
        ) else {
            return Err(ViewError::Backend("failed deposit without deposit fields".into()).into());
        };
        let caller = self.env.tx.caller;
        self.journal.discard_changes();
        // Reads.
        let nonce = self.journal.nonce(view, caller)?;
        self.journal.code_hash(view, caller)?;
        // Writes.
        self.journal
            .credit(view, caller, U256::from(deposit.mint))?;
        self.journal
            .set_nonce(view, caller, nonce.wrapping_add(1))?;
        let gas_used = if regolith || !deposit.is_system {
            self.env.tx.gas_limit
        } else {
            0
        };
        self.top = Some(FrameResult {
            status: ExecStatus::Halt(HaltReason::FailedDeposit),
            gas_left: 0,
            refund: 0,
            output: Bytes::new(),
            created: None,
            deployed: None,
        });
        self.finish(gas_used, 0)
    }

    /// Turns the journal and the top-level result into the outcome.
    fn finish(&mut self, gas_used: u64, refund: u64) -> Result<TxOutcome, TxError> {
        let Some(top) = self.top.take() else {
            return Err(ViewError::Backend("transaction finished without a result".into()).into());
        };
        let balance_bounds = self.journal.balance_bounds();
        let (reads, writes, logs) = self.journal.finish();
        Ok(TxOutcome {
            status: top.status,
            gas_used,
            gas_refunded: refund,
            logs: if top.status.is_success() {
                logs
            } else {
                Vec::new()
            },
            output: top.output,
            created_address: top.created,
            reads,
            writes,
            balance_bounds,
        })
    }

    fn finish_system(&mut self, view: &dyn StateView) -> Result<TxOutcome, TxError> {
        self.journal.clear_touched_empty(view)?;
        let Some(top) = self.top.take() else {
            return Err(ViewError::Backend("system call finished without a result".into()).into());
        };
        let balance_bounds = self.journal.balance_bounds();
        let (reads, writes, logs) = self.journal.finish();
        Ok(TxOutcome {
            status: top.status,
            gas_used: self.env.tx.gas_limit - top.gas_left,
            gas_refunded: 0,
            logs: if top.status.is_success() {
                logs
            } else {
                Vec::new()
            },
            output: top.output,
            created_address: None,
            reads,
            writes,
            balance_bounds,
        })
    }
}

/// The caller of system calls (EIP-4788 and later).
pub const SYSTEM_ADDRESS: Address = Address::new([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xfe,
]);

/// Runs a block-level system call: `caller` calls `target` with `data` and `gas_limit` gas; no validation,
/// no fees, no nonce change. The caller decides what a failure means (EIP-7002/7251 make the block invalid).
pub fn execute_system_call(
    cfg: &crate::env::CfgEnv,
    block: &crate::env::BlockEnv,
    caller: Address,
    target: Address,
    data: Bytes,
    gas_limit: u64,
    view: &dyn StateView,
) -> Result<TxOutcome, TxError> {
    let tx = crate::env::TxEnv {
        caller,
        kind: TxKind::Call(target),
        data,
        gas_limit,
        ..Default::default()
    };
    let env = Env {
        cfg: cfg.clone(),
        block: block.clone(),
        tx,
    };
    TxExecution::new_system(env).resume(view)
}

/// Checks and charges the deployment of a creation frame's output. `Ok(Some(code))` to install,
/// `Ok(None)` for a Frontier out-of-gas deposit (creation succeeds without code).
fn deposit_code(
    spec: SpecId,
    max_code_size: usize,
    frame: &mut Frame,
) -> Result<Option<Code>, HaltReason> {
    let out = &frame.output;
    if spec.is_enabled_in(SpecId::LONDON) && out.first() == Some(&0xef) {
        return Err(HaltReason::InvalidCodePrefix);
    }
    if spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) && out.len() > max_code_size {
        return Err(HaltReason::CodeSizeLimit);
    }
    let cost = gas::CODE_DEPOSIT * out.len() as u64;
    if !frame.gas.charge(cost) {
        if spec.is_enabled_in(SpecId::HOMESTEAD) {
            return Err(HaltReason::OutOfGas);
        }
        return Ok(None);
    }
    Ok(Some(Arc::new(Bytecode::new(out.clone()))))
}

/// `gas * price` as `U256` multiplication does it (modulo 2^256), and whether the product overflowed:
/// four limb products for a 64-bit gas amount instead of the general product's ten.
#[inline]
fn gas_cost_overflowing(gas: u64, price: U256) -> (U256, bool) {
    let mut limbs = [0u64; 4];
    let mut carry = 0u64;
    for (out, &p) in limbs.iter_mut().zip(price.as_limbs()) {
        let wide = u128::from(p) * u128::from(gas) + u128::from(carry);
        *out = wide as u64;
        carry = (wide >> 64) as u64;
    }
    (U256::from_limbs(limbs), carry != 0)
}

/// `U256::from(gas) * price` (wrapping).
#[inline]
fn gas_cost(gas: u64, price: U256) -> U256 {
    gas_cost_overflowing(gas, price).0
}

/// `U256::from(gas).checked_mul(price)`.
#[inline]
fn checked_gas_cost(gas: u64, price: U256) -> Option<U256> {
    match gas_cost_overflowing(gas, price) {
        (c, false) => Some(c),
        (_, true) => None,
    }
}

/// Intrinsic gas and the EIP-7623 calldata floor of a transaction.
pub fn intrinsic_gas(spec: SpecId, env: &Env) -> (u64, u64) {
    let tx = &env.tx;
    let zeros = tx.data.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = tx.data.len() as u64 - zeros;
    let nonzero_cost = if spec.is_enabled_in(SpecId::ISTANBUL) {
        16
    } else {
        68
    };
    let mut gas = 21000 + zeros * 4 + nonzeros * nonzero_cost;
    if tx.kind.is_create() {
        if spec.is_enabled_in(SpecId::HOMESTEAD) {
            gas += 32000;
        }
        if spec.is_enabled_in(SpecId::SHANGHAI) {
            gas += gas::INITCODE_WORD * (tx.data.len() as u64).div_ceil(32);
        }
    }
    for item in &tx.access_list {
        gas += 2400 + 1900 * item.storage_keys.len() as u64;
    }
    gas += eip7702::PER_EMPTY_ACCOUNT_COST * tx.authorization_list.len() as u64;
    let floor = if spec.is_enabled_in(SpecId::PRAGUE) {
        21000 + 10 * (zeros + 4 * nonzeros)
    } else {
        0
    };
    (gas, floor)
}

/// What a chain rule reads through: the transaction's journal over its view, so every read is recorded.
struct JournalState<'a> {
    journal: &'a mut Journal,
    view: &'a dyn StateView,
}

impl RuleState for JournalState<'_> {
    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ViewError> {
        self.journal
            .slot(self.view, address, slot)
            .map(|s| s.current)
    }
}

/// A view for journal calls that are known to hit the cache only.
struct NoView;

impl StateView for NoView {
    fn balance(&self, _: Address) -> Result<U256, ViewError> {
        Err(ViewError::Backend("unexpected read".into()))
    }
    fn nonce(&self, _: Address) -> Result<u64, ViewError> {
        Err(ViewError::Backend("unexpected read".into()))
    }
    fn code_hash(&self, _: Address) -> Result<B256, ViewError> {
        Err(ViewError::Backend("unexpected read".into()))
    }
    fn code_by_hash(&self, _: B256) -> Result<Code, ViewError> {
        Err(ViewError::Backend("unexpected read".into()))
    }
    fn storage(&self, _: Address, _: U256) -> Result<U256, ViewError> {
        Err(ViewError::Backend("unexpected read".into()))
    }
    fn block_hash(&self, _: u64) -> Result<B256, ViewError> {
        Err(ViewError::Backend("unexpected read".into()))
    }
    fn has_storage(&self, _: Address) -> Result<bool, ViewError> {
        Err(ViewError::Backend("unexpected read".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_cost_is_the_u256_product() {
        let prices = [
            U256::ZERO,
            U256::from(7u8),
            U256::from(u64::MAX),
            U256::from(u64::MAX) + U256::from(1u8),
            U256::from(3u8) << 190,
            U256::MAX >> 64,
            U256::MAX,
        ];
        for price in prices {
            for gas in [0, 1, 21_000, 1 << 40, u64::MAX] {
                let wide = U256::from(gas);
                assert_eq!(gas_cost(gas, price), wide.wrapping_mul(price));
                assert_eq!(checked_gas_cost(gas, price), wide.checked_mul(price));
            }
        }
    }
}
