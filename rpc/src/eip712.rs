//! EIP-712 typed data (`eth_signTypedData_v4`): the signing hash of a typed-data JSON document, by
//! `alloy-dyn-abi`'s `TypedData` (the type anvil takes for this method), so that the coercions of values
//! (numbers as JSON numbers, decimal or hex strings; addresses and bytes as hex) and a missing
//! `EIP712Domain` type are handled as anvil handles them.
//!
//! ```text
//! {types, primaryType, domain, message} (an object, or a string holding one)
//!   -> TypedData -> keccak256(0x19 0x01 ‖ hashStruct(EIP712Domain, domain) ‖ hashStruct(primaryType, message))
//! ```
//! The tests hold it equal to `alloy-sol-types`' compile-time `eip712_signing_hash` for the EIP's example
//! and a struct with every member kind.

use alloy_dyn_abi::TypedData;
use alloy_primitives::B256;
use serde_json::Value;

/// Why a typed-data document cannot be hashed; the message says what and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("typed data: {0}")]
pub struct TypedDataError(String);

/// The signing hash of `doc` (an object, or a string holding one, as ethers and viem send it).
pub fn signing_hash(doc: &Value) -> Result<B256, TypedDataError> {
    let typed: TypedData = match doc {
        Value::String(s) => serde_json::from_str(s),
        v => serde_json::from_value(v.clone()),
    }
    .map_err(|e| TypedDataError(e.to_string()))?;
    typed
        .eip712_signing_hash()
        .map_err(|e| TypedDataError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, Address, I256, U256};
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
    fn bad_documents_are_refused_saying_what_is_wrong() {
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
        for (path, v) in [
            (&["message", "from", "wallet"][..], json!("0x12")),
            (&["primaryType"][..], json!("Nope")),
            (&["domain", "chainId"][..], json!("-1")),
            (&["message", "contents"][..], json!(5)),
        ] {
            let e = with(path, v.clone());
            assert!(e.starts_with("typed data: "), "{path:?} = {v}: {e}");
        }
        let mut missing = base.clone();
        missing["message"].as_object_mut().unwrap().remove("to");
        assert!(signing_hash(&missing).is_err());
        assert!(signing_hash(&json!("{not json")).is_err());
        assert!(signing_hash(&json!([1, 2])).is_err());
        let mut too_big = base.clone();
        too_big["types"]["Person"][0]["type"] = json!("uint8");
        too_big["message"]["from"]["name"] = json!(256);
        assert!(signing_hash(&too_big).is_err());
    }
}
