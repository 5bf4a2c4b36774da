// `parevm dev --datadir`: a crash (kill -9) or a SIGINT never loses a mined block. Starts the node on a
// fresh folder, mines, crashes or stops it, starts it again on the same folder and checks that every block,
// receipt and balance a client saw is still there and that the chain goes on from it. Also: dev edits
// survive, a reverted snapshot stays reverted, a datadir of another chain id is refused with a message.
// Prints one line per check and `N passed, M failed`; exits non-zero on any failure.
//
//   node e2e/datadir.mjs --parevm target/debug/parevm
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { receipt, rpc, startNode } from './lib/node.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const i = argv.indexOf('--parevm');
const bins = { parevm: i >= 0 ? argv[i + 1] : path.join(here, '..', 'target', 'debug', 'parevm') };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parevm-datadir-'));

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'}   ${name}${ok ? '' : `  ${detail}`}`);
}
const start = () => startNode('parevm', bins, ['--datadir', dir, '--silent']);
async function call(url, m, p = []) {
  const r = await rpc(url, m, p);
  if (r.error) throw new Error(`${m}: ${JSON.stringify(r.error)}`);
  return r.result;
}
const WHO = '0x00000000000000000000000000000000000d0d0d';

try {
  let node = await start();
  const [a0, a1] = await call(node.url, 'eth_accounts');
  const seen = [];
  const send = async (url, value) => {
    const h = await call(url, 'eth_sendTransaction', [{ from: a0, to: a1, value }]);
    const r = await receipt(url, h);
    seen.push(r);
    return r;
  };
  for (let k = 1; k <= 3; k++) await send(node.url, `0x${k}`);
  await call(node.url, 'anvil_setBalance', [WHO, '0x1234']);
  await call(node.url, 'evm_mine');
  const before = {
    number: await call(node.url, 'eth_blockNumber'),
    head: await call(node.url, 'eth_getBlockByNumber', ['latest', false]),
    balance: await call(node.url, 'eth_getBalance', [a1, 'latest']),
  };

  // 1. kill -9 after the blocks were mined.
  check('kill -9 ends the node', (await node.stop('SIGKILL')) === 'SIGKILL');
  node = await start();
  check('head number after kill -9', (await call(node.url, 'eth_blockNumber')) === before.number, await call(node.url, 'eth_blockNumber'));
  const head = await call(node.url, 'eth_getBlockByNumber', ['latest', false]);
  check('head block unchanged after kill -9', JSON.stringify(head) === JSON.stringify(before.head));
  let same = true;
  for (const r of seen) same &&= JSON.stringify(await call(node.url, 'eth_getTransactionReceipt', [r.transactionHash])) === JSON.stringify(r);
  check('every receipt seen before the crash is there', same);
  check('balances after kill -9', (await call(node.url, 'eth_getBalance', [a1, 'latest'])) === before.balance);
  check('dev edit (anvil_setBalance) survives', (await call(node.url, 'eth_getBalance', [WHO, 'latest'])) === '0x1234');
  check('nonce continues', (await call(node.url, 'eth_getTransactionCount', [a0, 'latest'])) === '0x3');
  const next = await send(node.url, '0x10');
  check('the chain goes on from the stored head', next.blockNumber === '0x' + (BigInt(before.number) + 1n).toString(16) && (await call(node.url, 'eth_getBlockByNumber', [next.blockNumber, false])).parentHash === before.head.hash);

  // 2. kill -9 while a client is sending: every receipt it got before the kill is kept.
  seen.length = 0;
  let stop = false;
  const sender = (async () => {
    while (!stop) {
      try {
        await send(node.url, '0x1');
      } catch {
        break;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  await node.stop('SIGKILL');
  stop = true;
  await sender;
  check('transactions were mined before the kill', seen.length > 0, `${seen.length}`);
  node = await start();
  same = true;
  for (const r of seen) {
    const got = await call(node.url, 'eth_getTransactionReceipt', [r.transactionHash]);
    if (JSON.stringify(got) !== JSON.stringify(r)) same = false;
  }
  check(`all ${seen.length} receipts seen before a kill -9 mid-stream are kept`, same);
  const last = seen[seen.length - 1];
  check('the head is at or after the last block seen', BigInt(await call(node.url, 'eth_blockNumber')) >= BigInt(last.blockNumber));

  // 3. SIGINT.
  const r = await send(node.url, '0x20');
  check('SIGINT ends the node cleanly', (await node.stop('SIGINT')) === 0);
  node = await start();
  check('block mined before SIGINT is kept', JSON.stringify(await call(node.url, 'eth_getTransactionReceipt', [r.transactionHash])) === JSON.stringify(r));

  // 4. A reverted snapshot stays reverted.
  const snapAt = await call(node.url, 'eth_blockNumber');
  const snap = await call(node.url, 'evm_snapshot');
  await send(node.url, '0x30');
  await send(node.url, '0x31');
  await call(node.url, 'evm_revert', [snap]);
  await node.stop('SIGKILL');
  node = await start();
  check('revert is kept', (await call(node.url, 'eth_blockNumber')) === snapAt);
  const after = await send(node.url, '0x40');
  check('mining after a stored revert', after.blockNumber === '0x' + (BigInt(snapAt) + 1n).toString(16));
  await node.stop();

  // 5. Another chain id on the same folder is refused.
  try {
    const other = await startNode('parevm', bins, ['--datadir', dir, '--silent', '--chain-id', '5']);
    await other.stop();
    check('a datadir of another chain is refused', false, 'it started');
  } catch (e) {
    check('a datadir of another chain is refused', /holds chain 31337, not chain 5/.test(String(e)), String(e).slice(0, 300));
  }
} catch (e) {
  check('datadir run', false, String(e && e.stack ? e.stack : e));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
