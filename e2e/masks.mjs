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
];
