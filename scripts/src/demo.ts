/**
 * `npm run demo`: a full scenario against the running gateway, over HTTP, printing each step: the warehouse issues a
 * receipt, the borrower pledges it, the lender verifies and releases part, the released goods are delivered; then a
 * cold-store sensor's signed readings are ingested, anchored, and their court bundle verified against the chain; and
 * the supervision story: an excursion on a pledged chilled lot, its alarms, risk event, hold, work order and bundle.
 * Throughout, a tiny webhook receiver on 127.0.0.1 subscribed as the lender prints each delivery it verified.
 * DEMO_URL (default http://HOST:PORT of the gateway's defaults) and DATA_DIR (for dev-tokens.json) locate the service.
 */
import { jcsBytes, verifyBundle } from '@wr/anchor';
import { createHmac, generateKeyPairSync, sign, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const base = process.env.DEMO_URL ?? `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? '8080'}`;
const tokensPath = join(resolve(process.env.DATA_DIR ?? '.data'), 'dev-tokens.json');
const run = Date.now().toString(36).toUpperCase();

const problemSchema = z.object({ code: z.string(), detail: z.string() });

async function main(): Promise<void> {
  const tokens = z.record(z.string(), z.string()).parse(JSON.parse(await readFile(tokensPath, 'utf8')));
  const call = async (who: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, expect = 'ok'): Promise<unknown> => {
    const token = tokens[who];
    if (!token) throw new Error(`no token for ${who} in ${tokensPath}`);
    const response = await fetch(`${base}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await response.json();
    const ok = response.status < 300;
    const problem = ok ? undefined : problemSchema.safeParse(json).data;
    const outcome = ok ? `${response.status}` : `${response.status} ${problem?.code ?? ''}`;
    console.log(`  ${who.padEnd(22)} ${method.padEnd(4)} ${path.padEnd(44)} -> ${outcome}${problem ? ` (${problem.detail})` : ''}`);
    if ((expect === 'ok') !== ok || (!ok && problem?.code !== expect)) {
      throw new Error(`expected ${expect}, got ${outcome}: ${JSON.stringify(json)}`);
    }
    return json;
  };
  const step = (title: string): void => console.log(`\n${title}`);
  const lot = `LOT-${run}`;
  const receipt = `WR-${run}`;

  console.log(`Demo against ${base} (run ${run})`);
  const hooks = await lenderWebhooks(call);
  step('1. The warehouse registers 1000.005 t of aluminium and issues a 500 t receipt to alice (maker, then checker)');
  await call('custodian.clerk', 'POST', '/lots', { id: lot, warehouseId: 'WH-QD-01', location: 'Shed 3, bay 12', commodity: 'aluminium ingot A00', unit: 't', quantity: '1000.005' });
  await call('custodian.clerk', 'POST', '/receipts', { id: receipt, lotId: lot, owner: 'alice', quantity: '500' });
  await call('custodian.clerk', 'POST', `/receipts/${receipt}/confirm`, undefined, 'FORBIDDEN');
  await call('custodian.supervisor', 'POST', `/receipts/${receipt}/confirm`);
  step('2. A second receipt for more than the lot still holds is refused');
  await call('custodian.clerk', 'POST', '/receipts', { id: `${receipt}-X`, lotId: lot, owner: 'bob', quantity: '600' }, 'OVER_ISSUE');
  step('3. Alice pledges the receipt to the bank; the bank verifies ownership and encumbrance, then accepts');
  await call('borrower.alice', 'POST', `/receipts/${receipt}/pledge-request`, { lender: 'LenderMSP', loanReference: `LOAN-${run}`, loanAmount: '2000000', currency: 'CNY' });
  const check = z.object({ data: z.object({ owner: z.object({ id: z.string() }), frozen: z.boolean(), pledge: z.object({ status: z.string() }).nullable() }) });
  const before = check.parse(await call('lender.officer', 'GET', `/receipts/${receipt}/encumbrance`));
  console.log(`    owner ${before.data.owner.id}, pledge ${before.data.pledge?.status ?? 'none'}, frozen ${String(before.data.frozen)}`);
  await call('lender.officer', 'POST', `/receipts/${receipt}/pledge-acceptance`, { releaseApprovalThreshold: '300' });
  step('4. The same receipt cannot be pledged again, and bob cannot even see it');
  await call('borrower.alice', 'POST', `/receipts/${receipt}/pledge-request`, { lender: 'LenderMSP', loanReference: `LOAN-${run}-2`, loanAmount: '1', currency: 'CNY' }, 'ALREADY_PLEDGED');
  await call('borrower.bob', 'GET', `/receipts/${receipt}`, undefined, 'NOT_FOUND');
  step('5. The bank releases 200 t (below its approval threshold): the receipt splits, 300 t stay pledged');
  await call('lender.officer', 'POST', `/receipts/${receipt}/release`, { quantity: '200' });
  const released = `${receipt}.1`;
  const remaining = `${receipt}.2`;
  const after = check.parse(await call('lender.officer', 'GET', `/receipts/${remaining}/encumbrance`));
  console.log(`    ${remaining}: pledge ${after.data.pledge?.status ?? 'none'}`);
  step('6. Alice takes the released 200 t out of the warehouse');
  await call('borrower.alice', 'POST', `/receipts/${released}/withdrawal-request`);
  await call('custodian.supervisor', 'POST', `/receipts/${released}/delivery`);
  const history = z.object({ data: z.array(z.object({ txId: z.string() })) }).parse(await call('borrower.alice', 'GET', `/receipts/${released}/history`));
  console.log(`    ${released} has ${history.data.length} versions on the ledger`);
  step('7. A cold-store sensor signs its readings; the device gateway submits them; the court bundle checks out');
  const sensor = `TEMP-${run}`;
  const keys = generateKeyPairSync('ed25519');
  await call('custodian.supervisor', 'POST', '/devices', { id: sensor, warehouseId: 'WH-QD-01', kind: 'temperature', algorithm: 'Ed25519', publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  const items = [1, 2, 3].map((seq) => {
    const envelope = { deviceId: sensor, seq, ts: new Date().toISOString(), readings: [{ sensor: 'probe-1', kind: 'temperature', value: 3.9 + seq / 10, unit: 'Cel' }], attachments: [] };
    return { envelope, signature: sign(null, jcsBytes(envelope), keys.privateKey).toString('base64'), lotId: lot };
  });
  const submitted = z.object({ data: z.object({ items: z.array(z.object({ id: z.string().optional() })) }) }).parse(await call('custodian.device-gateway', 'POST', '/evidence', { items }));
  const evidenceId = submitted.data.items[0]?.id ?? '';
  let bundle: unknown;
  for (let attempt = 0; bundle === undefined; attempt++) {
    const reply = await fetch(`${base}/v1/evidence/${evidenceId}/bundle`, { headers: { authorization: `Bearer ${tokens['custodian.auditor'] ?? ''}` } });
    if (reply.status === 200) bundle = z.object({ data: z.unknown() }).parse(await reply.json()).data;
    else if (reply.status !== 409 || attempt > 120) throw new Error(`bundle: HTTP ${reply.status.toString()}`);
    else await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.log(`    ${evidenceId}: anchored; bundle received`);
  const rpcUrl = process.env.DEMO_RPC_URL ?? `http://127.0.0.1:${process.env.ANCHOR_DEV_RPC_PORT ?? '8545'}`;
  const verdict = await verifyBundle(bundle, { rpcUrl });
  for (const check of verdict.checks) console.log(`    ${check.status.padEnd(8)} ${check.name.padEnd(17)} ${check.reason}`);
  if (!verdict.ok) throw new Error('the bundle did not verify');

  await coldStore(call, step, tokens, rpcUrl);
  await collateral(call, step);
  await hooks.close();
  console.log('\nDemo complete.');
}

type Call = (who: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, expect?: string) => Promise<unknown>;

/**
 * A webhook receiver on 127.0.0.1 (docs/webhooks.md), subscribed as the bank: it checks each delivery's signature
 * (Standard Webhooks: HMAC-SHA256 of `id.timestamp.body` with the secret's bytes; timestamps older than 5 minutes
 * refused) and prints the verified ones as they come. `close` waits a moment for the last ones and unsubscribes.
 */
async function lenderWebhooks(call: Call): Promise<{ close(): Promise<void> }> {
  const seen = new Set<string>();
  const signing: { key?: Buffer } = {};
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const [id, timestamp, signatures] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => String(req.headers[name] ?? ''));
      const mac = signing.key === undefined ? undefined : createHmac('sha256', signing.key).update(`${id ?? ''}.${timestamp ?? ''}.${body}`).digest();
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      const valid = mac !== undefined && fresh && (signatures ?? '').split(' ').some((entry) => {
        const given = Buffer.from(entry.slice(3), 'base64');
        return entry.startsWith('v1,') && given.length === mac.length && timingSafeEqual(given, mac);
      });
      res.writeHead(valid ? 204 : 401).end();
      const event = z.object({ type: z.string(), object: z.object({ type: z.string(), id: z.string() }) }).safeParse(JSON.parse(body));
      if (!valid || !event.success || seen.has(id ?? '')) return;
      seen.add(id ?? '');
      console.log(`    ⇢ webhook to the bank, signature verified: ${event.data.type} (${event.data.object.type} ${event.data.object.id})`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port.toString()}/bank`;
  console.log(`\n0. The bank subscribes a webhook receiver (${url}) to every event it may see`);
  const reply = z.object({ data: z.object({ id: z.string(), secret: z.string() }) }).safeParse(await call('lender.officer', 'POST', '/webhooks', { url, description: 'demo receiver' }).catch((error: unknown) => {
    console.log(`    no webhooks in this run (${error instanceof Error ? error.message.slice(0, 160) : String(error)}); set WEBHOOK_ALLOW_PRIVATE=true on the gateway`);
    return undefined;
  }));
  if (!reply.success) {
    server.close();
    return { close: () => Promise.resolve() };
  }
  signing.key = Buffer.from(reply.data.data.secret.slice('whsec_'.length), 'base64');
  return {
    async close() {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      console.log(`\n20. The bank's receiver verified ${seen.size.toString()} webhook deliveries; the bank unsubscribes`);
      await call('lender.officer', 'DELETE', `/webhooks/${reply.data.data.id}`);
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Polls `probe` every 250 ms until it gives a value, for at most a minute. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 240; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const alarmList = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      ruleId: z.string(),
      severity: z.string(),
      status: z.string(),
      detail: z.string(),
      startedAt: z.string(),
      clearedAt: z.string().nullable(),
      stats: z.object({ max: z.number().nullable(), mktC: z.number().optional(), outOfRangeMs: z.number() }).loose(),
      ledger: z.array(z.object({ action: z.string(), status: z.string() })),
    }),
  ),
});

/**
 * The supervision story (docs/supervision.md): a chilled-shrimp lot pledged to the bank, a probe that signs every
 * reading, an excursion of 45 minutes at 9 °C; the default rules raise alarms, the critical one is recorded on the
 * ledger and holds the receipt, the bank sees it, a work order runs its course, the hold is lifted the usual way, and
 * the alarm's court bundle is verified against the chain.
 */
async function coldStore(call: Call, step: (title: string) => void, tokens: Record<string, string>, rpcUrl: string): Promise<void> {
  const warehouse = `WH-COLD-${run}`;
  const lot = `LOT-COLD-${run}`;
  const receipt = `WR-COLD-${run}`;
  step('8. A chilled store: 20 t of shrimp, a receipt of 18 t to alice, pledged to the bank; a signing probe placed on the lot');
  await call('custodian.clerk', 'POST', '/lots', { id: lot, warehouseId: warehouse, location: 'Cold room 3', commodity: 'chilled shrimp', unit: 't', quantity: '20' });
  await call('custodian.clerk', 'POST', '/receipts', { id: receipt, lotId: lot, owner: 'alice', quantity: '18' });
  await call('custodian.supervisor', 'POST', `/receipts/${receipt}/confirm`);
  await call('borrower.alice', 'POST', `/receipts/${receipt}/pledge-request`, { lender: 'LenderMSP', loanReference: `LOAN-COLD-${run}`, loanAmount: '900000', currency: 'CNY' });
  await call('lender.officer', 'POST', `/receipts/${receipt}/pledge-acceptance`, {});
  const probe = `PROBE-${run}`;
  const keys = generateKeyPairSync('ed25519');
  await call('custodian.supervisor', 'POST', '/devices', { id: probe, warehouseId: warehouse, kind: 'temperature', algorithm: 'Ed25519', publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  await call('custodian.supervisor', 'POST', `/devices/${probe}/placement`, { lotId: lot, location: 'Cold room 3, rack A, pallet height' });

  step('9. The probe signs one reading a minute: 10 min at 2.8 °C, 45 min at 9.1 °C (the door was left open), then 20 min at 3.0 °C');
  const start = Date.now() - 90 * 60_000;
  const values = [...Array<number>(10).fill(2.8), ...Array<number>(45).fill(9.1), ...Array<number>(20).fill(3.0)];
  const items = values.map((value, index) => {
    const envelope = { deviceId: probe, seq: index + 1, ts: new Date(start + index * 60_000).toISOString(), readings: [{ sensor: 'probe-1', kind: 'temperature', value, unit: 'Cel' }], attachments: [] };
    return { envelope, signature: sign(null, jcsBytes(envelope), keys.privateKey).toString('base64') };
  });
  await call('custodian.device-gateway', 'POST', '/evidence', { items });

  step('10. The rules raise one alarm per episode; the critical one is recorded on the ledger and holds the pledged receipt');
  const alarms = await until('the critical alarm on the ledger', async () => {
    const found = alarmList.parse(await call('custodian.auditor', 'GET', `/alarms?lotId=${lot}`));
    const critical = found.data.find((alarm) => alarm.severity === 'critical');
    return critical?.ledger.some((action) => action.status === 'done') ? found.data : undefined;
  });
  const rules = z.object({ data: z.array(z.object({ ruleId: z.string() })) }).parse(await call('custodian.auditor', 'GET', '/rules?limit=1000'));
  console.log(`    the new warehouse got the default chilled rules with its first device: ${rules.data.filter((rule) => rule.ruleId.includes(warehouse)).map((rule) => rule.ruleId.split('-wh-')[0]).join(', ')}`);
  for (const alarm of alarms) {
    console.log(`    ${alarm.severity.padEnd(8)} ${alarm.ruleId.split('-wh-')[0]?.padEnd(18) ?? ''} ${alarm.status.padEnd(7)} ${alarm.detail} (max ${String(alarm.stats.max)} °C, MKT ${alarm.stats.mktC?.toFixed(2) ?? '-'} °C, ${Math.round(alarm.stats.outOfRangeMs / 60_000).toString()} min out of range)`);
  }
  const critical = alarms.find((alarm) => alarm.severity === 'critical');
  if (critical === undefined) throw new Error('no critical alarm');

  step('11. What the bank sees: the alarm, the risk event on the ledger, and the hold in its encumbrance check');
  await call('lender.officer', 'GET', `/alarms/${critical.id}`);
  const events = z
    .object({ data: z.array(z.object({ id: z.string(), kind: z.string(), severity: z.string(), alarm: z.object({ alarmId: z.string(), ruleHash: z.string(), evidenceRoot: z.string() }).optional() })) })
    .parse(await call('lender.officer', 'GET', `/receipts/${receipt}/risk-events`));
  for (const each of events.data) console.log(`    risk event ${each.id}: ${each.kind}, ${each.severity}`);
  const event = events.data.find((each) => each.alarm?.alarmId === critical.id);
  if (event === undefined) throw new Error('no risk event for the alarm');
  console.log(`    the critical one cites rule ${event.alarm?.ruleHash.slice(0, 12) ?? ''}… and evidence root ${event.alarm?.evidenceRoot.slice(0, 14) ?? ''}…`);
  const held = z.object({ data: z.object({ frozen: z.boolean() }) }).parse(await call('lender.officer', 'GET', `/receipts/${receipt}/encumbrance`));
  console.log(`    ${receipt} frozen: ${String(held.data.frozen)}`);
  await call('borrower.alice', 'POST', `/receipts/${receipt}/withdrawal-request`, undefined, 'FROZEN');

  step('12. The work order of the episode: its SLA, the repair by the clerk, the closure by the supervisor (four eyes)');
  const orders = z.object({ data: z.array(z.object({ id: z.string(), priority: z.string(), sla: z.object({ acknowledge: z.object({ dueAt: z.string().nullable() }), resolve: z.object({ dueAt: z.string().nullable() }) }) })) }).parse(await call('custodian.auditor', 'GET', `/work-orders?alarmId=${critical.id}`));
  const order = orders.data[0];
  if (order === undefined) throw new Error('no work order for the alarm');
  console.log(`    ${order.id}: ${order.priority}, acknowledge by ${order.sla.acknowledge.dueAt ?? '-'}, resolve by ${order.sla.resolve.dueAt ?? '-'}`);
  await call('custodian.supervisor', 'POST', `/work-orders/${order.id}/assignment`, { assignee: 'custodian.clerk' });
  await call('custodian.clerk', 'POST', `/work-orders/${order.id}/start`, { note: 'on site: door closer broken' });
  await call('custodian.clerk', 'POST', `/work-orders/${order.id}/resolution`, { note: 'door closer replaced; room back at 3 °C' });
  await call('custodian.supervisor', 'POST', `/work-orders/${order.id}/closure`, { note: 'readings stable since the repair' });
  await call('custodian.supervisor', 'POST', `/alarms/${critical.id}/acknowledgement`, { note: 'goods inspected: within tolerance' });
  step('13. The custodian resolves the risk event the usual way, which lifts the hold');
  await call('custodian.supervisor', 'POST', `/risk-events/${event.id}/resolution`, { resolution: 'excursion 45 min at 9 °C; goods inspected and released' });
  const lifted = z.object({ data: z.object({ frozen: z.boolean() }) }).parse(await call('lender.officer', 'GET', `/receipts/${receipt}/encumbrance`));
  console.log(`    ${receipt} frozen: ${String(lifted.data.frozen)}`);

  step('14. The alarm bundle for a court: every reading that raised and cleared it, each with its proof, checked against the chain');
  const bundle = await until('the alarm bundle', async () => {
    const reply = await fetch(`${base}/v1/alarms/${critical.id}/bundle`, { headers: { authorization: `Bearer ${tokens['lender.auditor'] ?? ''}` } });
    if (reply.status === 409) return undefined;
    if (reply.status !== 200) throw new Error(`alarm bundle: HTTP ${reply.status.toString()}`);
    return z.object({ data: z.object({ format: z.string(), evidence: z.array(z.unknown()) }) }).parse(await reply.json()).data;
  });
  for (const evidence of bundle.evidence) {
    const verdict = await verifyBundle(evidence, { rpcUrl });
    console.log(`    ${verdict.ok ? 'VALID  ' : 'INVALID'} ${z.object({ evidence: z.object({ id: z.string() }) }).parse(evidence).evidence.id}`);
    if (!verdict.ok) throw new Error('an alarm reading did not verify');
  }
  console.log(`    ${bundle.format}: ${bundle.evidence.length.toString()} readings, all VALID (\`npx wr-verify\` checks each the same way)`);
}

main().catch((error: unknown) => {
  const refused = error instanceof TypeError && String(error.cause).includes('ECONNREFUSED');
  console.error(refused ? `No gateway at ${base}: start it with \`npm start\` first.` : error);
  process.exitCode = 1;
});

const loanView = z.object({ data: z.object({ value: z.string().nullable(), ltv: z.string().nullable(), band: z.string().nullable(), marginCall: z.object({ id: z.string(), status: z.string().nullable(), deadline: z.string().nullable() }).nullable() }) });
const callList = z.object({ data: z.array(z.object({ id: z.string(), status: z.string(), deadline: z.string(), openedLtv: z.string().nullable(), endedBy: z.object({ kind: z.string() }).nullable() })) });

/**
 * The collateral story (docs/collateral.md): copper marked by the oracle, a loan against one receipt with its terms,
 * a 12% fall that crosses the warning line and calls the borrower, the covenant refusing a release, and the borrower
 * curing the call by pledging a second receipt.
 */
async function collateral(call: Call, step: (title: string) => void): Promise<void> {
  const commodity = `copper cathode ${run}`;
  const lot = `LOT-CU-${run}`;
  const loan = `LOAN-CU-${run}`;
  const [first, second] = [`WR-CU-${run}-1`, `WR-CU-${run}-2`];
  const mark = (price: string, minutesAgo: number): Promise<unknown> =>
    call('custodian.oracle', 'POST', '/prices', { commodity, unit: 't', price, currency: 'CNY', source: 'SHFE settlement', asOf: new Date(Date.now() - minutesAgo * 60_000).toISOString() });
  const view = async (): Promise<z.infer<typeof loanView>['data']> => loanView.parse(await call('lender.officer', 'GET', `/loans/${loan}`)).data;
  step('15. 360 t of copper in store, receipted to alice as 300 t and 60 t; the oracle marks copper at 68000 CNY/t');
  await call('custodian.clerk', 'POST', '/lots', { id: lot, warehouseId: 'WH-QD-01', location: 'Shed 5', commodity, unit: 't', quantity: '360' });
  for (const [id, quantity] of [[first, '300'], [second, '60']] as const) {
    await call('custodian.clerk', 'POST', '/receipts', { id, lotId: lot, owner: 'alice', quantity });
    await call('custodian.supervisor', 'POST', `/receipts/${id}/confirm`);
  }
  await mark('68000', 60);
  step('16. The bank lends 12,000,000 CNY against the 300 t: haircut 10%, warning line 70%, liquidation line 85%');
  await call('borrower.alice', 'POST', `/receipts/${first}/pledge-request`, { lender: 'LenderMSP', loanReference: loan, loanAmount: '12000000', currency: 'CNY' });
  await call('lender.officer', 'POST', `/receipts/${first}/pledge-acceptance`, { terms: { haircut: '0.1', warningLtv: '0.7', liquidationLtv: '0.85' } });
  // Marking follows the ledger a moment behind: until then the loan is not there yet (404).
  const opened = await until('the loan to be marked', async () => {
    const marked = await view().catch(() => undefined);
    return marked?.ltv == null ? undefined : marked;
  });
  console.log(`    value ${opened.value ?? '-'} CNY, LTV ${opened.ltv ?? '-'}, ${opened.band ?? '-'}`);
  step('17. Copper falls 12% to 59840: the loan crosses its warning line and alice is called to top up (追加保证金 / 补货)');
  await mark('59840', 0);
  const called = await until('the margin call', async () => {
    const calls = callList.parse(await call('borrower.alice', 'GET', `/margin-calls?loanReference=${loan}&status=OPEN`)).data;
    return calls[0];
  });
  console.log(`    margin call ${called.id}: opened at LTV ${called.openedLtv ?? '-'}, to be cured by ${called.deadline}`);
  step('18. Meanwhile the bank may not release goods that would leave the loan above its warning line');
  await call('lender.officer', 'POST', `/receipts/${first}/release`, { quantity: '50' }, 'LTV_COVENANT');
  step('19. Alice pledges her other 60 t to the loan: the call is cured');
  await call('borrower.alice', 'POST', `/receipts/${second}/pledge-request`, { lender: 'LenderMSP', loanReference: loan, loanAmount: '12000000', currency: 'CNY' });
  await call('lender.officer', 'POST', `/receipts/${second}/pledge-acceptance`, {});
  const cured = await until('the cure', async () => {
    const calls = callList.parse(await call('lender.officer', 'GET', `/margin-calls?loanReference=${loan}`)).data;
    return calls.find((each) => each.id === called.id && each.status === 'CURED');
  });
  const after = await view();
  console.log(`    ${cured.id}: CURED by ${cured.endedBy?.kind ?? '-'}; value ${after.value ?? '-'} CNY, LTV ${after.ltv ?? '-'}, ${after.band ?? '-'}`);
}
