import { reservePort } from '@wr/anchor/testing';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { TestDevice } from '../evidence/devices.js';
import { killableGateway, type KillableGateway } from '../support/process.js';
import { connectPublisher, type TestPublisher } from './clients.js';

const againReply = z.object({ data: z.object({ items: z.array(z.object({ status: z.string(), code: z.string().optional() })) }) });

/**
 * The embedded broker acknowledges a PUBLISH only once its item has committed, so a gateway that dies with items in
 * flight has acknowledged none of those: the device sends them again to the next start, and nothing it saw
 * acknowledged is missing.
 */
describe('MQTT intake on the embedded broker survives SIGKILL of the gateway', function () {
  this.timeout(180_000);
  let dataDir: string;
  let gateway: KillableGateway;
  let mqttPort: number;
  let device: TestPublisher | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-mqtt-crash-'));
    // Both ports are reused by the restart: reservePort keeps them out of the ephemeral range.
    mqttPort = await reservePort();
    gateway = killableGateway(dataDir, await reservePort(), { MQTT_PORT: String(mqttPort), RULES_DEFAULT_TEMPLATES: 'none' });
    await gateway.start();
  });
  after(async () => {
    await device?.close();
    await gateway.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('kills it while items are being committed; every item is committed once, and each one acknowledged before the kill was committed before it', async () => {
    const sensor = new TestDevice(`MQ-KILL-${Date.now().toString(36).toUpperCase()}`, 'Ed25519');
    expect((await gateway.call('custodian.supervisor', 'POST', '/v1/devices', sensor.registration('WH-MQ-KILL'))).status).to.equal(201);
    const token = (await gateway.tokens())['custodian.device-gateway'];
    // The device keeps what was not acknowledged and sends it again when it reconnects.
    const publisher = await connectPublisher(`mqtt://127.0.0.1:${mqttPort.toString()}`, { clientId: `dev-${sensor.id}`, clean: false, username: 'device', password: token });
    device = publisher;
    const topic = `wr/WH-MQ-KILL/${sensor.id}/evidence`;
    const total = 600;
    const items = Array.from({ length: total }, (_, i) => sensor.item(i + 1));
    const acknowledged = new Set<number>();
    const sent = items.map((item) => publisher.publish(topic, JSON.stringify(item)).then(() => acknowledged.add(item.envelope.seq)));

    // Killed once the first results are in: some batches committed, others received and not yet committed.
    await publisher.resultsUpTo(1, 30_000);
    await gateway.kill();
    const acknowledgedBeforeKill = [...acknowledged];
    const resultsBeforeKill = publisher.results.length;
    expect(resultsBeforeKill, 'the kill came before the last item was committed').to.be.below(total);

    await gateway.start();
    await Promise.all(sent);
    expect(acknowledged.size).to.equal(total);

    // Committed, every one: sent again over HTTP, each is a replay of a stored item (a lost one would be accepted, or
    // refused as SEQ_NOT_INCREASING below a later stored seq).
    const again = againReply.parse((await gateway.call('custodian.device-gateway', 'POST', '/v1/evidence', { items })).body).data.items;
    expect(again.map((result) => result.code)).to.deep.equal(items.map(() => 'SEQ_REPLAY'));
    // Once: no seq accepted twice in the results the device got; the items acknowledged before the kill are among
    // those accepted (they had committed), not among the replays.
    const accepted = publisher.results.flatMap((result) => (result.status === 'accepted' && result.seq !== undefined ? [result.seq] : []));
    expect(new Set(accepted).size).to.equal(accepted.length);
    const acceptedSet = new Set(accepted);
    expect(acknowledgedBeforeKill.filter((seq) => !acceptedSet.has(seq))).to.deep.equal([]);
  });
});
