// Start flags Solidity teams pass to anvil: a genesis file (`--init`: its accounts over the dev accounts,
// its chain id, number, timestamp, base fee and coinbase), a raised code size limit (`--code-size-limit`),
// the CREATE2 deployer anvil puts in genesis, and no EIP-7825 transaction gas cap unless asked for.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { receipt, rpc } from '../lib/node.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// `--chain-id` repeats the file's: anvil 1.7.1 takes the file's chain id for the chain but signs
// eth_sendTransaction with its default (31337) unless the flag is given, and then refuses its own transaction.
export const nodeArgs = [
  '--init', path.join(here, '..', 'genesis', 'init.json'), '--chain-id', '4242', '--code-size-limit', '32768',
];

const BB = '0x00000000000000000000000000000000000000bb';
const DEPLOYER = '0x4e59b44847b379578588920ca78fbf26c0b4956c';
// Init code that deploys `n` zero bytes: PUSH3 n, PUSH1 0, RETURN.
const zeros = (n) => `0x62${n.toString(16).padStart(6, '0')}6000f3`;

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error } : r.result;
  };
  const [a0, a1] = await call('eth_accounts');
  const mined = async (tx) => {
    const h = await call('eth_sendTransaction', [tx]);
    if (typeof h !== 'string') return h;
    const r = await receipt(t.url, h);
    return { status: r.status, gasUsed: r.gasUsed, contractAddress: r.contractAddress, blockNumber: r.blockNumber };
  };
  const pick = (b, keys) => Object.fromEntries(keys.map((k) => [k, b[k]]));
  const genesisKeys = ['number', 'timestamp', 'miner', 'baseFeePerGas', 'gasLimit', 'extraData'];

  t.rec('chain id', await call('eth_chainId'));
  t.rec('block number from the file', await call('eth_blockNumber'));
  const earliest = await call('eth_getBlockByNumber', ['earliest', false]);
  t.rec('genesis block', pick(earliest, genesisKeys));
  t.rec('balance the file sets for a dev account', await call('eth_getBalance', [a0, 'latest']));
  t.rec('balance of another dev account', await call('eth_getBalance', [a1, 'latest']));
  t.rec('alloc account', {
    balance: await call('eth_getBalance', [BB, 'latest']),
    nonce: await call('eth_getTransactionCount', [BB, 'latest']),
    code: await call('eth_getCode', [BB, 'latest']),
    slot1: await call('eth_getStorageAt', [BB, '0x1', 'latest']),
  });
  t.rec('CREATE2 deployer', await call('eth_getCode', [DEPLOYER, 'latest']));

  // A salted creation through the deployer lands at the CREATE2 address on both.
  const salt = '00'.repeat(31) + '07';
  const deploy = { from: a1, to: DEPLOYER, data: `0x${salt}${zeros(3).slice(2)}`, gas: '0x100000' };
  t.rec('deployer returns the address', await call('eth_call', [deploy, 'latest']));
  t.rec('salted creation', await mined(deploy));
  // BB returns BLOCKHASH(16): the genesis block's hash, now that a block follows it.
  t.rec('BLOCKHASH of the genesis number', (await call('eth_call', [{ to: BB }, 'latest'])) === earliest.hash);
  t.rec('code size limit raised: 24,577 bytes', await mined({ from: a1, data: zeros(0x6001), gas: '0x989680' }));
  t.rec('code size limit raised: 32,769 bytes', await mined({ from: a1, data: zeros(0x8001), gas: '0x989680' }));
  t.rec('gas above the EIP-7825 cap', await mined({ from: a1, to: BB, gas: '0x1312d00' }));
  const latest = await call('eth_getBlockByNumber', ['latest', false]);
  t.rec('later blocks', pick(latest, ['number', 'miner', 'gasLimit']));
  t.rec('anvil_reset', await call('anvil_reset'));
  t.rec('back at the file\'s genesis', {
    number: await call('eth_blockNumber'),
    balance: await call('eth_getBalance', [a0, 'latest']),
    slot1: await call('eth_getStorageAt', [BB, '0x1', 'latest']),
  });
}
