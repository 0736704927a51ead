/**
 * Console benchmark (issue 12), on embedded defaults (PGlite, embedded ledger) or DATABASE_URL, the gateway in its own
 * process. Each figure stands beside a baseline measured in the same run:
 * - a page of the receipts table (GET /v1/receipts, 50 rows) among BENCH_CONSOLE_RECEIPTS (100,000) receipts: server
 *   p95 <= 100 ms; baseline GET /v1/session, the cheapest authenticated route;
 * - a reading chart (GET /v1/devices/{id}/series, 600 slots) over BENCH_CONSOLE_READINGS (1,000,000) stored readings:
 *   server p95 <= 300 ms; baseline the same chart over the last day (8,640 readings);
 * - the console's first load on loopback in Chromium <= 1 s, and its initial JavaScript <= 600 KB gzipped; baseline
 *   loading /healthz in the same browser;
 * - verifying a bundle in the verification page (opened from disk, offline) <= 100 ms, timed in the browser; baseline
 *   the same core verifying the same bundle in Node.
 * The receipts and readings are seeded with SQL while the gateway is stopped, copied from a real receipt and a real
 * device the gateway wrote: what is measured is reading them. The browser figures need Chromium (CHROMIUM_PATH or
 * /usr/bin/chromium) and are skipped, with a word, without it.
 */
import { verifyBundleJson } from '@wr/anchor';
import { openDatabase } from '@wr/gateway-api/testing';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { z } from 'zod';
import { describeDatabase, makeDevice, signEnvelope } from './bench/devices.js';
import { startGatewayProcess, type GatewayProcess } from './bench/gateway-process.js';
import { drive, row, summarise, type Summary } from './bench/stats.js';

const RECEIPTS = Number(process.env.BENCH_CONSOLE_RECEIPTS ?? 100_000);
const READINGS = Number(process.env.BENCH_CONSOLE_READINGS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_CONSOLE_REQUESTS ?? 200);
const LOADS = 10;
const VERIFICATIONS = 30;
const READING_EVERY_S = 10;
const databaseUrl = process.env.DATABASE_URL ?? '';
const consoleDir = fileURLToPath(new URL('../../../gateway-api/console/dist/', import.meta.url));

function ok(reply: { status: number; text: string }, what: string): string {
  if (reply.status >= 300) throw new Error(`${what}: ${reply.status} ${reply.text}`);
  return reply.text;
}

/** A gateway on `dataDir`, with checkpoints cut every half second so that bundles come quickly. */
const start = (dataDir: string): Promise<GatewayProcess> =>
  startGatewayProcess({ dataDir, clients: 4, env: { ANCHOR_INTERVAL_MS: '500', RULES_DEFAULT_TEMPLATES: 'none', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) } });

async function seed(gateway: GatewayProcess): Promise<{ bundle: string; deviceId: string }> {
  const clerk = gateway.tokens['custodian.clerk'];
  const supervisor = gateway.tokens['custodian.supervisor'];
  const deviceGateway = gateway.tokens['custodian.device-gateway'];
  const auditor = gateway.tokens['custodian.auditor'];
  const lot = { id: 'LOT-BENCH-1', warehouseId: 'WH-BENCH', location: 'Hall 1', commodity: 'aluminium ingot A00', unit: 't', quantity: '100000000' };
  ok(await gateway.call('POST', '/v1/lots', clerk, JSON.stringify(lot)), 'register lot');
  ok(await gateway.call('POST', '/v1/receipts', clerk, JSON.stringify({ id: 'WR-SEED', lotId: lot.id, owner: 'alice', quantity: '10' })), 'draft receipt');
  const device = makeDevice('TEMP-BENCH-1', 0);
  ok(await gateway.call('POST', '/v1/devices', supervisor, JSON.stringify({ id: device.id, warehouseId: 'WH-BENCH', kind: 'temperature', algorithm: device.algorithm, publicKey: device.publicKeyPem })), 'register device');
  const envelope = { deviceId: device.id, seq: 1, ts: new Date().toISOString(), readings: [{ kind: 'temperature', value: 4.2 }], attachments: [] as never[] };
  const submitted = z.object({ data: z.object({ items: z.array(z.object({ id: z.string() })) }) }).parse(
    JSON.parse(ok(await gateway.call('POST', '/v1/evidence', deviceGateway, JSON.stringify({ items: [{ envelope, signature: signEnvelope(device, envelope) }] })), 'evidence')),
  );
  const id = submitted.data.items[0]?.id ?? '';
  // The projection and the anchoring both run behind the writes: wait for the receipt's row and the bundle.
  for (let tries = 0; ; tries++) {
    const reply = await gateway.call('GET', `/v1/evidence/${id}/bundle`, auditor);
    const listed = await gateway.call('GET', '/v1/receipts?limit=1', clerk);
    if (reply.status === 200 && listed.text.includes('WR-SEED')) return { bundle: JSON.stringify(z.object({ data: z.unknown() }).parse(JSON.parse(reply.text)).data), deviceId: device.id };
    if (tries > 300) throw new Error(`no bundle or projected receipt after 30 s: ${reply.status} ${reply.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Copies of the seeded receipt (ids WR-B-000001 …) and a million readings of the device, one every 10 s up to now. */
async function fill(dataDir: string, deviceId: string): Promise<void> {
  const db = await openDatabase({ dataDir, databaseUrl: databaseUrl || undefined });
  try {
    await db.query(
      `INSERT INTO receipts (id, lot_id, warehouse_id, custodian_msp, owner_msp, owner_id, status, quantity, unit, commodity, pledge_lender,
                             pledge_status, frozen, parent_id, updated_block, updated_tx, document)
       SELECT 'WR-B-' || lpad(i::text, 6, '0'), lot_id, warehouse_id, custodian_msp, owner_msp, owner_id,
              (ARRAY['ISSUED', 'PLEDGED', 'DRAFT', 'DELIVERED'])[1 + i % 4], quantity, unit, commodity, pledge_lender, pledge_status, frozen,
              parent_id, updated_block, updated_tx,
              jsonb_set(jsonb_set(document, '{id}', to_jsonb('WR-B-' || lpad(i::text, 6, '0'))), '{status}', to_jsonb((ARRAY['ISSUED', 'PLEDGED', 'DRAFT', 'DELIVERED'])[1 + i % 4]))
       FROM receipts, generate_series(1, $1::int) AS i WHERE id = 'WR-SEED'`,
      [RECEIPTS],
    );
    await db.query(
      `INSERT INTO reading_series (device_id, kind, ts, value, leaf_index)
       SELECT $1, 'temperature', now() - make_interval(secs => ($2::int - i) * $3::int), 4 + sin(i / 500.0) + (i % 7) / 10.0, 1000000000 + i
       FROM generate_series(1, $2::int) AS i`,
      [deviceId, READINGS, READING_EVERY_S],
    );
    await db.query('ANALYZE receipts');
    await db.query('ANALYZE reading_series');
  } finally {
    await db.close();
  }
}

/** Sequential GETs as `token` (one at a time: server time, not queueing), `REQUESTS` of them. */
async function timed(gateway: GatewayProcess, token: string | undefined, path: (i: number) => string, count = REQUESTS): Promise<Summary> {
  return drive(1, count, async (_, i) => {
    ok(await gateway.call('GET', path(i), token), path(i));
  });
}

const line = (label: string, value: string): string => `${label.padEnd(44)} ${value}`;

async function browserFigures(gateway: GatewayProcess, bundle: string): Promise<void> {
  const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((path): path is string => path !== undefined && path !== '' && existsSync(path));
  if (executablePath === undefined) {
    console.log('browser figures skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');
    return;
  }
  // The console's initial JavaScript: the scripts index.html loads before anything else (the charts are a lazy chunk).
  const html = readFileSync(join(consoleDir, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((match) => match[1] ?? '');
  const gzipped = initial.reduce((sum, file) => sum + gzipSync(readFileSync(join(consoleDir, file))).length, 0);
  console.log(line('console initial JavaScript', `${(gzipped / 1024).toFixed(1)} KB gzipped in ${initial.length} file(s) (goal <= 600 KB)`));

  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const loads: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      // A fresh context each time: nothing cached, as on a first visit.
      const context = await browser.newContext();
      const page = await context.newPage();
      let started = performance.now();
      await page.goto(`${gateway.url}/healthz`);
      baseline.push(performance.now() - started);
      started = performance.now();
      await page.goto(`${gateway.url}/`);
      await page.getByTestId('demo-custodian.clerk').waitFor();
      loads.push(performance.now() - started);
      await context.close();
    }
    console.log(row('first load, / to the sign-in page drawn', summarise(loads, loads.reduce((a, b) => a + b, 0) / 1000), 'loads'));
    console.log(row('baseline: GET /healthz in the same browser', summarise(baseline, baseline.reduce((a, b) => a + b, 0) / 1000), 'loads'));
    console.log(line('first load / baseline (p50)', `${(summarise(loads, 1).p50 / summarise(baseline, 1).p50).toFixed(1)}x; goal: p95 <= 1000 ms`));

    const page = await (await browser.newContext()).newPage();
    await page.goto(pathToFileURL(join(consoleDir, 'verify.html')).href);
    // Offline (no chain endpoint): the in-browser work itself, which is what the page adds to a court's check.
    const inPage = async (): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < VERIFICATIONS; i++) {
        await page.getByTestId('bundle').fill(`${bundle}${' '.repeat(i % 2)}`);
        await page.getByTestId('verify').click();
        const elapsed = page.getByTestId('elapsed');
        await elapsed.waitFor();
        times.push(Number(await elapsed.getAttribute('data-ms')));
      }
      return times;
    };
    const offline = await inPage();
    const node: number[] = [];
    for (let i = 0; i < VERIFICATIONS; i++) {
      const started = performance.now();
      const result = await verifyBundleJson(bundle);
      node.push(performance.now() - started);
      if (!result.ok) throw new Error('the bundle does not verify in Node');
    }
    console.log(row('verification in the page, offline', summarise(offline, offline.reduce((a, b) => a + b, 0) / 1000), 'bundles'));
    console.log(row('baseline: the same core in Node, offline', summarise(node, node.reduce((a, b) => a + b, 0) / 1000), 'bundles'));
    console.log(line('page / Node (p50, offline)', `${(summarise(offline, 1).p50 / summarise(node, 1).p50).toFixed(1)}x; goal: p95 <= 100 ms in the page`));
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(consoleDir, 'index.html'))) throw new Error(`the console is not built in ${consoleDir}: run npm run build`);
  console.log(`console benchmark: ${RECEIPTS} receipts, ${READINGS} readings, ${REQUESTS} requests per figure; ${describeDatabase(databaseUrl)}`);
  const dataDir = await mkdtemp(join(tmpdir(), 'wr-bench-console-'));
  try {
    let gateway = await start(dataDir);
    const { bundle, deviceId } = await seed(gateway);
    await gateway.stop();
    const seeding = performance.now();
    await fill(dataDir, deviceId);
    console.log(line('seeded with SQL (gateway stopped)', `${((performance.now() - seeding) / 1000).toFixed(1)} s`));
    gateway = await start(dataDir);
    try {
      const clerk = gateway.tokens['custodian.clerk'];
      const officer = gateway.tokens['lender.officer'];
      const pages = Math.floor(RECEIPTS / 50);
      const session = await timed(gateway, clerk, () => '/v1/session');
      const first = await timed(gateway, clerk, () => '/v1/receipts?limit=50');
      const deep = await timed(gateway, clerk, (i) => `/v1/receipts?limit=50&after=WR-B-${String(((i * 7919) % pages) * 50 + 1).padStart(6, '0')}`);
      const byStatus = await timed(gateway, clerk, (i) => `/v1/receipts?limit=50&status=${['ISSUED', 'PLEDGED', 'DRAFT'][i % 3] ?? 'ISSUED'}`);
      const lender = await timed(gateway, officer, () => '/v1/receipts?limit=50');
      console.log(row('baseline: GET /v1/session', session, 'req'));
      console.log(row(`receipts page 1 of ${RECEIPTS}`, first, 'req'));
      console.log(row('receipts page at a random depth (after=)', deep, 'req'));
      console.log(row('receipts page by status', byStatus, 'req'));
      console.log(row("receipts page as a lender (sees none of them)", lender, 'req'));
      console.log(line('receipts page / baseline (p95)', `${(Math.max(first.p95, deep.p95, byStatus.p95) / session.p95).toFixed(1)}x; goal: p95 <= 100 ms`));

      const to = new Date();
      const full = new Date(to.getTime() - READINGS * READING_EVERY_S * 1000 - 60_000);
      const day = new Date(to.getTime() - 86_400_000);
      const chart = (from: Date) => () => `/v1/devices/${deviceId}/series?kind=temperature&from=${from.toISOString()}&to=${to.toISOString()}&buckets=600`;
      const dayChart = await timed(gateway, clerk, chart(day), 50);
      const fullChart = await timed(gateway, clerk, chart(full), 50);
      console.log(row('baseline: chart of the last day (8,640)', dayChart, 'req'));
      console.log(row(`chart over all ${READINGS} readings, 600 slots`, fullChart, 'req'));
      console.log(line('full chart / day chart (p95)', `${(fullChart.p95 / dayChart.p95).toFixed(1)}x; goal: p95 <= 300 ms`));

      await browserFigures(gateway, bundle);
    } finally {
      await gateway.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
