// The Otterscan namespace (ots_*, API level 8) and erigon_getHeaderByNumber, which an Otterscan explorer
// calls: a transaction's calls, internal operations (value relayed, creations by a transaction and by a
// factory with CREATE and CREATE2, failed creations, self-destructs) and revert data; a block's details and paged
// transactions with receipts; an address's history before and after a block, paged; a contract's creator;
// the blocks replayed with state diffs.
import { encodeFunctionData } from 'viem';
import { receipt, rpc } from '../lib/node.mjs';

const NOBODY = '0x00000000000000000000000000000000000000aa';

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const failed = async (m, p) => (await rpc(t.url, m, p)).error !== undefined;
  const [a0, a1] = await call('eth_accounts');
  const { Token, Demo } = t.artifacts;
  const mined = async (h) => (await receipt(t.url, h), h);
  const send = async (tx) => mined(await call('eth_sendTransaction', [{ from: a0, ...tx }]));
  const created = async (h) => (await receipt(t.url, h)).contractAddress;

  t.rec('ots_getApiLevel', await call('ots_getApiLevel'));
  const demoTx = await send({ data: Demo.bytecode });
  const demo = await created(demoTx);
  const tokenTx = await send({ data: Token.bytecode + '1000'.padStart(64, '0') });
  const token = await created(tokenTx);
  const relay = (target, data) => encodeFunctionData({ abi: Demo.abi, functionName: 'relay', args: [target, data] });
  const transfer = encodeFunctionData({ abi: Token.abi, functionName: 'transfer', args: [demo, 100n] });
  const txs = {
    transfer: await send({ to: token, data: transfer }),
    'value relay': await send({ to: demo, data: relay(a1, '0x'), value: '0x1234' }),
    failing: await send({ to: demo, data: encodeFunctionData({ abi: Demo.abi, functionName: 'fail', args: ['nope'] }), gas: '0x30000' }),
    'failing relay': await send({ to: demo, data: relay(demo, encodeFunctionData({ abi: Demo.abi, functionName: 'fail', args: ['deep'] })), gas: '0x30000' }),
    halt: await send({ to: demo, data: encodeFunctionData({ abi: Demo.abi, functionName: 'spin' }), gas: '0x10000' }),
    plain: await mined(await call('eth_sendTransaction', [{ from: a1, to: a0, value: '0x10' }])),
    creation: demoTx,
  };
  // A factory: its runtime copies the call's input to memory and runs it as init code, with CREATE2 (salt
  // 7) when the call carries 2 wei, else with CREATE, passing the value on; it keeps the new address in
  // slot 0.
  //   CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY CALLVALUE PUSH1 2 EQ PUSH1 0x12 JUMPI
  //   CALLDATASIZE PUSH0 CALLVALUE CREATE PUSH0 SSTORE STOP
  //   JUMPDEST PUSH1 7 CALLDATASIZE PUSH0 CALLVALUE CREATE2 PUSH0 SSTORE STOP
  const runtime = '365f5f37' + '34600214' + '6012' + '57' + '365f34f05f5500' + '5b6007365f34f55f5500';
  const n = runtime.length / 2;
  const factoryInit = '0x' + (0x5f + n).toString(16) + runtime + '5f52' + '60' + n.toString(16).padStart(2, '0') + '60' + (32 - n).toString(16).padStart(2, '0') + 'f3';
  const factory = await created(await send({ data: factoryInit }));
  // The children's init code returns the runtime CALLER SELFDESTRUCT.
  const childInit = '0x6133ff5f526002601ef3';
  txs['factory CREATE'] = await send({ to: factory, data: childInit, value: '0x5' });
  const createChild = '0x' + (await call('eth_getStorageAt', [factory, '0x0', 'latest'])).slice(-40);
  txs['factory CREATE2'] = await send({ to: factory, data: childInit, value: '0x2' });
  const child = '0x' + (await call('eth_getStorageAt', [factory, '0x0', 'latest'])).slice(-40);
  txs['child selfdestruct'] = await send({ to: createChild, value: '0x9' });
  txs['relayed selfdestruct'] = await send({ to: demo, data: relay(child, '0x'), value: '0x4' });
  // Creations that fail: init code that reverts (PUSH0 PUSH0 REVERT) and one that halts (INVALID).
  txs['factory CREATE reverted'] = await send({ to: factory, data: '0x5f5ffd', value: '0x5', gas: '0x30000' });
  txs['factory CREATE halted'] = await send({ to: factory, data: '0xfe', value: '0x6', gas: '0x30000' });

  for (const [name, h] of Object.entries(txs)) {
    t.rec(`${name} / ots_traceTransaction`, await call('ots_traceTransaction', [h]));
    t.rec(`${name} / ots_getInternalOperations`, await call('ots_getInternalOperations', [h]));
    t.rec(`${name} / ots_getTransactionError`, await call('ots_getTransactionError', [h]));
  }
  const unknown = '0x' + '33'.repeat(32);
  t.rec('ots_traceTransaction of an unknown tx', await call('ots_traceTransaction', [unknown]));
  t.rec('ots_getInternalOperations of an unknown tx fails', await failed('ots_getInternalOperations', [unknown]));
  t.rec('ots_getTransactionError of an unknown tx', await call('ots_getTransactionError', [unknown]));

  t.rec('ots_hasCode demo', await call('ots_hasCode', [demo, 'latest']));
  t.rec('ots_hasCode account', await call('ots_hasCode', [a1, 'latest']));
  t.rec('ots_hasCode demo at genesis', await call('ots_hasCode', [demo, '0x0']));

  const { blockNumber } = await receipt(t.url, txs.transfer);
  const blockHash = (await receipt(t.url, txs.transfer)).blockHash;
  t.rec('ots_getBlockDetails', await call('ots_getBlockDetails', [Number(blockNumber)]));
  t.rec('ots_getBlockDetailsByHash', await call('ots_getBlockDetailsByHash', [blockHash]));
  t.rec('ots_getBlockDetails of the genesis', await call('ots_getBlockDetails', [0]));
  t.rec('ots_getBlockDetails of a missing block fails', await failed('ots_getBlockDetails', [9999]));
  t.rec('ots_getBlockTransactions', await call('ots_getBlockTransactions', [Number(blockNumber), 0, 10]));
  t.rec('erigon_getHeaderByNumber', await call('erigon_getHeaderByNumber', [Number(blockNumber)]));

  // Several transactions in one block, paged.
  await call('evm_setAutomine', [false]);
  const pooled = [];
  for (let i = 0; i < 5; i++) pooled.push(await call('eth_sendTransaction', [{ from: a0, to: NOBODY, value: `0x${(i + 1).toString(16)}` }]));
  await call('evm_mine');
  await call('evm_setAutomine', [true]);
  const busy = Number((await receipt(t.url, pooled[0])).blockNumber);
  for (const [page, size] of [[0, 2], [1, 2], [2, 2], [3, 2], [0, 25]]) {
    t.rec(`ots_getBlockTransactions page ${page} of ${size}`, await call('ots_getBlockTransactions', [busy, page, size]));
  }
  t.rec('ots_getBlockDetails of the busy block', await call('ots_getBlockDetails', [busy]));

  t.rec('ots_getContractCreator demo', await call('ots_getContractCreator', [demo]));
  t.rec('ots_getContractCreator token', await call('ots_getContractCreator', [token]));
  t.rec('ots_getContractCreator factory child (CREATE2)', await call('ots_getContractCreator', [child]));
  t.rec('ots_getContractCreator account', await call('ots_getContractCreator', [a1]));
  t.rec('ots_getTransactionBySenderAndNonce', await call('ots_getTransactionBySenderAndNonce', [a0, 2]));
  t.rec('ots_getTransactionBySenderAndNonce unused', await call('ots_getTransactionBySenderAndNonce', [a0, 999]));

  const head = Number(await call('eth_blockNumber'));
  for (const [who, addr] of [['a1', a1], ['demo', demo], ['nobody', NOBODY]]) {
    for (const [at, size] of [[0, 25], [0, 2], [head - 2, 2], [5, 1]]) {
      t.rec(`ots_searchTransactionsBefore ${who} ${at} ${size}`, await call('ots_searchTransactionsBefore', [addr, at, size]));
      t.rec(`ots_searchTransactionsAfter ${who} ${at} ${size}`, await call('ots_searchTransactionsAfter', [addr, at, size]));
    }
  }
  // The same blocks again with state diffs (trace_replayBlockTransactions): creations by a factory,
  // failed creations and self-destructs, direct and relayed.
  for (let b = 1; b <= head; b++) {
    t.rec(`replay block ${b}`, await call('trace_replayBlockTransactions', ['0x' + b.toString(16), ['trace', 'stateDiff']]));
  }
}
