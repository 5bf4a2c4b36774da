// Methods tools call beyond the common ones: whole accounts (eth_getAccount, eth_getAccountInfo), raw
// transactions and code by hash (debug_getRawTransaction, debug_codeByHash), a sender's transaction by
// nonce (mined and pooled), mining with the mined blocks in the answer (evm_mine_detailed,
// anvil_mine_detailed), synchronous sends (EIP-7966), the genesis time, eth_config (EIP-7910), raw
// transactions by block and index, filled requests, anvil's aliases, anvil_reorg, anvil_rollback,
// anvil_dealERC20 and anvil_setERC20Allowance, the safe and finalized tags, anvil_setChainId, the pending
// block, eth_requestAccounts, eth_getStorageValues.
import { mnemonicToAccount } from 'viem/accounts';
import { receipt, rpc } from '../lib/node.mjs';

const DEPLOYER = '0x4e59b44847b379578588920ca78fbf26c0b4956c';
const NOBODY = '0x00000000000000000000000000000000000000aa';

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const [a0, a1] = await call('eth_accounts');
  for (const who of [DEPLOYER, a0, NOBODY]) {
    t.rec(`eth_getAccount ${who}`, await call('eth_getAccount', [who, 'latest']));
    t.rec(`eth_getAccountInfo ${who}`, await call('eth_getAccountInfo', [who, 'latest']));
  }
  const genesis = await call('eth_getBlockByNumber', ['0x0', false]);
  const gt = await call('anvil_getGenesisTime');
  t.rec('anvil_getGenesisTime is the first block\'s time, as a number', typeof gt === 'number' && gt === Number(genesis.timestamp));

  const h = await call('eth_sendTransaction', [{ from: a0, to: a1, value: '0x1' }]);
  await receipt(t.url, h);
  t.rec('debug_getRawTransaction', await call('debug_getRawTransaction', [h]));
  t.rec('debug_getRawTransaction of an unknown hash', await call('debug_getRawTransaction', ['0x' + '11'.repeat(32)]));
  t.rec('by sender and nonce (mined)', (await call('eth_getTransactionBySenderAndNonce', [a0, '0x0'])).hash === h);
  t.rec('by sender and a nonce not used', await call('eth_getTransactionBySenderAndNonce', [a0, '0x9']));
  const { codeHash } = await call('eth_getAccount', [DEPLOYER, 'latest']);
  t.rec('debug_codeByHash', await call('debug_codeByHash', [codeHash]));
  t.rec('debug_codeByHash of an unknown hash', await call('debug_codeByHash', ['0x' + '22'.repeat(32)]));

  await call('evm_setAutomine', [false]);
  const p = await call('eth_sendTransaction', [{ from: a1, to: a0, value: '0x2' }]);
  t.rec('by sender and nonce (pooled)', (await call('eth_getTransactionBySenderAndNonce', [a1, '0x0'])).hash === p);
  const pick = (b) => ({
    number: b.number,
    gasUsed: b.gasUsed,
    baseFeePerGas: b.baseFeePerGas,
    txs: b.transactions.map((x) => ({ hash: x.hash, from: x.from, nonce: x.nonce, value: x.value, output: x.output })),
  });
  t.rec('evm_mine_detailed', (await call('evm_mine_detailed')).map(pick));
  t.rec('anvil_mine_detailed', (await call('anvil_mine_detailed')).map(pick));
  const head = Number((await call('eth_getBlockByNumber', ['latest', false])).timestamp);
  const at = await call('evm_mine_detailed', [head + 1000]);
  t.rec('evm_mine_detailed at a timestamp', at.map((b) => Number(b.timestamp) - head));
  await call('evm_setAutomine', [true]);

  const nonce = await call('eth_getTransactionCount', [a0, 'pending']);
  const raw = await call('eth_signTransaction', [{ from: a0, to: NOBODY, value: '0x3', nonce, gas: '0x5208' }]);
  const r = await call('eth_sendRawTransactionSync', [raw]);
  t.rec('eth_sendRawTransactionSync', r.error ? r : { status: r.status, gasUsed: r.gasUsed, to: r.to, from: r.from, blockNumber: r.blockNumber });
  t.rec('eth_getAccountInfo after', await call('eth_getAccountInfo', [NOBODY, 'latest']));

  // Raw transactions by block and index, a filled request, a synchronous eth_sendTransaction, hardhat's
  // and tenderly's names for anvil's methods, eth_networkId.
  const sent = await call('eth_sendTransactionSync', [{ from: a1, to: NOBODY, value: '0x5' }]);
  t.rec('eth_sendTransactionSync', { status: sent.status, gasUsed: sent.gasUsed, to: sent.to, from: sent.from });
  t.rec('eth_getRawTransactionByHash', await call('eth_getRawTransactionByHash', [sent.transactionHash]));
  t.rec('raw by number and index', (await call('eth_getRawTransactionByBlockNumberAndIndex', [sent.blockNumber, '0x0'])) === (await call('eth_getRawTransactionByHash', [sent.transactionHash])));
  t.rec('raw by hash and index', (await call('eth_getRawTransactionByBlockHashAndIndex', [sent.blockHash, '0x0'])) === (await call('eth_getRawTransactionByHash', [sent.transactionHash])));
  t.rec('raw by number and a missing index', await call('eth_getRawTransactionByBlockNumberAndIndex', [sent.blockNumber, '0x5']));
  t.rec('eth_fillTransaction', await call('eth_fillTransaction', [{ from: a1, to: NOBODY, value: '0x1' }]));
  t.rec('eth_networkId', await call('eth_networkId'));
  t.rec('eth_config', await call('eth_config'));
  t.rec('hardhat_addBalance', await call('hardhat_addBalance', [NOBODY, '0x10']));
  t.rec('tenderly_setBalance', await call('tenderly_setBalance', [NOBODY, '0x20']));
  t.rec('evm_setAccountNonce', await call('evm_setAccountNonce', [NOBODY, '0x3']));
  t.rec('after the aliases', await call('eth_getAccountInfo', [NOBODY, 'latest']));
  // The pending block: what mining would make now (head + 1, the pool's transactions, no state root).
  await call('evm_setAutomine', [false]);
  t.rec('pending block, empty pool', await call('eth_getBlockByNumber', ['pending', false]));
  const q1 = await call('eth_sendTransaction', [{ from: a0, to: NOBODY, value: '0x11' }]);
  const q2 = await call('eth_sendTransaction', [{ from: a1, to: NOBODY, value: '0x12', data: '0x1234' }]);
  t.rec('pending block', await call('eth_getBlockByNumber', ['pending', false]));
  t.rec('pending block, full', await call('eth_getBlockByNumber', ['pending', true]));
  t.rec('pending transaction count', await call('eth_getBlockTransactionCountByNumber', ['pending']));
  t.rec('the head did not move', await call('eth_getBlockTransactionCountByNumber', ['latest']));
  // State at `pending` is after the pool's transactions: a balance, and a call (a creation whose init code
  // returns BALANCE(NOBODY)).
  const balanceOf = (addr) => '0x73' + addr.slice(2) + '315f5260205ff3';
  for (const tag of ['pending', 'latest']) {
    t.rec(`balance at ${tag}`, await call('eth_getBalance', [NOBODY, tag]));
    t.rec(`eth_call at ${tag}`, await call('eth_call', [{ from: a0, data: balanceOf(NOBODY) }, tag]));
    const spend = await call('eth_estimateGas', [{ from: NOBODY, to: a0, value: '0x30', data: '0x01' }, tag]);
    t.rec(`estimate of a spend only the pool funds, at ${tag}`, spend.error === undefined ? spend : 'fails');
    const traced = await call('debug_traceCall', [{ from: NOBODY, to: a0, value: '0x30', data: '0x01' }, tag, { tracer: 'callTracer' }]);
    t.rec(`traceCall of that spend, at ${tag}`, traced.error === undefined ? traced : 'fails');
    t.rec(`transaction 0 of the block, at ${tag}`, (await call('eth_getTransactionByBlockNumberAndIndex', [tag, '0x0'])) === null);
  }
  await call('evm_mine');
  await call('evm_setAutomine', [true]);
  const minedBlock = await call('eth_getBlockByNumber', ['latest', false]);
  t.rec('mined as pending said', [q1, q2].every((h) => minedBlock.transactions.includes(h)));

  // anvil_reorg: the newest two blocks replaced by two new ones holding the given transactions.
  // Each send waited for: anvil mines in the background, so its head may lag the send's answer.
  await receipt(t.url, await call('eth_sendTransaction', [{ from: a0, to: a1, value: '0x1' }]));
  await receipt(t.url, await call('eth_sendTransaction', [{ from: a0, to: a1, value: '0x1' }]));
  const reorgHead = Number(await call('eth_blockNumber'));
  const rawForReorg = await call('eth_signTransaction', [{ from: a1, to: NOBODY, value: '0x6', nonce: await call('eth_getTransactionCount', [a1, 'latest']), gas: '0x5208' }]);
  t.rec('anvil_reorg', await call('anvil_reorg', [2, [[{ from: a0, to: NOBODY, value: '0x9' }, 0], [{ from: a0, to: NOBODY, value: '0x8' }, 1], [rawForReorg, 1]]]));
  const newBlocks = [];
  for (const n of [reorgHead - 1, reorgHead]) {
    const b = await call('eth_getBlockByNumber', ['0x' + n.toString(16), true]);
    newBlocks.push(b.transactions.map((x) => ({ from: x.from, to: x.to, value: x.value, nonce: x.nonce })));
  }
  t.rec('the new blocks', { head: Number(await call('eth_blockNumber')) - reorgHead, newBlocks });
  t.rec('after the reorg', { nobody: await call('eth_getBalance', [NOBODY, 'latest']), nonce: await call('eth_getTransactionCount', [a0, 'latest']) });
  t.rec('anvil_reorg too deep', await call('anvil_reorg', [100000, []]));
  t.rec('anvil_reorg index past depth', await call('anvil_reorg', [1, [[{ from: a0, to: NOBODY, value: '0x1' }, 1]]]));
  // anvil_rollback: the newest blocks off, their transactions dropped, the state before them back.
  const before = await call('eth_blockNumber');
  t.rec('anvil_rollback 1', await call('anvil_rollback', [1]));
  t.rec('after rollback', {
    number: Number(await call('eth_blockNumber')) - Number(before),
    nobody: await call('eth_getBalance', [NOBODY, 'latest']),
    nonce: await call('eth_getTransactionCount', [a0, 'latest']),
    pool: await call('txpool_status'),
    receipt: await call('eth_getTransactionReceipt', [r.transactionHash]),
  });
  await call('evm_mine');
  t.rec('base fee after rollback', (await call('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
  t.rec('anvil_rollback too deep', await call('anvil_rollback', [1000]));
  t.rec('anvil_rollback null', await call('anvil_rollback', [null]));
  // anvil's ERC-20 cheats on the suite's token: the slot behind balanceOf / allowance found and set.
  const { Token } = t.artifacts;
  const th = await call('eth_sendTransaction', [{ from: a0, data: Token.bytecode + '64'.padStart(64, '0') }]);
  const token = (await receipt(t.url, th)).contractAddress;
  const word = (a) => a.slice(2).toLowerCase().padStart(64, '0');
  t.rec('anvil_dealERC20', await call('anvil_dealERC20', [a1, token, '0x3039']));
  t.rec('balanceOf after the deal', await call('eth_call', [{ to: token, data: '0x70a08231' + word(a1) }, 'latest']));
  t.rec('the owner keeps its balance', await call('eth_call', [{ to: token, data: '0x70a08231' + word(a0) }, 'latest']));
  t.rec('anvil_setERC20Allowance', await call('anvil_setERC20Allowance', [a0, a1, token, '0x309']));
  t.rec('allowance after', await call('eth_call', [{ to: token, data: '0xdd62ed3e' + word(a0) + word(a1) }, 'latest']));
  t.rec('anvil_dealERC20 on an account without code', await call('anvil_dealERC20', [a1, NOBODY, '0x1']));
  // The safe and finalized tags trail the head by one and two epochs of 32 blocks (never before genesis).
  const tags = async () => Object.fromEntries(await Promise.all(['latest', 'safe', 'finalized'].map(
    async (tag) => [tag, (await call('eth_getBlockByNumber', [tag, false])).number])));
  t.rec('tags early', await tags());
  await call('anvil_mine', ['0x50']);
  t.rec('tags after 80 blocks', await tags());
  t.rec('balance at finalized', await call('eth_getBalance', [NOBODY, 'finalized']));
  t.rec('mined after rollback', Number(await call('evm_mine') === '0x0') + Number(await call('eth_blockNumber')) - Number(before));

  // anvil_setChainId: the new id in eth_chainId, net_version and CHAINID; a transaction signed for the old
  // id is refused, one signed for the new id mined; then the old id again. (anvil 1.7.1's own signer keeps
  // the old id, so its eth_sendTransaction fails after the change; parevm signs with the id in force. The
  // transaction for the new id is signed here, as a wallet would.)
  // Runtime CHAINID PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN (9 bytes), returned by its init code.
  const init = '0x68' + '4660005260206000f3' + '600052' + '6009' + '6017' + 'f3';
  const chainIdReader = (await receipt(t.url, await call('eth_sendTransaction', [{ from: a0, data: init }]))).contractAddress;
  const nonce0 = await call('eth_getTransactionCount', [a0, 'latest']);
  const oldSigned = await call('eth_signTransaction', [{ from: a0, to: NOBODY, value: '0x7', nonce: nonce0, gas: '0x5208' }]);
  t.rec('anvil_setChainId', await call('anvil_setChainId', [1337]));
  t.rec('eth_chainId after setChainId', await call('eth_chainId'));
  t.rec('net_version after setChainId', await call('net_version'));
  t.rec('CHAINID after setChainId', await call('eth_call', [{ to: chainIdReader }, 'latest']));
  const stale = await call('eth_sendRawTransaction', [oldSigned]);
  t.rec('a transaction signed for the old id is refused', stale.error !== undefined);
  const wallet = mnemonicToAccount('test test test test test test test test test test test junk');
  const fresh = await wallet.signTransaction({
    chainId: 1337, type: 'eip1559', to: NOBODY, value: 8n, nonce: Number(nonce0), gas: 21000n,
    maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1n,
  });
  const newTx = await call('eth_sendRawTransaction', [fresh]);
  t.rec('a transaction for the new id is mined', (await receipt(t.url, newTx)).status);
  t.rec('its chainId', (await call('eth_getTransactionByHash', [newTx])).chainId);
  t.rec('anvil_setChainId back', await call('anvil_setChainId', [31337]));
  t.rec('eth_chainId back', await call('eth_chainId'));

  // eth_requestAccounts (EIP-1102: the dev accounts), eth_getStorageValues (several accounts' slots on
  // one state, at most 1,024 slots).
  t.rec('eth_requestAccounts', await call('eth_requestAccounts'));
  const stored = (await receipt(t.url, await call('eth_sendTransaction', [{ from: a0, data: '0x602a6000556007600155' }]))).contractAddress;
  const slot = (n) => '0x' + n.toString(16).padStart(64, '0');
  t.rec('eth_getStorageValues', await call('eth_getStorageValues', [{ [stored]: [slot(0), slot(1), slot(2)], [NOBODY]: [slot(0)], [a1]: [] }, 'latest']));
  t.rec('eth_getStorageValues at block 1', await call('eth_getStorageValues', [{ [stored]: [slot(0)] }, '0x1']));
  t.rec('eth_getStorageValues of 1025 slots', (await call('eth_getStorageValues', [{ [stored]: Array.from({ length: 1025 }, (_, i) => slot(i)) }])).error?.code);
}
