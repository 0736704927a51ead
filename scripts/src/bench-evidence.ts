/**
 * Evidence-intake benchmark: signed device envelopes over HTTP (POST /v1/evidence) from 20 concurrent devices, each
 * posting its own envelopes in seq order, (a) one signature per reading and (b) one signature per 100 readings. The
 * gateway runs as its own process, as `npm start` runs it, on PGlite (or on DATABASE_URL when set); devices are
 * registered through the API. Every envelope is signed before timing starts: signing is the device's cost, not the
 * gateway's. Baseline in the same run: the same items verified in this process without HTTP or a database — JCS of
 * the envelope, its signature checked, JCS of the evidence record and its leaf hash — the floor of any intake.
 *
 * BENCH_CPU_PROF=<dir> runs the gateway with `node --cpu-prof` and leaves its profile in <dir>.
 */
import { hashLeaf, jcsBytes, parseDevicePublicKey } from '@wr/anchor';
import { verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { startGatewayProcess } from './bench/gateway-process.js';
import { describeDatabase, makeDevice, signEnvelope, type BenchDevice, type Envelope, type Item } from './bench/devices.js';
import { drive, row, type Summary } from './bench/stats.js';

const DEVICES = 20;
const SINGLE_READINGS = Number(process.env.BENCH_EVIDENCE_SINGLE ?? 40_000);
const SINGLE_PER_POST = 100;
const BATCHED_READINGS = Number(process.env.BENCH_EVIDENCE_BATCHED ?? 200_000);
const READINGS_PER_ENVELOPE = 100;
const BATCHED_ENVELOPES_PER_POST = 10;
const GOAL_SINGLE = 3_000;
const GOAL_BATCHED = 20_000;

/** One scenario, pre-signed: per device, its POST bodies in seq order (the first one warms the gateway up, untimed). */
interface Scenario {
  readonly label: string;
  readonly readingsPerPost: number;
  readonly posts: readonly (readonly Item[])[][];
  readonly bodies: readonly string[][];
}

const batchReply = z.object({
  data: z.object({
    accepted: z.number().int(),
    rejected: z.number().int(),
    items: z.array(z.object({ status: z.string(), code: z.string().optional(), message: z.string().optional() })),
  }),
});

/**
 * `posts + 1` POST bodies per device of `envelopesPerPost` envelopes each, `readingsPerEnvelope` readings per envelope,
 * the device's seq numbers continuing after `seqAfter`.
 */
function scenario(
  label: string,
  devices: readonly BenchDevice[],
  seqAfter: number,
  postsPerDevice: number,
  envelopesPerPost: number,
  readingsPerEnvelope: number,
): Scenario {
  // Device time advances a second per envelope, from three hours ago, as a device reporting once a second would: an envelope
  // time that never moves would keep every reading in the rules' lateness window (held to MAX_BUFFERED per stream).
  const start = Date.now() - 3 * 3600 * 1000;
  const posts = devices.map((device) => {
    let seq = seqAfter;
    return Array.from({ length: postsPerDevice + 1 }, () =>
      Array.from({ length: envelopesPerPost }, (): Item => {
        seq++;
        const readings = Array.from({ length: readingsPerEnvelope }, (_, r) => ({
          sensor: `probe-${(r % 8).toString()}`,
          kind: r % 2 === 0 ? 'temperature' : 'humidity',
          value: Math.round((4 + ((seq * 31 + r * 7) % 400) / 100) * 100) / 100,
          unit: r % 2 === 0 ? 'Cel' : '%',
        }));
        const envelope: Envelope = { deviceId: device.id, seq, ts: new Date(start + seq * 1000).toISOString(), readings, attachments: [] };
        return { envelope, signature: signEnvelope(device, envelope) };
      }),
    );
  });
  return { label, readingsPerPost: envelopesPerPost * readingsPerEnvelope, posts, bodies: posts.map((batches) => batches.map((items) => JSON.stringify({ items }))) };
}

/**
 * Baseline: what any intake must do per item, in this process, with no HTTP, JSON parsing, schema checks or database:
 * JCS(envelope), the signature checked against the device's (already parsed) key, JCS(record) and its leaf hash.
 */
function baseline(target: Scenario, devices: readonly BenchDevice[]): Promise<Summary> {
  const keys = new Map(devices.map((device) => [device.id, { algorithm: device.algorithm, key: parseDevicePublicKey(device.algorithm, device.publicKeyPem) }]));
  const receivedAt = new Date().toISOString();
  const batches = target.posts.flatMap((batches) => batches.slice(1));
  return drive(1, batches.length, (_, i) => {
    for (const item of batches[i] ?? []) {
      const device = keys.get(item.envelope.deviceId);
      if (device === undefined) throw new Error(`no key for ${item.envelope.deviceId}`);
      const data = jcsBytes(item.envelope);
      const signature = Buffer.from(item.signature, 'base64');
      const valid = device.algorithm === 'Ed25519' ? verify(null, data, device.key, signature) : verify('sha256', data, { key: device.key, dsaEncoding: 'der' }, signature);
      if (!valid) throw new Error('a pre-signed envelope does not verify');
      hashLeaf(jcsBytes({ type: 'device-reading', envelope: item.envelope, signature: item.signature, receivedAt }));
    }
    return Promise.resolve();
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-ev-'));
  const databaseUrl = process.env.DATABASE_URL ?? '';
  const profileDir = process.env.BENCH_CPU_PROF;
  const runTag = Date.now().toString(36);

  // Keys, envelopes and request bodies first, then the baseline, all before the gateway starts: neither competes with
  // it for the CPU, and no HTTP connection sits idle meanwhile (the gateway closes idle keep-alive sockets after 5 s).
  const devices = Array.from({ length: DEVICES }, (_, n) => makeDevice(`BENCH-${runTag}-${n.toString()}`, n));
  const single = scenario(
    `(a) 1 reading per envelope, ${SINGLE_PER_POST.toString()} envelopes per POST`,
    devices,
    0,
    Math.max(1, Math.round(SINGLE_READINGS / DEVICES / SINGLE_PER_POST)),
    SINGLE_PER_POST,
    1,
  );
  const batched = scenario(
    `(b) ${READINGS_PER_ENVELOPE.toString()} readings per envelope, ${BATCHED_ENVELOPES_PER_POST.toString()} per POST`,
    devices,
    envelopesPerDevice(single),
    Math.max(1, Math.round(BATCHED_READINGS / DEVICES / READINGS_PER_ENVELOPE / BATCHED_ENVELOPES_PER_POST)),
    BATCHED_ENVELOPES_PER_POST,
    READINGS_PER_ENVELOPE,
  );
  const plans = [
    { target: single, goal: GOAL_SINGLE, base: await baseline(single, devices) },
    { target: batched, goal: GOAL_BATCHED, base: await baseline(batched, devices) },
  ];

  const gateway = await startGatewayProcess({
    dataDir: join(dir, 'gateway'),
    env: { DATABASE_URL: databaseUrl },
    clients: DEVICES,
    nodeArgs: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`],
  });
  try {
    const { tokens } = gateway;
    for (const device of devices) {
      const body = JSON.stringify({ id: device.id, warehouseId: 'WH-BENCH', kind: 'temperature', algorithm: device.algorithm, publicKey: device.publicKeyPem });
      const reply = await gateway.call('POST', '/v1/devices', tokens['custodian.supervisor'], body);
      if (reply.status !== 201) throw new Error(`POST /v1/devices: ${reply.status.toString()} ${reply.text.slice(0, 300)}`);
    }
    const ecdsa = devices.filter((device) => device.algorithm === 'ECDSA-P256').length;

    console.log(`evidence intake benchmark — POST /v1/evidence, gateway in its own process, ${DEVICES.toString()} concurrent devices`);
    console.log(`database: ${describeDatabase(databaseUrl)}; devices: ${(DEVICES - ecdsa).toString()} Ed25519, ${ecdsa.toString()} ECDSA P-256; all envelopes signed before timing\n`);

    const results: { target: Scenario; goal: number; base: Summary; http: Summary }[] = [];
    for (const { target, goal, base } of plans) {
      const post = async (device: number, batch: number): Promise<void> => {
        const body = target.bodies[device]?.[batch];
        if (body === undefined) throw new Error(`no batch ${batch.toString()} for device ${device.toString()}`);
        const reply = await gateway.call('POST', '/v1/evidence', tokens['custodian.device-gateway'], body);
        if (reply.status !== 200) throw new Error(`POST /v1/evidence: ${reply.status.toString()} ${reply.text.slice(0, 300)}`);
        const { data } = batchReply.parse(JSON.parse(reply.text));
        const refused = data.items.find((item) => item.status !== 'accepted');
        if (data.rejected > 0 || refused !== undefined) throw new Error(`POST /v1/evidence refused ${data.rejected.toString()} items: ${refused?.code ?? ''} ${refused?.message ?? ''}`);
      };
      // Warm-up: each device's first batch, untimed.
      await drive(DEVICES, DEVICES, (device) => post(device, 0));
      const postsPerDevice = (target.bodies[0]?.length ?? 1) - 1;
      // drive hands worker w the calls w, w + DEVICES, ...: worker w is device w, posting its batches in seq order.
      const cpuBefore = await gateway.cpuSeconds();
      const http = await drive(DEVICES, DEVICES * postsPerDevice, (device, i) => post(device, 1 + Math.floor(i / DEVICES)));
      const cpuAfter = await gateway.cpuSeconds();
      results.push({ target, goal, base, http });
      console.log(target.label);
      console.log(row('  baseline: verify + leaf hash, no HTTP/DB', base, 'batch'));
      console.log(row('  POST /v1/evidence', http, 'POST'));
      console.log(
        `  readings/s: HTTP ${readingsPerSecond(target, http).toFixed(0)}, baseline ${readingsPerSecond(target, base).toFixed(0)}; ` +
          `HTTP/baseline ${(http.perSecond / base.perSecond).toFixed(2)}x`,
      );
      const readings = http.count * target.readingsPerPost;
      const cpu = cpuBefore === undefined || cpuAfter === undefined ? 'not measured here' : `${(((cpuAfter - cpuBefore) * 1000) / (readings / 1000)).toFixed(1)} ms per 1,000 readings`;
      console.log(`  gateway CPU (all threads): ${cpu}; baseline ${((base.seconds * 1000) / (readings / 1000)).toFixed(1)} ms\n`);
    }

    console.log('against the goals and the baseline:');
    for (const { target, goal, base, http } of results) {
      const perSecond = readingsPerSecond(target, http);
      console.log(
        `  ${target.label}: ${perSecond.toFixed(0)} readings/s (goal >= ${goal.toString()}: ${perSecond >= goal ? 'met' : 'NOT met'}), ` +
          `${(http.perSecond / base.perSecond).toFixed(2)}x the in-process baseline; p99 ${http.p99.toFixed(1)} ms per POST`,
      );
    }
  } finally {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
    if (profileDir !== undefined) console.log(`\ngateway CPU profile written to ${profileDir}`);
  }
}

function envelopesPerDevice(target: Scenario): number {
  return (target.posts[0] ?? []).reduce((sum, items) => sum + items.length, 0);
}

function readingsPerSecond(target: Scenario, summary: Summary): number {
  return (summary.count * target.readingsPerPost) / summary.seconds;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
