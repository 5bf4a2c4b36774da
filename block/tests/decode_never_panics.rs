//! Malformed block bytes give a typed error, never a panic: random bytes, and valid blocks truncated or
//! with bytes flipped, through `decode_block` and `decode_header`.

use alloy_consensus::{Block, BlockBody, Header};
use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{Address, B256};
use alloy_rlp::Encodable;
use parevm_block::input::{decode_block, decode_header, BlockTx, DecodeError};
use proptest::prelude::*;

/// The RLP of a valid block with `withdrawals` withdrawals and a header stamped from `seed`.
fn valid_block(seed: u64, withdrawals: usize) -> Vec<u8> {
    let header = Header {
        number: seed,
        gas_limit: 30_000_000,
        timestamp: seed.wrapping_mul(12),
        base_fee_per_gas: Some(7),
        parent_hash: B256::repeat_byte(seed as u8),
        withdrawals_root: Some(B256::ZERO),
        ..Default::default()
    };
    let block = Block::<BlockTx> {
        header,
        body: BlockBody {
            transactions: Vec::new(),
            ommers: Vec::new(),
            withdrawals: Some(
                (0..withdrawals)
                    .map(|i| Withdrawal {
                        index: i as u64,
                        validator_index: seed,
                        address: Address::repeat_byte(i as u8),
                        amount: 1_000 + i as u64,
                    })
                    .collect::<Vec<_>>()
                    .into(),
            ),
        },
    };
    let mut out = Vec::new();
    block.encode(&mut out);
    out
}

#[test]
fn a_valid_block_decodes_and_trailing_bytes_are_named() {
    let bytes = valid_block(5, 3);
    let decoded = decode_block(&bytes).expect("valid block decodes");
    assert_eq!(decoded.size, bytes.len());
    assert_eq!(decoded.block.header.number, 5);
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0x80, 0x80]);
    assert_eq!(
        decode_block(&longer).map(|_| ()),
        Err(DecodeError::TrailingBytes(2))
    );
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_block(&bytes);
        let _ = decode_header(&bytes);
    }

    #[test]
    fn truncated_blocks_are_errors(seed in any::<u64>(), n in 0usize..6, cut in any::<prop::sample::Index>()) {
        let bytes = valid_block(seed, n);
        let at = cut.index(bytes.len());
        prop_assert!(decode_block(&bytes[..at]).is_err());
    }

    #[test]
    fn flipped_bytes_never_panic(seed in any::<u64>(), n in 0usize..6, at in any::<prop::sample::Index>(), x in 1u8..=255) {
        let mut bytes = valid_block(seed, n);
        let i = at.index(bytes.len());
        bytes[i] ^= x;
        if let Ok(d) = decode_block(&bytes) {
            // Whatever decodes must describe exactly these bytes.
            prop_assert_eq!(d.size, bytes.len());
        }
    }
}
