// Dev methods: snapshot/revert, time travel, impersonation, state setters, manual mining with a pool,
// anvil_mine with an interval, dropping transactions, base fee and gas limit overrides, interval mining;
// signing without sending (personal_sign, eth_signTransaction), anvil_addBalance, anvil_snapshot/revert,
// block timestamp intervals, unsigned sends, removing a sender's pooled transactions, logging on/off.
import { receipt, rpc, until } from '../lib/node.mjs';

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const [a0, a1] = await call('eth_accounts');
  const block = async (tag = 'latest') => call('eth_getBlockByNumber', [tag, false]);
  const send = async (from, to, value, extra = {}) => {
    const h = await call('eth_sendTransaction', [{ from, to, value, ...extra }]);
    // With automine on, wait for the block as a client does (anvil answers the hash before it has mined).
    if (typeof h === 'string' && (await call('anvil_getAutomine')) === true) await receipt(t.url, h);
    return h;
  };

  // Time travel: an exact timestamp, then increaseTime.
  const base = Number((await block()).timestamp);
  const target = base + 1_000_000;
  t.rec('setNextBlockTimestamp', await call('evm_setNextBlockTimestamp', [target]));
  t.rec('evm_mine', await call('evm_mine'));
  t.rec('base fee of first mined', (await block()).baseFeePerGas);
  t.rec('mined at exact time', Number((await block()).timestamp) - base);
  const offset = await call('evm_increaseTime', [3600]);
  // The offset is the target minus the wall clock when the block was mined, plus the hour: the seconds since
  // the node started are taken off, which on a loaded machine can be many.
  t.rec('increaseTime returns the total offset', offset <= 1_003_602 && offset > 1_003_600 - 120);
  await call('evm_mine');
  const after = Number((await block()).timestamp) - target;
  t.rec('increase moved time by about an hour', after >= 3600 && after < 3720);
  t.rec('past timestamp refused', (await call('evm_setNextBlockTimestamp', [1])).error !== undefined);
  t.rec('evm_mine with timestamp', await call('evm_mine', [target + 10_000]));
  t.rec('mine timestamp', Number((await block()).timestamp) - target);
  t.rec('anvil_mine 3 blocks 10 s apart', await call('anvil_mine', ['0x3', '0xa']));
  const n = BigInt(await call('eth_blockNumber'));
  const t3 = Number((await block('0x' + n.toString(16))).timestamp);
  const t2 = Number((await block('0x' + (n - 1n).toString(16))).timestamp);
  t.rec('interval between mined blocks', t3 - t2);
  t.rec('base fee after anvil_mine', (await block()).baseFeePerGas);

  // State setters.
  const who = '0x1234567890123456789012345678901234567890';
  t.rec('setBalance', await call('anvil_setBalance', [who, '0x3635c9adc5dea00000']));
  t.rec('balance', await call('eth_getBalance', [who, 'latest']));
  t.rec('setNonce', await call('anvil_setNonce', [who, '0x5']));
  t.rec('nonce', await call('eth_getTransactionCount', [who, 'latest']));
  t.rec('setCode', await call('anvil_setCode', [who, '0x6001600055']));
  t.rec('code', await call('eth_getCode', [who, 'latest']));
  t.rec('setStorageAt', await call('anvil_setStorageAt', [who, '0x1', '0x' + '00'.repeat(31) + '2a']));
  t.rec('storage', await call('eth_getStorageAt', [who, '0x1', 'latest']));
  t.rec('hardhat alias', await call('hardhat_setBalance', [who, '0x1']));
  t.rec('balance via alias', await call('eth_getBalance', [who, 'latest']));

  // Impersonation.
  const whale = '0x00000000000000000000000000000000000A11cE';
  await call('anvil_setBalance', [whale, '0xde0b6b3a7640000']);
  t.rec('send without impersonation', (await send(whale, a1, '0x5')).error?.code);
  t.rec('impersonate', await call('anvil_impersonateAccount', [whale]));
  const ih = await send(whale, a1, '0x5');
  const ir = await receipt(t.url, ih);
  t.rec('impersonated receipt', { status: ir.status, from: ir.from, to: ir.to, gasUsed: ir.gasUsed });
  t.rec('stop impersonating', await call('anvil_stopImpersonatingAccount', [whale]));
  t.rec('send after stop', (await send(whale, a1, '0x5')).error?.code);
  t.rec('auto impersonate', await call('anvil_autoImpersonateAccount', [true]));
  const ah = await send(whale, a1, '0x6');
  t.rec('auto impersonated status', (await receipt(t.url, ah)).status);
  await call('anvil_autoImpersonateAccount', [false]);

  t.rec('base fee before manual', (await block()).baseFeePerGas);
  // Manual mining with a pool.
  t.rec('setAutomine false', await call('evm_setAutomine', [false]));
  t.rec('getAutomine', await call('anvil_getAutomine'));
  const p1 = await send(a0, a1, '0x7');
  const p2 = await send(a0, a1, '0x8');
  const p3 = await send(a1, a0, '0x9');
  t.rec('pending hashes', [p1, p2, p3]);
  t.rec('receipt while pending', await call('eth_getTransactionReceipt', [p1]));
  t.rec('txpool_status', await call('txpool_status'));
  t.rec('pending nonce', await call('eth_getTransactionCount', [a0, 'pending']));
  const content = await call('txpool_content');
  t.rec('txpool_content senders', Object.keys(content.pending).map((k) => k.toLowerCase()).sort());
  t.rec('pending tx', await call('eth_getTransactionByHash', [p2]));
  const p3tx = await call('eth_getTransactionByHash', [p3]);
  const same = { nonce: p3tx.nonce, gas: p3tx.gas, maxFeePerGas: p3tx.maxFeePerGas, maxPriorityFeePerGas: p3tx.maxPriorityFeePerGas };
  const under = await call('eth_sendTransaction', [{ from: a1, to: a0, value: '0xa', ...same }]);
  t.rec('replacement underpriced', under.error ? { code: under.error.code, message: under.error.message } : under);
  const higher = { ...same, maxFeePerGas: '0x' + (BigInt(p3tx.maxFeePerGas) * 2n).toString(16), maxPriorityFeePerGas: '0x' + (BigInt(p3tx.maxPriorityFeePerGas) * 2n).toString(16) };
  const repl = await call('eth_sendTransaction', [{ from: a1, to: a0, value: '0xa', ...higher }]);
  t.rec('replacement accepted', typeof repl === 'string');
  t.rec('status after replacement', await call('txpool_status'));
  t.rec('replaced is gone', await call('eth_getTransactionByHash', [p3]));
  t.rec('drop', await call('anvil_dropTransaction', [repl]));
  t.rec('status after drop', await call('txpool_status'));
  t.rec('mine', await call('evm_mine'));
  const mined = await block();
  t.rec('mined block txs', mined.transactions);
  t.rec('txpool after mine', await call('txpool_status'));
  t.rec('nonce too low', (await send(a0, a1, '0x1', { nonce: '0x0', gas: '0x5208' })).error);

  // Overrides.
  t.rec('setNextBlockBaseFeePerGas', await call('anvil_setNextBlockBaseFeePerGas', ['0x77359400']));
  t.rec('setBlockGasLimit', await call('evm_setBlockGasLimit', ['0x1312d00']));
  t.rec('setCoinbase', await call('anvil_setCoinbase', [whale]));
  await call('evm_mine');
  const ob = await block();
  t.rec('overridden block', { baseFeePerGas: ob.baseFeePerGas, gasLimit: ob.gasLimit, miner: ob.miner });
  t.rec('setAutomine true', await call('evm_setAutomine', [true]));
  const auto = await send(a0, a1, '0x3');
  t.rec('automined', (await receipt(t.url, auto)).status);

  // Interval mining: a block a second. Wait for two blocks (no fixed sleep: CI is slow and loaded); two
  // blocks a second apart cannot both come sooner than a second after the switch.
  const before = BigInt(await call('eth_blockNumber'));
  const started = Date.now();
  t.rec('setIntervalMining', await call('evm_setIntervalMining', [1]));
  await until('two interval-mined blocks', async () => BigInt(await call('eth_blockNumber')) - before >= 2n);
  t.rec('interval mined 2 blocks, not at once', Date.now() - started >= 900);
  await call('evm_setIntervalMining', [0]);
  t.rec('automine after interval', await call('anvil_getAutomine'));
  t.rec('reset', await call('anvil_reset'));
  t.rec('number after reset', await call('eth_blockNumber'));
  t.rec('balance after reset', await call('eth_getBalance', [a0, 'latest']));

  // Signing without sending, on the fresh chain (the same nonce, fees and gas on both).
  t.rec('personal_sign', await call('personal_sign', ['0xdeadbeef', a0]));
  t.rec('personal_sign equals eth_sign', (await call('personal_sign', ['0x1234', a0])) === (await call('eth_sign', [a0, '0x1234'])));
  t.rec('signTransaction', await call('eth_signTransaction', [{ from: a0, to: a1, value: '0x1' }]));
  t.rec('signTransaction sent nothing', await call('eth_getTransactionCount', [a0, 'pending']));
  // anvil_addBalance, and anvil_snapshot / anvil_revert (evm_snapshot's and evm_revert's anvil names).
  const snap = await call('anvil_snapshot');
  t.rec('addBalance', await call('anvil_addBalance', [a1, '0x10']));
  t.rec('balance after addBalance', await call('eth_getBalance', [a1, 'latest']));
  t.rec('anvil_revert', await call('anvil_revert', [snap]));
  t.rec('balance after anvil_revert', await call('eth_getBalance', [a1, 'latest']));

  // An unsigned transaction from an account no one holds the key of, mined by hand (whether automine is on
  // here is what the steps above left; both chains agree on it).
  const stranger = '0x000000000000000000000000000000000000beef';
  await call('anvil_setBalance', [stranger, '0xde0b6b3a7640000']);
  const unsigned = await call('eth_sendUnsignedTransaction', [{ from: stranger, to: a1, value: '0x5' }]);
  await call('evm_mine');
  t.rec('sendUnsignedTransaction status', (await receipt(t.url, unsigned)).status);
  t.rec('sendUnsignedTransaction from', (await call('eth_getTransactionByHash', [unsigned])).from);

  // A sender's pooled transactions removed at once.
  await call('evm_setAutomine', [false]);
  await call('eth_sendTransaction', [{ from: a0, to: a1, value: '0x1' }]);
  await call('eth_sendTransaction', [{ from: a0, to: a1, value: '0x2' }]);
  t.rec('pool before removePoolTransactions', await call('txpool_status'));
  t.rec('removePoolTransactions', await call('anvil_removePoolTransactions', [a0]));
  t.rec('pool after removePoolTransactions', await call('txpool_status'));
  await call('evm_setAutomine', [true]);
  t.rec('setLoggingEnabled', await call('anvil_setLoggingEnabled', [false]));

  // Each block 5 s after its parent, then back to the clock.
  t.rec('setBlockTimestampInterval', await call('anvil_setBlockTimestampInterval', [5]));
  await call('evm_mine');
  const first = Number((await block()).timestamp);
  await call('evm_mine');
  t.rec('blocks 5 s apart', Number((await block()).timestamp) - first);
  t.rec('removeBlockTimestampInterval', await call('anvil_removeBlockTimestampInterval'));
  t.rec('removeBlockTimestampInterval again', await call('anvil_removeBlockTimestampInterval'));
}
