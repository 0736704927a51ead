import { ANCHORED_EVENT_TOPIC, verifyBundle } from '@wr/anchor';
import { startHardhatNode, type HardhatNode } from '@wr/anchor/dev';
import { prng, replayHint, reservePort, testSeed } from '@wr/anchor/testing';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { openDatabase } from '../../src/db/database.js';
import { TestDevice } from '../evidence/devices.js';
import { killableGateway, type KillableGateway } from '../support/process.js';

const CHECKPOINTS = 20;
const KILLS = 8;
// The seed draws the kill times, batch sizes and pauses; how the gateway's own timing interleaves with them is not
// replayable, so a replay repeats the schedule, not necessarily the exact interleaving.
const seed = testSeed();

const checkpointList = z.object({
  data: z.array(
    z.object({
      seq: z.number(),
      firstLeafIndex: z.number(),
      leafCount: z.number(),
      root: z.string(),
      hash: z.string(),
      anchor: z.object({ txHash: z.string() }).nullable(),
      ledgerTxId: z.string().nullable(),
    }),
  ),
});

describe(`anchoring survives SIGKILL at random points during ${CHECKPOINTS.toString()} checkpoints (${replayHint(seed)})`, function () {
  this.timeout(600_000);
  let node: HardhatNode;
  let dataDir: string;
  let gatewayProcess: KillableGateway | undefined;
  let port: number;

  before(async () => {
    node = await startHardhatNode();
    dataDir = await mkdtemp(join(tmpdir(), 'wr-crash-'));
    // The gateway comes back on the same port after every kill: reserved, never from the ephemeral range.
    port = await reservePort();
  });
  after(async () => {
    await kill();
    await node?.stop();
    if (dataDir && process.env.CRASH_KEEP !== '1') await rm(dataDir, { recursive: true, force: true });
  });

  /** The gateway process (embedded defaults, PGlite) anchoring on the hardhat node. */
  const gateway = (): KillableGateway =>
    (gatewayProcess ??= killableGateway(dataDir, port, {
      ANCHOR_RPC_URL: node.url,
      ANCHOR_PRIVATE_KEY: node.privateKey,
      ANCHOR_INTERVAL_MS: '100',
      ANCHOR_MAX_LEAVES: '3',
    }));
  const start = (): Promise<void> => gateway().start();
  const kill = async (): Promise<void> => gatewayProcess?.kill();
  const running = (): boolean => gatewayProcess?.running() ?? false;
  const url = (): string => gateway().url;
  const call = (who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => gateway().call(who, method, path, body);

  async function anchoredLogs(): Promise<{ root: string; txHash: string }[]> {
    const response = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest', topics: [ANCHORED_EVENT_TOPIC] }] }),
    });
    const logs = z
      .object({ result: z.array(z.object({ topics: z.array(z.string()), data: z.string(), transactionHash: z.string(), blockNumber: z.string() })) })
      .parse(await response.json()).result;
    return logs.map((log) => ({ root: log.topics[1] ?? '', seq: Number(BigInt(log.data)), txHash: log.transactionHash, block: Number(log.blockNumber) }));
  }

  it('every accepted leaf ends in exactly one anchored checkpoint, and no root is anchored twice', async () => {
    const { next } = prng(seed);
    const device = new TestDevice('TEMP-CRASH-1', 'Ed25519');
    const accepted: string[] = [];
    let seq = 0;
    let kills = 0;
    await start();
    expect((await call('custodian.supervisor', 'POST', '/v1/devices', device.registration())).status).to.equal(201);

    // Each life of the gateway: batches every ~150 ms while the worker cuts and anchors (3 leaves a checkpoint), until
    // a SIGKILL at a random moment, which may land in any step: intake, cut, send, confirmation, ledger record.
    for (let life = 0; life < 40 && (kills < KILLS || (await anchoredLogs()).length < CHECKPOINTS); life++) {
      if (!running()) await start();
      const deadline = Date.now() + 300 + Math.floor(next() * 2500);
      const timer = setTimeout(() => {
        if (running()) kills++;
        void kill();
      }, deadline - Date.now());
      while (running() && Date.now() < deadline) {
        const items = Array.from({ length: 1 + Math.floor(next() * 5) }, () => device.item(++seq));
        const reply = await call('custodian.device-gateway', 'POST', '/v1/evidence', { items }).catch(() => undefined);
        if (reply?.status === 200) {
          const parsed = z.object({ data: z.object({ items: z.array(z.object({ status: z.string(), id: z.string().optional() })) }) }).parse(reply.body);
          for (const item of parsed.data.items) if (item.status === 'accepted' && item.id) accepted.push(item.id);
        }
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(next() * 200)));
      }
      await kill();
      clearTimeout(timer);
    }
    expect(kills, 'the gateway was killed repeatedly').to.be.at.least(KILLS);

    // A clean run: the worker resumes and anchors whatever was left.
    await start();
    let checkpoints: z.infer<typeof checkpointList>['data'] = [];
    for (let attempt = 0; attempt < 300; attempt++) {
      // Settled: no leaf waits (leaves whose answer the kill swallowed included) and every checkpoint is finished.
      const health = z.object({ checks: z.object({ anchor: z.object({ waitingLeaves: z.number().nullable() }) }) }).parse(await (await fetch(`${url()}/healthz`)).json());
      checkpoints = checkpointList.parse((await call('custodian.auditor', 'GET', '/v1/checkpoints?limit=999')).body).data;
      // The worker reads the backlog after finishing every cut checkpoint, so 0 there means nothing more will be cut.
      if (health.checks.anchor.waitingLeaves === 0 && checkpoints.every((c) => c.anchor !== null && c.ledgerTxId !== null)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await kill();

    expect(checkpoints.length).to.be.at.least(CHECKPOINTS);
    const ordered = [...checkpoints].reverse();
    let leaves = 0;
    for (const [index, checkpoint] of ordered.entries()) {
      expect(checkpoint.seq).to.equal(index);
      expect(checkpoint.firstLeafIndex, 'checkpoints cover the leaves without overlap or hole').to.equal(leaves);
      expect(checkpoint.anchor, `checkpoint ${checkpoint.seq.toString()} anchored`).to.not.equal(null);
      expect(checkpoint.ledgerTxId, `checkpoint ${checkpoint.seq.toString()} recorded on the ledger`).to.not.equal(null);
      leaves += checkpoint.leafCount;
    }
    const logs = await anchoredLogs();
    const extra = logs.filter((log) => !ordered.some((c) => c.root === log.root));
    expect(extra, `roots on chain that no checkpoint has (data dir ${dataDir})`).to.deep.equal([]);
    expect(logs.map((log) => log.root).sort(), 'each root anchored exactly once').to.deep.equal(ordered.map((c) => c.root).sort());
    expect(new Set(logs.map((log) => log.root)).size).to.equal(logs.length);

    const db = await openDatabase({ databaseUrl: undefined, dataDir });
    try {
      const counts = z
        .object({ total: z.coerce.number(), unassigned: z.coerce.number() })
        .parse((await db.query('SELECT count(*) AS total, count(*) FILTER (WHERE checkpoint_seq IS NULL) AS unassigned FROM evidence'))[0]);
      expect(counts).to.deep.equal({ total: leaves, unassigned: 0 });
      const ids = z.array(z.object({ id: z.string() })).parse(await db.query('SELECT id FROM evidence WHERE id = ANY($1)', [accepted]));
      expect(ids.length, 'nothing answered as accepted is lost').to.equal(accepted.length);
    } finally {
      await db.close();
    }

    // And a court can check one: the first accepted reading's bundle verifies against the node.
    await start();
    const bundle = z.object({ data: z.unknown() }).parse((await call('custodian.auditor', 'GET', `/v1/evidence/${accepted[0] ?? ''}/bundle`)).body).data;
    const result = await verifyBundle(bundle, { rpcUrl: node.url });
    expect(result.ok, JSON.stringify(result.checks)).to.equal(true);
    console.log(`      ${kills.toString()} kills, ${checkpoints.length.toString()} checkpoints, ${leaves.toString()} leaves, ${accepted.length.toString()} answered as accepted`);
  });
});
