/**
 * Supervision benchmark: what the rules loop costs intake, how fast the engine replays, and how soon an excursion is
 * an alarm and a hold on the ledger. Every figure is printed beside a baseline measured in the same run, and the ratio
 * (this machine's speed varies between runs; the ratios are what to compare).
 *
 * 1. Ingest, one signature per reading (20 devices, 100 envelopes per POST, as bench-evidence's (a)), against a gateway
 *    process started with RULES_DEFAULT_TEMPLATES=none (baseline: time until every reading is accepted) and one with
 *    `chilled` (every device under the 5 default rules; time until the last reading is evaluated, /healthz
 *    rules.evaluatedLeaf, not just accepted). Goal: rules >= 0.8x none, and >= 3,000 readings/s on PGlite, >= 5,000 on
 *    PostgreSQL (only when DATABASE_URL is set; each run then uses its own warehouse and device ids in that database).
 * 2. Replay through 10 rules per stream, pure (`replay`), in this process; baseline: a plain loop over the same inputs
 *    that reads each value and compares it once per rule. Goal >= 100,000 readings/s.
 * 3. Latency on the rules gateway: a device on a lot with a pledged receipt, a critical threshold rule without forMs,
 *    one excursion reading at a time; accepted -> alarm visible (GET /v1/alarms?lotId=, goal p99 <= 500 ms) and accepted
 *    -> risk event committed with the hold in place (GET /v1/receipts/{id}/encumbrance, goal p99 <= 2 s), polled every
 *    10 ms. Baseline: the POST /v1/evidence round trip of the same readings.
 *
 * This machine's load varies within a run too: the ingest pair runs BENCH_SUPERVISION_ROUNDS times (2), alternating
 * which goes first, and the best of each is what is compared.
 *
 * Sizes: BENCH_SUPERVISION_DEVICES (20), BENCH_SUPERVISION_READINGS (40,000), BENCH_SUPERVISION_REPLAY (200,000), BENCH_SUPERVISION_SAMPLES (40).
 * BENCH_CPU_PROF=<dir> runs the gateways with `node --cpu-prof` and leaves their profiles in <dir>.
 */
import { replay, ruleDefinition, ruleHash, templateRules, type EngineInput, type RuleVersion } from '@wr/gateway-api/rules-engine';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { startGatewayProcess, type GatewayProcess } from './bench/gateway-process.js';
import { describeDatabase, makeDevice, signEnvelope, type BenchDevice, type Envelope, type Item } from './bench/devices.js';
import { drive, summarise, type Summary } from './bench/stats.js';

/** Concurrent devices (BENCH_SUPERVISION_DEVICES; the goals are for 20). */
const DEVICES = Number(process.env.BENCH_SUPERVISION_DEVICES ?? 20);
const PER_POST = 100;
const INGEST_READINGS = Number(process.env.BENCH_SUPERVISION_READINGS ?? 40_000);
const REPLAY_READINGS = Number(process.env.BENCH_SUPERVISION_REPLAY ?? 200_000);
const SAMPLES = Number(process.env.BENCH_SUPERVISION_SAMPLES ?? 40);
/** Ingest rounds per database, none and chilled alternating (none, chilled, chilled, none, …); the best of each counts. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_SUPERVISION_ROUNDS ?? 2));
const POLL_MS = 10;
const second = 1000;
const minute = 60 * second;

const GOAL_RATIO = 0.8;
const GOAL_PGLITE = 3_000;
const GOAL_POSTGRES = 5_000;
const GOAL_REPLAY = 100_000;
const GOAL_ALARM_P99_MS = 500;
const GOAL_HOLD_P99_MS = 2_000;


const batchReply = z.object({
  data: z.object({
    accepted: z.number().int(),
    rejected: z.number().int(),
    items: z.array(z.object({ status: z.string(), leafIndex: z.number().int().optional(), code: z.string().optional(), message: z.string().optional() })),
  }),
});
const healthReply = z.looseObject({ rules: z.looseObject({ evaluatedLeaf: z.number().nullable() }).optional(), checks: z.looseObject({ rules: z.looseObject({ evaluatedLeaf: z.number().nullable() }).optional() }).optional() });
const alarmsReply = z.object({ data: z.array(z.looseObject({ id: z.string(), ruleId: z.string(), subject: z.looseObject({ warehouseId: z.string() }) })) });
const ruleListReply = z.object({ data: z.array(z.looseObject({ ruleId: z.string() })) });
const encumbranceReply = z.object({ data: z.looseObject({ freezes: z.array(z.looseObject({ riskEventId: z.string().nullable() })) }) });
const receiptsReply = z.object({ data: z.array(z.looseObject({ id: z.string(), status: z.string() })) });

function signedItem(device: BenchDevice, seq: number, ts: number, value: number): Item {
  const envelope: Envelope = { deviceId: device.id, seq, ts: new Date(ts).toISOString(), readings: [{ sensor: 'probe-1', kind: 'temperature', value, unit: 'Cel' }], attachments: [] };
  return { envelope, signature: signEnvelope(device, envelope) };
}

/**
 * A chilled room's temperature for a device's k-th reading: 2 to 3.4 °C, and a 20-minute excursion to 9 °C every
 * 1,000 readings (so the default rules raise and clear some alarms, as a real day does).
 */
function chilledValue(n: number, k: number, stepMs: number): number {
  const excursion = (k + n * 37) % 1000 < Math.ceil((20 * minute) / stepMs);
  return excursion ? 9 : Math.round((2 + ((k * 31 + n * 7) % 140) / 100) * 100) / 100;
}

/** Per device, its POST bodies in seq order: the first warms the gateway up (untimed), the others are timed. */
interface IngestWorkload {
  readonly devices: readonly BenchDevice[];
  readonly bodies: readonly (readonly string[])[];
  readonly timedReadings: number;
}

/** The ingest workload: one reading per envelope, readings `stepMs` apart in device time, the last one now. */
function ingestWorkload(idPrefix: string): IngestWorkload {
  const devices = Array.from({ length: DEVICES }, (_, n) => makeDevice(`${idPrefix}-${n.toString()}`, n));
  const posts = Math.max(1, Math.round(INGEST_READINGS / DEVICES / PER_POST));
  const perDevice = (posts + 1) * PER_POST;
  // Within the intake's 24 h window, with room for the run itself.
  const stepMs = Math.min(30 * second, Math.floor((20 * 60 * minute) / perDevice));
  const start = Date.now() - perDevice * stepMs;
  const bodies = devices.map((device, n) =>
    Array.from({ length: posts + 1 }, (_, post) =>
      JSON.stringify({
        items: Array.from({ length: PER_POST }, (_, i) => {
          const k = post * PER_POST + i;
          return signedItem(device, k + 1, start + k * stepMs, chilledValue(n, k, stepMs));
        }),
      }),
    ),
  );
  return { devices, bodies, timedReadings: DEVICES * posts * PER_POST };
}

/** Posts one body and expects every item accepted; returns the highest leaf index. */
async function postEvidence(gateway: GatewayProcess, body: string): Promise<number> {
  const reply = await gateway.call('POST', '/v1/evidence', gateway.tokens['custodian.device-gateway'], body);
  if (reply.status !== 200) throw new Error(`POST /v1/evidence: ${reply.status.toString()} ${reply.text.slice(0, 300)}`);
  const { data } = batchReply.parse(JSON.parse(reply.text));
  const refused = data.items.find((item) => item.status !== 'accepted');
  if (data.rejected > 0 || refused !== undefined) throw new Error(`POST /v1/evidence refused ${data.rejected.toString()} items: ${refused?.code ?? ''} ${refused?.message ?? ''}`);
  return Math.max(...data.items.map((item) => item.leafIndex ?? -1));
}

async function ok(gateway: GatewayProcess, who: string, method: string, path: string, body: unknown, status: number): Promise<string> {
  const token = gateway.tokens[who];
  if (token === undefined) throw new Error(`no dev token for ${who}`);
  const reply = await gateway.call(method, path, token, body === undefined ? undefined : JSON.stringify(body));
  if (reply.status !== status) throw new Error(`${method} ${path}: ${reply.status.toString()} ${reply.text.slice(0, 300)}`);
  return reply.text;
}

async function evaluatedLeaf(gateway: GatewayProcess): Promise<number> {
  const reply = await gateway.call('GET', '/healthz', undefined);
  const health = healthReply.parse(JSON.parse(reply.text));
  return health.rules?.evaluatedLeaf ?? health.checks?.rules?.evaluatedLeaf ?? -1;
}

/** Polls /healthz until the rules loop has evaluated `leaf`; resolves with performance.now() then. */
async function untilEvaluated(gateway: GatewayProcess, leaf: number, intervalMs = 5, timeoutMs = 300_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await evaluatedLeaf(gateway)) >= leaf) return performance.now();
    if (performance.now() > deadline) throw new Error(`leaf ${leaf.toString()} not evaluated within ${timeoutMs.toString()} ms`);
    await sleep(intervalMs);
  }
}

function countBy(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface IngestResult {
  readonly templates: string;
  readonly readings: number;
  readonly acceptedSeconds: number;
  readonly evaluatedSeconds: number;
  readonly post: Summary;
  /** Gateway CPU ms per 1,000 readings, from the start of the timed load until the last reading was evaluated. */
  readonly cpuMsPer1000: number | undefined;
  /** Rules in force for the run's warehouse, and the alarms raised on it (what the engine had to do). */
  readonly rules: number;
  readonly alarms: number;
  /** The alarms by rule (the template role: chilled-high, chilled-offline, …). */
  readonly alarmsByRule: string;
}

async function ingest(gateway: GatewayProcess, templates: string, workload: IngestWorkload, warehouseId: string): Promise<IngestResult> {
  for (const device of workload.devices) {
    await ok(gateway, 'custodian.supervisor', 'POST', '/v1/devices', { id: device.id, warehouseId, kind: 'temperature', algorithm: device.algorithm, publicKey: device.publicKeyPem }, 201);
  }
  const body = (device: number, post: number): string => {
    const found = workload.bodies[device]?.[post];
    if (found === undefined) throw new Error(`no post ${post.toString()} for device ${device.toString()}`);
    return found;
  };
  // Warm-up: each device's first POST, untimed, evaluated before timing starts (the default rules are in force then).
  let warm = -1;
  await drive(DEVICES, DEVICES, async (device) => {
    warm = Math.max(warm, await postEvidence(gateway, body(device, 0)));
  });
  await untilEvaluated(gateway, warm);

  const posts = (workload.bodies[0]?.length ?? 1) - 1;
  let last = -1;
  const cpuBefore = await gateway.cpuSeconds();
  const started = performance.now();
  // drive hands worker w the calls w, w + DEVICES, ...: worker w is device w, posting its batches in seq order.
  const post = await drive(DEVICES, DEVICES * posts, async (device, i) => {
    last = Math.max(last, await postEvidence(gateway, body(device, 1 + Math.floor(i / DEVICES))));
  });
  const accepted = performance.now();
  const evaluated = await untilEvaluated(gateway, last);
  const cpuAfter = await gateway.cpuSeconds();
  const readings = workload.timedReadings;
  const rules = ruleListReply.parse(JSON.parse(await ok(gateway, 'custodian.supervisor', 'GET', '/v1/rules?limit=1000', undefined, 200)));
  const alarms = alarmsReply.parse(JSON.parse(await ok(gateway, 'custodian.supervisor', 'GET', '/v1/alarms?limit=1000', undefined, 200)));
  return {
    rules: rules.data.filter((rule) => rule.ruleId.endsWith(`-wh-${warehouseId}`)).length,
    alarms: alarms.data.filter((alarm) => alarm.subject.warehouseId === warehouseId).length,
    alarmsByRule: [...countBy(alarms.data.filter((alarm) => alarm.subject.warehouseId === warehouseId).map((alarm) => alarm.ruleId.replace(`-wh-${warehouseId}`, '')))]
      .map(([rule, count]) => `${rule} ${count.toString()}`)
      .join(', '),
    templates,
    readings,
    acceptedSeconds: (accepted - started) / 1000,
    evaluatedSeconds: (evaluated - started) / 1000,
    post,
    cpuMsPer1000: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / (readings / 1000),
  };
}

interface LatencyResult {
  readonly post: Summary;
  readonly alarm: Summary;
  readonly hold: Summary;
}

/** A lot of `commodity` with one receipt of alice's pledged to LenderMSP, and a device placed on it. */
async function pledgedLotWithDevice(gateway: GatewayProcess, tag: string, i: number, warehouseId: string, commodity: string): Promise<{ lotId: string; receiptId: string; device: BenchDevice }> {
  const lotId = `LOT-LAT-${tag}-${i.toString()}`;
  const receiptId = `WR-LAT-${tag}-${i.toString()}`;
  await ok(gateway, 'custodian.clerk', 'POST', '/v1/lots', { id: lotId, warehouseId, location: 'cold room 3', commodity, unit: 'kg', quantity: '1000' }, 201);
  await ok(gateway, 'custodian.clerk', 'POST', '/v1/receipts', { id: receiptId, lotId, owner: 'alice', quantity: '800' }, 201);
  await ok(gateway, 'custodian.supervisor', 'POST', `/v1/receipts/${receiptId}/confirm`, {}, 200);
  await ok(gateway, 'borrower.alice', 'POST', `/v1/receipts/${receiptId}/pledge-request`, { lender: 'LenderMSP', loanReference: `LOAN-${tag}-${i.toString()}`, loanAmount: '2000000', currency: 'CNY' }, 200);
  await ok(gateway, 'lender.officer', 'POST', `/v1/receipts/${receiptId}/pledge-acceptance`, {}, 200);
  const device = makeDevice(`TEMP-LAT-${tag}-${i.toString()}`, 0);
  await ok(gateway, 'custodian.supervisor', 'POST', '/v1/devices', { id: device.id, warehouseId, kind: 'temperature', algorithm: device.algorithm, publicKey: device.publicKeyPem }, 201);
  await ok(gateway, 'custodian.supervisor', 'POST', `/v1/devices/${device.id}/placement`, { lotId, location: 'cold room 3, rack A' }, 201);
  return { lotId, receiptId, device };
}

async function latency(gateway: GatewayProcess, tag: string): Promise<LatencyResult> {
  const warehouseId = `WH-LAT-${tag}`;
  const commodity = `bench chilled ${tag}`;
  const ruleId = `bench-excursion-${tag}`;
  await ok(gateway, 'custodian.supervisor', 'POST', '/v1/rules', { id: ruleId, scope: { commodity }, kind: 'threshold', metric: 'temperature', severity: 'critical', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 4 } }, 201);
  const targets: Awaited<ReturnType<typeof pledgedLotWithDevice>>[] = [];
  await drive(4, SAMPLES, async (_, i) => {
    targets[i] = await pledgedLotWithDevice(gateway, tag, i, warehouseId, commodity);
  });
  // The covenant worker finds live receipts in the projection: wait until it has every pledge.
  for (const { lotId } of targets) {
    for (let tries = 0; ; tries++) {
      const listed = receiptsReply.parse(JSON.parse(await ok(gateway, 'custodian.supervisor', 'GET', `/v1/receipts?lotId=${lotId}`, undefined, 200)));
      if (listed.data.some((receipt) => receipt.status === 'PLEDGED')) break;
      if (tries > 1000) throw new Error(`the projection never showed ${lotId} pledged`);
      await sleep(20);
    }
  }
  // One reading in range from every device first, so that each lot and stream is known before timing.
  await untilEvaluated(gateway, await postEvidence(gateway, JSON.stringify({ items: targets.map(({ device }) => signedItem(device, 1, Date.now(), 3)) })));

  const posts: number[] = [];
  const alarms: number[] = [];
  const holds: number[] = [];
  const started = performance.now();
  for (const { lotId, receiptId, device } of targets) {
    const body = JSON.stringify({ items: [signedItem(device, 2, Date.now(), 9.5)] });
    const sent = performance.now();
    await postEvidence(gateway, body);
    const accepted = performance.now();
    posts.push(accepted - sent);
    let alarmAt: number | undefined;
    let holdAt: number | undefined;
    while (alarmAt === undefined || holdAt === undefined) {
      if (performance.now() - accepted > 30_000) throw new Error(`no alarm or hold on ${lotId} within 30 s`);
      await sleep(POLL_MS);
      if (alarmAt === undefined) {
        const listed = alarmsReply.parse(JSON.parse(await ok(gateway, 'custodian.supervisor', 'GET', `/v1/alarms?lotId=${lotId}`, undefined, 200)));
        if (listed.data.some((alarm) => alarm.ruleId === ruleId)) alarmAt = performance.now();
      }
      if (holdAt === undefined) {
        const held = encumbranceReply.parse(JSON.parse(await ok(gateway, 'lender.officer', 'GET', `/v1/receipts/${receiptId}/encumbrance`, undefined, 200)));
        if (held.data.freezes.some((freeze) => freeze.riskEventId !== null)) holdAt = performance.now();
      }
    }
    alarms.push(alarmAt - accepted);
    holds.push(holdAt - accepted);
  }
  const seconds = (performance.now() - started) / 1000;
  return { post: summarise(posts, seconds), alarm: summarise(alarms, seconds), hold: summarise(holds, seconds) };
}

/** Replay's input: 20 devices, one reading every 30 s of device time each, under 10 rules; a tick every 1,000 readings. */
function replayInputs(rules: readonly RuleVersion[]): EngineInput[] {
  const inputs: EngineInput[] = [{ type: 'rules', position: 0, rules }];
  const stepMs = 30 * second;
  const t0 = Date.parse('2026-03-02T00:00:00.000Z');
  for (let i = 0; i < REPLAY_READINGS; i++) {
    const n = i % DEVICES;
    const k = Math.floor(i / DEVICES);
    const ts = t0 + k * stepMs + n;
    const position = inputs.length;
    inputs.push({
      type: 'reading',
      position,
      evidenceId: `ev-${position.toString()}`,
      leafHash: position.toString(16).padStart(64, '0'),
      deviceId: `dev-${n.toString()}`,
      seq: k + 1,
      seqGapFrom: null,
      ts,
      lotId: `LOT-${(n % 4).toString()}`,
      warehouseId: 'WH-R',
      commodity: 'chilled fish',
      readings: [{ kind: 'temperature', value: chilledValue(n, k, stepMs), unit: 'Cel' }],
    });
    if ((i + 1) % 1000 === 0) inputs.push({ type: 'tick', position: inputs.length, now: ts + second });
  }
  return inputs;
}

interface ReplayFigures {
  readonly rules: number;
  readonly changes: number;
  readonly replaySeconds: number;
  readonly baselineSeconds: number;
}

function replayBench(): ReplayFigures {
  const definitions = [...templateRules('chilled', { warehouseId: 'WH-R' }), ...templateRules('chilled', { commodity: 'chilled fish' })];
  const rules = definitions.map((definition): RuleVersion => {
    const parsed = ruleDefinition.parse(definition);
    return { ruleId: parsed.id, version: 1, hash: ruleHash(parsed), definition: parsed, owner: { mspId: 'CustodianMSP', userId: 'supervisor' }, createdAt: '2026-03-01T00:00:00.000Z', retired: false };
  });
  const inputs = replayInputs(rules);
  // Each rule's bound as the baseline compares against (offline has none: it compares with 0).
  const bounds = rules.map(({ definition }) => ('raise' in definition ? definition.raise.value : 0));
  const baseline = (): number => {
    let above = 0;
    for (const input of inputs) {
      if (input.type !== 'reading') continue;
      for (const bound of bounds) {
        for (const reading of input.readings) if (typeof reading.value === 'number' && reading.value > bound) above++;
      }
    }
    return above;
  };
  // Warm both up on a slice (the JIT), then time each over the whole log.
  replay(inputs.slice(0, 20_000));
  baseline();
  let t = performance.now();
  const { changes } = replay(inputs);
  const replaySeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const above = baseline();
  const baselineSeconds = (performance.now() - t) / 1000;
  if (above < 0) throw new Error('unreachable');
  return { rules: rules.length, changes: changes.length, replaySeconds, baselineSeconds };
}

const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-sup-'));
  const profileDir = process.env.BENCH_CPU_PROF;
  const runTag = Date.now().toString(36);
  const databases = ['', ...(process.env.DATABASE_URL ? [process.env.DATABASE_URL] : [])];
  const lines: string[] = [];

  console.log(`supervision benchmark — ${DEVICES.toString()} devices, one signature per reading, ${PER_POST.toString()} envelopes per POST; gateways in their own processes\n`);

  // The pure replay first, while no gateway competes for the CPU.
  const r = replayBench();
  const replayRate = REPLAY_READINGS / r.replaySeconds;
  const baseRate = REPLAY_READINGS / r.baselineSeconds;
  console.log(`replay: ${REPLAY_READINGS.toString()} readings through ${r.rules.toString()} rules per stream (${r.changes.toString()} alarm changes)`);
  console.log(`  engine replay ${replayRate.toFixed(0)} readings/s (${r.replaySeconds.toFixed(2)} s); baseline plain loop ${baseRate.toFixed(0)} readings/s; replay/baseline ${(replayRate / baseRate).toFixed(4)}x\n`);
  lines.push(`replay, 10 rules per stream: ${replayRate.toFixed(0)} readings/s (goal >= ${GOAL_REPLAY.toString()}: ${verdict(replayRate >= GOAL_REPLAY)}), ${(replayRate / baseRate).toFixed(4)}x a plain loop over the same inputs`);

  try {
    for (const [d, databaseUrl] of databases.entries()) {
      const database = describeDatabase(databaseUrl);
      const results: IngestResult[] = [];
      let lat: LatencyResult | undefined;
      const order = Array.from({ length: ROUNDS }, (_, round) => (round % 2 === 0 ? ['none', 'chilled'] : ['chilled', 'none'])).flat();
      for (const [run, templates] of order.entries()) {
        const name = `${d.toString()}-${run.toString()}-${templates}`;
        const workload = ingestWorkload(`SUP-${runTag}-${name}`);
        const gateway = await startGatewayProcess({
          dataDir: join(dir, name),
          // No wall-clock tick during the run: the workload's device time runs hours behind the gateway's clock (so that
          // forMs rules see time pass), and every tick would find all 20 devices offline, raising 20 alarms a tick.
          env: { DATABASE_URL: databaseUrl, RULES_DEFAULT_TEMPLATES: templates, RULES_TICK_MS: String(3_600_000) },
          clients: DEVICES,
          nodeArgs: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`],
        });
        try {
          const result = await ingest(gateway, templates, workload, `WH-SUP-${runTag}-${name}`);
          results.push(result);
          const rate = (seconds: number): string => `${(result.readings / seconds).toFixed(0)} readings/s`;
          console.log(`${database}, RULES_DEFAULT_TEMPLATES=${templates}: ${result.readings.toString()} readings; ${result.rules.toString()} rules on the warehouse, ${result.alarms.toString()} alarms raised${result.alarms > 0 ? ` (${result.alarmsByRule})` : ''}`);
          if (templates === 'chilled' && result.rules === 0) throw new Error('the default rules were not applied');
          console.log(`  accepted: ${rate(result.acceptedSeconds)} (${result.acceptedSeconds.toFixed(2)} s); evaluated: ${rate(result.evaluatedSeconds)} (${result.evaluatedSeconds.toFixed(2)} s)`);
          console.log(`  POST p50 ${ms(result.post.p50)}, p99 ${ms(result.post.p99)}; gateway CPU ${result.cpuMsPer1000 === undefined ? 'not measured here' : `${result.cpuMsPer1000.toFixed(1)} ms per 1,000 readings`}\n`);
          if (templates === 'chilled' && lat === undefined) {
            lat = await latency(gateway, `${runTag}-${d.toString()}`);
            console.log(`${database}, latency over ${SAMPLES.toString()} excursions (critical rule without forMs, pledged lot, polled every ${POLL_MS.toString()} ms)`);
            console.log(`  baseline POST /v1/evidence round trip: p50 ${ms(lat.post.p50)}, p99 ${ms(lat.post.p99)}`);
            console.log(`  accepted -> alarm visible:             p50 ${ms(lat.alarm.p50)}, p99 ${ms(lat.alarm.p99)}`);
            console.log(`  accepted -> risk event + hold:         p50 ${ms(lat.hold.p50)}, p99 ${ms(lat.hold.p99)}\n`);
          }
        } finally {
          await gateway.stop();
        }
      }
      const of = (templates: string): IngestResult[] => results.filter((result) => result.templates === templates);
      const baseRates = of('none').map((result) => result.readings / result.acceptedSeconds);
      const ruleRates = of('chilled').map((result) => result.readings / result.evaluatedSeconds);
      const base = Math.max(...baseRates);
      const rules = Math.max(...ruleRates);
      const goal = databaseUrl === '' ? GOAL_PGLITE : GOAL_POSTGRES;
      const each = (rates: readonly number[]): string => rates.map((rate) => rate.toFixed(0)).join(', ');
      lines.push(
        `${database}: ingest with the default rules, until evaluated: ${rules.toFixed(0)} readings/s (goal >= ${goal.toString()}: ${verdict(rules >= goal)}); ` +
          `without rules, until accepted: ${base.toFixed(0)} readings/s; ratio ${(rules / base).toFixed(2)}x (goal >= ${GOAL_RATIO.toString()}: ${verdict(rules / base >= GOAL_RATIO)}); ` +
          `best of ${ROUNDS.toString()} (rules ${each(ruleRates)}; none ${each(baseRates)})`,
      );
      const cpu = (templates: string): number | undefined => {
        const values = of(templates).flatMap((result) => (result.cpuMsPer1000 === undefined ? [] : [result.cpuMsPer1000]));
        return values.length === 0 ? undefined : Math.min(...values);
      };
      const [cpuRules, cpuNone] = [cpu('chilled'), cpu('none')];
      if (cpuRules !== undefined && cpuNone !== undefined) {
        lines.push(`${database}: gateway CPU per 1,000 readings (least of the rounds): ${cpuRules.toFixed(1)} ms with rules, ${cpuNone.toFixed(1)} ms without; ratio ${(cpuRules / cpuNone).toFixed(2)}x`);
      }
      if (lat !== undefined) {
        lines.push(
          `${database}: accepted -> alarm visible p99 ${ms(lat.alarm.p99)} (goal <= ${GOAL_ALARM_P99_MS.toString()} ms: ${verdict(lat.alarm.p99 <= GOAL_ALARM_P99_MS)}), ` +
            `accepted -> hold p99 ${ms(lat.hold.p99)} (goal <= ${GOAL_HOLD_P99_MS.toString()} ms: ${verdict(lat.hold.p99 <= GOAL_HOLD_P99_MS)}); ` +
            `POST round trip p99 ${ms(lat.post.p99)} (alarm ${(lat.alarm.p99 / lat.post.p99).toFixed(1)}x, hold ${(lat.hold.p99 / lat.post.p99).toFixed(1)}x)`,
        );
      }
    }
    console.log('against the goals and the baselines:');
    for (const line of lines) console.log(`  ${line}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (profileDir !== undefined) console.log(`\ngateway CPU profiles written to ${profileDir}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
