import { prng, replayHint, reservePort, testSeed } from '@wr/anchor/testing';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { openDatabase } from '../../src/db/database.js';
import { TestDevice } from '../evidence/devices.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { killableGateway, type KillableGateway } from '../support/process.js';
import { alarmListReply, minute, type AlarmShape } from './support.js';

/**
 * Supervision under crashes: the gateway process is SIGKILLed at seeded random points while devices report excursions,
 * and what was answered as accepted must end up evaluated once, with its alarms, ledger risk events and work orders
 * exactly once each; and replay must give the stored alarm log byte for byte.
 */

const KILLS = 8;
const DEVICES = 3;
const READINGS_PER_DEVICE = 300;
// The seed draws the readings, kill times, batch sizes and pauses; how the gateway's own timing interleaves with them
// is not replayable, so a replay repeats the schedule, not necessarily the exact interleaving.
const seed = testSeed();

const rankOf = (severity: string): number => ({ info: 0, warning: 1, major: 2, critical: 3 })[severity] ?? -1;

const itemResults = z.object({
  data: z.object({
    items: z.array(z.union([z.object({ status: z.literal('accepted'), id: z.string(), leafIndex: z.number() }).loose(), z.object({ status: z.literal('rejected'), code: z.string(), message: z.string() })])),
  }),
});
const health = z.object({ checks: z.object({ rules: z.object({ evaluatedLeaf: z.number().nullable() }).loose() }).loose() });
const replayReply = z.object({
  data: z.object({ readings: z.number(), changes: z.number(), storedChanges: z.number(), identical: z.boolean(), firstDifference: z.unknown(), digest: z.string() }).loose(),
});
const riskEvents = z.object({ data: z.array(z.looseObject({ id: z.string(), severity: z.string(), alarm: z.looseObject({ alarmId: z.string() }).optional() })) });
const workOrderList = z.object({ data: z.array(z.looseObject({ id: z.string(), source: z.looseObject({ type: z.string(), alarmId: z.string().optional() }) })), next: z.string().nullable() });
const created = z.object({ data: z.looseObject({ id: z.string() }) });

/** Temperatures of one device, one a minute: in range, then excursions to 9.5 °C of 15 to 40 min, seeded. */
function excursions(next: () => number, count: number): number[] {
  const values: number[] = [];
  while (values.length < count) {
    values.push(...Array<number>(8 + Math.floor(next() * 10)).fill(3));
    values.push(...Array<number>(15 + Math.floor(next() * 26)).fill(9.5));
  }
  return values.slice(0, count);
}

describe(`supervision survives SIGKILL during intake and evaluation (${replayHint(seed)})`, function () {
  this.timeout(600_000);
  let dataDir: string;
  let gatewayProcess: KillableGateway | undefined;
  let port: number;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-supervision-crash-'));
    // The gateway comes back on the same port after every kill: reserved, never from the ephemeral range.
    port = await reservePort();
  });
  after(async () => {
    await kill();
    if (dataDir && process.env.CRASH_KEEP !== '1') await rm(dataDir, { recursive: true, force: true });
  });

  /** The gateway process (embedded defaults, PGlite, chilled default rules). */
  const gateway = (): KillableGateway =>
    (gatewayProcess ??= killableGateway(dataDir, port, {
      RULES_DEFAULT_TEMPLATES: 'chilled',
      // Small steps, so a kill lands inside evaluation as often as inside intake.
      RULES_BATCH_SIZE: '40',
      RULES_TICK_MS: '1000',
      // Device time runs ahead of the wall clock (an hour of excursions per few seconds of test), never offline.
      EVIDENCE_CLOCK_SKEW_MS: String(2 * 86_400_000),
    }));
  const start = (): Promise<void> => gateway().start();
  const kill = async (): Promise<void> => gatewayProcess?.kill();
  const running = (): boolean => gatewayProcess?.running() ?? false;
  const url = (): string => gateway().url;
  const call = (who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => gateway().call(who, method, path, body);

  async function ok(who: string, method: string, path: string, body: unknown, status: number): Promise<unknown> {
    const reply = await call(who, method, path, body);
    expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body).slice(0, 400)}`).to.equal(status);
    return reply.body;
  }

  async function allAlarms(lotId: string): Promise<AlarmShape[]> {
    const found: AlarmShape[] = [];
    for (let after: string | null = ''; after !== null; ) {
      const page = alarmListReply.parse((await call('custodian.auditor', 'GET', `/v1/alarms?lotId=${lotId}&limit=1000${after === '' ? '' : `&after=${after}`}`)).body);
      found.push(...page.data);
      after = page.next;
    }
    return found;
  }

  it('no accepted reading is lost or evaluated twice: alarms, risk events and work orders exactly once each, and replay is identical', async () => {
    const { next } = prng(seed);
    const suffix = seed.toString(36).slice(-6);
    const warehouseId = `WH-CRASH-${suffix}`;
    const lotId = `LOT-CRASH-${suffix}`;
    await start();

    // A pledged receipt on the lot, devices placed on it, and a critical rule that raises at the first reading above 8.
    await ok('custodian.clerk', 'POST', '/v1/lots', { id: lotId, warehouseId, location: 'cold room 1', commodity: 'chilled beef', unit: 'kg', quantity: '1000' }, 201);
    const receiptId = created.parse(await ok('custodian.clerk', 'POST', '/v1/receipts', { id: `WR-CRASH-${suffix}`, lotId, owner: 'alice', quantity: '800' }, 201)).data.id;
    await ok('custodian.supervisor', 'POST', `/v1/receipts/${receiptId}/confirm`, {}, 200);
    await ok('borrower.alice', 'POST', `/v1/receipts/${receiptId}/pledge-request`, { lender: 'LenderMSP', loanReference: `LOAN-${suffix}`, loanAmount: '2000000', currency: 'CNY' }, 200);
    await ok('lender.officer', 'POST', `/v1/receipts/${receiptId}/pledge-acceptance`, {}, 200);
    // The covenants read the receipts projection: wait until it shows the pledge.
    for (let attempt = 0; ; attempt++) {
      const listed = z.object({ data: z.array(z.looseObject({ id: z.string(), status: z.string() })) }).parse((await call('custodian.auditor', 'GET', `/v1/receipts?lotId=${lotId}`)).body);
      if (listed.data.some((receipt) => receipt.status === 'PLEDGED')) break;
      expect(attempt, 'the projection shows the pledge').to.be.below(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await ok('custodian.supervisor', 'POST', '/v1/rules', { id: `crash-critical-${suffix}`, scope: { lotId }, kind: 'threshold', metric: 'temperature', severity: 'critical', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 4 } }, 201);
    const devices = Array.from({ length: DEVICES }, (_, index) => new TestDevice(`TEMP-CRASH-${suffix}-${index.toString()}`, 'Ed25519'));
    for (const device of devices) {
      await ok('custodian.supervisor', 'POST', '/v1/devices', { ...device.registration(warehouseId), kind: 'temperature' }, 201);
      await ok('custodian.supervisor', 'POST', `/v1/devices/${device.id}/placement`, { lotId, location: 'cold room 1, rack A' }, 201);
    }

    // Every device's readings, one a minute of device time from just before now, interleaved in device-time order.
    const start0 = Date.now() - 2 * minute;
    const queue = devices.flatMap((device) =>
      excursions(next, READINGS_PER_DEVICE).map((value, index) => ({
        at: index,
        item: device.item(index + 1, { ts: new Date(start0 + index * minute).toISOString(), readings: [{ sensor: 'probe-1', kind: 'temperature', value, unit: 'Cel' }] }),
      })),
    );
    queue.sort((a, b) => a.at - b.at);
    const items = queue.map((entry) => entry.item);

    const accepted = new Map<string, number>();
    /** Items whose answer a kill swallowed and that were stored before (SEQ_REPLAY when sent again). */
    let replayed = 0;
    /** Batches sent again because a kill swallowed their answer. */
    let lost = 0;
    let sent = 0;
    let kills = 0;
    let lives = 0;
    // Each life: batches every few tens of ms until a SIGKILL at a random moment, which may land in intake, in an
    // evaluation step, in the covenant worker's ledger calls, or in a work order's creation. A batch whose answer was
    // lost is sent again in the next life, as a device would.
    for (; lives < 60 && (kills < KILLS || sent < items.length); lives++) {
      if (!running()) await start();
      const deadline = Date.now() + 200 + Math.floor(next() * 2000);
      const timer = setTimeout(() => {
        if (running()) kills++;
        void kill();
      }, deadline - Date.now());
      while (running() && Date.now() < deadline) {
        if (sent < items.length) {
          const batch = items.slice(sent, sent + 1 + Math.floor(next() * 25));
          const reply = await call('custodian.device-gateway', 'POST', '/v1/evidence', { items: batch }).catch(() => undefined);
          if (reply !== undefined) {
            expect(reply.status, JSON.stringify(reply.body).slice(0, 400)).to.equal(200);
            for (const result of itemResults.parse(reply.body).data.items) {
              if (result.status === 'accepted') accepted.set(result.id, result.leafIndex);
              else if (result.code === 'SEQ_REPLAY') replayed++;
              else expect.fail(`refused: ${result.code} ${result.message}`);
            }
            sent += batch.length;
          } else lost++;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 30)));
      }
      await kill();
      clearTimeout(timer);
    }
    expect(sent, 'every reading was delivered').to.equal(items.length);
    expect(kills, 'the gateway was killed repeatedly').to.be.at.least(KILLS);

    // A clean start: the loop resumes, evaluates what is left, and the covenant worker finishes what alarms owe.
    await start();
    const lastAccepted = Math.max(...accepted.values());
    let alarms: AlarmShape[] = [];
    for (let attempt = 0; ; attempt++) {
      const leaf = health.parse(await (await fetch(`${url()}/healthz`)).json()).checks.rules.evaluatedLeaf ?? -1;
      if (leaf >= lastAccepted) {
        alarms = await allAlarms(lotId);
        if (alarms.every((alarm) => alarm.ledger.every((action) => action.status !== 'pending'))) break;
      }
      expect(attempt, `evaluated up to leaf ${leaf.toString()} of ${lastAccepted.toString()}, or ledger actions still pending`).to.be.below(600);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const replay = replayReply.parse((await call('custodian.auditor', 'POST', '/v1/rules/replay', {})).body).data;
    expect(replay.firstDifference, `replay gives the stored alarm log: ${JSON.stringify(replay.firstDifference).slice(0, 3000)}`).to.equal(null);
    expect(replay).to.deep.include({ identical: true, changes: replay.storedChanges });
    expect(replay.readings, 'replay read every stored reading').to.equal(accepted.size + replayed);

    expect(new Set(alarms.map((alarm) => alarm.id)).size, 'alarm ids are unique').to.equal(alarms.length);
    const severe = alarms.filter((alarm) => rankOf(alarm.severity) >= rankOf('major'));
    expect(severe.filter((alarm) => alarm.severity === 'critical').length, 'the critical lot rule raised').to.be.at.least(DEVICES);
    const events = riskEvents.parse((await call('lender.officer', 'GET', `/v1/receipts/${receiptId}/risk-events`)).body).data;
    for (const alarm of severe) {
      expect(events.filter((event) => event.alarm?.alarmId === alarm.id), `one risk event for alarm ${alarm.id}`).to.have.length(1);
      expect(alarm.ledger.find((action) => action.action === 'risk-event'), `alarm ${alarm.id}'s ledger action`).to.deep.include({ status: 'done' });
    }
    for (const alarm of alarms.filter((each) => rankOf(each.severity) >= rankOf('warning'))) {
      const orders = workOrderList.parse((await call('custodian.supervisor', 'GET', `/v1/work-orders?alarmId=${alarm.id}`)).body).data;
      expect(orders, `one work order for alarm ${alarm.id}`).to.have.length(1);
    }
    await kill();

    const db = await openDatabase({ databaseUrl: undefined, dataDir });
    try {
      const ids = z.array(z.object({ id: z.string() })).parse(await db.query('SELECT id FROM evidence WHERE id = ANY($1)', [[...accepted.keys()]]));
      expect(ids.length, 'nothing answered as accepted is lost').to.equal(accepted.size);
      const cursor = z.array(z.object({ leaf_cursor: z.coerce.number() })).parse(await db.query('SELECT leaf_cursor FROM rule_engine_state'));
      expect(cursor[0]?.leaf_cursor, 'the engine evaluated every accepted reading').to.be.at.least(lastAccepted);
      const duplicates = await db.query('SELECT alarm_id, change_jcs, count(*)::int AS n FROM alarm_changes GROUP BY alarm_id, change_jcs HAVING count(*) > 1');
      expect(duplicates, 'no change of the alarm log is stored twice').to.deep.equal([]);
      const raisedTwice = await db.query("SELECT alarm_id, count(*)::int AS n FROM alarm_changes WHERE type = 'raised' GROUP BY alarm_id HAVING count(*) > 1");
      expect(raisedTwice, 'no alarm is raised twice').to.deep.equal([]);
    } finally {
      await db.close();
    }
    console.log(`      ${kills.toString()} kills in ${lives.toString()} lives, ${items.length.toString()} readings (${accepted.size.toString()} answered as accepted; ${lost.toString()} answers lost, ${replayed.toString()} readings stored before one), ${alarms.length.toString()} alarms (${severe.length.toString()} major+), ${replay.changes.toString()} alarm changes`);
  });
});

const STREAM_DEVICES = 20;
const STREAM_READINGS = 5000;
const STREAM_SPACING_MS = 10_000;

/** One device's temperatures every 10 s: in range with noise, excursions above 8 °C or below 0 °C of 5 to 50 min. */
function stream(next: () => number, count: number): number[] {
  const values: number[] = [];
  const noisy = (base: number): number => Math.round((base + (next() - 0.5) * 0.8) * 100) / 100;
  while (values.length < count) {
    for (let n = 180 + Math.floor(next() * 540); n > 0; n--) values.push(noisy(2.5));
    const level = next() < 0.8 ? 9.5 : -1.5;
    for (let n = 30 + Math.floor(next() * 270); n > 0; n--) values.push(noisy(level));
  }
  return values.slice(0, count);
}

describe(`the live evaluation of ${(STREAM_DEVICES * STREAM_READINGS).toString()} readings is what replay gives (${replayHint(seed)})`, function () {
  this.timeout(600_000);
  let gw: TestGateway | undefined;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-supervision-stream-'));
    const options = { databaseUrl: undefined, dataDir };
    gw = await startTestGateway(
      { name: 'PGlite', kind: 'pglite', options, open: () => openDatabase(options), cleanup: () => rm(dataDir, { recursive: true, force: true }) },
      { RULES_DEFAULT_TEMPLATES: 'chilled', EVIDENCE_MAX_AGE_MS: String(2 * 86_400_000) },
    );
  });
  after(async () => {
    await gw?.close();
    if (dataDir && process.env.CRASH_KEEP !== '1') await rm(dataDir, { recursive: true, force: true });
    else console.log(`      data kept in ${dataDir}`);
  });

  it('a stream with excursions and readings out of order within the lateness: replay identical, as many changes as stored', async () => {
    if (gw === undefined) throw new Error('the gateway is not running');
    const gateway = gw;
    const { next } = prng(seed ^ 0x5eed);
    const warehouseId = `WH-STREAM-${seed.toString(36).slice(-6)}`;
    const devices = Array.from({ length: STREAM_DEVICES }, (_, index) => new TestDevice(`TEMP-STREAM-${index.toString()}-${seed.toString(36).slice(-6)}`, 'Ed25519'));
    // Device time 10 s apart, ending now; within each window of 4 consecutive seqs the times are shuffled, so some
    // readings arrive up to 30 s late (seq must increase, time need not).
    const started = Date.now();
    const end = started - 60_000;
    const perDevice = devices.map((device) => {
      const values = stream(next, STREAM_READINGS);
      const times = values.map((_, index) => end - (STREAM_READINGS - 1 - index) * STREAM_SPACING_MS);
      for (let from = 0; from < times.length; from += 4) {
        if (next() < 0.5) continue;
        const window = times.slice(from, from + 4);
        for (let i = window.length - 1; i > 0; i--) {
          const j = Math.floor(next() * (i + 1));
          [window[i], window[j]] = [window[j] as number, window[i] as number];
        }
        times.splice(from, window.length, ...window);
      }
      return values.map((value, index) =>
        device.item(index + 1, { ts: new Date(times[index] as number).toISOString(), readings: [{ sensor: 'probe-1', kind: 'temperature', value, unit: 'Cel' }] }),
      );
    });
    const items = Array.from({ length: STREAM_READINGS }, (_, index) => perDevice.map((each) => each[index])).flat();
    const signed = Date.now();
    // Registered after signing, not before: signing 100,000 envelopes blocks this process (and the gateway in it) for
    // longer than the server's 5 s keep-alive, and the first POST then went out on a connection the server had closed
    // (ECONNRESET).
    for (const device of devices) {
      const registered = await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: { ...device.registration(warehouseId), kind: 'temperature' } });
      expect(registered.status, registered.text).to.equal(201);
    }

    for (let from = 0; from < items.length; from += 500) {
      const reply = await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: items.slice(from, from + 500) } });
      expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
      const results = itemResults.parse(reply.body).data.items;
      const refused = results.filter((result) => result.status !== 'accepted');
      expect(refused, JSON.stringify(refused.slice(0, 3))).to.deep.equal([]);
    }
    const delivered = Date.now();
    await gateway.gateway.supervisionSettled(300_000);
    const evaluated = Date.now();

    const reply = await gateway.request('custodian.auditor', 'POST', '/v1/rules/replay', { body: {} });
    expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
    const replay = replayReply.parse(reply.body).data;
    const replayed = Date.now();
    expect(replay.firstDifference, `replay gives the stored alarm log: ${JSON.stringify(replay.firstDifference).slice(0, 3000)}`).to.equal(null);
    expect(replay).to.deep.include({ identical: true, readings: items.length, changes: replay.storedChanges });

    const alarms: AlarmShape[] = [];
    for (let after: string | null = ''; after !== null; ) {
      const page = alarmListReply.parse((await gateway.request('custodian.auditor', 'GET', `/v1/alarms?limit=1000${after === '' ? '' : `&after=${after}`}`)).body);
      alarms.push(...page.data);
      after = page.next;
    }
    const byKind = new Map<string, number>();
    for (const alarm of alarms) byKind.set(alarm.kind, (byKind.get(alarm.kind) ?? 0) + 1);
    console.log(
      `      ${items.length.toString()} readings, ${alarms.length.toString()} alarms (${[...byKind].map(([kind, n]) => `${kind} ${n.toString()}`).join(', ')}), ${replay.changes.toString()} changes; ` +
        `signing ${((signed - started) / 1000).toFixed(1)} s, intake ${((delivered - signed) / 1000).toFixed(1)} s, evaluation after it ${((evaluated - delivered) / 1000).toFixed(1)} s, replay ${((replayed - evaluated) / 1000).toFixed(1)} s`,
    );
    expect(alarms.length, 'the excursions raised alarms').to.be.above(100);
    expect(byKind.get('threshold') ?? 0, 'threshold alarms').to.be.above(50);
  });
});
