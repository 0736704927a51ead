import { reservePort } from '@wr/anchor/testing';
import { expect } from 'chai';
import { z } from 'zod';
import { TestDevice } from '../evidence/devices.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { connectPublisher, tryConnect, type TestPublisher } from './clients.js';

// PGlite only: the intake's checks on PostgreSQL are the HTTP suites' (the same submitBatch); this suite is about MQTT.
const [target] = await testDatabases();
// The gateway restarts on the same port (the port rule: reservePort for servers that restart).
const mqttPort = await reservePort();

const runTag = Date.now().toString(36).toUpperCase();
let counter = 0;
const newDevice = (label: string): TestDevice => new TestDevice(`MQ-${label}-${runTag}-${(++counter).toString()}`, counter % 2 === 0 ? 'ECDSA-P256' : 'Ed25519');
const evidenceReply = z.object({ data: z.object({ id: z.string(), leafHash: z.string(), deviceId: z.string().nullable(), submittedBy: z.string() }) });
const healthReply = z.object({ checks: z.object({ mqtt: z.object({ status: z.string(), broker: z.string(), url: z.string(), connected: z.boolean() }) }) });

if (target !== undefined) {
  describe('MQTT intake on the embedded broker', function () {
    this.timeout(60_000);
    const gw = useTestGateway(target, { MQTT_PORT: String(mqttPort) });
    const publishers: TestPublisher[] = [];
    const url = (): string => {
      const found = gw().gateway.mqttUrl();
      if (found === undefined) throw new Error('the gateway has no MQTT broker');
      return found;
    };
    const publisher = async (who = 'custodian.device-gateway', options: { clientId?: string; clean?: boolean } = {}): Promise<TestPublisher> => {
      const connected = await connectPublisher(url(), { password: gw().tokens[who], username: 'device', ...options });
      publishers.push(connected);
      return connected;
    };
    const register = async (device: TestDevice, warehouseId = 'WH-MQ-01'): Promise<void> => {
      const reply = await gw().request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration(warehouseId) });
      expect(reply.status, reply.text).to.equal(201);
    };
    afterEach(async () => {
      for (const connected of publishers.splice(0)) await connected.close();
    });

    it('listens on 127.0.0.1 at MQTT_PORT, and /healthz says the gateway is subscribed to it', async () => {
      expect(url()).to.equal(`mqtt://127.0.0.1:${mqttPort.toString()}`);
      const health = healthReply.parse((await gw().request(null, 'GET', '/healthz')).body);
      expect(health.checks.mqtt).to.deep.equal({ status: 'up', broker: 'embedded', url: url(), connected: true });
    });

    it('accepts signed items through the same checks as POST /v1/evidence, and refuses a bad signature with BAD_SIGNATURE', async () => {
      const device = newDevice('OK');
      await register(device);
      const client = await publisher();
      const topic = `wr/WH-MQ-01/${device.id}/evidence`;
      const good = device.item(1);
      const forged = { ...device.item(2), signature: device.item(3).signature };
      await client.publish(topic, JSON.stringify(good));
      await client.publish(topic, JSON.stringify(forged));
      const [first, second] = await client.resultsUpTo(2);
      expect(first).to.include({ seq: 1, status: 'accepted' });
      expect(second).to.include({ seq: 2, status: 'rejected', code: 'BAD_SIGNATURE' });
      if (first?.status !== 'accepted') throw new Error('not accepted');
      const stored = evidenceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/evidence/${first.id}`)).body).data;
      // Submitted by the identity whose token opened the connection, as over HTTP.
      expect(stored).to.deep.include({ id: first.id, leafHash: first.leafHash, deviceId: device.id, submittedBy: 'custodian.device-gateway' });
    });

    it("refuses an item whose topic names another device, or a warehouse that is not the device's, with TOPIC_MISMATCH", async () => {
      const device = newDevice('TOPIC');
      await register(device, 'WH-MQ-01');
      const other = newDevice('OTHER');
      await register(other, 'WH-MQ-01');
      const client = await publisher();
      await client.publish(`wr/WH-MQ-01/${other.id}/evidence`, JSON.stringify(device.item(1)));
      await client.publish(`wr/WH-MQ-02/${device.id}/evidence`, JSON.stringify(device.item(2)));
      await client.publish(`wr/WH-MQ-01/${device.id}/evidence`, JSON.stringify(device.item(3)));
      const results = await client.resultsUpTo(3);
      expect(results.map((result) => [result.seq, result.status, result.status === 'rejected' ? result.code : ''])).to.deep.equal([
        [1, 'rejected', 'TOPIC_MISMATCH'],
        [2, 'rejected', 'TOPIC_MISMATCH'],
        [3, 'accepted', ''],
      ]);
    });

    it('answers a payload that is not JSON, has the wrong shape or is too large with a code, and the connection stays up', async () => {
      const device = newDevice('BAD');
      await register(device);
      const client = await publisher();
      const topic = `wr/WH-MQ-01/${device.id}/evidence`;
      await client.publish(topic, '{"envelope": ');
      await client.publish(topic, JSON.stringify({ envelope: { deviceId: device.id, seq: 7 } }));
      await client.publish(topic, Buffer.alloc(70 * 1024, 0x20));
      await client.publish(topic, JSON.stringify(device.item(8)));
      const results = await client.resultsUpTo(4);
      expect(results.map((result) => [result.seq, result.status === 'rejected' ? result.code : result.status])).to.deep.equal([
        [undefined, 'PAYLOAD_NOT_JSON'],
        [7, 'MALFORMED_ITEM'],
        [undefined, 'PAYLOAD_TOO_LARGE'],
        [8, 'accepted'],
      ]);
      expect(client.client.connected).to.equal(true);
    });

    it('refuses at CONNECT a client without a custodian device-gateway token', async () => {
      const tokens = gw().tokens;
      expect(await tryConnect(url(), {})).to.have.property('refused');
      expect(await tryConnect(url(), { username: 'x', password: 'wr_not-a-token-at-all-000000000000000000000000' })).to.have.property('refused');
      expect(await tryConnect(url(), { username: 'x', password: tokens['custodian.clerk'] })).to.have.property('refused');
      expect(await tryConnect(url(), { username: 'x', password: tokens['lender.officer'] })).to.have.property('refused');
      expect(await tryConnect(url(), { username: 'x', password: tokens['custodian.device-gateway'] })).to.equal('connected');
    });

    it('lets a device subscribe to result topics only', async () => {
      const client = await publisher();
      // Refused filters get SUBACK 0x80, which mqtt.js turns into an error; the connection stays up.
      for (const filter of ['wr/+/+/evidence', '#', 'wr/#']) {
        const outcome = await client.client.subscribeAsync(filter, { qos: 1 }).then(
          () => 'granted',
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        expect(outcome, filter).to.match(/Subscribe error/);
      }
      const [results] = await client.client.subscribeAsync('wr/WH-MQ-01/+/result', { qos: 1 });
      expect(results?.qos).to.equal(1);
      expect(client.client.connected).to.equal(true);
    });

    it('loses nothing a device published across a gateway restart: each item is committed exactly once', async function () {
      this.timeout(120_000);
      const device = newDevice('RESTART');
      await register(device);
      // The device keeps what the broker has not acknowledged and sends it again when it reconnects (clean: false).
      const client = await publisher('custodian.device-gateway', { clientId: `dev-${device.id}`, clean: false });
      const topic = `wr/WH-MQ-01/${device.id}/evidence`;
      const total = 60;
      const items = Array.from({ length: total }, (_, i) => device.item(i + 1));
      const sent: Promise<void>[] = [];
      for (const [index, item] of items.entries()) {
        sent.push(client.publish(topic, JSON.stringify(item)));
        if (index === total / 2) await gw.restart();
      }
      // Every publish acknowledged by the broker (the device retries across the restart until it is).
      await Promise.all(sent);
      // The last batch's commit (milliseconds); a late one would make the check below fail, never pass wrongly.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Committed: each item sent again over HTTP is a replay of a stored one (a lost one would be accepted, or refused
      // as SEQ_NOT_INCREASING, below a later stored seq).
      const again = z
        .object({ data: z.object({ items: z.array(z.object({ status: z.string(), code: z.string().optional() })) }) })
        .parse((await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items } })).body).data.items;
      expect(again.map((result) => result.code)).to.deep.equal(items.map(() => 'SEQ_REPLAY'));
      // Once: no seq was accepted twice in the results the device got.
      const accepted = client.results.flatMap((result) => (result.status === 'accepted' && result.seq !== undefined ? [result.seq] : []));
      expect(new Set(accepted).size).to.equal(accepted.length);
    });
  });
}
