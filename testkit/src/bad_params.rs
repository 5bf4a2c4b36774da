//! Bad and extreme JSON-RPC parameters for sweeps of every method a server registers (the devnet's and
//! the OP node's `bad_params` tests): the parameter lists, what counts as an answer, and a panic hook
//! that records every panic of the process with the call in flight. The sweeps themselves call their
//! server's module in process.

use serde_json::{json, Value};
use std::sync::{Mutex, Once};

/// The call in flight, for the panic hook.
static CURRENT: Mutex<String> = Mutex::new(String::new());
/// Panics seen: the call in flight and the panic's message.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs (once per process) a panic hook that records every panic, on any thread, with the call
/// last passed to [`in_flight`], then runs the default hook.
pub fn record_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let call = CURRENT.lock().map(|c| c.clone()).unwrap_or_default();
            if let Ok(mut p) = PANICS.lock() {
                p.push(format!("{call}: {info}"));
            }
            default(info);
        }));
    });
}

/// Notes `request` as the call in flight (named by the panics recorded while it runs).
pub fn in_flight(request: &str) {
    if let Ok(mut c) = CURRENT.lock() {
        *c = request.to_string();
    }
}

/// The panics recorded so far.
pub fn panics() -> Vec<String> {
    PANICS.lock().map(|p| p.clone()).unwrap_or_default()
}

/// A JSON-RPC answer: `result`, or `error` with an integer code and a message.
pub fn well_formed(answer: &Value) -> bool {
    answer.get("result").is_some()
        || answer
            .get("error")
            .is_some_and(|e| e["code"].is_i64() && e["message"].is_string())
}

/// The request text of `method(params)` with `id` (`None`: no `params` member).
pub fn request(method: &str, id: usize, params: Option<&Value>) -> String {
    let mut req = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if let Some(p) = params {
        req["params"] = p.clone();
    }
    req.to_string()
}

/// Calls `request` on `module` in process and judges the answer: `Ok(true)` for an error object, `Ok(false)`
/// for a result, `Err` with a line saying what was wrong (no answer within 60 s, no JSON-RPC answer).
pub async fn ask<C: Send + Sync + 'static>(
    module: &jsonrpsee::RpcModule<C>,
    request: &str,
) -> Result<bool, String> {
    in_flight(request);
    let limit = std::time::Duration::from_secs(60);
    let raw = match tokio::time::timeout(limit, module.raw_json_request(request, 16)).await {
        Ok(Ok((raw, _))) => raw,
        Ok(Err(e)) => return Err(format!("{request}: {e}")),
        Err(_) => return Err(format!("{request}: no answer within 60 s")),
    };
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(v) if well_formed(&v) => Ok(v.get("error").is_some()),
        _ => Err(format!("{request}: answered {}", raw.get())),
    }
}

/// Calls `method(params)` on `module` and returns the whole answer (panics when there is none).
pub async fn answer_of<C: Send + Sync + 'static>(
    module: &jsonrpsee::RpcModule<C>,
    method: &str,
    params: Value,
) -> Value {
    let text = request(method, 1, Some(&params));
    in_flight(&text);
    let (raw, _) = module
        .raw_json_request(&text, 1)
        .await
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    serde_json::from_str(raw.get()).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Calls `method(params)` on `module` and returns its `result`; panics with the answer otherwise.
pub async fn result_of<C: Send + Sync + 'static>(
    module: &jsonrpsee::RpcModule<C>,
    method: &str,
    params: Value,
) -> Value {
    let v = answer_of(module, method, params).await;
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method}: {v}"))
}

/// Calls `method(params)` on `module` and returns its error's message; panics when it answers a result.
pub async fn error_of<C: Send + Sync + 'static>(
    module: &jsonrpsee::RpcModule<C>,
    method: &str,
    params: Value,
) -> String {
    let v = answer_of(module, method, params).await;
    match v["error"]["message"].as_str() {
        Some(m) => m.to_string(),
        None => panic!("{method}: expected an error, got {v}"),
    }
}

/// The first dev account of the default mnemonic.
pub const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// An account without code.
pub const ADDR: &str = "0x00000000000000000000000000000000000000aa";

/// The parameter lists every method is called with (`None`: no `params` member at all).
pub fn param_sets() -> Vec<Option<Value>> {
    let max64 = "0xffffffffffffffff";
    let over64 = "0x10000000000000000";
    let max256 = format!("0x{}", "f".repeat(64));
    let over256 = format!("0x1{}", "0".repeat(64));
    let hash0 = format!("0x{}", "00".repeat(32));
    let hash_ff = format!("0x{}", "ff".repeat(32));
    let sets = vec![
        json!(null),
        json!([]),
        json!({}),
        json!({"a": 1}),
        json!("0x1"),
        json!([null]),
        json!([null, null, null, null, null]),
        json!(["0x"]),
        json!(["0xzz"]),
        json!(["-1"]),
        json!([-1]),
        json!([1.5]),
        json!([1e300]),
        json!([true]),
        json!([""]),
        json!([[]]),
        json!([{}]),
        serde_json::from_str(&format!("[{}1{}]", "[".repeat(40), "]".repeat(40)))
            .expect("nested arrays parse"),
        json!(["0x0"]),
        json!(["0x1"]),
        json!(["0x2"]),
        json!([max64]),
        json!([over64]),
        json!([max256]),
        json!([over256]),
        json!([18446744073709551615u64]),
        json!(["latest"]),
        json!(["pending"]),
        json!(["earliest"]),
        json!(["safe"]),
        json!(["finalized"]),
        json!(["notatag"]),
        json!([ADDR]),
        json!([ADDR, "latest"]),
        json!([ADDR, max64]),
        json!([ADDR, "0x0", "latest"]),
        json!([ADDR, max256, "latest"]),
        json!([ADDR, max256, max256]),
        json!([ADDR, "0x0", max256]),
        json!([ADDR, "0xfe"]),
        json!([ADDR, "0xef00"]),
        json!([DEV0, max256]),
        json!([DEV0, max64]),
        json!([ADDR, [hash0.clone(), hash_ff.clone()], "latest"]),
        json!([ADDR, ["0x1"], "latest"]),
        json!([hash0]),
        json!([hash_ff, true]),
        json!([hash0, "0x0"]),
        json!(["0x0", true]),
        json!([max64, false]),
        json!(["latest", max64]),
        json!([{"to": ADDR, "gas": max64}]),
        json!([{"to": ADDR, "gas": over64}]),
        json!([{"from": DEV0, "to": ADDR, "value": max256}]),
        json!([{"from": DEV0, "to": ADDR, "value": "0x1", "gasPrice": max256}]),
        json!([{"from": DEV0, "to": ADDR, "maxFeePerGas": "0x1", "maxPriorityFeePerGas": max256}]),
        json!([{"from": DEV0, "to": ADDR, "nonce": max64}]),
        json!([{"from": DEV0, "data": "0xfe"}]),
        json!([{"from": DEV0, "data": "0x5b5f56"}, "latest"]),
        json!([{"from": ADDR, "to": DEV0, "value": "0x1"}]),
        json!([{"from": DEV0, "to": ADDR, "gas": "0x0"}]),
        json!([{"from": DEV0, "to": ADDR, "type": "0x7f"}]),
        json!([{"from": DEV0, "to": ADDR, "chainId": max64}]),
        json!([{"to": ADDR}, "latest", {ADDR: {"balance": max256, "code": "0xfe"}}]),
        json!([{"to": ADDR}, "latest", {ADDR: {"state": {"0x1": "0x2"}, "stateDiff": {"0x1": "0x2"}}}]),
        json!([{"to": ADDR}, "latest", null, {"number": max64, "time": max64, "gasLimit": "0x0"}]),
        json!([{"fromBlock": "0x0", "toBlock": max64}]),
        json!([{"fromBlock": max64, "toBlock": "0x0"}]),
        json!([{"blockHash": hash0, "fromBlock": "0x0"}]),
        json!([{"address": [ADDR, DEV0], "topics": [[hash0, null], null, [hash0], [hash0], [hash0]]}]),
        json!([max64, "latest", [0, 50, 100]]),
        json!(["0x1", "latest", [101]]),
        json!(["0x1", "latest", [50, 10]]),
        json!(["0x1", "latest", [-1]]),
        json!(["0x400", max64, []]),
        json!([{"tracer": "callTracer"}]),
        json!([hash0, {"tracer": "noSuchTracer"}]),
        json!([hash0, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
        json!([{"blockStateCalls": [{"calls": [{"from": DEV0, "to": ADDR, "value": max256}]}]}, "latest"]),
        json!([{"blockStateCalls": [{"blockOverrides": {"number": max64, "time": "0x0"}}], "validation": true}]),
        json!(["newHeads"]),
        json!(["logs", {"address": "0x1"}]),
        json!(["0x1f8b"]),
        json!([format!("0x1f8b08{}", "00".repeat(40))]),
        json!(["0x02f8"]),
        json!([format!("0x02{}", "c0".repeat(8))]),
        json!(["0xf86c"]),
        json!(["0x2", max64]),
        json!(["0x2", "0x0"]),
        json!([{"forking": {"jsonRpcUrl": "http://127.0.0.1:1"}}]),
        json!([{"timestamp": max64}]),
        json!([{"blocks": "0x2", "timestamp": max64}]),
        json!(["0x1", max64]),
        json!([max64, "0x1"]),
        json!([["engine_newPayloadV4", 1]]),
        json!([{
            "parentHash": hash0, "feeRecipient": ADDR, "stateRoot": hash0, "receiptsRoot": hash0,
            "logsBloom": "0x00", "prevRandao": hash0, "blockNumber": max64, "gasLimit": max64,
            "gasUsed": max64, "timestamp": max64, "extraData": "0x", "baseFeePerGas": max256,
            "blockHash": hash0, "transactions": ["0x7e", "0x", "0x02"], "withdrawals": [],
            "blobGasUsed": "0x0", "excessBlobGas": "0x0"
        }, [], hash0, []]),
        json!([{
            "headBlockHash": hash_ff, "safeBlockHash": hash0, "finalizedBlockHash": hash0
        }, {
            "timestamp": max64, "prevRandao": hash0, "suggestedFeeRecipient": ADDR,
            "withdrawals": [], "parentBeaconBlockRoot": hash0, "transactions": ["0x7e", "0xff"],
            "noTxPool": true, "gasLimit": max64, "eip1559Params": "0x0000000000000000",
            "minBaseFee": max64
        }]),
    ];
    std::iter::once(None)
        .chain(sets.into_iter().map(Some))
        .collect()
}

/// A small deterministic generator (xorshift64*) for the mutation sweeps: the same seed, the same calls.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced, xorshift needs a non-zero state).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// A value to put where a parameter or a field was: edges of every type the methods take.
fn edge_value(rng: &mut Rng) -> Value {
    let max256 = format!("0x{}", "f".repeat(64));
    let pool = [
        Value::Null,
        json!(0),
        json!(-1),
        json!(1.5),
        json!(true),
        json!(""),
        json!("0x"),
        json!("0x0"),
        json!("0x1"),
        json!("0xzz"),
        json!("0xffffffffffffffff"),
        json!("0x10000000000000000"),
        json!(max256),
        json!(format!("0x1{}", "0".repeat(64))),
        json!("latest"),
        json!("pending"),
        json!("earliest"),
        json!({}),
        json!([]),
        json!([null]),
        json!(ADDR),
        json!(format!("0x{}", "00".repeat(32))),
        json!(format!("0x{}", "ab".repeat(3000))),
    ];
    pool[rng.below(pool.len())].clone()
}

/// A hex string changed at the byte level: a byte flipped, cut short, made longer, or an odd nibble.
fn mutate_hex(s: &str, rng: &mut Rng) -> String {
    let digits = s.trim_start_matches("0x");
    let mut bytes: Vec<u8> = (0..digits.len() / 2)
        .filter_map(|i| u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    match rng.below(5) {
        0 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            bytes[i] ^= 1 << rng.below(8);
        }
        1 if !bytes.is_empty() => bytes.truncate(rng.below(bytes.len())),
        2 => bytes.extend((0..1 + rng.below(40)).map(|_| rng.next_u64() as u8)),
        3 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            bytes[i] = [0x00, 0x7f, 0x80, 0xb7, 0xb8, 0xbf, 0xc0, 0xf7, 0xf8, 0xff][rng.below(10)];
        }
        _ => return format!("{s}{}", ["0", "g", "00"][rng.below(3)]),
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{hex}")
}

/// Changes one place of `v`, chosen at random at any depth: a value replaced by an edge value, a hex
/// string changed at the byte level, a member removed, an element removed or repeated.
pub fn mutate(v: &mut Value, rng: &mut Rng) {
    // Walks down while a coin says so and there is somewhere to go.
    let descend = rng.below(4) != 0;
    match v {
        Value::Array(items) if descend && !items.is_empty() => {
            let i = rng.below(items.len());
            match rng.below(8) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.insert(i, copy);
                }
                _ => mutate(&mut items[i], rng),
            }
        }
        Value::Object(map) if descend && !map.is_empty() => {
            let key = map
                .keys()
                .nth(rng.below(map.len()))
                .cloned()
                .unwrap_or_default();
            if rng.below(8) == 0 {
                map.remove(&key);
            } else if let Some(inner) = map.get_mut(&key) {
                mutate(inner, rng);
            }
        }
        Value::String(s) if s.starts_with("0x") && rng.below(2) == 0 => *s = mutate_hex(s, rng),
        _ => *v = edge_value(rng),
    }
}

/// True for a call that asks to mine more than 16 blocks (`anvil_mine` and `hardhat_mine` by their
/// first parameter, `evm_mine` by an options object's `blocks`): they mine as many as asked, as anvil's
/// do, so a count of 2^64 runs for ever. Sweeps leave these out and say so.
pub fn mines_many(method: &str, params: Option<&Value>) -> bool {
    let Some(Value::Array(p)) = params else {
        return false;
    };
    let count = match (method, p.first()) {
        ("anvil_mine" | "hardhat_mine", Some(Value::Object(o)))
        | ("evm_mine", Some(Value::Object(o))) => o.get("blocks"),
        ("anvil_mine" | "hardhat_mine", first) => first,
        _ => None,
    };
    match count {
        Some(Value::String(s)) => s
            .strip_prefix("0x")
            .and_then(|h| u128::from_str_radix(h, 16).ok())
            .is_none_or(|n| n > 16),
        Some(Value::Number(n)) => n.as_f64().is_none_or(|n| n > 16.0),
        // Anything else is refused by the parameter decoding.
        _ => false,
    }
}
