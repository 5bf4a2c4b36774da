//! Checks of a header against its own body, before execution: transactions root, ommers, withdrawals root,
//! blob gas used (EIP-4844) and the RLP size limit (EIP-7934).

use crate::error::HeaderError;
use crate::fork::ForkParams;
use crate::header::GAS_PER_BLOB;
use crate::input::BlockInput;
use alloy_consensus::proofs;
use parevm_evm_core::SpecId;

/// EIP-7934: the largest RLP-encoded block (10 MiB minus a 2 MiB margin for the beacon block).
pub const MAX_RLP_BLOCK_SIZE: usize = 10 * 1024 * 1024 - 2 * 1024 * 1024;
/// The most ommers a block may include.
pub const MAX_OMMERS: usize = 2;
/// How far back an ommer may be.
pub const MAX_OMMER_DEPTH: u64 = 6;

/// Checks `input`'s body against its header under `fork`.
pub fn validate_body(input: &BlockInput, fork: &ForkParams) -> Result<(), HeaderError> {
    let header = &input.header;
    let spec = fork.spec;
    if let Some(expected) = input.transactions_root {
        if expected != header.transactions_root {
            return Err(HeaderError::TransactionsRoot {
                expected,
                got: header.transactions_root,
            });
        }
    }
    let ommers_hash = proofs::calculate_ommers_root(&input.ommers);
    if ommers_hash != header.ommers_hash {
        return Err(HeaderError::OmmersHash {
            expected: ommers_hash,
            got: header.ommers_hash,
        });
    }
    check_ommers(input)?;
    let withdrawals_root = input
        .withdrawals
        .as_deref()
        .map(proofs::calculate_withdrawals_root);
    let withdrawals_ok = spec.is_enabled_in(SpecId::SHANGHAI) == withdrawals_root.is_some();
    if !withdrawals_ok || withdrawals_root != header.withdrawals_root {
        return Err(HeaderError::WithdrawalsRoot {
            expected: withdrawals_root,
            got: header.withdrawals_root,
        });
    }
    if spec.is_enabled_in(SpecId::CANCUN) {
        // One transaction over the per-transaction cap (the block's maximum before Osaka) is that
        // transaction's fault, whatever the header says.
        let cap = fork.blob.max_per_tx.min(fork.blob.max);
        if let Some((index, tx)) = input
            .transactions
            .iter()
            .enumerate()
            .find(|(_, tx)| tx.blob_hashes.len() as u64 > cap)
        {
            return Err(HeaderError::TxBlobCount {
                index,
                blobs: tx.blob_hashes.len(),
                max: cap,
            });
        }
        let blobs: u64 = input
            .transactions
            .iter()
            .map(|tx| tx.blob_hashes.len() as u64)
            .sum();
        let used = blobs.saturating_mul(GAS_PER_BLOB);
        let max = fork.blob.max.saturating_mul(GAS_PER_BLOB);
        if used > max {
            return Err(HeaderError::BlobGasAboveMax { used, max });
        }
        let got = header.blob_gas_used.unwrap_or(0);
        if got != used {
            return Err(HeaderError::BlobGasUsed {
                expected: used,
                got,
            });
        }
    }
    if spec.is_enabled_in(SpecId::OSAKA) {
        if let Some(size) = input.encoded_size {
            if size > MAX_RLP_BLOCK_SIZE {
                return Err(HeaderError::BlockTooLarge {
                    size,
                    max: MAX_RLP_BLOCK_SIZE,
                });
            }
        }
    }
    Ok(())
}

/// At most two ommers, each at most six generations back and not the block itself.
///
/// The full rules (an ommer's parent is an ancestor, the ommer is not an ancestor nor already included)
/// need the chain; these are the checks one block allows.
fn check_ommers(input: &BlockInput) -> Result<(), HeaderError> {
    if input.ommers.len() > MAX_OMMERS {
        return Err(HeaderError::Ommers(format!(
            "{} ommers, at most {MAX_OMMERS}",
            input.ommers.len()
        )));
    }
    let number = input.header.number;
    for ommer in &input.ommers {
        if ommer.number >= number || number - ommer.number > MAX_OMMER_DEPTH {
            return Err(HeaderError::Ommers(format!(
                "ommer number {} for block {number}",
                ommer.number
            )));
        }
    }
    if input.ommers.len() == 2 && input.ommers[0] == input.ommers[1] {
        return Err(HeaderError::Ommers("duplicate ommer".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::Header;
    use alloy_primitives::B256;
    use parevm_evm_core::env::BlobParams;
    use parevm_evm_core::TxEnv;

    fn cancun() -> ForkParams {
        ForkParams {
            name: "Cancun",
            spec: SpecId::CANCUN,
            blob: BlobParams::for_spec(SpecId::CANCUN),
        }
    }

    fn input(blobs: usize, blob_gas_used: u64) -> BlockInput {
        BlockInput {
            header: Header {
                number: 1,
                withdrawals_root: Some(alloy_trie::EMPTY_ROOT_HASH),
                blob_gas_used: Some(blob_gas_used),
                ..Default::default()
            },
            transactions: vec![TxEnv {
                blob_hashes: vec![B256::ZERO; blobs],
                ..Default::default()
            }],
            withdrawals: Some(Vec::new()),
            ..Default::default()
        }
    }

    #[test]
    fn blob_gas_used_must_match() {
        assert_eq!(
            validate_body(&input(2, 2 * GAS_PER_BLOB), &cancun()),
            Ok(())
        );
        assert_eq!(
            validate_body(&input(2, GAS_PER_BLOB), &cancun()),
            Err(HeaderError::BlobGasUsed {
                expected: 2 * GAS_PER_BLOB,
                got: GAS_PER_BLOB
            })
        );
        // One transaction over the cap is that transaction's fault.
        assert_eq!(
            validate_body(&input(7, 7 * GAS_PER_BLOB), &cancun()),
            Err(HeaderError::TxBlobCount {
                index: 0,
                blobs: 7,
                max: 6
            })
        );
        // Two transactions within the cap, over the block's maximum together: the header's.
        let mut two = input(4, 8 * GAS_PER_BLOB);
        two.transactions.push(two.transactions[0].clone());
        assert_eq!(
            validate_body(&two, &cancun()),
            Err(HeaderError::BlobGasAboveMax {
                used: 8 * GAS_PER_BLOB,
                max: 6 * GAS_PER_BLOB
            })
        );
    }

    #[test]
    fn block_size_limit_from_osaka() {
        let osaka = ForkParams {
            name: "Osaka",
            spec: SpecId::OSAKA,
            blob: BlobParams::for_spec(SpecId::OSAKA),
        };
        let mut i = input(0, 0);
        i.header.requests_hash = Some(B256::ZERO);
        i.encoded_size = Some(MAX_RLP_BLOCK_SIZE);
        assert_eq!(validate_body(&i, &osaka), Ok(()));
        i.encoded_size = Some(MAX_RLP_BLOCK_SIZE + 1);
        assert_eq!(
            validate_body(&i, &osaka),
            Err(HeaderError::BlockTooLarge {
                size: MAX_RLP_BLOCK_SIZE + 1,
                max: MAX_RLP_BLOCK_SIZE
            })
        );
        // No limit before Osaka.
        assert_eq!(validate_body(&i, &cancun()), Ok(()));
    }

    #[test]
    fn withdrawals_must_match_the_fork() {
        let mut i = input(0, 0);
        i.withdrawals = None;
        assert!(matches!(
            validate_body(&i, &cancun()),
            Err(HeaderError::WithdrawalsRoot { .. })
        ));
    }
}
