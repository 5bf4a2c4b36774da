//! The FastLZ (level 1) compressed length of a byte string, the size estimate behind Fjord's L1 data fee
//! and Jovian's DA footprint. Only the length is needed, so nothing is written out: each literal run and
//! each match adds what its encoding would take.
//!
//! The algorithm is fixed by the OP specs (the Solady `flzCompress` port pinned in `fjord/exec-engine.md`):
//! a 8,192-entry table of the last position of each hashed 3-byte sequence; a match needs a distance below
//! 8,192 and three equal bytes; literals go in runs of at most 32 (one header byte each); a match costs 2
//! bytes, or 3 when its length is 9 or more, plus 3 bytes for every 262 of length. The last 13 bytes are
//! never matched.

/// Positions in the table, indexed by the hash of three bytes.
const TABLE_SIZE: usize = 8192;
/// Longest back-reference distance.
const MAX_DISTANCE: usize = 8192;

/// The little-endian value of the three bytes at `at`.
fn triple(data: &[u8], at: usize) -> u32 {
    u32::from(data[at]) | u32::from(data[at + 1]) << 8 | u32::from(data[at + 2]) << 16
}

/// The table slot of a three-byte value (Knuth's multiplicative hash, top 13 of 32 bits... as the spec's
/// `(v * 2654435769) >> 19 & 0x1fff` computed in 64 bits).
fn slot(value: u32) -> usize {
    (((u64::from(value) * 2_654_435_769) >> 19) & 0x1fff) as usize
}

/// Bytes a run of `count` literals takes.
fn literal_cost(count: usize) -> usize {
    let full = count / 32;
    let rest = count % 32;
    full * 33 + if rest > 0 { rest + 1 } else { 0 }
}

/// Bytes a match of `length` (at least 3) takes.
fn match_cost(length: usize) -> usize {
    let l = length - 1;
    3 * (l / 262) + if l % 262 >= 6 { 3 } else { 2 }
}

/// The length FastLZ level 1 compresses `data` to.
pub fn compressed_len(data: &[u8]) -> usize {
    let mut table = [0usize; TABLE_SIZE];
    // Matching stops 13 bytes before the end; a match may run up to 9 bytes past that.
    let limit = data.len().saturating_sub(13);
    let mut size = 0;
    let mut anchor = 0;
    let mut pos = 2;
    while pos < limit {
        // Find the next position whose three bytes were seen within reach.
        let mut candidate;
        loop {
            let seq = triple(data, pos);
            let h = slot(seq);
            candidate = table[h];
            table[h] = pos;
            let distance = pos - candidate;
            if pos >= limit {
                break;
            }
            pos += 1;
            if distance < MAX_DISTANCE && seq == triple(data, candidate) {
                break;
            }
        }
        if pos >= limit {
            break;
        }
        pos -= 1;
        if pos > anchor {
            size += literal_cost(pos - anchor);
        }
        // Extend the match past its first three bytes, up to 9 bytes beyond the limit.
        let end = limit + 9;
        let mut length = 0;
        let (mut a, mut b) = (candidate + 3, pos + 3);
        while b < end {
            length += 1;
            if data[a] != data[b] {
                break;
            }
            a += 1;
            b += 1;
        }
        size += match_cost(length);
        pos += length;
        // Record the two positions after the match.
        table[slot(triple(data, pos))] = pos;
        pos += 1;
        table[slot(triple(data, pos))] = pos;
        pos += 1;
        anchor = pos;
    }
    size + literal_cost(data.len() - anchor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn known_lengths() {
        assert_eq!(compressed_len(&[]), 0);
        assert_eq!(compressed_len(&[0; 1000]), 21);
        assert_eq!(compressed_len(&[42; 1000]), 21);
        assert_eq!(compressed_len(&hex!("FACADE")), 4);
        // An EIP-1559 contract call (op-geth's and op-revm's test vector): 202 bytes.
        let call = hex!("02f901550a758302df1483be21b88304743f94f80e51afb613d764fa61751affd3313c190a86bb870151bd62fd12adb8e41ef24f3f000000000000000000000000000000000000000000000000000000000000006e000000000000000000000000af88d065e77c8cc2239327c5edb3a432268e5831000000000000000000000000000000000000000000000000000000000003c1e5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000a000000000000000000000000000000000000000000000000000000000000000148c89ed219d02f1a5be012c689b4f5b731827bebe000000000000000000000000c001a033fd89cb37c31b2cba46b6466e040c61fc9b2a3675a7f5f493ebd5ad77c497f8a07cdf65680e238392693019b4092f610222e71b7cec06449cb922b93b6a12744e");
        assert_eq!(compressed_len(&call), 202);
    }

    #[test]
    fn distinct_bytes_only_grow() {
        let mut data = Vec::new();
        let mut last = 0;
        for i in 0..=255u8 {
            data.push(i);
            let len = compressed_len(&data);
            assert!(len > last);
            last = len;
        }
    }
}
