// evm_snapshot / evm_revert: a snapshot id works once, later snapshots go with it, blocks and state return.
import { receipt, rpc } from '../lib/node.mjs';

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const [a0, a1] = await call('eth_accounts');
  // A client waits for the receipt before it moves on (anvil answers the hash before it has mined).
  const send = async (value) => {
    const h = await call('eth_sendTransaction', [{ from: a0, to: a1, value }]);
    await receipt(t.url, h);
    return h;
  };
  await send('0x1');
  const snap = await call('evm_snapshot');
  t.rec('snapshot id', snap);
  const h = await send('0x2');
  const inner = await call('evm_snapshot');
  t.rec('second snapshot id', inner);
  await send('0x3');
  t.rec('number before revert', await call('eth_blockNumber'));
  t.rec('balance before revert', await call('eth_getBalance', [a1, 'latest']));
  t.rec('revert', await call('evm_revert', [snap]));
  t.rec('number after revert', await call('eth_blockNumber'));
  t.rec('nonce after revert', await call('eth_getTransactionCount', [a0, 'latest']));
  t.rec('balance after revert', await call('eth_getBalance', [a1, 'latest']));
  t.rec('reverted tx is gone', await call('eth_getTransactionReceipt', [h]));
  t.rec('revert again', await call('evm_revert', [snap]));
  t.rec('unknown snapshot', await call('evm_revert', ['0x99']));
  await send('0x4');
  t.rec('number after new block', await call('eth_blockNumber'));
  t.rec('base fee after revert', (await call('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  t.rec('balance after new block', await call('eth_getBalance', [a1, 'latest']));
  const again = await call('evm_snapshot');
  t.rec('snapshot after revert', again);
  // Last, since anvil moves its chain here (see masks.mjs).
  t.rec('later snapshot dropped', await call('evm_revert', [inner]));
}
