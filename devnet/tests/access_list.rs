//! `eth_createAccessList` on `parevm dev`: the list names the contracts a call reaches and the slots it
//! reads and writes (not the sender, the recipient's account entry only where it has slots, no
//! precompiles), and a transaction sent with that list uses exactly the `gasUsed` it reported.

use parevm_testkit::bad_params::{result_of, DEV0};
mod common;

use common::devnet;
use serde_json::json;

const C: &str = "0x00000000000000000000000000000000000000cc";
const D: &str = "0x00000000000000000000000000000000000000dd";

fn slot(n: u8) -> String {
    format!("0x{}{n:02x}", "00".repeat(31))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_names_what_the_call_touches_and_its_gas_is_what_the_transaction_uses() {
    let (_dev, m) = devnet(1);
    // C: SLOAD(1), CALL D, BALANCE(D), STATICCALL the identity precompile, return one word.
    // D: SSTORE(5, 1).
    let code_c = format!(
        "0x600154506000600060006000600073{d}5af15073{d}315060006000600060006004\
         5afa50600160005260206000f3",
        d = &D[2..]
    );
    result_of(&m, "anvil_setCode", json!([C, code_c])).await;
    result_of(&m, "anvil_setCode", json!([D, "0x6001600555"])).await;
    result_of(&m, "anvil_setStorageAt", json!([C, "0x1", slot(7)])).await;
    let req = json!({"from": DEV0, "to": C});
    let answer = result_of(&m, "eth_createAccessList", json!([req, "latest"])).await;
    assert_eq!(
        answer["accessList"],
        json!([
            {"address": C, "storageKeys": [slot(1)]},
            {"address": D, "storageKeys": [slot(5)]},
        ]),
        "{answer}"
    );
    assert!(answer.get("error").is_none(), "{answer}");
    // A type-1 transaction with that list uses the reported gas (given room for the inner call: at the
    // least gas `eth_estimateGas` finds, the call into D runs out of gas and C still succeeds).
    let sent = result_of(
        &m,
        "eth_sendTransaction",
        json!([{"from": DEV0, "to": C, "type": "0x1", "gasPrice": "0x77359400", "gas": "0x30000",
                "accessList": answer["accessList"].clone()}]),
    )
    .await;
    let receipt = result_of(&m, "eth_getTransactionReceipt", json!([sent])).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(
        receipt["gasUsed"], answer["gasUsed"],
        "{receipt} against {answer}"
    );
    // A plain transfer touches nothing a list could warm.
    let transfer =
        json!({"from": DEV0, "to": "0x00000000000000000000000000000000000000aa", "value": "0x1"});
    let answer = result_of(&m, "eth_createAccessList", json!([transfer])).await;
    assert_eq!(answer, json!({"accessList": [], "gasUsed": "0x5208"}));
}
