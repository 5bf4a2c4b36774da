//! Why block RLP that alloy cannot decode is not a block, said precisely: after a failed decode,
//! [`diagnose`] walks the RLP structure itself (lists and strings only) and names the first
//! transaction-level or header-level reason it can prove. The generic RLP error stays when none applies.
//!
//! ```text
//! decode_block -> alloy fails -> diagnose(bytes) -> DecodeError::{CreateNotAllowed, FeeOverflow,
//!                                                                 HeaderFields} | the RLP error
//! ```

use crate::input::DecodeError;
use alloy_primitives::U256;
use alloy_rlp::{Decodable, Header as RlpHeader};

/// Fields of the shortest header (Frontier) and of the longest one this decoder knows (Prague/Osaka).
const HEADER_FIELDS: std::ops::RangeInclusive<usize> = 15..=21;

/// One RLP item: a list's payload or a string's bytes.
#[derive(Clone, Copy)]
enum Item<'a> {
    List(&'a [u8]),
    Bytes(&'a [u8]),
}

/// The next item of `buf`, advancing it; `None` when the RLP is malformed.
fn next<'a>(buf: &mut &'a [u8]) -> Option<Item<'a>> {
    let h = RlpHeader::decode(buf).ok()?;
    if buf.len() < h.payload_length {
        return None;
    }
    let (payload, rest) = buf.split_at(h.payload_length);
    *buf = rest;
    Some(if h.list {
        Item::List(payload)
    } else {
        Item::Bytes(payload)
    })
}

/// The items of a list payload; `None` when one is malformed.
fn items(mut payload: &[u8]) -> Option<Vec<Item<'_>>> {
    let mut out = Vec::new();
    while !payload.is_empty() {
        out.push(next(&mut payload)?);
    }
    Some(out)
}

/// A big-endian integer of at most 32 bytes.
fn uint(item: &Item<'_>) -> Option<U256> {
    match item {
        Item::Bytes(b) if b.len() <= 32 => Some(U256::from_be_slice(b)),
        _ => None,
    }
}

/// The reason a block that alloy could not decode is invalid, when the structure shows one.
pub fn diagnose(bytes: &[u8]) -> Option<DecodeError> {
    let mut buf = bytes;
    let Item::List(block) = next(&mut buf)? else {
        return None;
    };
    let parts = items(block)?;
    if let Some(Item::List(txs)) = parts.get(1) {
        for (index, tx) in items(txs)?.iter().enumerate() {
            if let Some(e) = diagnose_tx(index, tx) {
                return Some(e);
            }
        }
    }
    match parts.first() {
        Some(Item::List(header)) if !header_decodes(header) => {
            let fields = items(header)?.len();
            // A list of well-formed items that is not a header of any fork: a field missing or one too
            // many for the block's fork (the positions after it no longer fit their types).
            HEADER_FIELDS
                .contains(&fields)
                .then_some(DecodeError::HeaderFields { fields })
        }
        _ => None,
    }
}

/// True when the header list with this payload decodes as an alloy header.
fn header_decodes(payload: &[u8]) -> bool {
    let mut raw = Vec::with_capacity(payload.len() + 4);
    RlpHeader {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut raw);
    raw.extend_from_slice(payload);
    alloy_consensus::Header::decode(&mut raw.as_slice()).is_ok()
}

/// The reason transaction `index` of a block is invalid, from its structure alone.
fn diagnose_tx(index: usize, tx: &Item<'_>) -> Option<DecodeError> {
    // (type, fields) of a legacy transaction, or of a typed one (`type || rlp(list)` in a string).
    let (tx_type, fields) = match tx {
        Item::List(payload) => (0u8, items(payload)?),
        Item::Bytes(envelope) => {
            let (&ty, mut rest) = envelope.split_first()?;
            let Item::List(payload) = next(&mut rest)? else {
                return None;
            };
            (ty, items(payload)?)
        }
    };
    // Positions of the fee fields, the gas limit and `to` in each type's field list.
    let (fees, gas_limit, to): (&[usize], usize, usize) = match tx_type {
        0 => (&[1], 2, 3),
        1 => (&[2], 3, 4),
        2..=4 => (&[2, 3], 4, 5),
        _ => return None,
    };
    if matches!(tx_type, 3 | 4) && matches!(fields.get(to), Some(Item::Bytes([]))) {
        return Some(DecodeError::CreateNotAllowed { index, tx_type });
    }
    let gas_limit = uint(fields.get(gas_limit)?)?;
    for &f in fees {
        let fee = uint(fields.get(f)?)?;
        if fee.checked_mul(gas_limit).is_none() {
            return Some(DecodeError::FeeOverflow { index });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_rlp::Encodable;

    fn list(items: &[Vec<u8>]) -> Vec<u8> {
        let payload: Vec<u8> = items.concat();
        let mut out = Vec::new();
        RlpHeader {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend(payload);
        out
    }

    fn bytes(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        b.encode(&mut out);
        out
    }

    fn header(fields: usize) -> Vec<u8> {
        list(&vec![bytes(&[1]); fields])
    }

    #[test]
    fn names_a_set_code_creation() {
        // type 4: [chain, nonce, tip, fee, gas, to = "", ...]
        let tx = list(&[
            bytes(&[1]),
            bytes(&[]),
            bytes(&[1]),
            bytes(&[1]),
            bytes(&[0x52, 0x08]),
            bytes(&[]),
        ]);
        let mut envelope = vec![4u8];
        envelope.extend(tx);
        let block = list(&[header(20), list(&[bytes(&envelope)]), list(&[])]);
        assert_eq!(
            diagnose(&block),
            Some(DecodeError::CreateNotAllowed {
                index: 0,
                tx_type: 4
            })
        );
    }

    #[test]
    fn names_a_fee_whose_product_with_the_gas_limit_overflows() {
        // legacy: [nonce, gasPrice, gasLimit, to, value, data, v, r, s]
        let tx = list(&[
            bytes(&[]),
            bytes(&[0xff; 32]),
            bytes(&[0x52, 0x08]),
            bytes(&[0x11; 20]),
            bytes(&[1]),
            bytes(&[]),
            bytes(&[0x25]),
            bytes(&[1]),
            bytes(&[1]),
        ]);
        let block = list(&[header(15), list(&[tx]), list(&[])]);
        assert_eq!(
            diagnose(&block),
            Some(DecodeError::FeeOverflow { index: 0 })
        );
    }

    #[test]
    fn a_header_of_well_formed_fields_is_a_format_error_and_garbage_is_not_diagnosed() {
        let block = list(&[header(19), list(&[]), list(&[])]);
        assert_eq!(
            diagnose(&block),
            Some(DecodeError::HeaderFields { fields: 19 })
        );
        assert_eq!(diagnose(&[0xc5, 0x01]), None);
        assert_eq!(diagnose(&[]), None);
    }
}
