import { reservePort } from '@wr/anchor/testing';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { TestDevice } from '../evidence/devices.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { connectPublisher, type TestPublisher } from './clients.js';

const [target] = await testDatabases();

/** Debian's Mosquitto: on PATH, or where the package puts it (/usr/sbin is not on every user's PATH). */
async function findMosquitto(): Promise<string | undefined> {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin']) {
    const candidate = join(dir, 'mosquitto');
    if (await access(candidate).then(() => true, () => false)) return candidate;
  }
  return undefined;
}
const mosquittoPath = await findMosquitto();
const port = await reservePort();
const dataDir = await mkdtemp(join(tmpdir(), 'wr-mosquitto-'));

/** A Mosquitto on 127.0.0.1:{port} with persistence in a folder of its own; restartable on the same port. */
class Mosquitto {
  private process: ChildProcess | undefined;

  async start(): Promise<void> {
    if (mosquittoPath === undefined) throw new Error('no mosquitto');
    const config = join(dataDir, 'mosquitto.conf');
    await writeFile(
      config,
      [`listener ${port.toString()} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dataDir}/`, 'max_inflight_messages 1000', 'max_queued_messages 100000', 'log_dest stderr',
        // As root, Mosquitto would switch to the user `mosquitto`, which cannot write the persistence folder made here.
        `user ${userInfo().username}`,
        '',
      ].join('\n'),
    );
    const child = spawn(mosquittoPath, ['-c', config], { stdio: ['ignore', 'ignore', process.env.MQTT_TEST_LOG ? 'inherit' : 'ignore'] });
    this.process = child;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${String(child.exitCode)}`);
      if (await accepting()) return;
      if (i > 100) throw new Error('mosquitto did not start listening');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM: Mosquitto writes its persistence file and exits. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

const accepting = (): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const runTag = Date.now().toString(36).toUpperCase();
const replayed = z.object({ data: z.object({ items: z.array(z.object({ status: z.string(), code: z.string().optional() })) }) });

if (target !== undefined) {
  describe('MQTT intake from a real Mosquitto (MQTT_URL)', function () {
    this.timeout(90_000);
    const broker = new Mosquitto();
    before(async function () {
      if (mosquittoPath === undefined) {
        if (process.env.MQTT_REQUIRED === '1') throw new Error('MQTT_REQUIRED=1 but no mosquitto on PATH or in /usr/sbin (apt-get install mosquitto)');
        console.log('    skipped: no mosquitto on PATH or in /usr/sbin (apt-get install mosquitto); MQTT_REQUIRED=1 makes this a failure');
        this.skip();
      }
      await broker.start();
    });
    after(async () => {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    // Started after the broker (hooks run in order); MQTT_PORT stays 0: no embedded broker with MQTT_URL.
    const gw = useTestGateway(target, { MQTT_URL: `mqtt://127.0.0.1:${port.toString()}`, MQTT_CLIENT_ID: `wr-gateway-${runTag}`, LOG_LEVEL: process.env.MQTT_TEST_LOG ?? 'silent' });
    const publishers: TestPublisher[] = [];
    afterEach(async () => {
      for (const connected of publishers.splice(0)) await connected.close();
    });
    const register = async (device: TestDevice): Promise<void> => {
      const reply = await gw().request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration('WH-MQ-01') });
      expect(reply.status, reply.text).to.equal(201);
    };

    it('accepts signed items through the same checks as HTTP, with results on .../result and /healthz naming the broker', async () => {
      expect(gw().gateway.mqttUrl()).to.equal(`mqtt://127.0.0.1:${port.toString()}`);
      const device = new TestDevice(`MQ-MOS-${runTag}-1`, 'Ed25519');
      await register(device);
      const client = await connectPublisher(`mqtt://127.0.0.1:${port.toString()}`, { clientId: `dev-${device.id}` }, `wr/WH-MQ-01/${device.id}/result`);
      publishers.push(client);
      const topic = `wr/WH-MQ-01/${device.id}/evidence`;
      await client.publish(topic, JSON.stringify(device.item(1)));
      await client.publish(topic, JSON.stringify({ ...device.item(2), signature: device.item(3).signature }));
      await client.publish(topic, 'not json');
      const results = await client.resultsUpTo(3);
      expect(results.map((result) => [result.seq, result.status === 'rejected' ? result.code : result.status])).to.deep.equal([
        [1, 'accepted'],
        [2, 'BAD_SIGNATURE'],
        [undefined, 'PAYLOAD_NOT_JSON'],
      ]);
      const [first] = results;
      if (first?.status !== 'accepted') throw new Error('not accepted');
      const stored = z.object({ data: z.object({ submittedBy: z.string() }) }).parse((await gw().request('custodian.auditor', 'GET', `/v1/evidence/${first.id}`)).body);
      // A real broker does not say who published: the write is the MQTT service's.
      expect(stored.data.submittedBy).to.equal('service.mqtt');
      const health = z.object({ checks: z.object({ mqtt: z.object({ status: z.string(), broker: z.string(), connected: z.boolean() }) }) }).parse((await gw().request(null, 'GET', '/healthz')).body);
      expect(health.checks.mqtt).to.deep.include({ status: 'up', broker: 'external', connected: true });
    });

    it('answers on the MQTT 5 response topic with the correlation data', async () => {
      const device = new TestDevice(`MQ-MOS-${runTag}-5`, 'ECDSA-P256');
      await register(device);
      const client = await connectPublisher(`mqtt://127.0.0.1:${port.toString()}`, { clientId: `dev-${device.id}`, protocolVersion: 5 }, `replies/${device.id}`);
      publishers.push(client);
      const correlation = new Promise<string>((resolve) => client.client.on('message', (_topic, _payload, packet) => resolve(packet.properties?.correlationData?.toString('utf8') ?? '')));
      await client.client.publishAsync(`wr/WH-MQ-01/${device.id}/evidence`, JSON.stringify(device.item(1)), {
        qos: 1,
        properties: { responseTopic: `replies/${device.id}`, correlationData: Buffer.from('req-42') },
      });
      const [result] = await client.resultsUpTo(1);
      expect(result).to.include({ seq: 1, status: 'accepted' });
      expect(await correlation).to.equal('req-42');
    });

    it('loses no acknowledged item when the broker restarts in the middle, and commits each once', async function () {
      this.timeout(120_000);
      const device = new TestDevice(`MQ-MOS-${runTag}-R`, 'Ed25519');
      await register(device);
      const client = await connectPublisher(`mqtt://127.0.0.1:${port.toString()}`, { clientId: `dev-${device.id}`, clean: false }, `wr/WH-MQ-01/${device.id}/result`);
      publishers.push(client);
      const topic = `wr/WH-MQ-01/${device.id}/evidence`;
      const total = 80;
      const items = Array.from({ length: total }, (_, i) => device.item(i + 1));
      const acknowledged = new Set<number>();
      const sent: Promise<void>[] = [];
      for (const [index, item] of items.entries()) {
        sent.push(client.publish(topic, JSON.stringify(item)).then(() => void acknowledged.add(item.envelope.seq)));
        if (index === total / 2) {
          await broker.stop();
          await broker.start();
        }
      }
      // The device (clean: false) sends again what the broker had not acknowledged before it stopped.
      await Promise.all(sent);
      expect(acknowledged.size).to.equal(total);
      // The gateway reconnects too, and takes what its persistent session kept: wait for the last item's result.
      const until = Date.now() + 30_000;
      while (!client.results.some((result) => result.seq === total) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const again = replayed.parse((await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items } })).body).data.items;
      expect(again.map((result) => result.code)).to.deep.equal(items.map(() => 'SEQ_REPLAY'));
      const accepted = client.results.flatMap((result) => (result.status === 'accepted' && result.seq !== undefined ? [result.seq] : []));
      expect(new Set(accepted).size).to.equal(accepted.length);
    });
  });
}
