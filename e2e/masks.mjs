// Leaves of the recorded answers that may differ between anvil and parevm dev, each with the reason.
// A leaf is `<step>.<json path>`; `leaf` is matched against it. Everything not listed must be equal.
const hashOfBlock = 'block hashes cover the header timestamp (wall clock at mining) and PREVRANDAO (random per block in anvil)';
export const masks = [
  { leaf: /\.hash$/, when: (o) => 'parentHash' in o, reason: hashOfBlock },
  { leaf: /(^|\.)(blockHash|parentHash)$/, reason: hashOfBlock },
  { leaf: /(^|\.)timestamp$|(^|\.)blockTimestamp$/, reason: 'wall-clock time when each chain mined the block' },
  { leaf: /(^|\.)mixHash$/, reason: 'PREVRANDAO: anvil draws a random value per block, parevm derives one' },
  { leaf: /(^|\.)stateRoot$/, reason: 'anvil reports the empty-trie root for its genesis state; parevm the real root' },
  { leaf: /\.size$/, reason: 'anvil leaves the empty withdrawals list out of the block size; parevm counts the whole block RLP as geth does' },
  {
    scenario: /snapshot/,
    leaf: /^base fee after revert$/,
    reason: 'anvil keeps its base-fee tracker across evm_revert (the next block continues the reverted chain\'s fee); parevm computes it from the parent block (EIP-1559)',
  },
  {
    scenario: /more_methods/,
    leaf: /^eth_config\.current\.forkId$/,
    reason: 'EIP-2124: with every fork at genesis the fork id is the CRC32 of the genesis hash, which parevm reports; anvil 1.7.1 reports 0x00000000 (and the genesis hashes differ, see the block-hash mask)',
  },
  {
    scenario: /more_methods/,
    leaf: /^base fee after rollback$/,
    reason: 'as after evm_revert: anvil keeps its base-fee tracker across anvil_rollback (the next block continues the rolled-back chain\'s fee); parevm computes it from the parent block (EIP-1559)',
  },
  {
    scenario: /tracers/,
    leaf: /^unknown tx$/,
    reason: 'anvil answers an empty struct-log frame for a transaction it does not have; parevm answers an error (-32000, transaction not found) as geth does',
  },
  {
    scenario: /snapshot/,
    leaf: /^later snapshot dropped/,
    reason: 'reverting to snapshot N drops the snapshots taken after it: parevm (like hardhat) then answers false for them; anvil 1.7.1 answers -32001 Resource not found yet moves its chain to that snapshot',
  },
  {
    scenario: /bad_input/,
    leaf: /^(malformed json|not an object)\.code$/,
    reason: 'a body that is not JSON, or JSON that is not a request: parevm answers -32700 Parse error as the JSON-RPC 2.0 spec says; anvil answers -32600 Invalid request',
  },
  {
    scenario: /fork/,
    leaf: /^(block number|state) after the reset/,
    reason: 'anvil_reset without parameters: anvil 1.7.1 leaves fork mode (block 0) yet keeps every account the fork touched with its local values and re-creates the dev accounts; parevm returns to the fork block with the state read from the fork again, as anvil\'s documentation of anvil_reset describes',
  },
  {
    scenario: /fork/,
    leaf: /^(a transaction on the earlier fork\.effectiveGasPrice|state after it\.0x70997970c51812dc3a010c7d01b50e0d17dc79c8\.balance)$/,
    reason: 'after anvil_reset forking an earlier block, anvil 1.7.1 gives the next block the base fee its first block after the original fork had (its fee tracker is not reset); parevm derives it from the new fork block under EIP-1559, as at start (the sender pays gas at that price)',
  },
];
