//! The filled state-test format (EEST `state_test`, same schema as ethereum/tests `GeneralStateTests`) as
//! serde types. Values are parsed straight into their final types; the expected post allocation (`state`)
//! is kept as raw JSON and parsed only when a case fails and a diff is printed.
//!
//! A file maps test names to tests; [`parse_file`] splits it into raw per-test JSON first, so a malformed
//! test fails alone and names its JSON path (`<test>.pre.0x….balance`).

use super::error::FixtureError;
use super::quantity::{HexAddress, HexB256, HexBytes, HexTo, HexU256, HexU64};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::path::Path;

/// One state test: a pre-state, a transaction template and, per fork, the expected results.
#[derive(Debug, Deserialize)]
pub struct StateTest<'a> {
    /// Block context.
    pub env: FixtureEnv,
    /// Accounts before the transaction.
    pub pre: BTreeMap<HexAddress, FixtureAccount>,
    /// The transaction template (indexed by each post entry's `indexes`).
    pub transaction: FixtureTx,
    /// Expected results, per fork name.
    #[serde(borrow)]
    pub post: BTreeMap<String, Vec<PostEntry<'a>>>,
    /// Chain configuration (`chainid`, `blobSchedule`).
    #[serde(default)]
    pub config: FixtureConfig,
}

/// The `env` object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureEnv {
    /// COINBASE.
    pub current_coinbase: HexAddress,
    /// Block gas limit.
    pub current_gas_limit: HexU64,
    /// Block number.
    pub current_number: HexU64,
    /// Block timestamp.
    pub current_timestamp: HexU64,
    /// Difficulty (pre-merge).
    #[serde(default)]
    pub current_difficulty: HexU256,
    /// PREVRANDAO (post-merge).
    #[serde(default)]
    pub current_random: Option<HexB256>,
    /// Base fee (London+).
    #[serde(default)]
    pub current_base_fee: Option<HexU256>,
    /// Excess blob gas (Cancun+).
    #[serde(default)]
    pub current_excess_blob_gas: Option<HexU64>,
    /// EIP-7843 slot number (Amsterdam devnets).
    #[serde(default)]
    pub slot_number: Option<HexU64>,
}

/// One account of `pre` (or of a post entry's `state`).
#[derive(Debug, Deserialize)]
pub struct FixtureAccount {
    /// Balance.
    #[serde(default)]
    pub balance: HexU256,
    /// Nonce.
    #[serde(default)]
    pub nonce: HexU64,
    /// Code.
    #[serde(default)]
    pub code: HexBytes,
    /// Storage slots.
    #[serde(default)]
    pub storage: BTreeMap<HexU256, HexU256>,
}

/// One access-list entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureAccessItem {
    /// Address to warm.
    pub address: HexAddress,
    /// Slots to warm.
    #[serde(default)]
    pub storage_keys: Vec<HexB256>,
}

/// One EIP-7702 authorization tuple, signature included.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureAuthorization {
    /// Chain id (0 = any chain).
    pub chain_id: HexU256,
    /// Delegation target.
    pub address: HexAddress,
    /// Authority nonce.
    pub nonce: HexU64,
    /// Signature y parity (may be out of range on purpose).
    #[serde(default)]
    pub y_parity: Option<HexU256>,
    /// Legacy-style `v` (used when `yParity` is absent).
    #[serde(default)]
    pub v: Option<HexU256>,
    /// Signature r.
    pub r: HexU256,
    /// Signature s.
    pub s: HexU256,
    /// The signer the filler recovered (absent when the signature is invalid). Informative only: the
    /// runner recovers the authority itself.
    #[serde(default)]
    pub signer: Option<HexAddress>,
}

/// The `transaction` template.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureTx {
    /// Sender nonce.
    pub nonce: HexU64,
    /// Legacy gas price.
    #[serde(default)]
    pub gas_price: Option<HexU256>,
    /// EIP-1559 max fee per gas.
    #[serde(default)]
    pub max_fee_per_gas: Option<HexU256>,
    /// EIP-1559 max priority fee per gas.
    #[serde(default)]
    pub max_priority_fee_per_gas: Option<HexU256>,
    /// Gas limits, indexed by `indexes.gas`.
    pub gas_limit: Vec<HexU64>,
    /// Recipient, or `""` for contract creation.
    pub to: HexTo,
    /// Values, indexed by `indexes.value`.
    pub value: Vec<HexU256>,
    /// Call data, indexed by `indexes.data`.
    pub data: Vec<HexBytes>,
    /// Access lists, indexed by `indexes.data` (`null` entries are empty lists of a legacy tx).
    #[serde(default)]
    pub access_lists: Option<Vec<Option<Vec<FixtureAccessItem>>>>,
    /// Sender (recovered from `secretKey` when absent).
    #[serde(default)]
    pub sender: Option<HexAddress>,
    /// The sender's private key.
    #[serde(default)]
    pub secret_key: Option<HexB256>,
    /// EIP-4844 max fee per blob gas.
    #[serde(default)]
    pub max_fee_per_blob_gas: Option<HexU256>,
    /// EIP-4844 versioned hashes.
    #[serde(default)]
    pub blob_versioned_hashes: Option<Vec<HexB256>>,
    /// EIP-7702 authorizations.
    #[serde(default)]
    pub authorization_list: Option<Vec<FixtureAuthorization>>,
}

/// Which element of `data`, `gasLimit` and `value` a post entry uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Indexes {
    /// Index into `data` (and `accessLists`).
    pub data: usize,
    /// Index into `gasLimit`.
    pub gas: usize,
    /// Index into `value`.
    pub value: usize,
}

/// One expected result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEntry<'a> {
    /// Which transaction variant.
    pub indexes: Indexes,
    /// Expected state root.
    pub hash: HexB256,
    /// Expected `keccak256(rlp(logs))`.
    pub logs: HexB256,
    /// Set when the transaction must be rejected (`TransactionException.…`, alternatives joined by `|`).
    #[serde(default)]
    pub expect_exception: Option<String>,
    /// The full expected post allocation, kept raw until a failure needs a diff.
    #[serde(default, borrow)]
    pub state: Option<&'a RawValue>,
}

/// EIP-4844/7691 blob parameters of one fork in `config.blobSchedule`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureBlobParams {
    /// Target blobs per block.
    pub target: HexU64,
    /// Maximum blobs per block.
    pub max: HexU64,
    /// Blob base-fee update fraction.
    pub base_fee_update_fraction: HexU64,
}

/// The `config` object.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureConfig {
    /// Chain id (1 when absent).
    #[serde(default)]
    pub chainid: Option<HexU64>,
    /// Blob parameters per fork.
    #[serde(default)]
    pub blob_schedule: Option<BTreeMap<String, FixtureBlobParams>>,
}

/// A fixture file split into its tests, each still raw JSON (in file order is not kept: by name).
pub type RawFile<'a> = BTreeMap<String, &'a RawValue>;

/// Splits a file's JSON into raw tests.
pub fn parse_file<'a>(file: &Path, json: &'a str) -> Result<RawFile<'a>, FixtureError> {
    parse_with_path(file, "", json)
}

/// Parses one raw test.
pub fn parse_test<'a>(
    file: &Path,
    name: &str,
    raw: &'a RawValue,
) -> Result<StateTest<'a>, FixtureError> {
    parse_with_path(file, name, raw.get())
}

/// Parses the expected post allocation of an entry.
pub fn parse_post_state(
    file: &Path,
    name: &str,
    raw: &RawValue,
) -> Result<BTreeMap<HexAddress, FixtureAccount>, FixtureError> {
    parse_with_path(file, name, raw.get())
}

/// Parses `json` fast; on failure parses again while tracking the JSON path, so the error can name it.
fn parse_with_path<'a, T: Deserialize<'a>>(
    file: &Path,
    prefix: &str,
    json: &'a str,
) -> Result<T, FixtureError> {
    match serde_json::from_str(json) {
        Ok(v) => Ok(v),
        Err(fast) => {
            let mut de = serde_json::Deserializer::from_str(json);
            let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => (e.path().to_string(), e.inner().to_string()),
                // Cannot happen (same input, same types); report the first error without a path.
                Ok(_) => (".".to_owned(), fast.to_string()),
            };
            let path = match (prefix.is_empty(), path.as_str()) {
                (true, p) => p.to_owned(),
                (false, ".") => prefix.to_owned(),
                (false, p) => format!("{prefix}.{p}"),
            };
            Err(FixtureError::Malformed {
                file: file.to_path_buf(),
                path,
                message,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
      "t1": {
        "env": {"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentGasLimit": "0x07a120",
                "currentNumber": "0x01", "currentTimestamp": "0x03e8", "currentDifficulty": "0x020000"},
        "pre": {"0x095e7baea6a6c7c4c2dfeb977efac326af552d87": {"nonce": "0x00", "balance": "0x0de0b6b3a7640000",
                "code": "0x600160010160005500", "storage": {"0x01": "0x02"}}},
        "transaction": {"nonce": "0x00", "gasPrice": "0x0a", "gasLimit": ["0x061a80"], "to": "",
                "value": ["0x0186a0"], "data": ["0x"], "sender": "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"},
        "post": {"Cancun": [{"hash": "0xe8010ce590f401c9d61fef8ab05bea9bcec24281b795e5868809bc4e515aa530",
                "logs": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
                "indexes": {"data": 0, "gas": 0, "value": 0}, "state": {}}]}
      }
    }"#;

    #[test]
    fn parses_minimal_test() {
        let file = Path::new("minimal.json");
        let raw = parse_file(file, MINIMAL).expect("valid file");
        let t = parse_test(file, "t1", raw["t1"]).expect("valid test");
        assert_eq!(t.env.current_number.0, 1);
        assert_eq!(t.transaction.to.0, None);
        assert_eq!(t.pre.len(), 1);
        let post = &t.post["Cancun"][0];
        assert_eq!(post.indexes, Indexes::default());
        assert!(post.state.is_some());
        assert_eq!(t.config.chainid, None);
    }

    #[test]
    fn malformed_value_names_json_path() {
        let bad = MINIMAL.replace("0x0de0b6b3a7640000", "0x0de0b6bXa7640000");
        let file = Path::new("bad.json");
        let raw = parse_file(file, &bad).expect("still valid JSON");
        let err = parse_test(file, "t1", raw["t1"]).expect_err("bad hex");
        let FixtureError::Malformed { path, message, .. } = &err else {
            panic!("unexpected {err:?}")
        };
        assert_eq!(
            path,
            "t1.pre.0x095e7baea6a6c7c4c2dfeb977efac326af552d87.balance"
        );
        assert!(message.contains("invalid hex"), "{message}");
        assert!(err.to_string().contains("bad.json"), "{err}");
    }

    #[test]
    fn missing_field_names_json_path() {
        let bad = MINIMAL.replace(
            r#""logs": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347","#,
            "",
        );
        let file = Path::new("bad.json");
        let raw = parse_file(file, &bad).expect("still valid JSON");
        let err = parse_test(file, "t1", raw["t1"]).expect_err("missing logs");
        let FixtureError::Malformed { path, message, .. } = &err else {
            panic!("unexpected {err:?}")
        };
        assert_eq!(path, "t1.post.Cancun[0]");
        assert!(message.contains("missing field `logs`"), "{message}");
    }

    #[test]
    fn bad_json_is_an_error() {
        let err = parse_file(Path::new("x.json"), "{\"a\": ").expect_err("truncated");
        assert!(matches!(err, FixtureError::Malformed { .. }));
    }
}
