//! The L2 side: the chain's genesis (the real OP predeploys of the Superchain Registry's
//! `sepolia-devnet-2` genesis, from `shared/op/superchain-genesis.tar.zst`, renamed to chain 901 with every
//! fork through Isthmus at genesis, kona's last, plus a funded test account), the rollup.json kona and
//! `parevm node` share, and launching `parevm node` and kona-node on 127.0.0.1.

use crate::procs::Proc;
use alloy_primitives::{Address, B256, U256};
use parevm_conformance::unpack::op_dir;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// L2 chain id.
pub const L2_CHAIN_ID: u64 = 901;
/// anvil's chain id.
pub const L1_CHAIN_ID: u64 = 31337;
/// L2 block gas limit (genesis and SystemConfig).
pub const GAS_LIMIT: u64 = 30_000_000;
/// SystemConfig fee scalars at genesis (OP Mainnet's Ecotone values).
pub const BASE_FEE_SCALAR: u32 = 1368;
/// See [`BASE_FEE_SCALAR`].
pub const BLOB_BASE_FEE_SCALAR: u32 = 810_949;
/// Isthmus operator fee: scalar (millionths of a gas unit's worth per gas) and constant (wei).
pub const OPERATOR_FEE_SCALAR: u32 = 2_000;
/// See [`OPERATOR_FEE_SCALAR`].
pub const OPERATOR_FEE_CONSTANT: u64 = 1_000;

/// Writes `<dir>/genesis.json`: devnet-2's alloc and header, chain 901, forks through Isthmus at 0,
/// Holocene-form extraData, `timestamp`, and `funded` holding 100 ETH.
pub fn write_genesis(dir: &Path, timestamp: u64, funded: Address) -> PathBuf {
    let src = op_dir()
        .expect("OP archives unpack")
        .join("superchain-genesis/genesis/sepolia-devnet-2/sepolia-devnet-2.json");
    let text = std::fs::read_to_string(&src).expect("devnet-2 genesis");
    let mut g: Value = serde_json::from_str(&text).expect("devnet-2 genesis is JSON");
    let config = g["config"].as_object_mut().expect("devnet-2 has a config");
    config.insert("chainId".into(), json!(L2_CHAIN_ID));
    // kona-node 1.0.0-rc.1 knows no Jovian or Karst: Isthmus is the chain's last fork.
    config.remove("jovianTime");
    config.remove("karstTime");
    let obj = g.as_object_mut().expect("genesis is an object");
    obj.insert("timestamp".into(), json!(format!("{timestamp:#x}")));
    obj.insert("gasLimit".into(), json!(format!("{GAS_LIMIT:#x}")));
    // Holocene extraData: version 0, denominator 250, elasticity 6 (the chain's Canyon constants).
    obj.insert("extraData".into(), json!("0x00000000fa00000006"));
    obj.remove("slotNumber");
    let alloc = obj
        .get_mut("alloc")
        .and_then(Value::as_object_mut)
        .expect("alloc");
    alloc.insert(
        format!("{funded:x}"),
        json!({"balance": format!("{:#x}", U256::from(100u128 * 10u128.pow(18)))}),
    );
    let path = dir.join("genesis.json");
    std::fs::write(&path, serde_json::to_vec(&g).expect("genesis serializes"))
        .expect("write genesis");
    path
}

/// Addresses and anchors of the rollup config.
pub struct Rollup {
    /// The L1 block the chain starts from (number, hash).
    pub l1: (u64, B256),
    /// The L2 genesis hash and time.
    pub l2: (B256, u64),
    /// The deposit contract on L1.
    pub portal: Address,
    /// The SystemConfig on L1.
    pub system_config: Address,
}

/// The SystemConfig's Ecotone `scalar`: version 1, blob base fee scalar, base fee scalar.
fn ecotone_scalar() -> B256 {
    let mut s = [0u8; 32];
    s[0] = 1;
    s[24..28].copy_from_slice(&BLOB_BASE_FEE_SCALAR.to_be_bytes());
    s[28..32].copy_from_slice(&BASE_FEE_SCALAR.to_be_bytes());
    B256::from(s)
}

/// The SystemConfig's Isthmus `operatorFeeParams`: scalar at bytes 20..24, constant at 24..32.
fn operator_fee_params() -> B256 {
    let mut s = [0u8; 32];
    s[20..24].copy_from_slice(&OPERATOR_FEE_SCALAR.to_be_bytes());
    s[24..32].copy_from_slice(&OPERATOR_FEE_CONSTANT.to_be_bytes());
    B256::from(s)
}

/// Writes `<dir>/rollup.json` (kona's `RollupConfig` keys).
pub fn write_rollup(dir: &Path, r: &Rollup) -> PathBuf {
    let v = json!({
        "genesis": {
            "l1": {"hash": r.l1.1, "number": r.l1.0},
            "l2": {"hash": r.l2.0, "number": 0},
            "l2_time": r.l2.1,
            "system_config": {
                "batcherAddr": Address::repeat_byte(0xba),
                "overhead": B256::ZERO,
                "scalar": ecotone_scalar(),
                "gasLimit": GAS_LIMIT,
                "operatorFeeParams": operator_fee_params()
            }
        },
        "block_time": 1,
        "max_sequencer_drift": 600,
        "seq_window_size": 3600,
        "channel_timeout": 300,
        "l1_chain_id": L1_CHAIN_ID,
        "l2_chain_id": L2_CHAIN_ID,
        "regolith_time": 0, "canyon_time": 0, "delta_time": 0, "ecotone_time": 0, "fjord_time": 0,
        "granite_time": 0, "holocene_time": 0, "isthmus_time": 0,
        "batch_inbox_address": Address::repeat_byte(0xff),
        "deposit_contract_address": r.portal,
        "l1_system_config_address": r.system_config,
        "protocol_versions_address": Address::ZERO,
        "chain_op_config": {"eip1559Elasticity": 6, "eip1559Denominator": 50, "eip1559DenominatorCanyon": 250}
    });
    let path = dir.join("rollup.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&v).expect("rollup config serializes"),
    )
    .expect("write rollup.json");
    path
}

/// How to launch one `parevm node`.
pub struct NodeArgs<'a> {
    /// Chain database.
    pub datadir: &'a Path,
    /// genesis.json.
    pub genesis: &'a Path,
    /// rollup.json, when given.
    pub rollup: Option<&'a Path>,
    /// Engine API port.
    pub auth_port: u16,
    /// eth HTTP port.
    pub http_port: u16,
    /// JWT secret file.
    pub jwt: &'a Path,
}

/// Starts `parevm node` (log `<dir>/<name>.log`), waits until both ports are bound, and returns it with
/// the genesis hash it printed.
pub fn start_parevm(name: &str, a: &NodeArgs, dir: &Path) -> (Proc, B256) {
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_owned();
    let mut args = vec![
        "node".to_owned(),
        "--datadir".into(),
        s(a.datadir),
        "--chain".into(),
        s(a.genesis),
        "--authrpc.addr".into(),
        "127.0.0.1".into(),
        "--authrpc.port".into(),
        a.auth_port.to_string(),
        "--authrpc.jwtsecret".into(),
        s(a.jwt),
        "--http".into(),
        "--http.addr".into(),
        "127.0.0.1".into(),
        "--http.port".into(),
        a.http_port.to_string(),
        "--threads".into(),
        "2".into(),
    ];
    if let Some(r) = a.rollup {
        args.push("--rollup-config".into());
        args.push(s(r));
    }
    let mut proc = Proc::spawn(
        name,
        Command::new(env!("CARGO_BIN_EXE_parevm")).args(&args),
        dir,
    );
    proc.wait_for_log("JSON-RPC on http://", Duration::from_secs(120));
    let genesis = proc
        .wait_for_log(" genesis ", Duration::from_secs(1))
        .parse()
        .expect("parevm node prints its genesis hash");
    (proc, genesis)
}

/// kona-node's endpoints.
pub struct KonaArgs<'a> {
    /// The binary (from `e2e/kona/install.sh`).
    pub bin: &'a Path,
    /// anvil's URL.
    pub l1: String,
    /// The beacon stub's URL.
    pub beacon: String,
    /// parevm's Engine API URL.
    pub engine: String,
    /// JWT secret file.
    pub jwt: &'a Path,
    /// rollup.json.
    pub rollup: &'a Path,
    /// Sequencer key (signs gossiped blocks; nobody listens here).
    pub sequencer_key: B256,
}

/// Starts kona-node as sequencer, every socket on 127.0.0.1 and free ports, state under `dir`.
pub fn start_kona(k: &KonaArgs, dir: &Path) -> Proc {
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_owned();
    let bootstore = dir.join("kona-bootstore");
    let args = vec![
        "--chain".to_owned(),
        L2_CHAIN_ID.to_string(),
        "node".into(),
        "--mode".into(),
        "sequencer".into(),
        "--l1-eth-rpc".into(),
        k.l1.clone(),
        "--l1-beacon".into(),
        k.beacon.clone(),
        "--l2-engine-rpc".into(),
        k.engine.clone(),
        "--l2-engine-jwt-secret".into(),
        s(k.jwt),
        "--l2-config-file".into(),
        s(k.rollup),
        "--p2p.no-discovery".into(),
        "--p2p.listen.ip".into(),
        "127.0.0.1".into(),
        "--p2p.listen.tcp".into(),
        crate::procs::free_tcp_port().to_string(),
        "--p2p.listen.udp".into(),
        crate::procs::free_udp_port().to_string(),
        "--p2p.bootstore".into(),
        s(&bootstore),
        "--p2p.sequencer.key".into(),
        k.sequencer_key.to_string(),
        "--rpc.addr".into(),
        "127.0.0.1".into(),
        "--rpc.port".into(),
        crate::procs::free_tcp_port().to_string(),
    ];
    Proc::spawn(
        "kona-node",
        Command::new(k.bin).args(&args).current_dir(dir),
        dir,
    )
}
