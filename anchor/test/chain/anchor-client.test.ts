import { expect } from 'chai';
import { z } from 'zod';

import { ANCHORED_EVENT_TOPIC } from '../../src/verifier/anchor-abi.js';
import {
  type AnchorClient,
  type AnchorClientOptions,
  type AnchorRecord,
  createAnchorClient,
} from '../../src/chain/anchor-client.js';
import { ChainError } from '../../src/verifier/chain-error.js';
import { DEV_PRIVATE_KEY } from '../../src/dev/dev-chain.js';
import { reservePort } from '../../src/testing/ports.js';
import { checkpoint, hash, rejection } from './support/anchors.js';
import { type EdrChain, rpc, startEdrChain, until } from './support/edr.js';

// Hardhat's public account #1: funded, but not the contract's owner.
const OTHER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';


describe('anchor client', function () {
  this.timeout(60_000);
  let chain: EdrChain;
  let contract: string;

  const client = (overrides: Partial<AnchorClientOptions> = {}): AnchorClient =>
    createAnchorClient({ provider: chain.provider, privateKey: DEV_PRIVATE_KEY, contract, pollIntervalMs: 10, ...overrides });

  async function anchoredLogs(root: string) {
    const logs = await rpc(chain.provider, 'eth_getLogs', {
      address: contract,
      topics: [ANCHORED_EVENT_TOPIC, root],
      fromBlock: '0x0',
      toBlock: 'latest',
    });
    return z.array(z.object({ transactionHash: z.string() })).parse(logs);
  }

  async function canonicalHash(blockNumber: number): Promise<string> {
    const block = await rpc(chain.provider, 'eth_getBlockByNumber', `0x${blockNumber.toString(16)}`, false);
    return z.object({ hash: z.string() }).parse(block).hash;
  }

  const isKnown = async (txHash: string) => (await rpc(chain.provider, 'eth_getTransactionByHash', txHash)) !== null;

  beforeEach(async () => {
    chain = await startEdrChain();
    contract = (await createAnchorClient({ provider: chain.provider, privateKey: DEV_PRIVATE_KEY }).deploy()).contract;
  });

  afterEach(async () => {
    await chain.close();
  });

  it('deploys on first use, tells the caller the address, and returns the anchoring in bundle form', async () => {
    const deployed: string[] = [];
    const fresh = createAnchorClient({
      provider: chain.provider,
      privateKey: DEV_PRIVATE_KEY,
      pollIntervalMs: 10,
      onDeployed: (d) => {
        deployed.push(d.contract);
      },
    });
    const record = await fresh.anchorCheckpoint(checkpoint('01'));
    expect(deployed).to.have.length(1);
    expect(record.contract).to.equal(deployed[0]).and.to.equal(fresh.contract());
    expect(record.chainId).to.equal(31337);
    expect(record.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(record.blockHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(record.blockNumber).to.be.a('number');
    expect(record.blockTimestamp).to.be.a('number');
    expect(record.blockHash).to.equal(await canonicalHash(record.blockNumber));
  });

  it('is idempotent: anchoring the same checkpoint twice yields the same transaction and one log', async () => {
    const sent: string[] = [];
    const anchors = client();
    const first = await anchors.anchorCheckpoint(checkpoint('02'), { onSent: (txHash) => void sent.push(txHash) });
    const second = await anchors.anchorCheckpoint(checkpoint('02'), { onSent: (txHash) => void sent.push(txHash) });
    const fromAnotherProcess = await client().anchorCheckpoint(checkpoint('02'));
    expect(second).to.deep.equal(first);
    expect(fromAnotherProcess).to.deep.equal(first);
    expect(sent).to.deep.equal([first.txHash]);
    expect(await anchoredLogs(hash('02'))).to.have.length(1);
  });

  it('refuses a root already anchored with a different checkpoint hash', async () => {
    await client().anchorCheckpoint(checkpoint('03'));
    const error = await rejection(client().anchorCheckpoint({ ...checkpoint('03'), checkpointHash: hash('ff') }));
    expect(error.code).to.equal('ANCHOR_CONFLICT');
  });

  it('refuses, without sending, when the signer does not own the contract', async () => {
    const sent: string[] = [];
    const error = await rejection(
      client({ privateKey: OTHER_KEY }).anchorCheckpoint(checkpoint('04'), { onSent: (h) => void sent.push(h) }),
    );
    expect(error.code).to.equal('ANCHOR_REFUSED');
    expect(error.reason).to.equal('NotOwner');
    expect(sent).to.deep.equal([]);
  });

  it('refuses malformed and zero roots before touching the chain', async () => {
    expect((await rejection(client().anchorCheckpoint({ ...checkpoint('05'), root: '0x1234' }))).code).to.equal(
      'INVALID_ARGUMENT',
    );
    expect((await rejection(client().anchorCheckpoint({ ...checkpoint('05'), root: hash('00') }))).code).to.equal(
      'INVALID_ARGUMENT',
    );
    expect((await rejection(client().anchorCheckpoint({ ...checkpoint('05'), seq: -1 }))).code).to.equal(
      'INVALID_ARGUMENT',
    );
  });

  it('says CONTRACT_MISSING when there is no code at the configured address', async () => {
    const error = await rejection(client({ contract: `0x${'12'.repeat(20)}` }).anchorCheckpoint(checkpoint('06')));
    expect(error.code).to.equal('CONTRACT_MISSING');
  });

  it('says CHAIN_UNAVAILABLE when the RPC endpoint does not answer', async () => {
    const unreachable = createAnchorClient({ rpcUrl: `http://127.0.0.1:${String(await reservePort())}`, privateKey: DEV_PRIVATE_KEY });
    expect((await rejection(unreachable.chainId())).code).to.equal('CHAIN_UNAVAILABLE');
  });

  it('waits until the anchoring is `confirmations` blocks deep', async () => {
    let result: AnchorRecord | undefined;
    let sentHash: string | undefined;
    const pending = client({ confirmations: 3 })
      .anchorCheckpoint(checkpoint('07'), { onSent: (h) => void (sentHash = h) })
      .then((r) => (result = r));
    await until(async () => sentHash !== undefined && (await rpc(chain.provider, 'eth_getTransactionReceipt', sentHash)) !== null, 'the anchoring is mined');
    await rpc(chain.provider, 'evm_mine');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(result, 'confirmed after 2 of 3 blocks').to.equal(undefined);
    await rpc(chain.provider, 'evm_mine');
    await pending;
    expect(result?.txHash).to.equal(sentHash);
    const head = Number.parseInt(z.string().parse(await rpc(chain.provider, 'eth_blockNumber')), 16);
    expect(result?.blockNumber).to.equal(head - 2);
  });

  it('re-sends a dropped transaction (same nonce, same bytes) and confirms it', async () => {
    await rpc(chain.provider, 'evm_setAutomine', false);
    const sent: string[] = [];
    const result = client({ dropTimeoutMs: 50 }).anchorCheckpoint(checkpoint('08'), { onSent: (h) => void sent.push(h) });
    await until(async () => sent[0] !== undefined && (await isKnown(sent[0])), 'the transaction is in the mempool');
    const [txHash = ''] = sent;
    await rpc(chain.provider, 'hardhat_dropTransaction', txHash);
    expect(await isKnown(txHash)).to.equal(false);
    await until(() => isKnown(txHash), 'the transaction is re-sent');
    await rpc(chain.provider, 'evm_mine');
    const record = await result;
    expect(record.txHash).to.equal(txHash);
    expect(sent).to.deep.equal([txHash]);
    expect(await anchoredLogs(hash('08'))).to.have.length(1);
  });

  it('re-sends a transaction whose block was reorganised away, and reports the block it finally landed in', async () => {
    await rpc(chain.provider, 'evm_setAutomine', false);
    const snapshot = await rpc(chain.provider, 'evm_snapshot');
    const sent: string[] = [];
    let done = false;
    const result = client({ dropTimeoutMs: 50, confirmations: 2 })
      .anchorCheckpoint(checkpoint('09'), { onSent: (h) => void sent.push(h) })
      .finally(() => (done = true));
    await until(async () => sent[0] !== undefined && (await isKnown(sent[0])), 'the transaction is in the mempool');
    await rpc(chain.provider, 'evm_mine');
    const orphanedBlock = z.object({ hash: z.string() }).parse(await rpc(chain.provider, 'eth_getBlockByNumber', 'latest', false));
    // The block holding the anchoring disappears, and the transaction with it.
    await rpc(chain.provider, 'evm_revert', snapshot);
    const [txHash = ''] = sent;
    expect(await isKnown(txHash), 'the reorganisation removed the transaction').to.equal(false);
    // A miner that keeps the chain moving until the client is satisfied.
    while (!done) {
      await rpc(chain.provider, 'evm_mine');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const record = await result;
    expect(record.blockHash).to.equal(await canonicalHash(record.blockNumber));
    expect(record.blockHash).to.not.equal(orphanedBlock.hash);
    expect(record.txHash, 'the same signed bytes were re-sent').to.equal(txHash);
    expect(await anchoredLogs(hash('09'))).to.deep.equal([{ transactionHash: record.txHash }]);
  });

  describe('resuming after a crash', () => {
    it('findAnchor returns the anchoring made before the crash', async () => {
      const before = await client().anchorCheckpoint(checkpoint('0a'));
      const restarted = client();
      expect(await restarted.findAnchor(hash('0a'))).to.deep.equal(before);
      expect(await restarted.findAnchor(hash('0b'))).to.equal(null);
    });

    it('a transaction persisted but never broadcast is sent again with the same nonce', async () => {
      const persisted: { txHash: string; nonce: number }[] = [];
      const crashed = await rejection(
        client().anchorCheckpoint(checkpoint('0c'), {
          onSent: (txHash, nonce) => {
            persisted.push({ txHash, nonce });
            // The process dies right after persisting: nothing reaches the chain.
            throw new ChainError('CHAIN_UNAVAILABLE', 'simulated crash');
          },
        }),
      );
      expect(crashed.message).to.equal('simulated crash');
      const [pending] = persisted;
      if (pending === undefined) throw new Error('nothing was persisted');
      expect(await isKnown(pending.txHash)).to.equal(false);
      const resent: number[] = [];
      const record = await client().anchorCheckpoint(checkpoint('0c'), {
        pending,
        onSent: (_txHash, nonce) => void resent.push(nonce),
      });
      expect(resent).to.deep.equal([pending.nonce]);
      expect(await client().findAnchor(hash('0c'))).to.deep.equal(record);
    });

    it('a transaction still pending at the crash is waited for, not sent twice', async () => {
      await rpc(chain.provider, 'evm_setAutomine', false);
      const persisted: { txHash: string; nonce: number }[] = [];
      const doomed = client({ confirmTimeoutMs: 300 }).anchorCheckpoint(checkpoint('0d'), {
        onSent: (txHash, nonce) => void persisted.push({ txHash, nonce }),
      });
      // Nobody mines: the first process gives up (as good as crashing) with the transaction in the mempool.
      expect((await rejection(doomed)).code).to.equal('ANCHOR_TIMEOUT');
      const [pending] = persisted;
      if (pending === undefined) throw new Error('nothing was persisted');
      const sentAgain: string[] = [];
      const resumed = client().anchorCheckpoint(checkpoint('0d'), { pending, onSent: (h) => void sentAgain.push(h) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await rpc(chain.provider, 'evm_mine');
      const record = await resumed;
      expect(record.txHash).to.equal(pending.txHash);
      expect(sentAgain).to.deep.equal([]);
    });
  });
});
