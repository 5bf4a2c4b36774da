//! State dumps: the head state as JSON (accounts with balance, nonce, code and storage, plus the head block's
//! number and timestamp), gzip-compressed for `anvil_dumpState` as anvil does, and written to disk
//! atomically (a temporary file, fsync, rename) so a SIGINT never leaves a truncated file.

use alloy_primitives::{Address, Bytes, B256, U256};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use parevm_chain::Chain;
use parevm_state::InMemoryState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

/// One account in a dump.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DumpAccount {
    /// Nonce.
    #[serde(default)]
    pub nonce: u64,
    /// Balance.
    #[serde(default)]
    pub balance: U256,
    /// Code.
    #[serde(default)]
    pub code: Bytes,
    /// Non-zero storage.
    #[serde(default)]
    pub storage: BTreeMap<U256, B256>,
}

/// The head block a dump was taken at.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DumpBlock {
    /// Number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
}

/// A state dump.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StateDump {
    /// The head when dumped.
    #[serde(default)]
    pub block: Option<DumpBlock>,
    /// Every account.
    pub accounts: BTreeMap<Address, DumpAccount>,
}

/// Why a dump could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a state dump.
    #[error("not a state dump: {0}")]
    Format(#[from] serde_json::Error),
}

/// The dump of `state` at a head `(number, timestamp)`.
pub fn dump(state: &InMemoryState, head: Option<(u64, u64)>) -> StateDump {
    let accounts = state
        .accounts()
        .map(|(a, acc)| {
            let code = state
                .code(&acc.code_hash)
                .map(|c| c.bytes().clone())
                .unwrap_or_default();
            let storage = acc
                .storage
                .iter()
                .map(|(k, v)| (*k, B256::from(v.to_be_bytes::<32>())))
                .collect();
            (
                *a,
                DumpAccount {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    code,
                    storage,
                },
            )
        })
        .collect();
    StateDump {
        block: head.map(|(number, timestamp)| DumpBlock { number, timestamp }),
        accounts,
    }
}

/// The state a dump describes.
pub fn to_state(dump: &StateDump) -> InMemoryState {
    let mut s = InMemoryState::new();
    apply(&mut s, dump);
    s
}

fn apply(s: &mut InMemoryState, dump: &StateDump) {
    for (a, acc) in &dump.accounts {
        s.insert_account(
            *a,
            acc.balance,
            acc.nonce,
            acc.code.clone(),
            acc.storage
                .iter()
                .map(|(k, v)| (*k, U256::from_be_bytes(v.0))),
        );
    }
}

/// Lays a dump over the chain's head state (`anvil_loadState`: listed accounts are replaced).
pub fn merge_into(chain: &Chain, dump: StateDump) {
    chain.edit_state(|s| apply(s, &dump));
}

/// The chain's head state, gzip-compressed JSON.
pub fn dump_gz(chain: &Chain) -> Result<Vec<u8>, DumpError> {
    let (state, head) = chain.state_copy();
    let d = dump(&state, Some((head.number(), head.header.timestamp)));
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    serde_json::to_writer(&mut enc, &d)?;
    Ok(enc.finish()?)
}

/// Reads a dump given as gzip-compressed or plain JSON.
pub fn decode(bytes: &[u8]) -> Result<StateDump, DumpError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut json = Vec::new();
        GzDecoder::new(bytes).read_to_end(&mut json)?;
        return Ok(serde_json::from_slice(&json)?);
    }
    Ok(serde_json::from_slice(bytes)?)
}

/// Reads a dump file.
pub fn read(path: &Path) -> Result<StateDump, DumpError> {
    decode(&std::fs::read(path)?)
}

/// Writes the chain's head state to `path` atomically (plain JSON, readable by `--load-state`).
pub fn write(chain: &Chain, path: &Path) -> Result<(), DumpError> {
    let (state, head) = chain.state_copy();
    let d = dump(&state, Some((head.number(), head.header.timestamp)));
    let json = serde_json::to_vec(&d)?;
    write_atomically(path, &json)
}

/// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DumpError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_gzip_and_disk() {
        let mut s = InMemoryState::new();
        s.insert_account(
            Address::repeat_byte(1),
            U256::from(5),
            3,
            Bytes::from_static(&[0x60, 0x00]),
            [(U256::from(1), U256::from(9))],
        );
        let d = dump(&s, Some((7, 100)));
        let back = to_state(&d);
        assert_eq!(back.state_root(), s.state_root());
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        serde_json::to_writer(&mut enc, &d).expect("json");
        let gz = enc.finish().expect("gz");
        assert_eq!(decode(&gz).expect("decode"), d);
        let dir = std::env::temp_dir().join(format!("parevm-dump-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("state.json");
        write_atomically(&path, &serde_json::to_vec(&d).expect("json")).expect("write");
        assert_eq!(read(&path).expect("read"), d);
        assert!(decode(b"{not json").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
