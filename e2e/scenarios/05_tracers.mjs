// Tracers: debug_traceTransaction with the struct logger, callTracer (nested calls, reverts, with logs) and
// prestateTracer (plain and diffMode) on the same transactions, debug_traceCall and debug_traceBlockByNumber;
// eth_createAccessList of the same calls.
import { encodeFunctionData, parseEther } from 'viem';
import { receipt, rpc } from '../lib/node.mjs';

export const nodeArgs = { anvil: ['--steps-tracing'] };

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const [a0, a1] = await call('eth_accounts');
  const { Token, Demo } = t.artifacts;
  const creations = [];
  const deploy = async (art, args = '') => {
    const h = await call('eth_sendTransaction', [{ from: a0, data: art.bytecode + args }]);
    creations.push(h);
    return (await receipt(t.url, h)).contractAddress;
  };
  const supply = parseEther('1000').toString(16).padStart(64, '0');
  const token = await deploy(Token, supply);
  const demo = await deploy(Demo);
  // Each send waits for its receipt, as a client does: anvil answers before its miner runs, and without the
  // wait it may pack several of these into one block on a slow machine (parevm mines one per transaction).
  const mined = async (h) => {
    await receipt(t.url, h);
    return h;
  };
  const send = async (to, data, extra = {}) => mined(await call('eth_sendTransaction', [{ from: a0, to, data, ...extra }]));
  const transfer = encodeFunctionData({ abi: Token.abi, functionName: 'transfer', args: [a1, 10n] });
  const inc = encodeFunctionData({ abi: Demo.abi, functionName: 'inc' });
  const relayed = encodeFunctionData({ abi: Demo.abi, functionName: 'relay', args: [token, transfer] });
  const failing = encodeFunctionData({ abi: Demo.abi, functionName: 'relay', args: [demo, encodeFunctionData({ abi: Demo.abi, functionName: 'fail', args: ['deep'] })] });

  // Demo gets tokens so that relaying a transfer through it succeeds.
  await send(token, encodeFunctionData({ abi: Token.abi, functionName: 'transfer', args: [demo, 100n] }));
  const txs = {
    transfer: await send(token, transfer),
    inc: await send(demo, inc),
    relay: await send(demo, relayed),
    'relay revert': await send(demo, failing, { gas: '0x30000' }),
    'plain value': await mined(await call('eth_sendTransaction', [{ from: a0, to: a1, value: '0x64' }])),
  };
  // A contract whose code is CALLER SELFDESTRUCT, created with a balance: called directly (with value) and
  // through Demo.relay, it sends its balance on (Cancun: the code stays).
  const sd = (await receipt(t.url, await call('eth_sendTransaction', [{ from: a0, data: '0x6133ff6000526002601ef3', value: '0x10' }]))).contractAddress;
  txs.selfdestruct = await send(sd, '0x', { value: '0x7' });
  txs['relayed selfdestruct'] = await send(demo, encodeFunctionData({ abi: Demo.abi, functionName: 'relay', args: [sd, '0x'] }), { value: '0x3' });
  const tracers = {
    'struct logs': {},
    'struct logs with memory': { enableMemory: true, disableStorage: true },
    callTracer: { tracer: 'callTracer' },
    'callTracer top only': { tracer: 'callTracer', tracerConfig: { onlyTopCall: true } },
    'callTracer with logs': { tracer: 'callTracer', tracerConfig: { withLog: true } },
    'callTracer top only with logs': { tracer: 'callTracer', tracerConfig: { onlyTopCall: true, withLog: true } },
    prestateTracer: { tracer: 'prestateTracer' },
    'prestateTracer diff': { tracer: 'prestateTracer', tracerConfig: { diffMode: true } },
  };
  for (const [tx, hash] of Object.entries(txs)) {
    for (const [name, opts] of Object.entries(tracers)) {
      if (name === 'struct logs with memory' && tx !== 'inc') continue;
      t.rec(`${tx} / ${name}`, await call('debug_traceTransaction', [hash, opts]));
    }
  }
  t.rec('traceCall callTracer', await call('debug_traceCall', [{ from: a0, to: demo, data: relayed, gas: '0x100000' }, 'latest', { tracer: 'callTracer' }]));
  t.rec('traceCall struct logs', await call('debug_traceCall', [{ from: a0, to: token, data: transfer, gas: '0x100000' }, 'latest', {}]));
  t.rec('traceCall prestate', await call('debug_traceCall', [{ from: a0, to: token, data: transfer, gas: '0x100000' }, 'latest', { tracer: 'prestateTracer' }]));
  t.rec('traceCall callTracer with logs', await call('debug_traceCall', [{ from: a0, to: demo, data: relayed, gas: '0x100000' }, 'latest', { tracer: 'callTracer', tracerConfig: { withLog: true } }]));
  // An access list's order carries no meaning (anvil lists in the order it touched, parevm by address):
  // both are compared sorted.
  const sortedList = (r) => (r && r.accessList
    ? { ...r, accessList: r.accessList.map((e) => ({ ...e, storageKeys: [...e.storageKeys].sort() })).sort((x, y) => x.address.localeCompare(y.address)) }
    : r);
  t.rec('createAccessList transfer', sortedList(await call('eth_createAccessList', [{ from: a0, to: token, data: transfer }])));
  t.rec('createAccessList relay', sortedList(await call('eth_createAccessList', [{ from: a0, to: demo, data: relayed }, 'latest'])));
  t.rec('createAccessList plain value', sortedList(await call('eth_createAccessList', [{ from: a0, to: a1, value: '0x64' }])));
  const n = (await receipt(t.url, txs.relay)).blockNumber;
  t.rec('traceBlockByNumber callTracer', await call('debug_traceBlockByNumber', [n, { tracer: 'callTracer' }]));
  t.rec('unknown tx', (await call('debug_traceTransaction', ['0x' + '22'.repeat(32), {}])).error !== undefined);
  // Parity-style traces (trace_*): flat call lists with trace addresses, creations, reverts.
  for (const [tx, hash] of Object.entries({ ...txs, creation: creations[1] })) {
    t.rec(`${tx} / trace_transaction`, await call('trace_transaction', [hash]));
  }
  t.rec('trace_block', await call('trace_block', [n]));
  t.rec('trace_transaction of an unknown tx', await call('trace_transaction', ['0x' + '22'.repeat(32)]));
  // anvil takes block numbers only (no tags) in a trace filter.
  const last = await call('eth_blockNumber');
  t.rec('trace_filter to the token', await call('trace_filter', [{ fromBlock: '0x1', toBlock: last, toAddress: [token] }]));
  t.rec('trace_filter from the relay, after 1, count 2', await call('trace_filter', [{ fromBlock: '0x1', toBlock: last, fromAddress: [demo], after: 1, count: 2 }]));
  t.rec('trace_filter of everything', (await call('trace_filter', [{ fromBlock: '0x0', toBlock: last }])).length);

  // Halts, each in a transaction of its own (gas given, so that nothing is estimated): tiny contracts whose
  // code halts one way; a static call into a store halts the child only. Each traced by callTracer and as
  // Parity traces, whose error wording differs per halt.
  const runtime = async (hex) => {
    const n = hex.length / 2;
    const init = (0x5f + n).toString(16) + hex + '600052' + '60' + n.toString(16).padStart(2, '0') + '60' + (32 - n).toString(16).padStart(2, '0') + 'f3';
    return (await receipt(t.url, await call('eth_sendTransaction', [{ from: a0, data: '0x' + init }]))).contractAddress;
  };
  const store = await runtime('600160005500');
  const halts = {
    'stack underflow': await runtime('01'),
    'invalid opcode': await runtime('fe'),
    'undefined opcode': await runtime('0c'),
    'bad jump': await runtime('600056'),
    'return data out of bounds': await runtime('6001600060003e'),
    'static store': await runtime('600060006000600073' + store.slice(2).toLowerCase() + '5afa00'),
    'out of gas': await runtime('5b600056'),
  };
  for (const [name, to] of Object.entries(halts)) {
    const h = await send(to, '0x', { gas: '0x10000' });
    t.rec(`${name} / callTracer`, await call('debug_traceTransaction', [h, { tracer: 'callTracer' }]));
    t.rec(`${name} / trace_transaction`, await call('trace_transaction', [h]));
    t.rec(`${name} / eth_call`, await call('eth_call', [{ from: a0, to, gas: '0x10000' }]));
  }
  // Every block again, with traces, state diffs and instruction traces (trace_replayBlockTransactions):
  // creations, relays, reverts and the halts above.
  const head = Number(await call('eth_blockNumber'));
  for (let b = 1; b <= head; b++) {
    t.rec(`replay block ${b}`, await call('trace_replayBlockTransactions', ['0x' + b.toString(16), ['trace', 'stateDiff', 'vmTrace']]));
  }
  t.rec('replay latest, state diff only', await call('trace_replayBlockTransactions', ['latest', ['stateDiff']]));
  t.rec('replay latest, nothing asked', await call('trace_replayBlockTransactions', ['latest', []]));
}
