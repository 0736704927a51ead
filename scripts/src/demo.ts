/**
 * `npm run demo`: a full scenario against the running gateway, over HTTP, printing each step: the warehouse issues a
 * receipt, the borrower pledges it, the lender verifies and releases part, the released goods are delivered; then a
 * cold-store sensor's signed readings are ingested, anchored, and their court bundle verified against the chain.
 * DEMO_URL (default http://HOST:PORT of the gateway's defaults) and DATA_DIR (for dev-tokens.json) locate the service.
 */
import { jcsBytes, verifyBundle } from '@wr/anchor';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const base = process.env.DEMO_URL ?? `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? '8080'}`;
const tokensPath = join(resolve(process.env.DATA_DIR ?? '.data'), 'dev-tokens.json');
const run = Date.now().toString(36).toUpperCase();

const problemSchema = z.object({ code: z.string(), detail: z.string() });

async function main(): Promise<void> {
  const tokens = z.record(z.string(), z.string()).parse(JSON.parse(await readFile(tokensPath, 'utf8')));
  const call = async (who: string, method: 'GET' | 'POST', path: string, body?: unknown, expect = 'ok'): Promise<unknown> => {
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
  console.log('\nDemo complete.');
}

main().catch((error: unknown) => {
  const refused = error instanceof TypeError && String(error.cause).includes('ECONNREFUSED');
  console.error(refused ? `No gateway at ${base}: start it with \`npm start\` first.` : error);
  process.exitCode = 1;
});
