//! Signatures the runner needs: the sender of a secret key (fixtures without `sender`) and the EIP-7702
//! authority of an authorization tuple. The fixture's own `signer` field is not trusted: the runner
//! recovers it, and an invalid signature yields no authority (the tuple is then skipped by the EVM).

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_rlp::RlpEncodable;
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};

/// EIP-7702 signing-message magic byte.
const AUTH_MAGIC: u8 = 0x05;

/// The address of a public key: the last 20 bytes of keccak256 of the uncompressed point.
fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_encoded_point(false);
    // The uncompressed encoding is 0x04 || x || y.
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

/// The address of a secret key, or `None` when the key is not a valid scalar.
pub fn address_of_secret(secret: &B256) -> Option<Address> {
    let key = SigningKey::from_slice(secret.as_slice()).ok()?;
    Some(address_of(key.verifying_key()))
}

#[derive(RlpEncodable)]
struct AuthMessage {
    chain_id: U256,
    address: Address,
    nonce: u64,
}

/// The hash an EIP-7702 authority signs: `keccak256(0x05 || rlp([chain_id, address, nonce]))`.
pub fn authorization_hash(chain_id: U256, address: Address, nonce: u64) -> B256 {
    let mut buf = vec![AUTH_MAGIC];
    alloy_rlp::Encodable::encode(
        &AuthMessage {
            chain_id,
            address,
            nonce,
        },
        &mut buf,
    );
    keccak256(buf)
}

/// Recovers the authority of an authorization, or `None` for an invalid signature: y parity not 0 or 1,
/// r or s zero or not below the curve order, or s in the upper half (EIP-2).
pub fn recover_authority(hash: B256, y_parity: U256, r: U256, s: U256) -> Option<Address> {
    let y = u8::try_from(y_parity).ok().filter(|y| *y <= 1)?;
    let sig = Signature::from_scalars(r.to_be_bytes::<32>(), s.to_be_bytes::<32>()).ok()?;
    if sig.normalize_s().is_some() {
        // `normalize_s` returns a value only when s was in the upper half.
        return None;
    }
    let recid = RecoveryId::from_byte(y)?;
    let key = VerifyingKey::recover_from_prehash(hash.as_slice(), &sig, recid).ok()?;
    Some(address_of(&key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn secret_key_to_address() {
        // The well-known test key of ethereum/tests.
        let key = b256!("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
        assert_eq!(
            address_of_secret(&key),
            Some(address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b"))
        );
        assert_eq!(address_of_secret(&B256::ZERO), None);
    }

    #[test]
    fn authority_round_trip() {
        let secret = b256!("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
        let key = SigningKey::from_slice(secret.as_slice()).expect("valid key");
        let hash = authorization_hash(U256::from(1), Address::repeat_byte(0x42), 7);
        let (sig, recid) = key
            .sign_prehash_recoverable(hash.as_slice())
            .expect("signs");
        let (r, s) = sig.split_bytes();
        let (r, s) = (U256::from_be_slice(&r), U256::from_be_slice(&s));
        let y = U256::from(recid.to_byte());
        assert_eq!(
            recover_authority(hash, y, r, s),
            Some(address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b"))
        );
        assert_eq!(recover_authority(hash, U256::from(2), r, s), None);
        assert_eq!(recover_authority(hash, y, U256::ZERO, s), None);
        // The high-s twin of a valid signature is rejected (EIP-2).
        let n = U256::from_be_slice(
            &hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
                .expect("hex"),
        );
        assert_eq!(recover_authority(hash, U256::from(1) - y, r, n - s), None);
    }
}
