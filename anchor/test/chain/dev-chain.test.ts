import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Interface, JsonRpcProvider, Wallet } from 'ethers';
import { z } from 'zod';

import { ANCHOR_ABI, ANCHORED_EVENT_TOPIC } from '../../src/verifier/anchor-abi.js';
import { type AnchorClient, createAnchorClient } from '../../src/chain/anchor-client.js';
import { DEV_PRIVATE_KEY, type DevChain, openDevChain } from '../../src/dev/dev-chain.js';
import { checkpoint, hash, rejection } from './support/anchors.js';
import { rpc } from './support/edr.js';



async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const reply: unknown = await response.json();
  return reply;
}

const rpcErrorReply = z.object({ id: z.unknown(), error: z.object({ code: z.number(), message: z.string() }) });

describe('embedded dev chain', function () {
  this.timeout(60_000);
  let dir: string;
  let chain: DevChain | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wr-dev-chain-'));
  });

  afterEach(async () => {
    await chain?.close();
    chain = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const open = async () => (chain = await openDevChain({ dir: join(dir, 'chain'), port: 0 }));
  const anchorClient = (c: DevChain, contract?: string): AnchorClient =>
    createAnchorClient({
      provider: c.provider,
      privateKey: DEV_PRIVATE_KEY,
      pollIntervalMs: 10,
      ...(contract === undefined ? {} : { contract }),
    });
  const journal = () => join(dir, 'chain', 'chain.jsonl');

  it('keeps its anchors across a restart: same block numbers, block hashes, transactions and timestamps', async () => {
    const first = await open();
    const client = anchorClient(first);
    const { contract } = await client.deploy();
    const anchored = await client.anchorCheckpoint(checkpoint('01', 1));
    await rpc(first.provider, 'evm_mine');
    const blockBefore = await rpc(first.provider, 'eth_getBlockByNumber', '0x2', true);
    const receiptBefore = await rpc(first.provider, 'eth_getTransactionReceipt', anchored.txHash);
    const headBefore = await rpc(first.provider, 'eth_getBlockByNumber', 'latest', false);
    await first.close();

    const second = await open();
    expect(second.replayedBlocks).to.equal(3);
    expect(await rpc(second.provider, 'eth_getBlockByNumber', '0x2', true)).to.deep.equal(blockBefore);
    expect(await rpc(second.provider, 'eth_getTransactionReceipt', anchored.txHash)).to.deep.equal(receiptBefore);
    expect(await rpc(second.provider, 'eth_getBlockByNumber', 'latest', false)).to.deep.equal(headBefore);
    const resumed = anchorClient(second, contract);
    expect(await resumed.findAnchor(hash('01'))).to.deep.equal(anchored);
    // Idempotent across the restart, and the chain goes on from where it stopped.
    expect(await resumed.anchorCheckpoint(checkpoint('01', 1))).to.deep.equal(anchored);
    const next = await resumed.anchorCheckpoint(checkpoint('02', 2));
    expect(next.blockNumber).to.equal(4);
    expect(next.blockTimestamp).to.be.greaterThan(anchored.blockTimestamp);
  });

  it('cuts a torn last line (a crash mid-append) and opens', async () => {
    const first = await open();
    await anchorClient(first).deploy();
    await first.close();
    const intact = await readFile(journal(), 'utf8');
    await appendFile(journal(), '{"kind":"block","number":2,"timest');
    const second = await open();
    expect(second.replayedBlocks).to.equal(1);
    expect(await readFile(journal(), 'utf8')).to.equal(intact);
  });

  it('refuses to open a journal that no longer replays to the recorded blocks', async () => {
    const first = await open();
    await anchorClient(first).deploy();
    await first.close();
    const lines = (await readFile(journal(), 'utf8')).split('\n');
    lines[1] = (lines[1] ?? '').replace(/"hash":"0x[0-9a-f]{64}"/, `"hash":"${hash('ab')}"`);
    await writeFile(journal(), lines.join('\n'));
    const error = await rejection(open());
    expect(error.code).to.equal('DEV_CHAIN_DIVERGED');
    expect(error.message).to.contain(hash('ab'));
    chain = undefined;
  });

  it('refuses a journal with a garbled line in the middle', async () => {
    const first = await open();
    await rpc(first.provider, 'evm_mine');
    await rpc(first.provider, 'evm_mine');
    await first.close();
    const lines = (await readFile(journal(), 'utf8')).split('\n');
    lines[1] = '{"kind":"blo';
    await writeFile(journal(), lines.join('\n'));
    expect((await rejection(open())).code).to.equal('DEV_CHAIN_CORRUPT');
    chain = undefined;
  });

  it('cannot be opened twice at once', async () => {
    await open();
    expect((await rejection(openDevChain({ dir: join(dir, 'chain'), port: 0 }))).code).to.equal('DEV_CHAIN_LOCKED');
  });

  it('refuses writes it could not replay: eth_sendTransaction, evm_* and hardhat_* on its own provider', async () => {
    const c = await open();
    for (const method of ['eth_sendTransaction', 'evm_setNextBlockTimestamp', 'evm_snapshot', 'hardhat_setBalance']) {
      const error: unknown = await rpc(c.provider, method, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(z.object({ code: z.number() }).parse(error).code, method).to.equal(4200);
    }
  });

  it('refuses to listen on anything but loopback', async () => {
    const error = await rejection(openDevChain({ dir: join(dir, 'chain'), port: 0, host: '0.0.0.0' }));
    expect(error.code).to.equal('INVALID_ARGUMENT');
    // The failed open released its lock.
    await open();
  });

  describe('its loopback JSON-RPC endpoint', () => {
    it('lets any Ethereum tool read an anchoring: ethers JsonRpcProvider finds the log', async () => {
      const c = await open();
      const client = anchorClient(c);
      const { contract } = await client.deploy();
      const anchored = await client.anchorCheckpoint(checkpoint('03', 3));
      expect(c.rpcUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const outsider = new JsonRpcProvider(c.rpcUrl, undefined, { staticNetwork: true });
      try {
        const logs = await outsider.getLogs({ address: contract, topics: [ANCHORED_EVENT_TOPIC, hash('03')], fromBlock: 0 });
        expect(logs).to.have.length(1);
        const [log] = logs;
        expect(log?.transactionHash).to.equal(anchored.txHash);
        expect(log?.blockHash).to.equal(anchored.blockHash);
        const parsed = new Interface(ANCHOR_ABI).parseLog({ topics: [...(log?.topics ?? [])], data: log?.data ?? '0x' });
        expect(parsed?.args.toArray()).to.deep.equal([hash('03'), hash('ee'), 3n]);
        expect((await outsider.getBlock(anchored.blockNumber))?.timestamp).to.equal(anchored.blockTimestamp);
      } finally {
        outsider.destroy();
      }
    });

    it('answers batches, and refuses writes with a JSON-RPC error', async () => {
      const c = await open();
      const url = c.rpcUrl ?? '';
      const batch = z.array(z.unknown()).parse(
        await postJson(url, [
          { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
          { jsonrpc: '2.0', id: 2, method: 'evm_mine', params: [] },
        ]),
      );
      expect(batch[0]).to.deep.equal({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
      expect(rpcErrorReply.parse(batch[1]).error.code).to.equal(-32601);
      const wallet = new Wallet(DEV_PRIVATE_KEY);
      const raw = await wallet.signTransaction({
        to: wallet.address,
        nonce: 0,
        gasLimit: 21_000,
        gasPrice: 10n ** 10n,
        chainId: 31337n,
      });
      for (const method of ['eth_sendRawTransaction', 'eth_sendTransaction', 'hardhat_setBalance', 'debug_traceCall']) {
        const reply = rpcErrorReply.parse(await postJson(url, { jsonrpc: '2.0', id: 3, method, params: [raw] }));
        expect(reply.error.code, method).to.equal(-32601);
      }
      expect(await rpc(c.provider, 'eth_blockNumber')).to.equal('0x0');
    });

    it('stops listening on close', async () => {
      const c = await open();
      const url = c.rpcUrl ?? '';
      await c.close();
      chain = undefined;
      const refused = await postJson(url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId' }).then(
        () => false,
        () => true,
      );
      expect(refused).to.equal(true);
      expect((await rejection(c.provider.request({ method: 'eth_chainId' }))).code).to.equal('DEV_CHAIN_CLOSED');
    });
  });
});
