//! What "the parallel result equals the sequential one" means for callers that check it before they use
//! or time a parallel run (the benchmark suites, `parevm demo`): per transaction, the same validity
//! verdict and, for a valid transaction, the same effects.

use parevm_evm_core::{InvalidTx, TxOutcome};
use thiserror::Error;

/// The first way two per-transaction result lists of one block differ.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResultMismatch {
    /// The lists have different lengths.
    #[error("{actual} results, expected {expected}")]
    Count {
        /// Length of the reference list.
        expected: usize,
        /// Length of the checked list.
        actual: usize,
    },
    /// Transaction `.0` differs.
    #[error("transaction {0} differs")]
    Transaction(usize),
}

/// True when two results of one transaction have the same effects: both invalid for the same reason, or
/// both valid with equal status, gas used, refund, output, logs, created address and write set (the
/// state diff). The read sets are not compared: they record how a result was reached, not what it is.
pub fn same_effects(a: &Result<TxOutcome, InvalidTx>, b: &Result<TxOutcome, InvalidTx>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            a.status == b.status
                && a.gas_used == b.gas_used
                && a.gas_refunded == b.gas_refunded
                && a.output == b.output
                && a.logs == b.logs
                && a.created_address == b.created_address
                && a.writes == b.writes
        }
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

/// Checks `actual` against `expected` transaction by transaction with [`same_effects`].
pub fn compare_results(
    expected: &[Result<TxOutcome, InvalidTx>],
    actual: &[Result<TxOutcome, InvalidTx>],
) -> Result<(), ResultMismatch> {
    if expected.len() != actual.len() {
        return Err(ResultMismatch::Count {
            expected: expected.len(),
            actual: actual.len(),
        });
    }
    match expected
        .iter()
        .zip(actual)
        .position(|(a, b)| !same_effects(a, b))
    {
        Some(i) => Err(ResultMismatch::Transaction(i)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Location;
    use alloy_primitives::{Address, Bytes, U256};
    use parevm_evm_core::ExecStatus;

    fn outcome(gas_used: u64) -> Result<TxOutcome, InvalidTx> {
        Ok(TxOutcome {
            status: ExecStatus::Success,
            gas_used,
            gas_refunded: 0,
            logs: Vec::new(),
            output: Bytes::new(),
            created_address: None,
            reads: Vec::new(),
            writes: Vec::new(),
            balance_bounds: Vec::new(),
        })
    }

    #[test]
    fn equal_lists_compare_equal_whatever_was_read() {
        let a = vec![outcome(21_000), Err(InvalidTx::NonceOverflow)];
        let mut b = a.clone();
        if let Ok(o) = &mut b[0] {
            o.reads.push((Location::Nonce(Address::ZERO), U256::ZERO));
        }
        assert_eq!(compare_results(&a, &b), Ok(()));
    }

    #[test]
    fn the_first_differing_transaction_is_named() {
        let a = vec![outcome(21_000), outcome(30_000), outcome(40_000)];
        let mut b = a.clone();
        if let Ok(o) = &mut b[1] {
            o.gas_refunded = 1;
        }
        b[2] = Err(InvalidTx::NonceOverflow);
        assert_eq!(compare_results(&a, &b), Err(ResultMismatch::Transaction(1)));
        assert!(!same_effects(&a[2], &b[2]), "valid against invalid");
    }

    #[test]
    fn lengths_must_match() {
        let a = vec![outcome(21_000)];
        assert_eq!(
            compare_results(&a, &[]),
            Err(ResultMismatch::Count {
                expected: 1,
                actual: 0
            })
        );
    }
}
