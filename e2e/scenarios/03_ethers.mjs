// ethers v6: deploy through the node's signer, call, send, wait, query events, estimate gas, and catch
// custom-error, string and panic reverts as ethers decodes them.
import { ethers } from 'ethers';

function why(e) {
  return { code: e.code, reason: e.reason, revert: e.revert ? { name: e.revert.name, args: e.revert.args } : null, data: e.data };
}

export default async function (t) {
  const provider = new ethers.JsonRpcProvider(t.url, undefined, { staticNetwork: true, polling: true, pollingInterval: 50 });
  const signer = await provider.getSigner(0);
  const { Token, Demo } = t.artifacts;
  const tokenF = new ethers.ContractFactory(Token.abi, Token.bytecode, signer);
  const token = await tokenF.deploy(ethers.parseEther('1000'));
  const dtx = token.deploymentTransaction();
  t.rec('deploy tx', { hash: dtx.hash, nonce: dtx.nonce, gasLimit: dtx.gasLimit, to: dtx.to });
  await token.waitForDeployment();
  t.rec('token address', await token.getAddress());
  const demo = await new ethers.ContractFactory(Demo.abi, Demo.bytecode, signer).deploy();
  await demo.waitForDeployment();

  t.rec('network', (await provider.getNetwork()).chainId);
  t.rec('name', await token.name());
  const to = '0x000000000000000000000000000000000000dEaD';
  t.rec('estimate', await token.transfer.estimateGas(to, 7n));
  const tx = await token.transfer(to, 7n);
  const rc = await tx.wait();
  t.rec('receipt', { status: rc.status, gasUsed: rc.gasUsed, logs: rc.logs.map((l) => ({ topics: l.topics, data: l.data, index: l.index })), hash: rc.hash });
  t.rec('balance', await token.balanceOf(to));
  const events = await token.queryFilter(token.filters.Transfer(), 0, 'latest');
  t.rec('events', events.map((e) => ({ args: e.args.toArray(), block: e.blockNumber, tx: e.transactionHash })));
  t.rec('fee data', await provider.getFeeData());

  for (const [name, f] of [
    ['custom error', () => token.transfer.staticCall(to, ethers.parseEther('99999'))],
    ['string revert', () => demo.fail('boom')],
    ['panic', () => demo.divide(1n, 0n)],
    ['estimate revert', () => demo.fail.estimateGas('x')],
  ]) {
    try {
      await f();
      t.rec(name, 'no error');
    } catch (e) {
      t.rec(name, why(e));
    }
  }
  const txi = await demo.inc();
  await txi.wait();
  t.rec('count', await demo.count());
  t.rec('block number', await provider.send('eth_blockNumber', []));
  t.rec('tx count', await provider.getTransactionCount(await signer.getAddress(), 'pending'));
  // Typed data signed by the node (eth_signTypedData_v4): nested structs, arrays, a negative int, bytes.
  const domain = { name: 'Ether Mail', version: '1', chainId: 31337, verifyingContract: await demo.getAddress(), salt: ethers.id('s') };
  const types = {
    Person: [{ name: 'name', type: 'string' }, { name: 'wallets', type: 'address[]' }],
    Mail: [{ name: 'from', type: 'Person' }, { name: 'to', type: 'Person[]' }, { name: 'contents', type: 'string' },
      { name: 'delta', type: 'int32' }, { name: 'blob', type: 'bytes' }, { name: 'tag', type: 'bytes4' }],
  };
  const mail = {
    from: { name: 'Cow', wallets: [await signer.getAddress(), to] },
    to: [{ name: 'Bob', wallets: [] }, { name: 'Eve', wallets: [to] }],
    contents: 'Hello, Bob!', delta: -42, blob: '0x0102030405', tag: '0xdeadbeef',
  };
  const sig = await signer.signTypedData(domain, types, mail);
  t.rec('signTypedData', sig);
  t.rec('signTypedData recovers the signer', ethers.verifyTypedData(domain, types, mail, sig) === (await signer.getAddress()));
  provider.destroy();
}
