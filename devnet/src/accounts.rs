//! Dev accounts: keys derived from a BIP-39 mnemonic (`m/44'/60'/0'/0/i` by default, anvil's test mnemonic
//! unless told otherwise), each funded at genesis and unlocked for `eth_sendTransaction`.

use crate::error::DevnetError;
use alloy_consensus::{SignableTransaction, TxEnvelope, TypedTransaction};
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, Signature, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::coins_bip39::English;
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};

/// anvil's default mnemonic.
pub const DEFAULT_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// anvil's default derivation path prefix.
pub const DEFAULT_DERIVATION_PATH: &str = "m/44'/60'/0'/0/";

/// The unlocked accounts.
#[derive(Clone, Debug)]
pub struct DevAccounts {
    signers: Vec<PrivateKeySigner>,
    by_address: HashMap<Address, usize>,
}

impl DevAccounts {
    /// Derives `count` accounts from `mnemonic` under `path` (a prefix the index is appended to).
    pub fn from_mnemonic(mnemonic: &str, path: &str, count: usize) -> Result<Self, DevnetError> {
        let mut signers = Vec::with_capacity(count);
        for i in 0..count {
            let signer = MnemonicBuilder::<English>::default()
                .phrase(mnemonic)
                .derivation_path(format!("{path}{i}"))
                .and_then(|b| b.build())
                .map_err(|e| DevnetError::Mnemonic(e.to_string()))?;
            signers.push(signer);
        }
        let by_address = signers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.address(), i))
            .collect();
        Ok(Self {
            signers,
            by_address,
        })
    }

    /// The accounts' addresses in derivation order.
    pub fn addresses(&self) -> Vec<Address> {
        self.signers.iter().map(|s| s.address()).collect()
    }

    /// The private keys in derivation order (for the banner).
    pub fn keys(&self) -> Vec<B256> {
        self.signers.iter().map(|s| s.to_bytes()).collect()
    }

    /// True when `address` is a dev account.
    pub fn contains(&self, address: &Address) -> bool {
        self.by_address.contains_key(address)
    }

    fn signer(&self, address: &Address) -> Option<&PrivateKeySigner> {
        self.by_address.get(address).map(|i| &self.signers[*i])
    }

    /// Signs `tx` as `from`; `None` when `from` is not a dev account.
    pub fn sign(
        &self,
        from: &Address,
        tx: TypedTransaction,
    ) -> Option<Result<TxEnvelope, DevnetError>> {
        let signer = self.signer(from)?;
        Some(
            signer
                .sign_hash_sync(&tx.signature_hash())
                .map(|sig| TxEnvelope::from(tx.into_signed(sig)))
                .map_err(|e| DevnetError::Sign(e.to_string())),
        )
    }

    /// Signs an EIP-191 message as `from`.
    pub fn sign_message(
        &self,
        from: &Address,
        message: &[u8],
    ) -> Option<Result<Signature, DevnetError>> {
        let signer = self.signer(from)?;
        Some(
            signer
                .sign_message_sync(message)
                .map_err(|e| DevnetError::Sign(e.to_string())),
        )
    }

    /// Signs a 32-byte hash as `from` with no prefix (EIP-712); `None` when `from` is no dev account.
    pub fn sign_hash(&self, from: &Address, hash: &B256) -> Option<Result<Signature, DevnetError>> {
        let signer = self.signer(from)?;
        Some(
            signer
                .sign_hash_sync(hash)
                .map_err(|e| DevnetError::Sign(e.to_string())),
        )
    }
}

/// The envelope of a transaction sent as an impersonated account: a placeholder signature that makes the
/// hash unique per sender (it never recovers to `from`; the pool is told the sender).
pub fn impersonated(from: &Address, tx: TypedTransaction) -> TxEnvelope {
    let r = U256::from_be_slice(from.as_slice());
    TxEnvelope::from(tx.into_signed(Signature::new(r, U256::from(1), false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn anvil_accounts_from_the_test_mnemonic() {
        let a = DevAccounts::from_mnemonic(DEFAULT_MNEMONIC, DEFAULT_DERIVATION_PATH, 10)
            .expect("derive");
        let addrs = a.addresses();
        assert_eq!(
            addrs[0],
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(
            addrs[9],
            address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720")
        );
        assert_eq!(
            a.keys()[0].to_string(),
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        );
    }
}
