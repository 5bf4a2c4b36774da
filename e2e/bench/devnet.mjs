// The devnet benchmark of issue 12: one client sends the same 10,000 signed transactions (value transfers,
// ERC-20 transfers, contract calls; two deployments first) to real anvil and to `parevm dev`, each on a fresh
// chain with its default flags (automine), and measures wall time, transactions per second and the node's
// resident memory (VmRSS) as the transactions go in. Not a test: it asserts nothing about speed; it checks
// only that both chains did the same work (every receipt succeeded, same counter and token balances).
//
//   node e2e/bench/devnet.mjs --parevm target/release/parevm [--anvil PATH] [--txs 10000]
//        [--modes seq,burst] [--nodes anvil,parevm] [--out target/bench-results] [--svg docs/plots/devnet.svg]
//
// Modes: `seq` sends a transaction and polls its receipt before sending the next (what a test suite does);
// `burst` sends all of them, answering each send before the next, then collects every receipt.
// Writes devnet.csv (one row per sample: node, mode, txs done, seconds, RSS MiB), devnet.json (summary) and
// the SVG (RSS and throughput against transactions done, seq mode); prints a Markdown table.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFunctionData, encodeDeployData, getContractAddress } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { compile } from '../lib/compile.mjs';
import { freePort, rpc } from '../lib/node.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = path.join(here, '..');
const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const bins = {
  parevm: arg('--parevm', path.join(e2e, '..', 'target', 'release', 'parevm')),
  anvil: arg('--anvil', path.join(e2e, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil')),
};
const total = Number(arg('--txs', '10000'));
const modes = arg('--modes', 'seq,burst').split(',');
const kinds = arg('--nodes', 'anvil,parevm').split(',');
const outDir = arg('--out', path.join(e2e, '..', 'target', 'bench-results'));
const svgPath = arg('--svg', path.join(outDir, 'devnet.svg'));
const SAMPLE_EVERY = 50;
const MNEMONIC = 'test test test test test test test test test test test junk';

function rssMiB(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = s.match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

// The workload, signed once and sent unchanged to both nodes (same chain id, accounts and nonces).
async function workload() {
  const { Token, Demo } = compile(path.join(e2e, 'contracts'));
  const accts = Array.from({ length: 10 }, (_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));
  const nonces = accts.map(() => 0);
  const fee = { maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
  const plan = [];
  const token = getContractAddress({ from: accts[0].address, nonce: 0n });
  const demo = getContractAddress({ from: accts[0].address, nonce: 1n });
  const supply = 10n ** 24n;
  const tx = (from, fields) => ({ from, ...fields, nonce: nonces[from]++, gas: fields.gas ?? 100_000n });
  plan.push(tx(0, { kind: 'deploy', data: encodeDeployData({ abi: Token.abi, bytecode: Token.bytecode, args: [supply] }), gas: 2_000_000n }));
  plan.push(tx(0, { kind: 'deploy', data: encodeDeployData({ abi: Demo.abi, bytecode: Demo.bytecode }), gas: 2_000_000n }));
  const counts = { transfer: 0, erc20: 0, call: 0 };
  for (let i = 0; plan.length < total; i++) {
    const fresh = `0x${(0xb0000000 + i).toString(16).padStart(40, '0')}`;
    if (i % 3 === 0) {
      plan.push(tx(1 + (i % 4), { kind: 'transfer', to: fresh, value: 1000n + BigInt(i) }));
      counts.transfer++;
    } else if (i % 3 === 1) {
      plan.push(tx(0, { kind: 'erc20', to: token, data: encodeFunctionData({ abi: Token.abi, functionName: 'transfer', args: [fresh, 1n] }) }));
      counts.erc20++;
    } else {
      plan.push(tx(5 + (i % 5), { kind: 'call', to: demo, data: encodeFunctionData({ abi: Demo.abi, functionName: 'inc' }) }));
      counts.call++;
    }
  }
  const t0 = Date.now();
  const raws = [];
  for (const p of plan) {
    raws.push(
      await accts[p.from].signTransaction({
        chainId: 31337,
        type: 'eip1559',
        nonce: p.nonce,
        to: p.to,
        value: p.value ?? 0n,
        data: p.data,
        gas: p.gas,
        ...fee,
      }),
    );
  }
  console.error(`signed ${raws.length} transactions in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { raws, counts, token, demo, Token, Demo, sender0: accts[0].address };
}

async function start(kind) {
  const port = await freePort();
  const args = kind === 'anvil' ? ['--port', String(port)] : ['dev', '--port', String(port)];
  // Default flags, output thrown away (both print a line per block or transaction).
  const child = spawn(bins[kind], args, { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited early (${child.exitCode})`);
    try {
      if ((await rpc(url, 'eth_chainId')).result) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${kind} did not answer within 120 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await done;
      clearTimeout(t);
    },
  };
}

async function call(url, method, params) {
  const r = await rpc(url, method, params);
  if (r.error) throw new Error(`${method}: ${JSON.stringify(r.error)}`);
  return r.result;
}

async function waitReceipt(url, hash) {
  for (let tries = 0; ; tries++) {
    const r = await call(url, 'eth_getTransactionReceipt', [hash]);
    if (r) return r;
    if (tries > 0) await new Promise((res) => setTimeout(res, 1));
  }
}

async function runOne(kind, mode, w) {
  const node = await start(kind);
  const samples = [];
  const t0 = performance.now();
  const sample = (done) => samples.push({ done, secs: (performance.now() - t0) / 1000, rss: rssMiB(node.pid) });
  sample(0);
  const startRss = samples[0].rss;
  let failed = 0;
  try {
    if (mode === 'seq') {
      for (let i = 0; i < w.raws.length; i++) {
        const hash = await call(node.url, 'eth_sendRawTransaction', [w.raws[i]]);
        const r = await waitReceipt(node.url, hash);
        if (r.status !== '0x1') failed++;
        if ((i + 1) % SAMPLE_EVERY === 0) sample(i + 1);
      }
    } else {
      const hashes = [];
      for (let i = 0; i < w.raws.length; i++) {
        hashes.push(await call(node.url, 'eth_sendRawTransaction', [w.raws[i]]));
        if ((i + 1) % SAMPLE_EVERY === 0) sample(i + 1);
      }
      for (const h of hashes) if ((await waitReceipt(node.url, h)).status !== '0x1') failed++;
    }
    const secs = (performance.now() - t0) / 1000;
    sample(w.raws.length);
    // The same work on both chains: the counter, a token balance, the sender's nonce.
    const count = BigInt(await call(node.url, 'eth_call', [{ to: w.demo, data: encodeFunctionData({ abi: w.Demo.abi, functionName: 'count' }) }, 'latest']));
    const nonce = Number(await call(node.url, 'eth_getTransactionCount', [w.sender0, 'latest']));
    const blocks = Number(await call(node.url, 'eth_blockNumber', []));
    if (failed) throw new Error(`${kind}/${mode}: ${failed} transactions did not succeed`);
    if (count !== BigInt(w.counts.call)) throw new Error(`${kind}/${mode}: counter ${count}, expected ${w.counts.call}`);
    if (nonce !== w.counts.erc20 + 2) throw new Error(`${kind}/${mode}: sender nonce ${nonce}, expected ${w.counts.erc20 + 2}`);
    const at = (n) => samples.find((s) => s.done >= n)?.rss ?? NaN;
    return {
      kind,
      mode,
      txs: w.raws.length,
      blocks,
      secs,
      tps: w.raws.length / secs,
      rssStart: startRss,
      rssAt1k: at(1000),
      rssEnd: samples[samples.length - 1].rss,
      rssMax: Math.max(...samples.map((s) => s.rss)),
      samples,
    };
  } finally {
    await node.stop();
  }
}

// A plain SVG: RSS (MiB) and throughput over a 500-transaction window, against transactions done.
function svg(results) {
  const W = 760;
  const H = 250;
  const pad = { l: 60, r: 130, t: 30, b: 40 };
  const colors = { anvil: '#d9480f', parevm: '#1864ab' };
  const seq = results.filter((r) => r.mode === 'seq');
  const panel = (title, ylabel, series, y0) => {
    const xs = series.flatMap((s) => s.points.map((p) => p[0]));
    const ys = series.flatMap((s) => s.points.map((p) => p[1]));
    const xmax = Math.max(...xs, 1);
    const ymax = Math.max(...ys, 1) * 1.1;
    const X = (x) => pad.l + (x / xmax) * (W - pad.l - pad.r);
    const Y = (y) => y0 + H - pad.b - (y / ymax) * (H - pad.t - pad.b);
    let g = `<text x="${pad.l}" y="${y0 + 18}" font-size="14" font-weight="bold">${title}</text>`;
    g += `<line x1="${pad.l}" y1="${Y(0)}" x2="${W - pad.r}" y2="${Y(0)}" stroke="#333"/><line x1="${pad.l}" y1="${Y(0)}" x2="${pad.l}" y2="${Y(ymax)}" stroke="#333"/>`;
    for (let k = 0; k <= 4; k++) {
      const v = (ymax / 4) * k;
      g += `<text x="${pad.l - 6}" y="${Y(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`;
      g += `<line x1="${pad.l}" y1="${Y(v)}" x2="${W - pad.r}" y2="${Y(v)}" stroke="#ddd"/>`;
      const xv = (xmax / 4) * k;
      g += `<text x="${X(xv)}" y="${Y(0) + 16}" font-size="11" text-anchor="middle">${Math.round(xv)}</text>`;
    }
    g += `<text x="${(pad.l + W - pad.r) / 2}" y="${Y(0) + 32}" font-size="11" text-anchor="middle">transactions done</text>`;
    g += `<text x="14" y="${(Y(0) + Y(ymax)) / 2}" font-size="11" transform="rotate(-90 14 ${(Y(0) + Y(ymax)) / 2})" text-anchor="middle">${ylabel}</text>`;
    series.forEach((s, i) => {
      g += `<polyline fill="none" stroke="${colors[s.kind]}" stroke-width="2" points="${s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`;
      g += `<text x="${W - pad.r + 10}" y="${y0 + pad.t + 20 + i * 18}" font-size="12" fill="${colors[s.kind]}">${s.kind === 'parevm' ? 'parevm dev' : 'anvil 1.7.1'}</text>`;
    });
    return g;
  };
  const rss = seq.map((r) => ({ kind: r.kind, points: r.samples.map((s) => [s.done, s.rss]) }));
  const WINDOW = 500;
  const tput = seq.map((r) => {
    const pts = [];
    for (const s of r.samples) {
      const prev = r.samples.find((p) => p.done >= s.done - WINDOW);
      if (s.done >= WINDOW && prev && s.secs > prev.secs) pts.push([s.done, (s.done - prev.done) / (s.secs - prev.secs)]);
    }
    return { kind: r.kind, points: pts };
  });
  const body =
    panel('Resident memory of the node (seq mode)', 'RSS, MiB', rss, 0) +
    panel(`Throughput over the last ${WINDOW} transactions (seq mode)`, 'tx/s', tput, H);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${body}</svg>\n`;
}

const w = await workload();
console.error(`workload: ${w.raws.length} transactions (2 deployments, ${w.counts.transfer} transfers, ${w.counts.erc20} ERC-20 transfers, ${w.counts.call} contract calls)`);
const results = [];
// Results are written after every run, so a long run that is stopped keeps what it measured.
function save() {
  fs.mkdirSync(outDir, { recursive: true });
  const csv = ['node,mode,txs_done,seconds,rss_mib'];
  for (const r of results) for (const s of r.samples) csv.push(`${r.kind},${r.mode},${s.done},${s.secs.toFixed(3)},${s.rss.toFixed(1)}`);
  fs.writeFileSync(path.join(outDir, 'devnet.csv'), csv.join('\n') + '\n');
  fs.writeFileSync(
    path.join(outDir, 'devnet.json'),
    JSON.stringify({ date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, load: os.loadavg(), workload: w.counts, results: results.map(({ samples, ...r }) => r) }, null, 1),
  );
  fs.mkdirSync(path.dirname(svgPath), { recursive: true });
  fs.writeFileSync(svgPath, svg(results));
}
for (const mode of modes) {
  for (const kind of kinds) {
    console.error(`running ${kind} / ${mode} (load ${os.loadavg()[0].toFixed(1)}) ...`);
    const r = await runOne(kind, mode, w);
    console.error(`  ${r.secs.toFixed(2)} s, ${r.tps.toFixed(0)} tx/s, ${r.blocks} blocks, RSS ${r.rssStart.toFixed(0)} -> ${r.rssEnd.toFixed(0)} MiB (load ${os.loadavg()[0].toFixed(1)})`);
    results.push(r);
    save();
  }
}
const summary = results.map(({ samples, ...r }) => r);
console.log('| mode | node | transactions | blocks | wall time (s) | tx/s | RSS start (MiB) | RSS at 1,000 tx | RSS at end | RSS max |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of summary) {
  console.log(
    `| ${r.mode} | ${r.kind === 'parevm' ? 'parevm dev' : 'anvil 1.7.1'} | ${r.txs} | ${r.blocks} | ${r.secs.toFixed(2)} | ${r.tps.toFixed(0)} | ${r.rssStart.toFixed(1)} | ${r.rssAt1k.toFixed(1)} | ${r.rssEnd.toFixed(1)} | ${r.rssMax.toFixed(1)} |`,
  );
}
for (const mode of modes) {
  const a = summary.find((r) => r.mode === mode && r.kind === 'anvil');
  const p = summary.find((r) => r.mode === mode && r.kind === 'parevm');
  if (a && p) console.log(`\n${mode}: parevm dev / anvil throughput = ${(p.tps / a.tps).toFixed(2)}x`);
}
