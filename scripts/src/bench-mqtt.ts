/**
 * MQTT-intake benchmark: the same pre-signed items (one reading per envelope) submitted once over HTTP (POST
 * /v1/evidence, 100 items per POST from 10 concurrent clients, as bench-evidence does) and once over MQTT to the
 * embedded broker (one item per PUBLISH at QoS 1, from 10 publishers, each a device with up to 100 PUBLISHes in
 * flight), each on a fresh gateway in its own process. MQTT is timed from the first PUBLISH to the last item's result
 * on `.../result` (so every item counted has been committed). Goal: MQTT >= 0.9x HTTP.
 * BENCH_MQTT_PROFILE=<dir> / BENCH_HTTP_PROFILE=<dir> run the MQTT / HTTP gateway with --cpu-prof into that folder.
 */
import { reservePort } from '@wr/gateway-api/testing';
import mqtt from 'mqtt';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { describeDatabase, makeDevice, signEnvelope, type BenchDevice, type Envelope, type Item } from './bench/devices.js';
import { startGatewayProcess, type GatewayProcess } from './bench/gateway-process.js';
import { drive, row, summarise, type Summary } from './bench/stats.js';

const PUBLISHERS = 10;
const ITEMS = Number(process.env.BENCH_MQTT_ITEMS ?? 20_000);
const ITEMS_PER_POST = 100;
const IN_FLIGHT = 100;
const GOAL_RATIO = 0.9;
const WAREHOUSE = 'WH-BENCH';

const batchReply = z.object({ data: z.object({ accepted: z.number().int(), rejected: z.number().int() }) });
// Built once: a schema made per message would cost the client's process (which shares the machine) more than the gateway.
const resultReply = z.object({ seq: z.number().int(), status: z.string(), code: z.string().optional(), message: z.string().optional() });

async function register(gateway: GatewayProcess, devices: readonly BenchDevice[]): Promise<void> {
  for (const device of devices) {
    const body = JSON.stringify({ id: device.id, warehouseId: WAREHOUSE, kind: 'temperature', algorithm: device.algorithm, publicKey: device.publicKeyPem });
    const reply = await gateway.call('POST', '/v1/devices', gateway.tokens['custodian.supervisor'], body);
    if (reply.status !== 201) throw new Error(`POST /v1/devices: ${reply.status.toString()} ${reply.text.slice(0, 300)}`);
  }
}

/** Per device, its items in seq order; the first ITEMS_PER_POST of each warm the gateway up, untimed. */
function signedItems(devices: readonly BenchDevice[]): Item[][] {
  // Device time a second apart per device, from three hours ago, as bench-evidence has it (a device clock that never
  // moves keeps every reading in the rules' lateness window).
  const start = Date.now() - 3 * 3600 * 1000;
  const perDevice = Math.ceil(ITEMS / devices.length) + ITEMS_PER_POST;
  return devices.map((device) =>
    Array.from({ length: perDevice }, (_, i): Item => {
      const seq = i + 1;
      const envelope: Envelope = { deviceId: device.id, seq, ts: new Date(start + seq * 1000).toISOString(), readings: [{ sensor: 'probe-1', kind: 'temperature', value: 4 + (seq % 40) / 10, unit: 'Cel' }], attachments: [] };
      return { envelope, signature: signEnvelope(device, envelope) };
    }),
  );
}

async function overHttp(gateway: GatewayProcess, items: readonly Item[][]): Promise<Summary> {
  const bodies = items.map((own) => Array.from({ length: Math.ceil(own.length / ITEMS_PER_POST) }, (_, b) => JSON.stringify({ items: own.slice(b * ITEMS_PER_POST, (b + 1) * ITEMS_PER_POST) })));
  const post = async (device: number, batch: number): Promise<void> => {
    const body = bodies[device]?.[batch];
    if (body === undefined) throw new Error(`no batch ${batch.toString()} for device ${device.toString()}`);
    const reply = await gateway.call('POST', '/v1/evidence', gateway.tokens['custodian.device-gateway'], body);
    if (reply.status !== 200) throw new Error(`POST /v1/evidence: ${reply.status.toString()} ${reply.text.slice(0, 300)}`);
    const { data } = batchReply.parse(JSON.parse(reply.text));
    if (data.rejected > 0) throw new Error(`POST /v1/evidence refused ${data.rejected.toString()} items`);
  };
  await drive(PUBLISHERS, PUBLISHERS, (device) => post(device, 0));
  const posts = (bodies[0]?.length ?? 1) - 1;
  return drive(PUBLISHERS, PUBLISHERS * posts, (device, i) => post(device, 1 + Math.floor(i / PUBLISHERS)));
}

/** Each publisher sends its device's items in seq order, IN_FLIGHT at a time; returns per-item latencies (PUBLISH to result). */
async function overMqtt(url: string, token: string, devices: readonly BenchDevice[], items: readonly Item[][]): Promise<Summary> {
  // Serialised before timing, as the HTTP bodies are.
  const serialised = items.map((own) => own.map((item) => JSON.stringify(item)));
  const clients = await Promise.all(devices.map((device) => mqtt.connectAsync(url, { clientId: `bench-${device.id}`, username: 'bench', password: token, reconnectPeriod: 0 })));
  try {
    const run = async (from: number, to: number): Promise<{ latencies: number[]; seconds: number }> => {
      const latencies: number[] = [];
      const started = performance.now();
      await Promise.all(
        clients.map(async (client, n) => {
          const device = devices[n];
          const own = items[n];
          if (device === undefined || own === undefined) throw new Error('no device');
          const sentAt = new Map<number, number>();
          const waiting = new Map<number, () => void>();
          client.on('message', (_topic, payload) => {
            const result = resultReply.parse(JSON.parse(payload.toString('utf8')));
            if (result.status !== 'accepted') throw new Error(`MQTT refused seq ${result.seq.toString()}: ${result.code ?? ''} ${result.message ?? ''}`);
            latencies.push(performance.now() - (sentAt.get(result.seq) ?? 0));
            waiting.get(result.seq)?.();
          });
          const topic = `wr/${WAREHOUSE}/${device.id}/evidence`;
          const payloads = serialised[n] ?? [];
          let next = from;
          await Promise.all(
            Array.from({ length: IN_FLIGHT }, async () => {
              while (next < to) {
                const index = next++;
                const item = own[index];
                const payload = payloads[index];
                if (item === undefined || payload === undefined) return;
                const seq = item.envelope.seq;
                const answered = new Promise<void>((resolve) => waiting.set(seq, resolve));
                sentAt.set(seq, performance.now());
                await client.publishAsync(topic, payload, { qos: 1 });
                await answered;
                waiting.delete(seq);
              }
            }),
          );
          client.removeAllListeners('message');
        }),
      );
      return { latencies, seconds: (performance.now() - started) / 1000 };
    };
    for (const [n, client] of clients.entries()) await client.subscribeAsync(`wr/${WAREHOUSE}/${devices[n]?.id ?? ''}/result`, { qos: 1 });
    await run(0, ITEMS_PER_POST);
    const timed = await run(ITEMS_PER_POST, items[0]?.length ?? 0);
    return summarise(timed.latencies, timed.seconds);
  } finally {
    await Promise.all(clients.map((client) => client.endAsync(true)));
  }
}

/** Node's arguments for a CPU profile into `dir`, when one is asked for. */
const profiled = (dir: string | undefined): string[] => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-mqtt-'));
  const databaseUrl = process.env.DATABASE_URL ?? '';
  const runTag = Date.now().toString(36);
  const devices = Array.from({ length: PUBLISHERS }, (_, n) => makeDevice(`BENCH-MQ-${runTag}-${n.toString()}`, n));
  const items = signedItems(devices);
  const timedItems = items.reduce((sum, own) => sum + own.length - ITEMS_PER_POST, 0);

  console.log(`MQTT intake benchmark — the same ${timedItems.toString()} signed items (1 reading each) over HTTP and over MQTT, fresh gateway each, in its own process`);
  console.log(`database: ${describeDatabase(databaseUrl)}; ${PUBLISHERS.toString()} devices / clients; all envelopes signed before timing\n`);

  const http = await startGatewayProcess({ dataDir: join(dir, 'http'), env: { DATABASE_URL: databaseUrl }, clients: PUBLISHERS, nodeArgs: profiled(process.env.BENCH_HTTP_PROFILE) });
  let httpSummary: Summary;
  try {
    await register(http, devices);
    httpSummary = await overHttp(http, items);
  } finally {
    await http.stop();
  }
  const mqttPort = await reservePort();
  const broker = await startGatewayProcess({ dataDir: join(dir, 'mqtt'), env: { DATABASE_URL: databaseUrl, MQTT_PORT: String(mqttPort) }, clients: 1, nodeArgs: profiled(process.env.BENCH_MQTT_PROFILE) });
  let mqttSummary: Summary;
  try {
    await register(broker, devices);
    const token = broker.tokens['custodian.device-gateway'];
    if (token === undefined) throw new Error('no device-gateway token');
    mqttSummary = await overMqtt(`mqtt://127.0.0.1:${mqttPort.toString()}`, token, devices, items);
  } finally {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }

  const httpItems = timedItems / httpSummary.seconds;
  const mqttItems = mqttSummary.perSecond;
  console.log(row(`  POST /v1/evidence (${ITEMS_PER_POST.toString()} items per POST)`, httpSummary, 'POST'));
  console.log(row(`  MQTT PUBLISH QoS 1 (1 item each, to result)`, mqttSummary, 'item'));
  console.log(`\n  items/s: HTTP ${httpItems.toFixed(0)}, MQTT ${mqttItems.toFixed(0)}; MQTT/HTTP ${(mqttItems / httpItems).toFixed(2)}x (goal >= ${GOAL_RATIO.toString()}x: ${mqttItems / httpItems >= GOAL_RATIO ? 'met' : 'NOT met'})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
