// Compiles e2e/contracts with solc-js (the compiler inside the npm `solc` package) into ABI + bytecode.
import fs from 'node:fs';
import path from 'node:path';
import solc from 'solc';

export function compile(dir) {
  const sources = {};
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.sol'))) {
    sources[f] = { content: fs.readFileSync(path.join(dir, f), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const artifacts = {};
  for (const file of Object.keys(out.contracts)) {
    for (const [name, c] of Object.entries(out.contracts[file])) {
      artifacts[name] = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
    }
  }
  return artifacts;
}
