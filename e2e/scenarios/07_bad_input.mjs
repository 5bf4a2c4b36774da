// Bad input: malformed JSON, wrong parameter types and counts, unknown methods, empty and oversized batches,
// an oversized body, and an eth_call that loops until its gas runs out. Every answer is a JSON-RPC error
// (or an HTTP refusal for the oversized body), and the node keeps serving afterwards.
import { rpc } from '../lib/node.mjs';

async function raw(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json };
}

const err = (r) => (r.json && r.json.error ? { code: r.json.error.code } : r.json && Array.isArray(r.json) ? { batch: r.json.length } : { status: r.status });

export default async function (t) {
  const call = async (m, p) => {
    const r = await rpc(t.url, m, p);
    return r.error ? { code: r.error.code, message: r.error.message } : { result: r.result };
  };
  t.rec('malformed json', err(await raw(t.url, '{"jsonrpc":"2.0","id":1,"method":')));
  t.rec('not an object', err(await raw(t.url, '42')));
  t.rec('empty batch', err(await raw(t.url, '[]')));
  t.rec('unknown method', await call('eth_noSuchMethod', []));
  t.rec('wrong type', await call('eth_getBalance', [1, 'latest']));
  t.rec('bad hex', await call('eth_getBalance', ['0xzz', 'latest']));
  t.rec('short address', await call('eth_getBalance', ['0x1234', 'latest']));
  t.rec('bad block tag', await call('eth_getBlockByNumber', ['yesterday', false]));
  t.rec('missing params', await call('eth_getTransactionReceipt', []));
  t.rec('bad raw tx', await call('eth_sendRawTransaction', ['0xdeadbeef']));
  const [a0] = (await call('eth_accounts', [])).result;
  // PUSH 0; JUMPDEST; PUSH 1; JUMP: loops until the gas runs out.
  t.rec('eth_call that loops', await call('eth_call', [{ from: a0, data: '0x5b600056', gas: '0x989680' }, 'latest']));
  t.rec('estimate that loops', (await call('eth_estimateGas', [{ from: a0, data: '0x5b600056' }])).code);
  const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })));
  t.rec('batch of 100', err(await raw(t.url, batch)));
  const big = '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"0x' + '00'.repeat(40 * 1024 * 1024) + '"}]}';
  const r = await raw(t.url, big).catch((e) => ({ status: 'connection closed' }));
  t.rec('40 MB body is refused', r.status !== 200 || (r.json && r.json.error !== undefined));
  t.rec('still serving', await call('eth_chainId', []));
}
