// The client suite: every scenario runs against real anvil and against `parevm dev`, each on a fresh chain;
// their recorded answers are compared leaf by leaf. Only the leaves masks.mjs names (each with its reason)
// may differ. Prints one line per scenario and `N passed, M failed`; exits non-zero on any failure.
//
//   node e2e/run.mjs --parevm target/debug/parevm [--anvil PATH] [--only NAME] [--keep DIR]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from './lib/compile.mjs';
import { startNode } from './lib/node.mjs';
import { masks } from './masks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const bins = {
  parevm: arg('--parevm', path.join(here, '..', 'target', 'debug', 'parevm')),
  anvil: arg('--anvil', path.join(here, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil')),
  forge: path.join(here, 'node_modules', '@foundry-rs', 'forge-linux-amd64', 'bin', 'forge'),
  cast: path.join(here, 'node_modules', '@foundry-rs', 'cast-linux-amd64', 'bin', 'cast'),
};
const only = arg('--only');
const keep = arg('--keep', path.join(here, 'out'));
fs.mkdirSync(keep, { recursive: true });

const artifacts = compile(path.join(here, 'contracts'));
const scenarioDir = arg('--scenarios', path.join(here, 'scenarios'));
const files = fs.readdirSync(scenarioDir).filter((f) => f.endsWith('.mjs')).sort();

function plain(v) {
  return JSON.parse(
    JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Error ? { error: x.message } : x)),
  );
}

// Leaf path -> value; `owners` remembers the object holding each leaf (masks may look at its siblings).
function flatten(v, prefix, out, owners, owner) {
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) out[prefix] = Array.isArray(v) ? '[]' : '{}';
    for (const k of keys) flatten(v[k], `${prefix}.${k}`, out, owners, v);
  } else {
    out[prefix] = v;
    owners[prefix] = owner;
  }
  return out;
}

function maskFor(scenario, leaf, owner) {
  return masks.find(
    (m) =>
      (!m.scenario || m.scenario.test(scenario)) &&
      m.leaf.test(leaf) &&
      (!m.when || (owner && typeof owner === 'object' && m.when(owner))),
  );
}

async function record(kind, file) {
  const mod = await import(path.join(scenarioDir, file));
  const steps = [];
  // `nodeArgs`: one list, a list per kind, or an async function of the kind and binaries (a scenario that
  // starts a node of its own first: the chain both kinds fork; its `after` stops it).
  const extra = !mod.nodeArgs
    ? []
    : typeof mod.nodeArgs === 'function'
      ? await mod.nodeArgs(kind, bins)
      : Array.isArray(mod.nodeArgs)
        ? mod.nodeArgs
        : mod.nodeArgs[kind] || [];
  const node = await startNode(kind, bins, extra);
  const t = {
    kind,
    url: node.url,
    wsUrl: node.wsUrl,
    bins,
    artifacts,
    here,
    rec(step, value) {
      steps.push({ step, value: plain(value) });
    },
  };
  try {
    await mod.default(t);
  } catch (e) {
    steps.push({ step: 'scenario threw', value: String(e && e.stack ? e.stack : e) });
  } finally {
    await node.stop();
  }
  return steps;
}

let passed = 0;
let failed = 0;
const used = new Set();
for (const file of files) {
  const name = file.replace(/\.mjs$/, '');
  if (only && !name.includes(only)) continue;
  const a = await record('anvil', file);
  const p = await record('parevm', file);
  const mod = await import(path.join(scenarioDir, file));
  if (mod.after) await mod.after();
  fs.writeFileSync(path.join(keep, `${name}.anvil.json`), JSON.stringify(a, null, 1));
  fs.writeFileSync(path.join(keep, `${name}.parevm.json`), JSON.stringify(p, null, 1));
  const problems = [];
  const n = Math.max(a.length, p.length);
  for (let i = 0; i < n; i++) {
    const sa = a[i];
    const sp = p[i];
    if (!sa || !sp || sa.step !== sp.step) {
      problems.push(`step ${i}: anvil ${sa && sa.step} / parevm ${sp && sp.step}`);
      break;
    }
    const oa = {};
    const op = {};
    const fa = flatten(sa.value, sa.step, {}, oa, null);
    const fp = flatten(sp.value, sp.step, {}, op, null);
    for (const leaf of new Set([...Object.keys(fa), ...Object.keys(fp)])) {
      if (JSON.stringify(fa[leaf]) === JSON.stringify(fp[leaf])) continue;
      const m = maskFor(name, leaf, oa[leaf] || op[leaf]);
      if (m) {
        used.add(m);
        continue;
      }
      problems.push(`${leaf}: anvil ${JSON.stringify(fa[leaf])} / parevm ${JSON.stringify(fp[leaf])}`);
    }
  }
  if (a.some((s) => s.step === 'scenario threw')) problems.push('the scenario threw against anvil');
  if (problems.length === 0) {
    passed++;
    console.log(`ok     ${name} (${a.length} steps)`);
  } else {
    failed++;
    console.log(`FAIL   ${name}`);
    // Differences that repeat at many indices are shown once, with a count.
    const groups = new Map();
    for (const pr of problems) {
      const key = pr.replace(/\.\d+\./g, '.*.').replace(/: anvil .*/, '');
      if (!groups.has(key)) groups.set(key, { first: pr, n: 0 });
      groups.get(key).n++;
    }
    let shown = 0;
    for (const { first, n } of groups.values()) {
      if (shown++ >= 40) break;
      console.log(`       ${first.slice(0, 300)}${n > 1 ? `  (x${n})` : ''}`);
    }
    if (groups.size > 40) console.log(`       ... ${groups.size - 40} more kinds`);
  }
}
console.log(`masks used: ${used.size} of ${masks.length}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
