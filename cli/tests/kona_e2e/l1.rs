//! The L1: anvil 1.7.1 (npm, installed by `e2e/setup.sh`) mining a block every second, the deposit
//! contract (`e2e/kona/contracts/Portal.sol`, compiled by solc-js and deployed with `cast send --create`),
//! and the SystemConfig slot kona reads at startup (the unsafe block signer, seeded with
//! `anvil_setStorageAt`). Deposits are sent with cast like a user would.

use crate::procs::{run_ok, wait_for, Proc};
use crate::rpc::{quantity, Rpc};
use alloy_primitives::{keccak256, Address, B256, U256};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// anvil's account 0 (from its default mnemonic): deploys the portal and makes the deposit.
pub const DEPLOYER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Where the rollup config points kona for the SystemConfig (no code needed: kona only reads its storage).
pub const SYSTEM_CONFIG: Address = Address::repeat_byte(0x5c);

/// `bytes32(uint256(keccak256("systemconfig.unsafeblocksigner")) - 1)`, the slot kona reads.
pub fn unsafe_block_signer_slot() -> B256 {
    let h = U256::from_be_bytes(keccak256("systemconfig.unsafeblocksigner").0);
    B256::from(h - U256::from(1))
}

/// The client binaries `e2e/setup.sh` links under `e2e/node_modules`.
pub struct Clients {
    /// anvil.
    pub anvil: PathBuf,
    /// cast.
    pub cast: PathBuf,
}

impl Clients {
    /// Runs `e2e/setup.sh` (cached after the first run) and returns the binaries.
    pub fn install(root: &Path) -> Self {
        run_ok(Command::new("bash").arg(root.join("e2e/setup.sh")));
        let bin = |name: &str| {
            root.join(format!(
                "e2e/node_modules/@foundry-rs/{name}-linux-amd64/bin/{name}"
            ))
        };
        Self {
            anvil: bin("anvil"),
            cast: bin("cast"),
        }
    }

    /// `cast <args>`, its stdout.
    pub fn cast(&self, args: &[&str]) -> String {
        run_ok(Command::new(&self.cast).args(args))
    }

    /// `cast send ... --json`: the receipt after the transaction was mined.
    pub fn cast_send(&self, rpc: &Rpc, key: &str, args: &[&str]) -> Value {
        let url = rpc.url();
        let mut all = vec!["send", "--rpc-url", &url, "--private-key", key, "--json"];
        all.extend_from_slice(args);
        let out = self.cast(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("cast send printed no JSON ({e}): {out}"))
    }
}

/// A running anvil.
pub struct L1 {
    /// The process.
    pub proc: Proc,
    /// Its RPC.
    pub rpc: Rpc,
}

impl L1 {
    /// Starts anvil on a free port with 1-second blocks and waits until it answers.
    pub fn start(clients: &Clients, dir: &Path) -> Self {
        let port = crate::procs::free_tcp_port();
        let mut proc = Proc::spawn(
            "anvil",
            Command::new(&clients.anvil).args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--block-time",
                "1",
            ]),
            dir,
        );
        let rpc = Rpc::new(format!("127.0.0.1:{port}"));
        wait_for("anvil to answer", Duration::from_secs(60), || {
            proc.assert_running();
            rpc.block_number()
        });
        Self { proc, rpc }
    }

    /// A block by number or tag, without transactions.
    pub fn block(&self, tag: Value) -> Value {
        self.rpc.call("eth_getBlockByNumber", json!([tag, false]))
    }
}

/// Compiles and deploys the portal; returns its address.
pub fn deploy_portal(root: &Path, clients: &Clients, l1: &L1) -> Address {
    let initcode = run_ok(Command::new("node").arg(root.join("e2e/kona/portal.mjs")));
    let receipt = clients.cast_send(&l1.rpc, DEPLOYER_KEY, &["--create", &initcode]);
    assert_eq!(receipt["status"], "0x1", "portal deployment: {receipt}");
    receipt["contractAddress"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no contractAddress in {receipt}"))
}

/// Seeds the SystemConfig's unsafe-block-signer slot with `signer`.
pub fn seed_system_config(l1: &L1, signer: Address) {
    l1.rpc.call(
        "anvil_setStorageAt",
        json!([
            SYSTEM_CONFIG,
            unsafe_block_signer_slot(),
            B256::left_padding_from(signer.as_slice())
        ]),
    );
}

/// An L1 block's (number, hash, timestamp).
pub fn block_id(block: &Value) -> (u64, B256, u64) {
    let number = quantity(&block["number"]).expect("block number");
    let hash = block["hash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .expect("block hash");
    let time = quantity(&block["timestamp"]).expect("block timestamp");
    (number, hash, time)
}
