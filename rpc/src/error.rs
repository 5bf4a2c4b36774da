//! Typed JSON-RPC errors with the codes and messages anvil answers with (clients match on both): invalid
//! params -32602, internal -32603, revert 3 with the revert data, transaction rejections -32003, unknown
//! blocks and unsupported features with their own codes.

use alloy_primitives::Bytes;
use jsonrpsee::types::ErrorObjectOwned;
use parevm_chain::{CallError, ChainError, PoolError};
use parevm_evm_core::{ExecStatus, HaltReason, InvalidTx, TxError};

/// JSON-RPC error codes.
pub mod code {
    /// The request is not valid JSON-RPC.
    pub const INVALID_REQUEST: i32 = -32600;
    /// Unknown method.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Parameters of the wrong type or shape.
    pub const INVALID_PARAMS: i32 = -32602;
    /// The server failed (and EVM halts in eth_call, as anvil reports them).
    pub const INTERNAL: i32 = -32603;
    /// Transaction rejected (geth's and anvil's code for pool and validation errors).
    pub const TRANSACTION_REJECTED: i32 = -32003;
    /// Execution reverted (EIP-1474 / geth): `data` holds the revert bytes.
    pub const EXECUTION_REVERTED: i32 = 3;
    /// Server error (geth's generic -32000).
    pub const SERVER: i32 = -32000;
}

/// An error answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// Bad parameters.
    #[error("{0}")]
    InvalidParams(String),
    /// Execution reverted with this output.
    #[error("execution reverted")]
    Reverted(Bytes),
    /// The EVM halted (out of gas, invalid opcode...).
    #[error("EVM error {}", .0.revm_name())]
    Halted(HaltReason),
    /// The transaction was refused.
    #[error("{0}")]
    Rejected(String),
    /// Something the server could not do.
    #[error("{0}")]
    Internal(String),
    /// A generic server error (-32000).
    #[error("{0}")]
    Server(String),
    /// A method that exists but is not available in this mode.
    #[error("{0}")]
    Unsupported(String),
    /// An error with its own code (`eth_simulateV1`'s execution-apis codes).
    #[error("{1}")]
    Coded(i32, String),
    /// The sender cannot pay gas × price + value: anvil's words and code (-32003) here; `parevm node`
    /// answers geth's and op-reth's (-32000, lower case) for it.
    #[error("Insufficient funds for gas * price + value")]
    InsufficientFunds,
}

impl RpcError {
    /// The answer for a finished execution that did not succeed.
    pub fn from_failed(status: ExecStatus, output: Bytes) -> Self {
        match status {
            ExecStatus::Halt(h) => RpcError::Halted(h),
            _ => RpcError::Reverted(output),
        }
    }
}

/// The message anvil gives a revert: the decoded reason when the data is `Error(string)` or `Panic(uint)`.
pub fn revert_message(output: &[u8]) -> String {
    match decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    }
}

/// Decodes `Error(string)` (selector 0x08c379a0) into `revert: <msg>` and `Panic(uint256)` (0x4e487b71)
/// into `panic: <description> (0x..)`, as anvil words them. Custom errors are left to the client.
pub fn decode_revert_reason(output: &[u8]) -> Option<String> {
    let (sel, rest) = (output.get(..4)?, output.get(4..)?);
    match sel {
        [0x08, 0xc3, 0x79, 0xa0] => {
            let offset = usize::try_from(word(rest, 0)?).ok()?;
            let len = usize::try_from(word(rest, offset)?).ok()?;
            let start = offset.checked_add(32)?;
            let bytes = rest.get(start..start.checked_add(len)?)?;
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        [0x4e, 0x48, 0x7b, 0x71] => {
            let c = word(rest, 0)?;
            Some(format!("panic: {} ({c:#x})", panic_text(c)))
        }
        _ => None,
    }
}

fn word(data: &[u8], at: usize) -> Option<u64> {
    let w = data.get(at..at.checked_add(32)?)?;
    if w[..24].iter().any(|b| *b != 0) {
        return None;
    }
    Some(u64::from_be_bytes(w[24..].try_into().ok()?))
}

fn panic_text(code: u64) -> &'static str {
    match code {
        0x00 => "generic/unspecified error",
        0x01 => "assertion failed",
        0x11 => "arithmetic underflow or overflow",
        0x12 => "division or modulo by zero",
        0x21 => "failed to convert value into enum type",
        0x22 => "storage byte array incorrectly encoded",
        0x31 => "called `.pop()` on an empty array",
        0x32 => "array out-of-bounds access",
        0x41 => "out of memory",
        0x51 => "called a zero-initialized variable of internal function type",
        _ => "unknown panic code",
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::InvalidParams(m) => {
                ErrorObjectOwned::owned(code::INVALID_PARAMS, m, None::<()>)
            }
            RpcError::Reverted(out) => {
                ErrorObjectOwned::owned(code::EXECUTION_REVERTED, revert_message(&out), Some(out))
            }
            RpcError::Halted(h) => ErrorObjectOwned::owned(
                code::INTERNAL,
                format!("EVM error {}", h.revm_name()),
                None::<()>,
            ),
            RpcError::Rejected(m) => {
                ErrorObjectOwned::owned(code::TRANSACTION_REJECTED, m, None::<()>)
            }
            RpcError::Internal(m) => ErrorObjectOwned::owned(code::INTERNAL, m, None::<()>),
            RpcError::Coded(c, m) => ErrorObjectOwned::owned(c, m, None::<()>),
            RpcError::InsufficientFunds => {
                ErrorObjectOwned::owned(code::TRANSACTION_REJECTED, e.to_string(), None::<()>)
            }
            RpcError::Server(m) | RpcError::Unsupported(m) => {
                ErrorObjectOwned::owned(code::SERVER, m, None::<()>)
            }
        }
    }
}

impl From<ChainError> for RpcError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Pool(p) => p.into(),
            ChainError::BlockNotFound(_) | ChainError::StatePruned(_) => {
                RpcError::Server(e.to_string())
            }
            ChainError::UnknownSnapshot(_) | ChainError::Rollback(_) => {
                RpcError::InvalidParams(e.to_string())
            }
            ChainError::State(_)
            | ChainError::Build(_)
            | ChainError::Root(_)
            | ChainError::Journal(_) => RpcError::Internal(e.to_string()),
        }
    }
}

impl From<PoolError> for RpcError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::InsufficientFunds { .. } => RpcError::InsufficientFunds,
            _ => RpcError::Rejected(e.to_string()),
        }
    }
}

impl From<CallError> for RpcError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Chain(c) => c.into(),
            CallError::Invalid(i) => invalid_tx(&i),
        }
    }
}

/// A traced replay's failure: a transaction the EVM refuses as anvil reports it, a state read that failed
/// as an internal error.
impl From<TxError> for RpcError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Invalid(i) => invalid_tx(&i),
            TxError::View(v) => RpcError::Internal(v.to_string()),
        }
    }
}

/// How anvil reports a transaction the EVM refuses in a call.
pub fn invalid_tx(i: &InvalidTx) -> RpcError {
    match i {
        InvalidTx::InsufficientFunds { .. } => RpcError::InsufficientFunds,
        InvalidTx::IntrinsicGasTooLow { .. } => RpcError::Server("intrinsic gas too low".into()),
        InvalidTx::NonceMismatch { tx, state } if tx < state => {
            RpcError::Rejected("nonce too low".into())
        }
        InvalidTx::NonceMismatch { .. } => RpcError::Rejected("nonce too high".into()),
        InvalidTx::FeeBelowBaseFee => {
            RpcError::Rejected("max fee per gas less than block base fee".into())
        }
        other => RpcError::Rejected(other.to_string()),
    }
}

impl From<parevm_evm_core::ViewError> for RpcError {
    fn from(e: parevm_evm_core::ViewError) -> Self {
        RpcError::Internal(e.to_string())
    }
}

/// Result type of RPC handlers.
pub type RpcResult<T> = Result<T, RpcError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_error_string_and_panic() {
        // Error("no")
        let mut data = vec![0x08, 0xc3, 0x79, 0xa0];
        data.extend([0u8; 31]);
        data.push(0x20);
        data.extend([0u8; 31]);
        data.push(2);
        data.extend(b"no");
        data.extend([0u8; 30]);
        assert_eq!(revert_message(&data), "execution reverted: no");
        let mut panic = vec![0x4e, 0x48, 0x7b, 0x71];
        panic.extend([0u8; 31]);
        panic.push(0x11);
        assert_eq!(
            revert_message(&panic),
            "execution reverted: panic: arithmetic underflow or overflow (0x11)"
        );
        assert_eq!(revert_message(&[1, 2, 3]), "execution reverted");
        // Truncated data never panics.
        assert_eq!(decode_revert_reason(&data[..40]), None);
    }
}
