// Starts a chain (real anvil or `parevm dev`) on a free 127.0.0.1 port, waits until it answers, and stops it
// by its PID.
import { spawn } from 'node:child_process';
import net from 'node:net';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return res.json();
}

export async function startNode(kind, bins, extra = []) {
  const port = await freePort();
  const args = kind === 'anvil' ? ['--port', String(port), ...extra] : ['dev', '--port', String(port), ...extra];
  const bin = kind === 'anvil' ? bins.anvil : bins.parevm;
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  // Generous: CI is a loaded 2-core machine, and the first start of a binary there can be slow.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited early:\n${output}`);
    try {
      const r = await rpc(url, 'eth_chainId');
      if (r.result) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not answer within 120 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    kind,
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    pid: child.pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const done = new Promise((r) => child.once('exit', (code, sig) => r(code ?? sig)));
      process.kill(child.pid, 'SIGINT');
      const t = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 30_000);
      const code = await done;
      clearTimeout(t);
      return code;
    },
  };
}

// The receipt of `hash`, polling until the chain has mined it. anvil answers eth_sendTransaction before its
// miner task has run, so every read that depends on a sent transaction goes through here first. The deadline
// only bounds a hang; it is generous because CI is a loaded 2-core machine.
export async function receipt(url, hash) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await rpc(url, 'eth_getTransactionReceipt', [hash]);
    if (r.error) throw new Error(`receipt ${hash}: ${JSON.stringify(r.error)}`);
    if (r.result) return r.result;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within 120 s`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

// Polls `probe` (an async function) until it returns a truthy value; throws after `ms` milliseconds.
export async function until(what, probe, ms = 120_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
