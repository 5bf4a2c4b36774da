// viem: deploy and call contracts compiled with solc-js through the node's unlocked account, read events
// (getLogs, contract events, an event filter), estimate gas, and catch custom-error, string and panic reverts.
import { createPublicClient, createWalletClient, http, parseEther, BaseError, ContractFunctionRevertedError } from 'viem';
import { foundry } from 'viem/chains';

function why(e) {
  const out = { name: e?.name, short: e?.shortMessage };
  if (e instanceof BaseError) {
    const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (r) out.revert = { errorName: r.data?.errorName, args: r.data?.args, reason: r.reason, signature: r.signature };
  }
  return out;
}

export default async function (t) {
  const chain = { ...foundry, rpcUrls: { default: { http: [t.url] } } };
  const pub = createPublicClient({ chain, transport: http(t.url) });
  const [account] = await pub.request({ method: 'eth_accounts' });
  const wallet = createWalletClient({ chain, transport: http(t.url), account });
  const { Token, Demo } = t.artifacts;

  const deployTx = await wallet.deployContract({ abi: Token.abi, bytecode: Token.bytecode, args: [parseEther('1000')] });
  const deployed = await pub.waitForTransactionReceipt({ hash: deployTx });
  t.rec('deploy token receipt', deployed);
  const token = deployed.contractAddress;
  const demoReceipt = await pub.waitForTransactionReceipt({
    hash: await wallet.deployContract({ abi: Demo.abi, bytecode: Demo.bytecode }),
  });
  const demo = demoReceipt.contractAddress;
  t.rec('addresses', { token, demo });

  t.rec('name', await pub.readContract({ address: token, abi: Token.abi, functionName: 'name' }));
  const to = '0x000000000000000000000000000000000000bEEF';
  const filter = await pub.createContractEventFilter({ address: token, abi: Token.abi, eventName: 'Transfer' });
  t.rec('estimate transfer', await pub.estimateContractGas({ address: token, abi: Token.abi, functionName: 'transfer', args: [to, 5n], account }));
  const h = await wallet.writeContract({ address: token, abi: Token.abi, functionName: 'transfer', args: [to, 5n] });
  t.rec('transfer receipt', await pub.waitForTransactionReceipt({ hash: h }));
  t.rec('balanceOf', await pub.readContract({ address: token, abi: Token.abi, functionName: 'balanceOf', args: [to] }));
  t.rec('filter changes', await pub.getFilterChanges({ filter }));
  t.rec('filter changes again', await pub.getFilterChanges({ filter }));
  t.rec('contract events', await pub.getContractEvents({ address: token, abi: Token.abi, eventName: 'Transfer', fromBlock: 0n }));
  t.rec('logs by topic', await pub.getLogs({ address: token, fromBlock: 0n, toBlock: 'latest' }));
  t.rec('uninstall', await pub.uninstallFilter({ filter }));

  try {
    await pub.simulateContract({ address: token, abi: Token.abi, functionName: 'transfer', args: [to, parseEther('5000')], account });
    t.rec('custom error', 'no error');
  } catch (e) {
    t.rec('custom error', why(e));
  }
  try {
    await pub.readContract({ address: demo, abi: Demo.abi, functionName: 'fail', args: ['boom'] });
    t.rec('string revert', 'no error');
  } catch (e) {
    t.rec('string revert', why(e));
  }
  try {
    await pub.readContract({ address: demo, abi: Demo.abi, functionName: 'divide', args: [1n, 0n] });
    t.rec('panic', 'no error');
  } catch (e) {
    t.rec('panic', why(e));
  }
  try {
    await wallet.writeContract({ address: demo, abi: Demo.abi, functionName: 'fail', args: ['nope'] });
    t.rec('write revert', 'no error');
  } catch (e) {
    t.rec('write revert', why(e));
  }
  const inc = await wallet.writeContract({ address: demo, abi: Demo.abi, functionName: 'inc' });
  t.rec('inc receipt', await pub.waitForTransactionReceipt({ hash: inc }));
  t.rec('count', await pub.readContract({ address: demo, abi: Demo.abi, functionName: 'count' }));
  t.rec('block', await pub.getBlock());
  t.rec('fees', await pub.estimateFeesPerGas());
  t.rec('nonce', await pub.getTransactionCount({ address: account }));
  t.rec('code size', (await pub.getCode({ address: token })).length);
  t.rec('storage slot 1', await pub.getStorageAt({ address: token, slot: '0x1' }));
  // An EIP-2612 permit signed by the node's account (eth_signTypedData_v4, the document as a JSON string).
  t.rec('signTypedData permit', await wallet.signTypedData({
    domain: { name: 'Token', version: '1', chainId: chain.id, verifyingContract: token },
    types: { Permit: [
      { name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' },
      { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
    ] },
    primaryType: 'Permit',
    message: { owner: account, spender: to, value: parseEther('1.5'), nonce: 0n, deadline: 2n ** 255n },
  }));
}
