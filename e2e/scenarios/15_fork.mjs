// Forking (`--fork-url`): anvil and parevm dev each fork the same chain, a real anvil holding contracts with
// storage, a funded account and a few blocks, at its head; then both run the same transactions, dev edits,
// snapshot and reset. What they read of the forked state, what their transactions do and what they answer
// about the fork must agree.
import { receipt, rpc, startNode } from '../lib/node.mjs';

const C = '0x00000000000000000000000000000000000000cc';
const D = '0x00000000000000000000000000000000000000dd';
const E = '0x00000000000000000000000000000000000000ee';
// C: slot 0 += 1; SSTORE(calldata word 0, calldata word 1); LOG0 of the counter; CALL D. D: slot 1 += 1.
const CODE_C = `0x600054600101806000556020356000355560005260206000a06000600060006000600073${D.slice(2)}5af15000`;
const CODE_D = '0x600154600101600155';
const word = (n) => BigInt(n).toString(16).padStart(64, '0');
const store = (slot, value) => `0x${word(slot)}${word(value)}`;

// The chain both kinds fork, started once (on the first kind's start) and stopped by `after`.
let origin;
let forkBlock;
let seeded = [];

async function seed(url, a1) {
  const call = async (m, p = []) => {
    const r = await rpc(url, m, p);
    if (r.error) throw new Error(`origin ${m}: ${JSON.stringify(r.error)}`);
    return r.result;
  };
  await call('anvil_setCode', [C, CODE_C]);
  await call('anvil_setCode', [D, CODE_D]);
  await call('anvil_setStorageAt', [C, '0x3', `0x${word(33)}`]);
  await call('anvil_setStorageAt', [C, '0x7', `0x${word(77)}`]);
  for (const tx of [
    { from: a1, to: C, data: store(11, 1) },
    { from: a1, to: E, value: '0xde0b6b3a7640000' },
    { from: a1, to: C, data: store(12, 2) },
  ]) {
    const r = await receipt(url, await call('eth_sendTransaction', [tx]));
    if (r.status !== '0x1') throw new Error(`origin transaction failed: ${JSON.stringify(r)}`);
    seeded.push(r.transactionHash);
  }
  await call('evm_mine');
  return Number(await call('eth_blockNumber'));
}

export async function nodeArgs(kind, bins) {
  if (!origin) {
    origin = await startNode('anvil', bins, ['--silent']);
    const accounts = (await rpc(origin.url, 'eth_accounts')).result;
    forkBlock = await seed(origin.url, accounts[1]);
  }
  return ['--fork-url', origin.url, '--fork-block-number', String(forkBlock)];
}

export async function after() {
  if (origin) await origin.stop();
  origin = undefined;
}

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const [a0, a1, a2] = await call('eth_accounts');
  const state = async () => {
    const out = {};
    for (const a of [C, D, E, a0, a1, a2]) {
      out[a] = {
        balance: await call('eth_getBalance', [a, 'latest']),
        nonce: await call('eth_getTransactionCount', [a, 'latest']),
        code: await call('eth_getCode', [a, 'latest']),
        slots: await Promise.all(['0x0', '0x1', '0x3', '0x7', '0xb', '0x14'].map((s) => call('eth_getStorageAt', [a, s, 'latest']))),
      };
    }
    return out;
  };
  const mined = async (tx) => {
    const h = await call('eth_sendTransaction', [tx]);
    if (typeof h !== 'string') return h;
    const r = await receipt(t.url, h);
    return {
      status: r.status, gasUsed: r.gasUsed, effectiveGasPrice: r.effectiveGasPrice, blockNumber: r.blockNumber,
      logs: r.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data })),
    };
  };
  const pick = (b, keys) => Object.fromEntries(keys.map((k) => [k, b && b[k]]));

  t.rec('chain id', await call('eth_chainId'));
  t.rec('block number', await call('eth_blockNumber'));
  const first = await call('eth_getBlockByNumber', ['latest', false]);
  t.rec('the fork block', pick(first, ['number', 'hash', 'gasLimit', 'baseFeePerGas']));
  t.rec('forked state', await state());
  t.rec('eth_call into the forked contract', await call('eth_call', [{ from: a0, to: C, data: store(30, 3) }, 'latest']));
  t.rec('estimate', await call('eth_estimateGas', [{ from: a0, to: C, data: store(30, 3) }]));

  t.rec('a zero over a forked slot', await mined({ from: a1, to: C, data: store(3, 0) }));
  t.rec('a new slot', await mined({ from: a2, to: C, data: store(20, 5) }));
  t.rec('a transfer to a forked account', await mined({ from: a2, to: E, value: '0x1234' }));
  const next = await call('eth_getBlockByNumber', ['latest', false]);
  t.rec('blocks after the fork', pick(next, ['number', 'gasLimit', 'baseFeePerGas', 'gasUsed']));
  t.rec('state after the transactions', await state());

  await call('anvil_setStorageAt', [D, '0x7', `0x${word(9)}`]);
  await call('anvil_setBalance', [E, '0x5']);
  await call('anvil_setNonce', [C, '0x9']);
  t.rec('state after dev edits', await state());

  const snap = await call('evm_snapshot');
  t.rec('a transaction after the snapshot', await mined({ from: a1, to: C, data: store(3, 1) }));
  t.rec('evm_revert', await call('evm_revert', [snap]));
  t.rec('state after the revert', await state());

  const below = await call('eth_getBlockByNumber', [`0x${(forkBlock - 1).toString(16)}`, false]);
  t.rec('a block below the fork', pick(below, ['number', 'hash', 'transactions', 'gasUsed']));
  t.rec('the same block by hash', pick(await call('eth_getBlockByHash', [below.hash, false]), ['number', 'hash']));
  const tx = await call('eth_getTransactionByHash', [seeded[0]]);
  t.rec('a transaction before the fork', pick(tx, ['hash', 'blockNumber', 'from', 'to', 'nonce', 'input']));
  const r = await call('eth_getTransactionReceipt', [seeded[0]]);
  t.rec('its receipt', pick(r, ['status', 'gasUsed', 'blockNumber', 'logs']));
  t.rec('a balance before the fork', await call('eth_getBalance', [E, '0x2']));
  const meta = await call('anvil_metadata');
  t.rec('anvil_metadata forkedNetwork', meta.forkedNetwork);
  const info = await call('anvil_nodeInfo');
  t.rec('anvil_nodeInfo forkConfig', pick(info.forkConfig, ['forkUrl', 'forkBlockNumber']));

  t.rec('anvil_reset', await call('anvil_reset'));
  t.rec('block number after the reset', await call('eth_blockNumber'));
  t.rec('state after the reset', await state());

  // anvil_reset forking another block of the same node (viem's testClient.reset({ jsonRpcUrl, blockNumber })).
  const forking = { forking: { jsonRpcUrl: origin.url, blockNumber: forkBlock - 1 } };
  t.rec('anvil_reset forking an earlier block', await call('anvil_reset', [forking]));
  t.rec('block number at the earlier fork', await call('eth_blockNumber'));
  t.rec('state at the earlier fork', await state());
  t.rec('a transaction on the earlier fork', await mined({ from: a1, to: C, data: store(3, 9) }));
  t.rec('state after it', await state());
}
