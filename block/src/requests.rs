//! Execution-layer requests (Prague): EIP-6110 deposits parsed from the deposit contract's logs, the
//! EIP-7002 and EIP-7251 queues read by system calls, and the EIP-7685 `requestsHash` over all of them.

use crate::error::BlockError;
use crate::receipt::TypedReceipt;
use alloy_eips::eip7685::Requests;
use alloy_primitives::{b256, Bytes, B256, U256};

pub use alloy_eips::eip6110::{DEPOSIT_REQUEST_TYPE, MAINNET_DEPOSIT_CONTRACT_ADDRESS};
pub use alloy_eips::eip7002::WITHDRAWAL_REQUEST_TYPE;
pub use alloy_eips::eip7251::CONSOLIDATION_REQUEST_TYPE;

/// `keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)")`.
pub const DEPOSIT_EVENT_TOPIC: B256 =
    b256!("649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5");

/// Length of the ABI-encoded `DepositEvent` data.
const DEPOSIT_EVENT_LENGTH: usize = 576;

/// The fields of a `DepositEvent`, in order: (offset word position, expected offset, size).
/// Each field is an ABI `bytes` whose offset and length are fixed by the contract.
const DEPOSIT_FIELDS: [(usize, usize, usize); 5] = [
    (0, 160, 48),  // pubkey
    (32, 256, 32), // withdrawal credentials
    (64, 320, 8),  // amount
    (96, 384, 96), // signature
    (128, 512, 8), // index
];

/// Reads a 32-byte big-endian word at `at` as a usize (`None` if it does not fit).
fn word(data: &[u8], at: usize) -> Option<usize> {
    let bytes = data.get(at..at + 32)?;
    usize::try_from(U256::from_be_slice(bytes)).ok()
}

/// Extracts one deposit request (pubkey ‖ credentials ‖ amount ‖ signature ‖ index, 192 bytes) from the
/// data of a `DepositEvent` log, checking the ABI layout the deposit contract always produces.
pub fn deposit_from_log_data(data: &[u8]) -> Result<Vec<u8>, &'static str> {
    if data.len() != DEPOSIT_EVENT_LENGTH {
        return Err("deposit event data has the wrong length");
    }
    let mut out = Vec::with_capacity(192);
    for (pos, offset, size) in DEPOSIT_FIELDS {
        if word(data, pos) != Some(offset) {
            return Err("deposit event field offset is wrong");
        }
        if word(data, offset) != Some(size) {
            return Err("deposit event field size is wrong");
        }
        out.extend_from_slice(&data[offset + 32..offset + 32 + size]);
    }
    Ok(out)
}

/// Concatenated deposit requests from every deposit-contract log of the block's receipts.
pub fn parse_deposits(receipts: &[TypedReceipt]) -> Result<Vec<u8>, BlockError> {
    let mut out = Vec::new();
    for (tx, receipt) in receipts.iter().enumerate() {
        for (log_index, log) in receipt.logs().iter().enumerate() {
            if log.address != MAINNET_DEPOSIT_CONTRACT_ADDRESS
                || log.topics().first() != Some(&DEPOSIT_EVENT_TOPIC)
            {
                continue;
            }
            let request = deposit_from_log_data(&log.data.data).map_err(|reason| {
                BlockError::DepositLayout {
                    tx,
                    log: log_index,
                    reason,
                }
            })?;
            out.extend_from_slice(&request);
        }
    }
    Ok(out)
}

/// The block's requests, each as `type ‖ data`, in type order.
pub fn collect_requests(deposits: &[u8], withdrawals: &[u8], consolidations: &[u8]) -> Requests {
    let mut requests = Requests::default();
    for (ty, data) in [
        (DEPOSIT_REQUEST_TYPE, deposits),
        (WITHDRAWAL_REQUEST_TYPE, withdrawals),
        (CONSOLIDATION_REQUEST_TYPE, consolidations),
    ] {
        let mut bytes = Vec::with_capacity(1 + data.len());
        bytes.push(ty);
        bytes.extend_from_slice(data);
        requests.push_request(Bytes::from(bytes));
    }
    requests
}

/// The EIP-7685 hash: `sha256(sha256(r_0) ‖ sha256(r_1) ‖ ...)` over the non-empty requests.
pub fn requests_hash(requests: &Requests) -> B256 {
    requests.requests_hash()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;

    fn deposit_event() -> Vec<u8> {
        let mut d = vec![0u8; DEPOSIT_EVENT_LENGTH];
        for (pos, offset, size) in DEPOSIT_FIELDS {
            d[pos..pos + 32].copy_from_slice(&U256::from(offset).to_be_bytes::<32>());
            d[offset..offset + 32].copy_from_slice(&U256::from(size).to_be_bytes::<32>());
            for b in &mut d[offset + 32..offset + 32 + size] {
                *b = size as u8;
            }
        }
        d
    }

    #[test]
    fn deposit_layout() {
        let data = deposit_event();
        let req = deposit_from_log_data(&data).expect("well-formed");
        assert_eq!(req.len(), 192);
        assert_eq!(req[0], 48);
        assert_eq!(req[191], 8);
        let mut bad = data.clone();
        bad[31] = 161;
        assert!(deposit_from_log_data(&bad).is_err());
        let mut bad = data.clone();
        bad[160 + 31] = 47;
        assert!(deposit_from_log_data(&bad).is_err());
        assert!(deposit_from_log_data(&data[..575]).is_err());
    }

    #[test]
    fn empty_requests_hash() {
        let r = collect_requests(&[], &[], &[]);
        assert_eq!(requests_hash(&r), EMPTY_REQUESTS_HASH);
    }
}
