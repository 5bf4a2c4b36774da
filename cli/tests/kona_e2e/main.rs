//! End to end with real peers (issue 13): kona-node 1.0.0-rc.1 sequences an OP chain with `parevm node`
//! as its execution client, over anvil 1.7.1 as L1 (a block a second) and a beacon stub, every process
//! on 127.0.0.1 with free ports, logs in the run folder (printed, and the folder kept, on failure).
//!
//! ```text
//!  cast ──deposit──> anvil (L1, Portal.sol) <──L1 blocks, receipts── kona-node (sequencer)
//!                                                                        │ Engine API (JWT)
//!  cast ──L2 tx (eth port)──────────────────────────────────────> parevm node A ──kill -9, restart
//!                                    blocks 1..=head (eth port) ──newPayloadV4 + FCU──> parevm node B
//! ```
//!
//! What it proves, each with an independent check:
//! 1. kona builds at least 50 L2 blocks through parevm's Engine API (every block opens with kona's
//!    L1-info deposit, and the L1Block predeploy then holds the L1 origin's number, hash and base fee as
//!    anvil reports them);
//! 2. an L1 `TransactionDeposited` event (cast to the portal) arrives as a 0x7E transaction with the
//!    source hash the OP specs derive from the L1 log, and its `mint` is credited;
//! 3. an L2 transaction sent with `cast send` lands, with the `l1Fee` op-revm computes (the oracle) in its
//!    receipt, and the sender pays exactly value + gas + L1 fee + operator fee;
//! 4. `parevm node` killed with -9 mid-run and restarted on the same datadir keeps every block it had
//!    answered for but at most the latest (made durable right after its answer), and kona goes on
//!    building on it;
//! 5. a second `parevm node` fed the same blocks through `engine_newPayloadV4` + forkchoiceUpdated reaches
//!    identical block hashes for every block.
//!
//! kona-node comes from `e2e/kona/install.sh` (built once with `cargo install --locked`, about 22 minutes
//! on 2 cores, cached in `~/.cache/parevm`; `PAREVM_KONA_NODE` names another binary); anvil and cast from
//! `e2e/setup.sh`.

mod beacon;
mod deposit;
mod l1;
mod l1info;
mod l2;
mod l2tx;
mod procs;
mod replay;

use alloy_primitives::{Address, B256};
use l1::{Clients, L1};
use l2::{NodeArgs, Rollup};
use parevm_testkit::{rpc, Rpc};
use procs::{free_tcp_port, run_ok, wait_for, RunDir};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The L2 blocks the run must reach (acceptance: at least 50).
const MIN_BLOCKS: u64 = 60;
/// The L1-info depositor, sender of every block's first transaction.
const DEPOSITOR: &str = "0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001";

/// Installs kona-node when missing (`e2e/kona/install.sh`) and returns its path.
fn kona_binary(root: &Path) -> PathBuf {
    PathBuf::from(run_ok(
        Command::new("bash").arg(root.join("e2e/kona/install.sh")),
    ))
}

fn address_of(clients: &Clients, key: &B256) -> Address {
    clients
        .cast(&["wallet", "address", "--private-key", &key.to_string()])
        .parse()
        .expect("cast prints an address")
}

/// Waits until `l2`'s head reaches `n`, failing early when one of `procs` died.
fn wait_head(l2: &Rpc, n: u64, procs: &mut [&mut procs::Proc]) -> u64 {
    wait_for(&format!("L2 block {n}"), Duration::from_secs(240), || {
        procs.iter_mut().for_each(|p| p.assert_running());
        l2.block_number().filter(|h| *h >= n)
    })
}

#[test]
fn kona_sequences_an_op_chain_on_parevm_node() {
    let root = parevm_conformance::unpack::workspace_dir();
    let run = RunDir::new();
    let dir = run.path();
    let clients = Clients::install(&root);
    let kona_bin = kona_binary(&root);

    // L1: anvil, the portal, the SystemConfig's unsafe block signer.
    let mut l1 = L1::start(&clients, dir);
    let portal = l1::deploy_portal(&root, &clients, &l1);
    let sequencer_key = B256::repeat_byte(0x5e);
    l1::seed_system_config(&l1, address_of(&clients, &sequencer_key));
    let (l1_genesis_number, _, l1_genesis_time) = l1::block_id(&l1.block(json!("0x0")));
    assert_eq!(l1_genesis_number, 0);
    let (anchor_number, anchor_hash, anchor_time) = l1::block_id(&l1.block(json!("latest")));

    // L2 genesis at the anchor's time; its hash as parevm computes it (a throwaway launch) goes into
    // rollup.json, which kona checks against the block parevm serves.
    let l2_key = B256::repeat_byte(0x42);
    let l2_sender = address_of(&clients, &l2_key);
    let genesis = l2::write_genesis(dir, anchor_time, l2_sender);
    let secret = [0x6bu8; 32];
    let jwt = dir.join("jwt.hex");
    std::fs::write(&jwt, alloy_primitives::hex::encode(secret)).expect("write the JWT secret");
    let probe_dir = dir.join("probe");
    let (mut probe, genesis_hash) = l2::start_parevm(
        "parevm-probe",
        &NodeArgs {
            datadir: &probe_dir,
            genesis: &genesis,
            rollup: None,
            auth_port: free_tcp_port(),
            http_port: free_tcp_port(),
            jwt: &jwt,
        },
        dir,
    );
    probe.kill9();
    drop(probe);
    std::fs::remove_dir_all(&probe_dir).expect("remove the probe datadir");
    let rollup = l2::write_rollup(
        dir,
        &Rollup {
            l1: (anchor_number, anchor_hash),
            l2: (genesis_hash, anchor_time),
            portal,
            system_config: l1::SYSTEM_CONFIG,
        },
    );

    // Node A behind kona.
    let datadir_a = dir.join("node-a");
    let a_args = NodeArgs {
        datadir: &datadir_a,
        genesis: &genesis,
        rollup: Some(&rollup),
        auth_port: free_tcp_port(),
        http_port: free_tcp_port(),
        jwt: &jwt,
    };
    let (mut node_a, hash_a) = l2::start_parevm("parevm-a-1", &a_args, dir);
    assert_eq!(hash_a, genesis_hash, "genesis with and without rollup.json");
    let l2 = Rpc::new(format!("127.0.0.1:{}", a_args.http_port));
    let beacon = beacon::start(l1_genesis_time, 1);
    let mut kona = l2::start_kona(
        &l2::KonaArgs {
            bin: &kona_bin,
            l1: l1.rpc.url(),
            beacon,
            engine: format!("http://127.0.0.1:{}", a_args.auth_port),
            jwt: &jwt,
            rollup: &rollup,
            sequencer_key,
        },
        dir,
    );
    wait_head(&l2, 5, &mut [&mut kona, &mut node_a, &mut l1.proc]);

    // An L1 deposit and an L2 transaction, both sent with cast like a user would.
    let deposit = deposit::send(&clients, &l1, portal);
    let l2_tx = l2tx::send(&clients, &l2, &l2_key);

    // kill -9 mid-run, restart on the same datadir and ports: every block but at most the latest one is
    // kept (`parevm node` makes each block durable right after answering, `--durable-every 0`), and kona
    // goes on building, sending a lost block again.
    let before = wait_head(&l2, 25, &mut [&mut kona, &mut node_a, &mut l1.proc]);
    node_a.kill9();
    std::thread::sleep(Duration::from_secs(3));
    kona.assert_running();
    let (mut node_a, hash_a) = l2::start_parevm("parevm-a-2", &a_args, dir);
    assert_eq!(hash_a, genesis_hash);
    let restarted = l2.block_number().expect("restarted node answers");
    assert!(
        restarted + 1 >= before,
        "after restart head {restarted}, more than one block below {before} before the kill"
    );
    let target = MIN_BLOCKS.max(restarted + 20);
    wait_head(&l2, target, &mut [&mut kona, &mut node_a, &mut l1.proc]);
    println!("head {before} before kill -9, {restarted} after restart, reached {target}");

    // The L1 origin, the deposit and the L2 transaction's fees on the chain kona built.
    let head = l2.block_number().expect("head");
    let origin = l1info::assert_l1_origin(&l2, &l1.rpc, head);
    println!("L2 head {head} has L1 origin {origin}");
    let k = deposit::check(&l2, head, &deposit);
    println!("deposit {} in L2 block {k}", deposit.source_hash);
    l2tx::check(&l2, &l1.rpc, l2_tx, l2_sender);

    // Node B: the same blocks through newPayload + forkchoiceUpdated.
    drop(kona);
    let head = l2.block_number().expect("head");
    let datadir_b = dir.join("node-b");
    let b_args = NodeArgs {
        datadir: &datadir_b,
        genesis: &genesis,
        rollup: Some(&rollup),
        auth_port: free_tcp_port(),
        http_port: free_tcp_port(),
        jwt: &jwt,
    };
    let (_node_b, hash_b) = l2::start_parevm("parevm-b", &b_args, dir);
    assert_eq!(hash_b, genesis_hash);
    let engine_b = Rpc::with_jwt(format!("127.0.0.1:{}", b_args.auth_port), secret);
    let replayed = replay::replay(&l2, &engine_b, head, DEPOSITOR.parse().expect("address"));
    assert!(replayed >= MIN_BLOCKS);
    println!("node B reached the same {replayed} block hashes");
    node_a.assert_running();
}
