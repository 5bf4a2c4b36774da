// web3.py (PyPI `web3`, pinned in requirements.txt): the same deploy/call/events/estimate/revert flow from
// Python; e2e/web3_client.py prints one JSON object per step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default async function (t) {
  const py = path.join(path.dirname(fs.realpathSync(path.join(t.here, 'node_modules'))), 'py');
  const art = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parevm-e2e-')), 'artifacts.json');
  fs.writeFileSync(art, JSON.stringify(t.artifacts));
  const r = spawnSync('python3', [path.join(t.here, 'web3_client.py'), t.url, art], {
    env: { ...process.env, PYTHONPATH: py },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`web3_client.py failed (${r.status}):\n${r.stderr}`);
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const { step, value } = JSON.parse(line);
    t.rec(step, value);
  }
}
