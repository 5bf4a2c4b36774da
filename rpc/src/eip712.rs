//! EIP-712 typed data (`eth_signTypedData_v4`): the signing hash of a typed-data JSON document, computed from
//! its `types` at run time.
//!
//! ```text
//! {types, primaryType, domain, message} -> keccak256(0x19 0x01 ‖ hashStruct(EIP712Domain, domain)
//!                                                              ‖ hashStruct(primaryType, message))
//! hashStruct(T, v) = keccak256(keccak256(encodeType(T)) ‖ encodeData(T, v))
//! ```
//! The usual home of this is `alloy-dyn-abi`'s `TypedData`, which is not in this workspace's offline
//! registry; this module follows the EIP's definitions (and MetaMask's `v4` rules for arrays) and its tests
//! hold it equal to `alloy-sol-types`' compile-time `eip712_signing_hash` for the same structs. Values are
//! what wallets and libraries send: numbers as JSON numbers, decimal or hex strings; addresses, `bytes` and
//! `bytesN` as hex; a missing `EIP712Domain` type is taken from the domain's fields in the EIP's order.

use alloy_primitives::{keccak256, Address, B256, I256, U256};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Why a typed-data document cannot be hashed; the message says where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("typed data: {0}")]
pub struct TypedDataError(String);

fn err(msg: impl Into<String>) -> TypedDataError {
    TypedDataError(msg.into())
}

/// One member of a struct type.
#[derive(Clone, Debug)]
struct Field {
    name: String,
    ty: String,
}

/// The struct types of a document, by name.
struct Types(BTreeMap<String, Vec<Field>>);

/// The EIP's domain fields, in the order a derived `EIP712Domain` type lists them.
const DOMAIN_FIELDS: [(&str, &str); 5] = [
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
];

/// The signing hash of `doc` (an object, or a string holding one, as ethers and viem send it).
pub fn signing_hash(doc: &Value) -> Result<B256, TypedDataError> {
    let parsed;
    let doc = match doc {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).map_err(|e| err(format!("not JSON: {e}")))?;
            &parsed
        }
        v => v,
    };
    let obj = doc
        .as_object()
        .ok_or_else(|| err("expected an object with types, primaryType, domain and message"))?;
    let domain = obj
        .get("domain")
        .and_then(Value::as_object)
        .ok_or_else(|| err("missing domain object"))?;
    let primary = obj
        .get("primaryType")
        .and_then(Value::as_str)
        .ok_or_else(|| err("missing primaryType"))?;
    let message = obj.get("message").ok_or_else(|| err("missing message"))?;
    let mut types = parse_types(obj.get("types").ok_or_else(|| err("missing types"))?)?;
    if !types.0.contains_key("EIP712Domain") {
        let derived = DOMAIN_FIELDS
            .iter()
            .filter(|(name, _)| domain.contains_key(*name))
            .map(|(name, ty)| Field {
                name: (*name).into(),
                ty: (*ty).into(),
            })
            .collect();
        types.0.insert("EIP712Domain".into(), derived);
    }
    let domain_hash = types.hash_struct("EIP712Domain", &Value::Object(domain.clone()))?;
    let mut buf = Vec::with_capacity(66);
    buf.extend_from_slice(&[0x19, 0x01]);
    buf.extend_from_slice(domain_hash.as_slice());
    // A document whose primary type is the domain signs the domain alone (no message hash), as MetaMask.
    if primary != "EIP712Domain" {
        buf.extend_from_slice(types.hash_struct(primary, message)?.as_slice());
    }
    Ok(keccak256(&buf))
}

fn parse_types(v: &Value) -> Result<Types, TypedDataError> {
    let obj = v
        .as_object()
        .ok_or_else(|| err("types must be an object"))?;
    let mut out = BTreeMap::new();
    for (name, fields) in obj {
        let list = fields
            .as_array()
            .ok_or_else(|| err(format!("type {name}: expected a list of fields")))?;
        let mut parsed = Vec::with_capacity(list.len());
        for f in list {
            let (Some(n), Some(t)) = (
                f.get("name").and_then(Value::as_str),
                f.get("type").and_then(Value::as_str),
            ) else {
                return Err(err(format!("type {name}: a field needs a name and a type")));
            };
            parsed.push(Field {
                name: n.into(),
                ty: t.into(),
            });
        }
        out.insert(name.clone(), parsed);
    }
    Ok(Types(out))
}

/// `T[]` -> (`T`, None), `T[3]` -> (`T`, Some(3)); `None` when `ty` is not an array.
fn split_array(ty: &str) -> Result<Option<(&str, Option<usize>)>, TypedDataError> {
    let Some(stripped) = ty.strip_suffix(']') else {
        return Ok(None);
    };
    let open = stripped
        .rfind('[')
        .ok_or_else(|| err(format!("malformed type {ty}")))?;
    let len = &stripped[open + 1..];
    let len = if len.is_empty() {
        None
    } else {
        Some(
            len.parse::<usize>()
                .map_err(|_| err(format!("malformed array length in {ty}")))?,
        )
    };
    Ok(Some((&stripped[..open], len)))
}

/// The struct name at the bottom of `ty` (array suffixes taken off).
fn base(ty: &str) -> &str {
    ty.find('[').map_or(ty, |i| &ty[..i])
}

impl Types {
    fn fields(&self, name: &str) -> Result<&[Field], TypedDataError> {
        self.0
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| err(format!("unknown type {name}")))
    }

    /// `name` and every struct type it reaches, `name` first and the rest by name.
    fn dependencies<'a>(&'a self, name: &'a str) -> Result<Vec<&'a str>, TypedDataError> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![name];
        while let Some(t) = stack.pop() {
            let Some((key, fields)) = self.0.get_key_value(t) else {
                continue;
            };
            if !seen.insert(key.as_str()) {
                continue;
            }
            for f in fields {
                stack.push(base(&f.ty));
            }
        }
        if !seen.contains(name) {
            return Err(err(format!("unknown type {name}")));
        }
        seen.remove(name);
        let mut out = vec![name];
        out.extend(seen);
        Ok(out)
    }

    /// `encodeType`: `Name(type1 name1,...)` for `name` and then each dependency by name.
    fn encode_type(&self, name: &str) -> Result<String, TypedDataError> {
        let mut s = String::new();
        for t in self.dependencies(name)? {
            s.push_str(t);
            s.push('(');
            for (i, f) in self.fields(t)?.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(&f.ty);
                s.push(' ');
                s.push_str(&f.name);
            }
            s.push(')');
        }
        Ok(s)
    }

    fn hash_struct(&self, name: &str, value: &Value) -> Result<B256, TypedDataError> {
        let obj = value
            .as_object()
            .ok_or_else(|| err(format!("{name}: expected an object")))?;
        let fields = self.fields(name)?;
        let mut buf = Vec::with_capacity(32 * (fields.len() + 1));
        buf.extend_from_slice(keccak256(self.encode_type(name)?).as_slice());
        for f in fields {
            let v = field_value(obj, name, &f.name)?;
            buf.extend_from_slice(self.encode_value(&f.ty, v, &f.name)?.as_slice());
        }
        Ok(keccak256(&buf))
    }

    /// One member's 32-byte encoding.
    fn encode_value(&self, ty: &str, v: &Value, at: &str) -> Result<B256, TypedDataError> {
        if let Some((inner, len)) = split_array(ty)? {
            let items = v
                .as_array()
                .ok_or_else(|| err(format!("{at}: expected an array for {ty}")))?;
            if len.is_some_and(|n| n != items.len()) {
                return Err(err(format!("{at}: {ty} needs {} items", len.unwrap_or(0))));
            }
            let mut buf = Vec::with_capacity(32 * items.len());
            for (i, item) in items.iter().enumerate() {
                let e = self.encode_value(inner, item, &format!("{at}[{i}]"))?;
                buf.extend_from_slice(e.as_slice());
            }
            return Ok(keccak256(&buf));
        }
        if self.0.contains_key(ty) {
            return self.hash_struct(ty, v);
        }
        atomic(ty, v).map_err(|e| err(format!("{at} ({ty}): {e}")))
    }
}

fn field_value<'a>(
    obj: &'a Map<String, Value>,
    ty: &str,
    field: &str,
) -> Result<&'a Value, TypedDataError> {
    obj.get(field)
        .ok_or_else(|| err(format!("{ty}: missing value for {field}")))
}

/// The encoding of a value of an atomic or dynamic Solidity type.
fn atomic(ty: &str, v: &Value) -> Result<B256, String> {
    match ty {
        "string" => {
            let s = v.as_str().ok_or("expected a string")?;
            Ok(keccak256(s.as_bytes()))
        }
        "bytes" => Ok(keccak256(hex_bytes(v)?)),
        "address" => {
            let s = v.as_str().ok_or("expected a hex address")?;
            let a: Address = s.parse().map_err(|_| format!("not an address: {s}"))?;
            Ok(a.into_word())
        }
        "bool" => {
            let b = match v {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" || s == "false" => s == "true",
                _ => uint(v, 256)? != U256::ZERO,
            };
            Ok(B256::with_last_byte(b as u8))
        }
        _ => {
            if let Some(bits) = ty.strip_prefix("uint") {
                Ok(uint(v, bits_of(bits)?)?.into())
            } else if let Some(bits) = ty.strip_prefix("int") {
                Ok(int(v, bits_of(bits)?)?.into_raw().into())
            } else if let Some(n) = ty.strip_prefix("bytes") {
                let n: usize = n.parse().map_err(|_| format!("unknown type {ty}"))?;
                let b = hex_bytes(v)?;
                if n == 0 || n > 32 || b.len() > n {
                    return Err(format!("{} bytes do not fit {ty}", b.len()));
                }
                let mut w = B256::ZERO;
                w[..b.len()].copy_from_slice(&b);
                Ok(w)
            } else {
                Err(format!("unknown type {ty}"))
            }
        }
    }
}

fn bits_of(s: &str) -> Result<usize, String> {
    if s.is_empty() {
        return Ok(256);
    }
    match s.parse::<usize>() {
        Ok(n) if n > 0 && n <= 256 && n % 8 == 0 => Ok(n),
        _ => Err(format!("bad bit width {s}")),
    }
}

fn hex_bytes(v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or("expected a hex string")?;
    alloy_primitives::hex::decode(s).map_err(|_| format!("not hex: {s}"))
}

/// An unsigned value that fits `bits`: a JSON number, or a decimal or `0x` hex string.
fn uint(v: &Value, bits: usize) -> Result<U256, String> {
    let n = match v {
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| format!("not an unsigned integer: {n}"))?,
        Value::String(s) => match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(h) => U256::from_str_radix(h, 16).map_err(|_| format!("not a number: {s}"))?,
            None => U256::from_str_radix(s, 10).map_err(|_| format!("not a number: {s}"))?,
        },
        _ => return Err("expected a number".into()),
    };
    if bits < 256 && n >> bits != U256::ZERO {
        return Err(format!("{n} does not fit {bits} bits"));
    }
    Ok(n)
}

/// A signed value that fits `bits`, as [`uint`] with an optional minus sign.
fn int(v: &Value, bits: usize) -> Result<I256, String> {
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .map(I256::try_from)
            .and_then(Result::ok)
            .ok_or_else(|| format!("not an integer: {n}"))?,
        Value::String(s) => {
            let (neg, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s.as_str()),
            };
            let m = uint(&Value::String(digits.into()), 256)?;
            let m = I256::try_from(m).map_err(|_| format!("{s} does not fit int256"))?;
            if neg {
                -m
            } else {
                m
            }
        }
        _ => return Err("expected a number".into()),
    };
    if bits < 256 {
        let limit = I256::ONE << (bits - 1);
        if n >= limit || n < -limit {
            return Err(format!("{n} does not fit int{bits}"));
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, U256};
    use alloy_sol_types::{eip712_domain, sol, SolStruct};
    use serde_json::json;

    sol! {
        struct Person { string name; address wallet; }
        struct Mail { Person from; Person to; string contents; }
        struct Everything {
            uint8 small; int256 signed; int64 negative; bool flag; bytes data; bytes4 selector;
            bytes32 word; string text; address who; uint256[] list; Person[2] pair; Mail[] mails;
        }
    }

    fn person_json(name: &str, wallet: Address) -> Value {
        json!({"name": name, "wallet": wallet})
    }

    fn mail_types() -> Value {
        json!({
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
            ],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [
                {"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
                {"name": "contents", "type": "string"}
            ]
        })
    }

    const COW: Address = address!("CD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
    const BOB: Address = address!("bBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB");
    const VERIFIER: Address = address!("CcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC");

    /// The EIP's own example: its stated signing hash, and sol-types' for the same structs.
    #[test]
    fn the_eips_mail_example() {
        let doc = json!({
            "types": mail_types(),
            "primaryType": "Mail",
            "domain": {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": VERIFIER},
            "message": {"from": person_json("Cow", COW), "to": person_json("Bob", BOB), "contents": "Hello, Bob!"}
        });
        let ours = signing_hash(&doc).unwrap();
        assert_eq!(
            ours,
            b256!("be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2")
        );
        let domain = eip712_domain! {
            name: "Ether Mail", version: "1", chain_id: 1, verifying_contract: VERIFIER,
        };
        let mail = Mail {
            from: Person {
                name: "Cow".into(),
                wallet: COW,
            },
            to: Person {
                name: "Bob".into(),
                wallet: BOB,
            },
            contents: "Hello, Bob!".into(),
        };
        assert_eq!(ours, mail.eip712_signing_hash(&domain));
        // As a string (ethers and viem send one), and without the domain type (derived from the fields).
        assert_eq!(signing_hash(&Value::String(doc.to_string())).unwrap(), ours);
        let mut no_domain_type = doc.clone();
        no_domain_type["types"]
            .as_object_mut()
            .unwrap()
            .remove("EIP712Domain");
        assert_eq!(signing_hash(&no_domain_type).unwrap(), ours);
    }

    #[test]
    fn every_kind_of_member_equals_sol_types() {
        let p = |n: &str, w| Person {
            name: n.into(),
            wallet: w,
        };
        let value = Everything {
            small: 200,
            signed: I256::try_from(-12345i64).unwrap(),
            negative: -9,
            flag: true,
            data: vec![1, 2, 3].into(),
            selector: alloy_primitives::FixedBytes([0xde, 0xad, 0xbe, 0xef]),
            word: B256::repeat_byte(0x42),
            text: "parevm".into(),
            who: VERIFIER,
            list: vec![U256::from(1), U256::MAX, U256::from(0x1234)],
            pair: [p("a", COW), p("b", BOB)],
            mails: vec![Mail {
                from: p("c", COW),
                to: p("d", BOB),
                contents: "x".into(),
            }],
        };
        let domain = eip712_domain! { name: "T", chain_id: 31337, salt: B256::repeat_byte(7), };
        let mut types = mail_types();
        types["Everything"] = json!([
            {"name": "small", "type": "uint8"}, {"name": "signed", "type": "int256"},
            {"name": "negative", "type": "int64"}, {"name": "flag", "type": "bool"},
            {"name": "data", "type": "bytes"}, {"name": "selector", "type": "bytes4"},
            {"name": "word", "type": "bytes32"}, {"name": "text", "type": "string"},
            {"name": "who", "type": "address"}, {"name": "list", "type": "uint256[]"},
            {"name": "pair", "type": "Person[2]"}, {"name": "mails", "type": "Mail[]"}
        ]);
        types.as_object_mut().unwrap().remove("EIP712Domain");
        let doc = json!({
            "types": types,
            "primaryType": "Everything",
            "domain": {"name": "T", "chainId": "0x7a69", "salt": B256::repeat_byte(7)},
            "message": {
                "small": 200, "signed": "-12345", "negative": -9, "flag": true, "data": "0x010203",
                "selector": "0xdeadbeef", "word": B256::repeat_byte(0x42), "text": "parevm", "who": VERIFIER,
                "list": [1, U256::MAX.to_string(), "0x1234"],
                "pair": [person_json("a", COW), person_json("b", BOB)],
                "mails": [{"from": person_json("c", COW), "to": person_json("d", BOB), "contents": "x"}]
            }
        });
        assert_eq!(
            signing_hash(&doc).unwrap(),
            value.eip712_signing_hash(&domain)
        );
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        let base = json!({
            "types": mail_types(), "primaryType": "Mail",
            "domain": {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": VERIFIER},
            "message": {"from": person_json("Cow", COW), "to": person_json("Bob", BOB), "contents": "Hello, Bob!"}
        });
        let with = |path: &[&str], v: Value| {
            let mut d = base.clone();
            let mut at = &mut d;
            for p in &path[..path.len() - 1] {
                at = &mut at[*p];
            }
            at[path[path.len() - 1]] = v;
            signing_hash(&d).unwrap_err().to_string()
        };
        assert_eq!(
            with(&["message", "from", "wallet"], json!("0x12")),
            "typed data: wallet (address): not an address: 0x12"
        );
        assert_eq!(
            with(&["primaryType"], json!("Nope")),
            "typed data: unknown type Nope"
        );
        assert_eq!(
            with(&["domain", "chainId"], json!("-1")),
            "typed data: chainId (uint256): not a number: -1"
        );
        assert_eq!(
            with(&["message", "contents"], json!(5)),
            "typed data: contents (string): expected a string"
        );
        let mut missing = base.clone();
        missing["message"].as_object_mut().unwrap().remove("to");
        assert_eq!(
            signing_hash(&missing).unwrap_err().to_string(),
            "typed data: Mail: missing value for to"
        );
        assert!(signing_hash(&json!("{not json")).is_err());
        assert!(signing_hash(&json!([1, 2])).is_err());
        assert_eq!(
            atomic("uint8", &json!(256)).unwrap_err(),
            "256 does not fit 8 bits"
        );
        assert_eq!(
            atomic("int8", &json!(-129)).unwrap_err(),
            "-129 does not fit int8"
        );
        assert_eq!(
            atomic("int8", &json!(-128)).unwrap(),
            B256::from(I256::try_from(-128).unwrap().into_raw())
        );
        assert!(atomic("bytes33", &json!("0x00")).is_err());
        assert!(atomic("uint7", &json!(1)).is_err());
    }
}
