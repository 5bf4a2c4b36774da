// Compiles Bundle.sol with solc-js (npm `solc`) and writes the runtime code of BundleEntryPoint and of
// BundleAccount as hex beside it:
//   NODE_PATH=<dir with node_modules> node compile.js
const fs = require("fs");
const path = require("path");
const solc = require("solc");
const src = fs.readFileSync(path.join(__dirname, "Bundle.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "Bundle.sol": { content: src } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
for (const e of out.errors || []) {
  if (e.severity === "error") { console.error(e.formattedMessage); process.exit(1); }
}
const c = out.contracts["Bundle.sol"];
fs.writeFileSync(path.join(__dirname, "entry_point_runtime.hex"), c.BundleEntryPoint.evm.deployedBytecode.object + "\n");
fs.writeFileSync(path.join(__dirname, "account_runtime.hex"), c.BundleAccount.evm.deployedBytecode.object + "\n");
console.log("solc", solc.version());
