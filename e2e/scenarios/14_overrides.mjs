// Calls with state and block overrides, as viem (`stateOverride`, `blockOverrides`), ethers and cast send
// them: eth_call with code, balance, nonce, whole-storage (`state`) and per-slot (`stateDiff`) overrides
// and every block field a call reads (number, time, coinbase, base fee, PREVRANDAO, gas limit, a block
// hash), eth_estimateGas with a balance that makes a transfer affordable, debug_traceCall with both kinds
// in its options, and nothing kept afterwards.
import { rpc, receipt } from '../lib/node.mjs';

const PROBE = '0x00000000000000000000000000000000000000c0';
const POOR = '0x00000000000000000000000000000000000000d0';
const BEEF = '0x000000000000000000000000000000000000bEEF';
// NUMBER, TIMESTAMP, COINBASE, BASEFEE, PREVRANDAO, GASLIMIT and BLOCKHASH(NUMBER - 1) as seven words.
const BLOCK_READER = '0x435f524260205241604052486060524460805245' + '60a052600143034060c05260e05ff3';
// Init code: slot 0 = 0x2a, slot 1 = 7, then a runtime that returns SLOAD(0) and SLOAD(1).
const STORED = '0x602a5f556007600155600e60135f39600e5ff3' + '5f545f5260015460205260405ff3';

export default async function (t) {
  const call = async (m, p = []) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { error: r.error.code } : r.result;
  };
  const [a0] = await call('eth_accounts');
  const stored = (await receipt(t.url, await call('eth_sendTransaction', [{ from: a0, data: STORED }]))).contractAddress;
  const word = (n) => '0x' + BigInt(n).toString(16).padStart(64, '0');

  t.rec('stored as it is', await call('eth_call', [{ to: stored }, 'latest']));
  t.rec('state replaces the storage', await call('eth_call', [{ to: stored }, 'latest', { [stored]: { state: { [word(0)]: word(5) } } }]));
  t.rec('stateDiff changes one slot', await call('eth_call', [{ to: stored }, 'latest', { [stored]: { stateDiff: { [word(0)]: word(5) } } }]));
  t.rec('code over a contract', await call('eth_call', [{ to: stored }, 'latest', { [stored]: { code: '0x60ff5f5260205ff3' } }]));
  t.rec('code at an empty account', await call('eth_call', [{ to: PROBE }, 'latest', { [PROBE]: { code: '0x60ff5f5260205ff3' } }]));

  const blockOverrides = {
    number: '0x64', time: '0x77359400', feeRecipient: BEEF, baseFeePerGas: '0x3', prevRandao: word(9),
    gasLimit: '0x1312d00', blockHash: { 99: word(0x1234) },
  };
  t.rec('block overrides', await call('eth_call', [{ to: PROBE }, 'latest', { [PROBE]: { code: BLOCK_READER } }, blockOverrides]));
  t.rec('no block overrides', (await call('eth_call', [{ to: PROBE }, 'latest', { [PROBE]: { code: BLOCK_READER } }])).length);

  // A transfer from an account without ether: refused, then possible with a balance override.
  const send = { from: POOR, to: BEEF, value: '0xde0b6b3a7640000' };
  t.rec('transfer without ether', await call('eth_call', [send, 'latest']));
  t.rec('transfer with a balance override', await call('eth_call', [send, 'latest', { [POOR]: { balance: '0x56bc75e2d63100000' } }]));
  t.rec('estimate with a balance override', await call('eth_estimateGas', [{ ...send, gasPrice: '0x3b9aca00' }, 'latest', { [POOR]: { balance: '0x56bc75e2d63100000' } }]));
  t.rec('estimate of the stored read with a state override', await call('eth_estimateGas', [{ from: a0, to: stored }, 'latest', { [stored]: { stateDiff: { [word(1)]: word(0) } } }]));
  // The nonce decides the address a creation from the caller gets (its code is the answer).
  t.rec('creation with a nonce override', await call('eth_call', [{ from: POOR, data: STORED }, 'latest', { [POOR]: { nonce: '0x5' } }]));

  // debug_traceCall with both kinds in its options.
  const opts = {
    tracer: 'callTracer',
    stateOverrides: { [PROBE]: { code: BLOCK_READER } },
    blockOverrides: { number: '0x64', time: '0x77359401', prevRandao: word(5), blockHash: { 99: word(7) } },
  };
  t.rec('traceCall with overrides', await call('debug_traceCall', [{ from: a0, to: PROBE }, 'latest', opts]));
  t.rec('prestate with a storage override', await call('debug_traceCall', [{ from: a0, to: stored }, 'latest', { tracer: 'prestateTracer', stateOverrides: { [stored]: { stateDiff: { [word(1)]: word(3) } } } }]));

  // Nothing of it is kept.
  t.rec('storage after', await call('eth_getStorageAt', [stored, '0x0', 'latest']));
  t.rec('balance after', await call('eth_getBalance', [POOR, 'latest']));
  t.rec('code after', await call('eth_getCode', [PROBE, 'latest']));
}
