#!/usr/bin/env node
// `solc` for forge: solc-js (npm `solc`) behind the two things forge asks of solc's command line,
// `--version` and `--standard-json` (input on stdin, sources read from disk). Other flags are ignored.
const fs = require('node:fs');
const path = require('node:path');
const solc = require(path.join(__dirname, 'node_modules', 'solc'));

if (process.argv.includes('--version')) {
  console.log('solc, the solidity compiler commandline interface');
  console.log(`Version: ${solc.version()}`);
  process.exit(0);
}
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const read = (p) => {
    try {
      return { contents: fs.readFileSync(path.resolve(p), 'utf8') };
    } catch (e) {
      return { error: `file not found: ${p}` };
    }
  };
  process.stdout.write(solc.compile(input, { import: read }));
});
