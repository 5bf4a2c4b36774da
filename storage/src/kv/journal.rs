//! The layered backend's journal: a group of commits written to redb as a few large rows in key order
//! (sequential pages) instead of thousands of B-tree inserts at random keys, so that a durable point costs
//! about the group's bytes; the group's writes reach their tables later, many groups at once (a page
//! rewritten by several groups is copied and written once), or when the file is next opened after a crash.
//!
//! ```text
//! LayeredKv flusher: group due by time  -> encode(group) -> rows (group seq, chunk) -> one durable commit
//!                    `every` commits in -> every journaled group and this one to their tables, journal
//!                                          cleared, in one durable commit
//! RedbKv::open:      rows left (a crash before that commit) -> decoded in order, applied, cleared: one commit
//! ```
//! A row holds whole entries: `table (1 byte) | op (0 remove, 1 put) | key length (u32 LE) | key |
//! value length (u32 LE) | value` (no value for a removal). Within a group a key appears once; across
//! groups the later one wins, as the rows' order says.

use super::{KvError, Table};

/// Bytes per row at most (a row is one redb value; below 1 MiB its page allocation stays 1 MiB).
pub(crate) const CHUNK_BYTES: usize = (1 << 20) - (16 << 10);

const REMOVE: u8 = 0;
const PUT: u8 = 1;

/// The key of chunk `chunk` of group `seq`: both big-endian, so key order is write order.
pub(crate) fn row_key(seq: u64, chunk: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&seq.to_be_bytes());
    k[8..].copy_from_slice(&chunk.to_be_bytes());
    k
}

/// Encodes `entries` into rows of at most [`CHUNK_BYTES`] (an entry larger than that gets a row of its own).
pub(crate) fn encode<'a>(
    entries: impl IntoIterator<Item = (Table, &'a [u8], Option<&'a [u8]>)>,
) -> Vec<Vec<u8>> {
    let mut rows = Vec::new();
    let mut row = Vec::with_capacity(CHUNK_BYTES);
    for (table, key, value) in entries {
        let len = 10 + key.len() + value.map_or(0, |v| 4 + v.len());
        if !row.is_empty() && row.len() + len > CHUNK_BYTES {
            rows.push(std::mem::replace(&mut row, Vec::with_capacity(CHUNK_BYTES)));
        }
        row.push(table.index() as u8);
        row.push(if value.is_some() { PUT } else { REMOVE });
        row.extend_from_slice(&(key.len() as u32).to_le_bytes());
        row.extend_from_slice(key);
        if let Some(v) = value {
            row.extend_from_slice(&(v.len() as u32).to_le_bytes());
            row.extend_from_slice(v);
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

fn corrupt(reason: &str) -> KvError {
    KvError::Backend(format!("corrupt layer journal row: {reason}"))
}

/// Splits `len` bytes off the front of `bytes`.
fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8], KvError> {
    if bytes.len() < len {
        return Err(corrupt("truncated entry"));
    }
    let (head, tail) = bytes.split_at(len);
    *bytes = tail;
    Ok(head)
}

fn take_len(bytes: &mut &[u8]) -> Result<usize, KvError> {
    let b = take(bytes, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Visits the entries of one row in order.
pub(crate) fn decode(
    mut row: &[u8],
    mut visit: impl FnMut(Table, &[u8], Option<&[u8]>),
) -> Result<(), KvError> {
    while !row.is_empty() {
        let head = take(&mut row, 2)?;
        let table = *Table::ALL
            .get(usize::from(head[0]))
            .ok_or_else(|| corrupt("unknown table"))?;
        let key_len = take_len(&mut row)?;
        let key = take(&mut row, key_len)?;
        match head[1] {
            PUT => {
                let value_len = take_len(&mut row)?;
                visit(table, key, Some(take(&mut row, value_len)?));
            }
            REMOVE => visit(table, key, None),
            _ => return Err(corrupt("unknown operation")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Entry = (Table, Vec<u8>, Option<Vec<u8>>);

    fn decoded(rows: &[Vec<u8>]) -> Vec<Entry> {
        let mut out = Vec::new();
        for row in rows {
            decode(row, |t, k, v| {
                out.push((t, k.to_vec(), v.map(<[u8]>::to_vec)))
            })
            .expect("decodes");
        }
        out
    }

    #[test]
    fn entries_come_back_in_order_across_rows() {
        // Enough entries of ~1 KiB to need three rows, one removal among them, an empty key and value.
        let mut entries: Vec<Entry> = (0..2500u32)
            .map(|i| {
                let table = Table::ALL[i as usize % Table::ALL.len()];
                (table, i.to_be_bytes().to_vec(), Some(vec![i as u8; 1000]))
            })
            .collect();
        entries[7].2 = None;
        entries.push((Table::Meta, Vec::new(), Some(Vec::new())));
        let rows = encode(
            entries
                .iter()
                .map(|(t, k, v)| (*t, k.as_slice(), v.as_deref())),
        );
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.len() <= CHUNK_BYTES));
        assert_eq!(decoded(&rows), entries);
    }

    #[test]
    fn a_truncated_or_unknown_row_is_an_error() {
        let rows = encode([(Table::Code, &b"key"[..], Some(&b"value"[..]))]);
        let row = &rows[0];
        for cut in 1..row.len() {
            assert!(decode(&row[..cut], |_, _, _| {}).is_err(), "cut at {cut}");
        }
        let mut bad_table = row.clone();
        bad_table[0] = Table::ALL.len() as u8;
        assert!(decode(&bad_table, |_, _, _| {}).is_err());
        let mut bad_op = row.clone();
        bad_op[1] = 7;
        assert!(decode(&bad_op, |_, _, _| {}).is_err());
    }

    #[test]
    fn row_keys_sort_by_group_then_chunk() {
        assert!(row_key(1, u32::MAX) < row_key(2, 0));
        assert!(row_key(2, 0) < row_key(2, 1));
    }
}
