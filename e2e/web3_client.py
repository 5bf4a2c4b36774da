"""web3.py against a dev chain: deploy, call, transact, events, filters, gas estimates and reverts.

Usage: web3_client.py URL ARTIFACTS.json. Prints one JSON line {"step", "value"} per step.
"""
import json
import sys

from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError


def rec(step, value):
    print(json.dumps({"step": step, "value": value}, default=str), flush=True)


def main():
    url, art_path = sys.argv[1], sys.argv[2]
    art = json.load(open(art_path))
    w3 = Web3(Web3.HTTPProvider(url))
    rec("connected", w3.is_connected())
    rec("chain id", w3.eth.chain_id)
    acct = w3.eth.accounts[0]
    w3.eth.default_account = acct
    rec("balance", w3.eth.get_balance(acct))
    Token = w3.eth.contract(abi=art["Token"]["abi"], bytecode=art["Token"]["bytecode"])
    tx = Token.constructor(10**21).transact()
    rcpt = w3.eth.wait_for_transaction_receipt(tx)
    rec("deploy", {"status": rcpt.status, "gasUsed": rcpt.gasUsed, "address": rcpt.contractAddress, "tx": tx.hex()})
    token = w3.eth.contract(address=rcpt.contractAddress, abi=art["Token"]["abi"])
    Demo = w3.eth.contract(abi=art["Demo"]["abi"], bytecode=art["Demo"]["bytecode"])
    demo_addr = w3.eth.wait_for_transaction_receipt(Demo.constructor().transact()).contractAddress
    demo = w3.eth.contract(address=demo_addr, abi=art["Demo"]["abi"])
    rec("name", token.functions.name().call())
    to = "0x000000000000000000000000000000000000c0DE"
    flt = token.events.Transfer.create_filter(from_block="latest")
    rec("estimate", token.functions.transfer(to, 3).estimate_gas())
    h = token.functions.transfer(to, 3).transact()
    r = w3.eth.wait_for_transaction_receipt(h)
    rec("transfer", {"status": r.status, "gasUsed": r.gasUsed, "logs": len(r.logs), "tx": h.hex()})
    rec("events", [dict(e.args) for e in token.events.Transfer().process_receipt(r)])
    rec("filter entries", [dict(e.args) for e in flt.get_new_entries()])
    rec("get_logs", [dict(e.args) for e in token.events.Transfer.get_logs(from_block=0)])
    rec("balanceOf", token.functions.balanceOf(to).call())
    try:
        token.functions.transfer(to, 10**30).call()
        rec("custom error", "no error")
    except ContractCustomError as e:
        rec("custom error", {"type": "ContractCustomError", "data": str(e.data)[:10]})
    try:
        demo.functions.fail("py").call()
        rec("string revert", "no error")
    except ContractLogicError as e:
        rec("string revert", {"type": type(e).__name__, "message": str(e)})
    try:
        demo.functions.divide(1, 0).call()
        rec("panic", "no error")
    except ContractPanicError as e:
        rec("panic", {"type": type(e).__name__, "message": str(e)})
    except ContractLogicError as e:
        rec("panic", {"type": type(e).__name__, "message": str(e)})
    try:
        demo.functions.fail("gas").estimate_gas()
        rec("estimate revert", "no error")
    except ContractLogicError as e:
        rec("estimate revert", {"type": type(e).__name__, "message": str(e)})
    h = demo.functions.inc().transact()
    w3.eth.wait_for_transaction_receipt(h)
    rec("count", demo.functions.count().call())
    rec("block number", w3.eth.block_number)
    rec("nonce", w3.eth.get_transaction_count(acct))
    rec("fee history", dict(w3.eth.fee_history(2, "latest", [50]))["reward"])


if __name__ == "__main__":
    main()
