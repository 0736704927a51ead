import { expect } from 'chai';
import { Interface, JsonRpcProvider } from 'ethers';

import { ANCHOR_ABI, ANCHORED_EVENT_TOPIC } from '../../src/verifier/anchor-abi.js';
import { createAnchorClient } from '../../src/chain/anchor-client.js';
import { useHardhatNode } from './support/hardhat-node.js';

const hash = (byte: string) => `0x${byte.repeat(32)}`;

describe('hardhat node on loopback', function () {
  this.timeout(90_000);
  const node = useHardhatNode();

  it('answers eth_chainId 31337 on 127.0.0.1', () => {
    expect(node().chainId).to.equal(31337);
    expect(node().url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('takes a deployment and an anchoring from the client over HTTP, and ethers reads the log back', async () => {
    const client = createAnchorClient({ rpcUrl: node().url, privateKey: node().privateKey, pollIntervalMs: 50 });
    const { contract } = await client.deploy();
    const anchored = await client.anchorCheckpoint({ root: hash('5a'), checkpointHash: hash('5b'), seq: 42 });
    expect(anchored.contract).to.equal(contract);
    expect(anchored.chainId).to.equal(31337);

    const provider = new JsonRpcProvider(node().url, undefined, { staticNetwork: true });
    try {
      const logs = await provider.getLogs({ address: contract, topics: [ANCHORED_EVENT_TOPIC, hash('5a')], fromBlock: 0 });
      expect(logs.map((l) => [l.transactionHash, l.blockNumber, l.blockHash])).to.deep.equal([
        [anchored.txHash, anchored.blockNumber, anchored.blockHash],
      ]);
      const [log] = logs;
      const parsed = new Interface(ANCHOR_ABI).parseLog({ topics: [...(log?.topics ?? [])], data: log?.data ?? '0x' });
      expect(parsed?.args.toArray()).to.deep.equal([hash('5a'), hash('5b'), 42n]);
      expect((await provider.getBlock(anchored.blockNumber))?.timestamp).to.equal(anchored.blockTimestamp);
    } finally {
      provider.destroy();
    }
  });

  it('stops: after stop() the port no longer answers', async () => {
    const { url } = node();
    await node().stop();
    const answered = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    }).then(
      () => true,
      () => false,
    );
    expect(answered).to.equal(false);
  });
});
