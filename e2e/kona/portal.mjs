// Prints the creation bytecode of contracts/Portal.sol (solc-js, as e2e/lib/compile.mjs compiles), for
// cli/tests/kona_e2e to deploy on its L1 with `cast send --create`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../lib/compile.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { Portal } = compile(path.join(here, 'contracts'));
process.stdout.write(Portal.bytecode + '\n');
