// forge and cast, unchanged: `forge script --broadcast` deploys and calls a contract, once plainly and once
// salted (`new C{salt: s}()`, which forge sends through the CREATE2 deployer anvil keeps in genesis), compiled
// by solc-js through e2e/solc-forge.cjs since forge cannot download solc here; then cast reads and writes,
// and `forge test --fork-url` forks the chain and runs a test against the deployed contract's state.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

export default async function (t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parevm-forge-'));
  fs.cpSync(path.join(t.here, 'foundry'), dir, { recursive: true });
  const solc = path.join(t.here, 'solc-forge.cjs');
  const run = (bin, args) =>
    execFileSync(bin, args, { cwd: dir, encoding: 'utf8', timeout: 600_000, env: { ...process.env, NO_COLOR: '1' } }).trim();
  run(t.bins.forge, ['build', '--use', solc]);
  const out = run(t.bins.forge, ['script', 'script/Deploy.s.sol:Deploy', '--use', solc, '--rpc-url', t.url, '--broadcast', '--private-key', KEY]);
  t.rec('forge script succeeded', out.includes('ONCHAIN EXECUTION COMPLETE & SUCCESSFUL'));
  const bc = JSON.parse(fs.readFileSync(path.join(dir, 'broadcast', 'Deploy.s.sol', '31337', 'run-latest.json'), 'utf8'));
  // Fees (and so hashes) follow the base fee at the time forge asked, which depends on how anvil packed the
  // script's transactions into blocks; what each transaction is and does is compared.
  t.rec('broadcast transactions', bc.transactions.map((x) => ({ type: x.transactionType, contract: x.contractAddress, fn: x.function, from: x.transaction.from, nonce: x.transaction.nonce, input: x.transaction.input })));
  t.rec('broadcast receipts', bc.receipts.map((r) => ({ status: r.status, gasUsed: r.gasUsed, contractAddress: r.contractAddress, logs: r.logs.length })));
  const counter = bc.transactions[0].contractAddress;
  const cast = (...args) => run(t.bins.cast, [...args, '--rpc-url', t.url]);
  const salted = bc.transactions[2].contractAddress;
  t.rec('salted deployment', { to: bc.transactions[2].transaction.to, address: salted, size: cast('codesize', salted), number: cast('call', salted, 'number()(uint256)') });
  t.rec('cast chain-id', cast('chain-id'));
  // forge sends the script's two transactions back to back: anvil (mining asynchronously) may pack them
  // into one block, parevm mines one block per transaction; so block numbers, balances and later
  // transaction hashes (which depend on the base fee) are not compared, only what they did.
  t.rec('cast call', cast('call', counter, 'number()(uint256)'));
  t.rec('cast code size', cast('codesize', counter));
  const sent = JSON.parse(cast('send', counter, 'set(uint256)', '7', '--private-key', KEY, '--json'));
  t.rec('cast send', { status: sent.status, gasUsed: sent.gasUsed, logs: sent.logs.length });
  t.rec('cast call after send', cast('call', counter, 'number()(uint256)'));
  t.rec('cast balance of an untouched account', cast('balance', '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'));
  t.rec('cast nonce', cast('nonce', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'));
  t.rec('cast estimate', cast('estimate', counter, 'set(uint256)', '9', '--from', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'));
  t.rec('cast storage', cast('storage', counter, '0'));
  t.rec('cast rpc', cast('rpc', 'eth_getTransactionCount', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', 'latest'));
  // forge test forking this chain: its state read over RPC at the head, written on forge's own copy.
  const forked = execFileSync(t.bins.forge, ['test', '--use', solc, '--fork-url', t.url, '--offline'], {
    cwd: dir, encoding: 'utf8', timeout: 600_000, env: { ...process.env, NO_COLOR: '1', COUNTER: counter },
  });
  const verdict = forked.match(/\[(PASS|FAIL)[^\]]*\] (\w+)\(\) \(gas: (\d+)\)/);
  t.rec('forge test --fork-url', verdict ? verdict.slice(1) : forked);
  t.rec('cast logs', JSON.parse(cast('logs', '--from-block', '0', '--address', counter, '--json')).map((l) => ({ data: l.data, topics: l.topics })));
  fs.rmSync(dir, { recursive: true, force: true });
}
