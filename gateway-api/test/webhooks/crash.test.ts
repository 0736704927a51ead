import { reservePort } from '@wr/anchor/testing';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { killableGateway, type KillableGateway } from '../support/process.js';
import { uid } from '../http/helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * The fast variant of the crash test: the gateway in its own process, SIGKILLed once right after events were
 * committed (before or while the dispatcher fans them out) and once while their deliveries are failing; after each
 * restart the receiver gets every event.
 */
describe('Webhooks survive SIGKILL of the gateway between commit and delivery', function () {
  this.timeout(180_000);
  let dataDir: string;
  let gateway: KillableGateway;
  let receiver: Receiver;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-webhooks-crash-'));
    receiver = await startReceiver();
    gateway = killableGateway(dataDir, await reservePort(), {
      RULES_DEFAULT_TEMPLATES: 'none',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '200',
    });
    await gateway.start();
  });
  after(async () => {
    await gateway.kill();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const lots = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = uid('LOT-KILL');
      const reply = await gateway.call('custodian.clerk', 'POST', '/v1/lots', { id, warehouseId: 'WH-KILL', location: 'a', commodity: 'nickel', unit: 't', quantity: '5' });
      expect(reply.status).to.equal(201);
      ids.push(id);
    }
    return ids;
  };
  const heard = (): Set<string> => new Set(receiver.accepted('/crash').map((entry) => entry.payload.object.id));

  it('kills it right after the writes, and again while the receiver refuses; every event arrives after the restarts, each signature valid', async () => {
    const created = await gateway.call('custodian.supervisor', 'POST', '/v1/webhooks', { url: `${receiver.url}/crash`, types: ['lot.registered'] });
    expect(created.status).to.equal(201);
    const { id, secret } = z.object({ data: z.object({ id: z.string(), secret: z.string() }) }).parse(created.body).data;
    receiver.secret('/crash', secret);

    // Round 1: refuse everything, write, kill at once.
    receiver.behave(() => ({ status: 503 }));
    const first = await lots(5);
    await gateway.kill();
    receiver.behave(() => ({ status: 200 }));
    await gateway.start();
    await receiver.until('the lots written before the first kill', () => first.every((lot) => heard().has(lot)), 60_000);

    // Round 2: the deliveries exist and fail (the receiver answers 503) when the gateway dies.
    receiver.behave(() => ({ status: 503 }));
    const second = await lots(5);
    await receiver.until('failed attempts on the second lots', () => second.every((lot) => receiver.received.some((entry) => entry.payload.object.id === lot && entry.answered === 503)), 60_000);
    await gateway.kill();
    receiver.behave(() => ({ status: 200 }));
    await gateway.start();
    await receiver.until('the lots written before the second kill', () => second.every((lot) => heard().has(lot)), 60_000);

    for (const entry of receiver.received) expect(entry.verified).to.equal(true);
    const log = z.object({ data: z.array(z.object({ status: z.string(), object: z.object({ id: z.string() }) })) }).parse((await gateway.call('custodian.supervisor', 'GET', `/v1/webhooks/${id}/deliveries?limit=500`)).body).data;
    expect(log.map((entry) => entry.object.id).sort()).to.deep.equal([...first, ...second].sort());
    expect(log.every((entry) => entry.status === 'delivered')).to.equal(true);
  });
});
