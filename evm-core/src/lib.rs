//! # parevm-evm-core
//!
//! parevm's own EVM: executes **one transaction against a [`StateView`]** and returns a [`TxOutcome`] that
//! carries, besides status, gas, logs and output, the transaction's read set and write set.
//!
//! Where it sits in the data flow:
//! ```text
//! block + txs -> scheduler -> worker -> evm_core::TxExecution::resume(&StateView) -> TxOutcome { reads, writes }
//!             -> validation -> ordered commit -> state diff -> storage + state root
//! ```
//!
//! Design points the parallel layer relies on:
//! - CALL and CREATE never recurse in Rust: [`transact`] owns an explicit frame stack.
//! - Every state read goes through [`StateView`], per location. A read may answer
//!   [`ViewError::NotReady`]; the execution then *parks* with its frame stack intact and
//!   [`TxExecution::resume`] continues from the blocked instruction.
//! - Fee and value credits to accounts whose balance the transaction never read are commutative deltas
//!   ([`outcome::BalanceWrite::Add`]).
//! - A contract balance read only to check that it covers payments out is reported with the least value
//!   that passes those checks ([`TxOutcome::balance_bounds`]), so a validator can take a changed one.
//! - Chain-specific rules plug in through [`rules::ChainRules`]; Ethereum mainnet is [`rules::Ethereum`].
#![warn(missing_docs)]
#![deny(unsafe_code)]

#[allow(unsafe_code)] // One unchecked jump-table lookup whose index analysis bounds.
pub mod code;
pub mod code_twins;
pub mod env;
pub mod error;
pub mod frame_mode;
#[allow(unsafe_code)]
// The dispatch loop and the stack: unchecked access behind checks done per basic block.
pub mod interpreter;
pub mod journal;
pub mod outcome;
pub mod precompile_moves;
pub mod precompile_split;
pub mod precompiles;
pub mod rules;
pub mod spec;
pub mod transact;
pub mod view;

pub use alloy_primitives::{Address, Bytes, Log, B256, U256};
pub use code::{Bytecode, Code};
pub use env::{BlockEnv, CfgEnv, Env, TxEnv};
pub use error::{InvalidTx, TxError};
pub use outcome::{
    AccountWrite, BalanceWrite, ExecStatus, HaltReason, ReadSet, TxOutcome, WriteSet,
};
pub use revm_primitives::KECCAK_EMPTY;
pub use spec::SpecId;
pub use transact::{
    call_kind, execute_system_call, execute_tx, intrinsic_gas, run_frame_helper, CallKind,
    ExecStats, FrameBoard, RedoLog, TxExecution, SYSTEM_ADDRESS, TX_GAS_LIMIT_CAP,
};
pub use view::{AccountBasic, Location, StateView, TxIdx, ViewError};
