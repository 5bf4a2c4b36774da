// Raw JSON-RPC basics: chain facts, a value transfer, its receipt and block, nonces, fees, code, hashing.
import { receipt, rpc } from '../lib/node.mjs';

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const [a0, a1] = await call('eth_accounts');
  t.rec('eth_chainId', await call('eth_chainId'));
  t.rec('net_version', await call('net_version'));
  t.rec('eth_accounts', await call('eth_accounts'));
  t.rec('balance', await call('eth_getBalance', [a0, 'latest']));
  t.rec('genesis', await call('eth_getBlockByNumber', ['0x0', false]));
  t.rec('gasPrice', await call('eth_gasPrice'));
  t.rec('tip', await call('eth_maxPriorityFeePerGas'));
  t.rec('estimate transfer', await call('eth_estimateGas', [{ from: a0, to: a1, value: '0x1' }]));
  const hash = await call('eth_sendTransaction', [{ from: a0, to: a1, value: '0xde0b6b3a7640000' }]);
  t.rec('send', hash);
  // Automine: anvil mines on its own task after answering, so wait for the receipt as clients do.
  t.rec('receipt', await receipt(t.url, hash));
  t.rec('tx', await call('eth_getTransactionByHash', [hash]));
  t.rec('block 1 full', await call('eth_getBlockByNumber', ['0x1', true]));
  t.rec('block receipts', await call('eth_getBlockReceipts', ['0x1']));
  t.rec('tx by block and index', await call('eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x0']));
  t.rec('count by number', await call('eth_getBlockTransactionCountByNumber', ['0x1']));
  t.rec('nonce latest', await call('eth_getTransactionCount', [a0, 'latest']));
  t.rec('nonce pending', await call('eth_getTransactionCount', [a0, 'pending']));
  t.rec('balance after', await call('eth_getBalance', [a1, 'latest']));
  t.rec('balance at 0', await call('eth_getBalance', [a1, '0x0']));
  t.rec('code of eoa', await call('eth_getCode', [a0, 'latest']));
  t.rec('storage of eoa', await call('eth_getStorageAt', [a0, '0x0', 'latest']));
  t.rec('gasPrice after', await call('eth_gasPrice'));
  t.rec('feeHistory', await call('eth_feeHistory', ['0x2', 'latest', [25, 75]]));
  t.rec('sha3', await call('web3_sha3', ['0x68656c6c6f']));
  t.rec('syncing', await call('eth_syncing'));
  t.rec('blockNumber', await call('eth_blockNumber'));
  t.rec('missing tx', await call('eth_getTransactionByHash', ['0x' + '11'.repeat(32)]));
  t.rec('missing block', await call('eth_getBlockByNumber', ['0x99', false]));
}
