// eth_simulateV1 as viem's simulateCalls sends it and as a raw request: a transfer, token calls and an
// event on the head without mining, several blocks whose state carries from one to the next, state
// overrides, a revert, and the chain unchanged afterwards.
//
// Only the calls are recorded (status, gas, the return data of successes, logs without their block
// fields, whether a call failed) with each block's gas used and limit. anvil 1.7.1's simulated blocks are
// not comparable: they are numbered from 0 with a zero parent hash and state root, the calls run with
// NUMBER 0 and TIMESTAMP 1, the header has no post-Shanghai fields, its receipts root is its
// transactions root, a revert answers code -3200 with the revert data in `returnData`, and a creation
// is refused ("missing keys: to"). parevm follows geth there (the same code passes the execution-apis
// cases in `parevm node`; the headers, block context, creations and error codes of `parevm dev` are held
// by devnet/tests/simulate.rs).
import { createPublicClient, createWalletClient, http, parseEther, encodeFunctionData } from 'viem';
import { foundry } from 'viem/chains';
import { rpc } from '../lib/node.mjs';

const BEEF = '0x000000000000000000000000000000000000bEEF';
const FRESH = '0x00000000000000000000000000000000000f4e5a';

export default async function (t) {
  const chain = { ...foundry, rpcUrls: { default: { http: [t.url] } } };
  const pub = createPublicClient({ chain, transport: http(t.url) });
  const [account] = await pub.request({ method: 'eth_accounts' });
  const wallet = createWalletClient({ chain, transport: http(t.url), account });
  const { Token, Demo } = t.artifacts;
  const deploy = async (c, args = []) =>
    (await pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi: c.abi, bytecode: c.bytecode, args }) }))
      .contractAddress;
  const token = await deploy(Token, [parseEther('1000')]);
  const demo = await deploy(Demo);

  // viem: simulateCalls (eth_simulateV1 with the transfers traced).
  const viewed = (r) => ({
    status: r.status,
    gasUsed: r.gasUsed,
    data: r.status === 'success' ? r.data : undefined,
    result: r.result,
    logs: r.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data, logIndex: l.logIndex })),
  });
  const { results } = await pub.simulateCalls({
    account,
    traceTransfers: true,
    calls: [
      { to: BEEF, value: parseEther('1') },
      { to: token, abi: Token.abi, functionName: 'transfer', args: [BEEF, 5n] },
      { to: token, abi: Token.abi, functionName: 'balanceOf', args: [BEEF] },
      { to: demo, abi: Demo.abi, functionName: 'inc' },
      { to: demo, abi: Demo.abi, functionName: 'divide', args: [7n, 2n] },
    ],
  });
  t.rec('viem simulateCalls', results.map(viewed));

  // The raw method: blocks in a row, overrides, a revert, a creation.
  const call = (m, p) => rpc(t.url, m, p);
  const calls = (r) =>
    r.error
      ? { error: r.error.code }
      : r.result.map((b) => ({
          gasUsed: b.gasUsed,
          gasLimit: b.gasLimit,
          calls: b.calls.map((c) => ({
            status: c.status,
            gasUsed: c.gasUsed,
            returnData: c.status === '0x1' ? c.returnData : undefined,
            failed: 'error' in c,
            logs: c.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data, logIndex: l.logIndex, transactionIndex: l.transactionIndex })),
          })),
        }));
  const data = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
  const before = await call('eth_call', [{ to: token, data: data(Token, 'balanceOf', [BEEF]) }, 'latest']);
  const sim = await call('eth_simulateV1', [
    {
      traceTransfers: true,
      blockStateCalls: [
        {
          calls: [
            { from: account, to: token, data: data(Token, 'transfer', [BEEF, 7n]) },
            { from: account, to: demo, data: data(Demo, 'inc') },
          ],
        },
        {
          stateOverrides: { [FRESH]: { balance: '0xde0b6b3a7640000' } },
          calls: [
            { from: account, to: token, data: data(Token, 'balanceOf', [BEEF]) },
            { from: FRESH, to: BEEF, value: '0x100' },
            { from: account, to: demo, data: data(Demo, 'fail', ['no']) },
            { from: account, to: demo, data: data(Demo, 'inc') },
          ],
        },
      ],
    },
    'latest',
  ]);
  t.rec('eth_simulateV1 over two blocks', calls(sim));
  t.rec('eth_simulateV1 with the full transactions', calls(await call('eth_simulateV1', [
    { returnFullTransactions: true, blockStateCalls: [{ calls: [{ from: account, to: BEEF, value: '0x1' }] }] },
    'latest',
  ])));
  t.rec('nothing kept', (await call('eth_call', [{ to: token, data: data(Token, 'balanceOf', [BEEF]) }, 'latest'])).result === before.result);
  t.rec('the fresh account stays empty', (await call('eth_getBalance', [FRESH, 'latest'])).result);
}
