import { prng, replayHint, reservePort, testSeed } from '@wr/anchor/testing';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { killableGateway, type KillableGateway } from '../support/process.js';
import { startReceiver, type Receiver } from './receiver.js';

const ROUNDS = 6;
const seed = testSeed();

/**
 * Webhooks under SIGKILL at random points: each round writes a burst of events (lots), lets the gateway run a random
 * while (the dispatcher and sender somewhere in their work; the receiver failing a random share of requests), and
 * kills it. At the end every event written reached the receiver at least once, each signature valid, and every
 * delivery in the log is delivered.
 */
describe(`webhooks survive SIGKILL at random points over ${ROUNDS.toString()} rounds (${replayHint(seed)})`, function () {
  this.timeout(600_000);
  let dataDir: string;
  let gateway: KillableGateway;
  let receiver: Receiver;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-webhooks-soak-'));
    receiver = await startReceiver();
    gateway = killableGateway(dataDir, await reservePort(), { RULES_DEFAULT_TEMPLATES: 'none', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '200' });
    await gateway.start();
  });
  after(async () => {
    await gateway.kill();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('every event written before a kill reaches the receiver after the restarts', async () => {
    const { next } = prng(seed);
    const ids: string[] = [];
    const subscriptions: string[] = [];
    for (const path of ['/a', '/b']) {
      const created = await gateway.call('custodian.supervisor', 'POST', '/v1/webhooks', { url: `${receiver.url}${path}`, types: ['lot.registered'] });
      expect(created.status).to.equal(201);
      const { id, secret } = z.object({ data: z.object({ id: z.string(), secret: z.string() }) }).parse(created.body).data;
      receiver.secret(path, secret);
      subscriptions.push(id);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const failing = next() * 0.8;
      receiver.behave(() => (next() < failing ? { status: 503 } : { status: 200 }));
      const burst = 5 + Math.floor(next() * 20);
      const writes = Array.from({ length: burst }, async (_, i) => {
        const id = `LOT-SOAK-${seed.toString()}-${round.toString()}-${i.toString()}`;
        const reply = await gateway.call('custodian.clerk', 'POST', '/v1/lots', { id, warehouseId: 'WH-SOAK', location: 'a', commodity: 'lead', unit: 't', quantity: '1' });
        expect(reply.status).to.equal(201);
        ids.push(id);
      });
      await Promise.all(writes);
      await new Promise((resolve) => setTimeout(resolve, next() * 1_500));
      await gateway.kill();
      await gateway.start();
    }
    receiver.behave(() => ({ status: 200 }));
    const heard = (path: string) => new Set(receiver.accepted(path).map((entry) => entry.payload.object.id));
    await receiver.until('every lot on both subscriptions', () => ['/a', '/b'].every((path) => ids.every((id) => heard(path).has(id))), 120_000);
    for (const entry of receiver.received) expect(entry.verified).to.equal(true);
    for (const id of subscriptions) {
      const log = z.object({ data: z.array(z.object({ status: z.string() })) }).parse((await gateway.call('custodian.supervisor', 'GET', `/v1/webhooks/${id}/deliveries?limit=500`)).body).data;
      expect(log.length).to.equal(ids.length);
    }
  });
});
