//! The startup banner, laid out as anvil prints it: accounts with balances, private keys, the mnemonic,
//! chain id, base fee, gas limit, genesis timestamp and number, and where it listens; and the JSON that
//! `--config-out` writes.

use crate::node::Devnet;
use alloy_primitives::utils::format_ether;
use std::fmt::Write;
use std::net::SocketAddr;

/// The banner text.
pub fn banner(dev: &Devnet, addr: SocketAddr) -> String {
    let mut s = String::new();
    let o = &dev.options;
    let _ = writeln!(
        s,
        "\n parevm dev {}  (anvil-compatible devnet)\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(s, "Available Accounts\n==================\n");
    for (i, a) in dev.accounts().addresses().iter().enumerate() {
        let _ = writeln!(s, "({i}) {a} ({} ETH)", format_ether(o.balance));
    }
    let _ = writeln!(s, "\nPrivate Keys\n==================\n");
    for (i, k) in dev.accounts().keys().iter().enumerate() {
        let _ = writeln!(s, "({i}) {k}");
    }
    let _ = writeln!(s, "\nWallet\n==================");
    let _ = writeln!(s, "Mnemonic:          {}", o.mnemonic);
    let _ = writeln!(s, "Derivation path:   {}\n", o.derivation_path);
    let genesis = dev.chain.genesis();
    let rows = [
        ("Chain ID", o.chain.chain_id.to_string()),
        ("Base Fee", o.chain.base_fee.to_string()),
        ("Gas Limit", o.chain.gas_limit.to_string()),
        ("Genesis Timestamp", genesis.header.timestamp.to_string()),
        ("Genesis Number", genesis.number().to_string()),
    ];
    for (title, value) in rows {
        let _ = writeln!(s, "\n{title}\n==================\n\n{value}");
    }
    if let Some(f) = &o.fork {
        let _ = writeln!(s, "\nFork\n==================");
        let _ = writeln!(s, "Endpoint:       {}", f.source.url());
        let _ = writeln!(s, "Block number:   {}", f.header.number);
        let _ = writeln!(s, "Block hash:     {}", genesis.hash);
        let _ = writeln!(s, "Chain ID:       {}", f.chain_id);
    }
    let _ = writeln!(s, "\nListening on {addr}");
    s
}

/// What `--config-out` writes, in anvil's layout: the dev accounts and their keys, the wallet, base fee, gas
/// price, gas limit and genesis timestamp (numbers as decimal strings).
pub fn config_out(dev: &Devnet) -> serde_json::Value {
    use parevm_rpc::Driver;
    let o = &dev.options;
    let next = dev.next_block();
    serde_json::json!({
        "available_accounts": dev.accounts().addresses(),
        "private_keys": dev.accounts().keys(),
        "wallet": { "mnemonic": o.mnemonic, "derivation_path": o.derivation_path },
        "base_fee": o.chain.base_fee.to_string(),
        "gas_price": (u128::from(next.base_fee) + dev.suggested_tip()).to_string(),
        "gas_limit": o.chain.gas_limit.to_string(),
        "genesis_timestamp": dev.chain.genesis().header.timestamp.to_string(),
    })
}
