//! What one transaction produced: status, gas, logs, output, and the read and write sets the parallel layer
//! validates and commits.

use crate::code::Code;
use crate::view::Location;
use alloy_primitives::{Address, Bytes, Log, B256, U256};

/// Why execution stopped abnormally (all gas of the frame is consumed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HaltReason {
    /// Ran out of gas.
    OutOfGas,
    /// Popped from an empty stack.
    StackUnderflow,
    /// Pushed onto a full stack.
    StackOverflow,
    /// An undefined opcode.
    InvalidOpcode,
    /// The designated INVALID opcode (0xFE, EIP-141).
    DesignatedInvalid,
    /// Jump to a non-JUMPDEST.
    InvalidJump,
    /// State change inside STATICCALL.
    StaticStateChange,
    /// RETURNDATACOPY past the end of the return data.
    ReturnDataOutOfBounds,
    /// Contract creation at an address that already has code, a nonce or storage (EIP-7610).
    CreateCollision,
    /// Deployed code larger than EIP-170 allows.
    CodeSizeLimit,
    /// Deployed code starts with 0xEF (EIP-3541).
    InvalidCodePrefix,
    /// Precompile rejected its input.
    PrecompileError,
    /// Nonce overflow in CREATE.
    NonceOverflow,
    /// The top-level call or creation could not move its value (only a deposit, or a run without the
    /// balance check, gets that far without the funds).
    OutOfFunds,
    /// A deposit that could not execute: only its mint and nonce bump remain (OP Stack).
    FailedDeposit,
}

impl HaltReason {
    /// geth's wording of the halt, as its tracers (call tracer, struct logs, EIP-3155) print it.
    pub fn geth_message(self) -> &'static str {
        match self {
            HaltReason::OutOfGas => "out of gas",
            HaltReason::StackUnderflow => "stack underflow",
            HaltReason::StackOverflow => "stack limit reached 1024 (1023)",
            HaltReason::InvalidOpcode => "invalid opcode",
            HaltReason::DesignatedInvalid => "invalid opcode: INVALID",
            HaltReason::InvalidJump => "invalid jump destination",
            HaltReason::StaticStateChange => "write protection",
            HaltReason::ReturnDataOutOfBounds => "return data out of bounds",
            HaltReason::CreateCollision => "contract address collision",
            HaltReason::CodeSizeLimit => "max code size exceeded",
            HaltReason::InvalidCodePrefix => "invalid code: must not begin with 0xef",
            HaltReason::PrecompileError => "precompile failed",
            HaltReason::NonceOverflow => "nonce uint64 overflow",
            HaltReason::OutOfFunds => "insufficient balance for transfer",
            HaltReason::FailedDeposit => "failed deposit",
        }
    }

    /// Every halt reason, for lookups by wording.
    pub const ALL: [HaltReason; 15] = [
        HaltReason::OutOfGas,
        HaltReason::StackUnderflow,
        HaltReason::StackOverflow,
        HaltReason::InvalidOpcode,
        HaltReason::DesignatedInvalid,
        HaltReason::InvalidJump,
        HaltReason::StaticStateChange,
        HaltReason::ReturnDataOutOfBounds,
        HaltReason::CreateCollision,
        HaltReason::CodeSizeLimit,
        HaltReason::InvalidCodePrefix,
        HaltReason::PrecompileError,
        HaltReason::NonceOverflow,
        HaltReason::OutOfFunds,
        HaltReason::FailedDeposit,
    ];

    /// revm's name of the halt (its `InstructionResult`), which reth, op-reth and anvil print in errors
    /// ("EVM error OutOfOffset") and, where geth has no wording of its own, in traces.
    pub fn revm_name(self) -> &'static str {
        match self {
            HaltReason::OutOfGas => "OutOfGas",
            HaltReason::StackUnderflow => "StackUnderflow",
            HaltReason::StackOverflow => "StackOverflow",
            HaltReason::InvalidOpcode => "OpcodeNotFound",
            HaltReason::DesignatedInvalid => "InvalidFEOpcode",
            HaltReason::InvalidJump => "InvalidJump",
            HaltReason::StaticStateChange => "StateChangeDuringStaticCall",
            HaltReason::ReturnDataOutOfBounds => "OutOfOffset",
            HaltReason::CreateCollision => "CreateCollision",
            HaltReason::CodeSizeLimit => "CreateContractSizeLimit",
            HaltReason::InvalidCodePrefix => "CreateContractStartingWithEF",
            HaltReason::PrecompileError => "PrecompileError",
            HaltReason::NonceOverflow => "NonceOverflow",
            HaltReason::OutOfFunds => "OutOfFunds",
            HaltReason::FailedDeposit => "FailedDeposit",
        }
    }

    /// The wording of the RPC call tracers of reth, op-reth and anvil (revm-inspectors, geth style):
    /// geth's for the halts geth names the same way, revm's halt name for the others.
    pub fn inspector_message(self) -> &'static str {
        match self {
            HaltReason::OutOfGas => "out of gas",
            HaltReason::StackOverflow => "Out of stack",
            HaltReason::InvalidOpcode => "invalid opcode",
            HaltReason::DesignatedInvalid => "invalid opcode: INVALID",
            HaltReason::InvalidJump => "invalid jump destination",
            HaltReason::PrecompileError => "precompiled failed",
            HaltReason::OutOfFunds => "insufficient balance for transfer",
            h => h.revm_name(),
        }
    }

    /// The wording of Parity-style traces (`trace_*`) in reth, op-reth and anvil.
    pub fn parity_message(self) -> &'static str {
        match self {
            HaltReason::OutOfGas => "Out of gas",
            HaltReason::StackOverflow => "Out of stack",
            HaltReason::InvalidOpcode | HaltReason::DesignatedInvalid => "Bad instruction",
            HaltReason::InvalidJump => "Bad jump destination",
            HaltReason::PrecompileError => "Built-in failed",
            HaltReason::OutOfFunds => "Insufficient balance for transfer",
            h => h.inspector_message(),
        }
    }
}

/// How a transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecStatus {
    /// Finished normally.
    Success,
    /// REVERT at the top level: state changes discarded, unused gas returned.
    Revert,
    /// Exceptional halt: state changes discarded, all gas consumed.
    Halt(HaltReason),
}

impl ExecStatus {
    /// True for [`ExecStatus::Success`].
    pub fn is_success(&self) -> bool {
        matches!(self, ExecStatus::Success)
    }
}

/// A change to an account's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BalanceWrite {
    /// The balance becomes this value (the transaction read it).
    Set(U256),
    /// The balance grows by this amount (the transaction never read it): commutes with other credits.
    Add(U256),
}

/// Everything a transaction changed about one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountWrite {
    /// The account.
    pub address: Address,
    /// The account no longer exists after the transaction (SELFDESTRUCT or EIP-161 clearing).
    pub destroyed: bool,
    /// Storage is wiped before `storage` is applied (contract created in this transaction).
    pub storage_reset: bool,
    /// New balance or credit.
    pub balance: Option<BalanceWrite>,
    /// New nonce.
    pub nonce: Option<u64>,
    /// New code hash and code (`KECCAK_EMPTY` with empty code marks a new account without code).
    pub code: Option<(B256, Code)>,
    /// Changed storage slots, sorted by slot.
    pub storage: Vec<(U256, U256)>,
}

impl AccountWrite {
    /// An empty write for `address`.
    pub fn new(address: Address) -> Self {
        Self {
            address,
            destroyed: false,
            storage_reset: false,
            balance: None,
            nonce: None,
            code: None,
            storage: Vec::new(),
        }
    }
}

/// Every location a transaction read from its view, with the value it saw, in first-read order.
pub type ReadSet = Vec<(Location, U256)>;

/// Every account a transaction changed, sorted by address.
pub type WriteSet = Vec<AccountWrite>;

/// The result of a valid transaction.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    /// How execution ended.
    pub status: ExecStatus,
    /// Gas charged to the sender (after refunds and the EIP-7623 floor).
    pub gas_used: u64,
    /// Refund granted (already subtracted from `gas_used`).
    pub gas_refunded: u64,
    /// Logs, empty unless `status` is success.
    pub logs: Vec<Log>,
    /// Return or revert data.
    pub output: Bytes,
    /// Address of the created contract for a successful creation.
    pub created_address: Option<Address>,
    /// Locations read from the view and the values seen.
    pub reads: ReadSet,
    /// State changes, the beneficiary's fee credit included.
    pub writes: WriteSet,
    /// Balances read only to check that they cover transfers out, each with the least value for which
    /// every such check passes as it did (see `Journal::balance_bounds`). A validator that finds such a
    /// read changed to a value at least the bound may take the outcome with that read's value replaced
    /// and the account's balance write moved by the difference: that is what re-executing gives.
    pub balance_bounds: Vec<(Address, U256)>,
}

#[cfg(test)]
mod tests {
    use super::HaltReason;
    use std::collections::HashSet;

    /// Parity traces find a halt by its recorded wording, so each wording names one halt; `ALL` lists each
    /// halt once.
    #[test]
    fn halt_wordings_name_one_halt_each() {
        let all: HashSet<_> = HaltReason::ALL.iter().collect();
        assert_eq!(all.len(), HaltReason::ALL.len());
        let words: HashSet<_> = HaltReason::ALL
            .iter()
            .map(|h| h.inspector_message())
            .collect();
        assert_eq!(words.len(), HaltReason::ALL.len());
        let names: HashSet<_> = HaltReason::ALL.iter().map(|h| h.revm_name()).collect();
        assert_eq!(names.len(), HaltReason::ALL.len());
        assert_eq!(
            HaltReason::DesignatedInvalid.parity_message(),
            "Bad instruction"
        );
        assert_eq!(
            HaltReason::ReturnDataOutOfBounds.parity_message(),
            "OutOfOffset"
        );
    }
}
