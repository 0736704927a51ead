/**
 * Gateway benchmark on embedded defaults: the lender's encumbrance check (GET .../encumbrance) and the pledge flow
 * (draft -> confirm -> pledge request -> accept -> release) over HTTP with 50 concurrent clients. The gateway runs as
 * its own process, as `npm start` runs it; this process only generates load. Baseline in the same run: the same
 * encumbrance query on an embedded ledger in this process, without HTTP, authentication or JSON in between.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGatewayProcess } from './bench/gateway-process.js';
import { actorsOf, ledgerFixture, lotJson, pledgeFlow } from './bench/ledger-fixture.js';
import { drive, row } from './bench/stats.js';

const CLIENTS = 50;
const READS = Number(process.env.BENCH_READS ?? 10_000);
const FLOWS = Number(process.env.BENCH_HTTP_FLOWS ?? 400);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-gw-'));
  // Baseline: the same query on an embedded ledger in this process. It runs first, so that no HTTP connection sits
  // idle meanwhile (the gateway closes idle keep-alive sockets after 5 s).
  const fixture = await ledgerFixture(join(dir, 'baseline'));
  const ledger = await fixture.open('ledger');
  const actors = await actorsOf(fixture);
  await ledger.submit(actors.clerk, 'RegisterLot', [lotJson('LOT-B')]);
  for (const [who, tx, args] of pledgeFlow(actors, 'R-B', 'LOT-B').slice(0, 4)) await ledger.submit(who, tx, args);
  const baseline = await drive(CLIENTS, READS, async () => void (await ledger.evaluate(actors.officer, 'GetEncumbrance', ['R-B'])));
  await ledger.close();
  const gateway = await startGatewayProcess({ dataDir: join(dir, 'gateway'), env: { DATABASE_URL: '' }, clients: CLIENTS });
  try {
    const http = async (who: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<void> => {
      const { status } = await gateway.call(method, `/v1${path}`, gateway.tokens[who], body === undefined ? undefined : JSON.stringify(body));
      if (status >= 300) throw new Error(`${method} ${path}: ${status}`);
    };
    console.log(`gateway benchmark — embedded defaults (PGlite, embedded ledger), gateway in its own process, ${CLIENTS} concurrent clients\n`);
    console.log(row('baseline: GetEncumbrance on the ledger, no HTTP', baseline, 'req'));

    for (let lot = 0; lot < CLIENTS; lot++) {
      await http('custodian.clerk', 'POST', '/lots', { id: `LOT-${lot}`, warehouseId: 'WH-1', location: 'A', commodity: 'copper', unit: 't', quantity: '100000000' });
    }
    await http('custodian.clerk', 'POST', '/receipts', { id: 'R-CHECK', lotId: 'LOT-0', owner: 'alice', quantity: '10' });
    await http('custodian.supervisor', 'POST', '/receipts/R-CHECK/confirm');
    await http('borrower.alice', 'POST', '/receipts/R-CHECK/pledge-request', { lender: 'LenderMSP', loanReference: 'L-1', loanAmount: '1000', currency: 'CNY' });
    await http('lender.officer', 'POST', '/receipts/R-CHECK/pledge-acceptance', {});

    const reads = await drive(CLIENTS, READS, () => http('lender.officer', 'GET', '/receipts/R-CHECK/encumbrance'));
    console.log(row('GET /v1/receipts/{id}/encumbrance', reads, 'req'));
    const flows = await drive(CLIENTS, FLOWS, async (worker, i) => {
      const id = `R-${i}`;
      await http('custodian.clerk', 'POST', '/receipts', { id, lotId: `LOT-${worker}`, owner: 'alice', quantity: '10.5' });
      await http('custodian.supervisor', 'POST', `/receipts/${id}/confirm`);
      await http('borrower.alice', 'POST', `/receipts/${id}/pledge-request`, { lender: 'LenderMSP', loanReference: `L-${id}`, loanAmount: '50000', currency: 'CNY' });
      await http('lender.officer', 'POST', `/receipts/${id}/pledge-acceptance`, {});
      await http('lender.officer', 'POST', `/receipts/${id}/release`, { quantity: '10.5' });
    });
    const changesPerSecond = (flows.count * 5) / flows.seconds;
    console.log(row('pledge flow (5 state changes each)', flows, 'flow'));
    console.log(`${'  = state changes'.padEnd(44)}  ${changesPerSecond.toFixed(0).padStart(7)} tx/s`);

    console.log('\nagainst the goals (issue 3) and the baseline:');
    console.log(`  encumbrance p99 ${reads.p99.toFixed(2)} ms (goal <= 25 ms: ${reads.p99 <= 25 ? 'met' : 'NOT met'}); ${reads.perSecond.toFixed(0)} req/s`);
    console.log(`  state changes ${changesPerSecond.toFixed(0)}/s (goal >= 200: ${changesPerSecond >= 200 ? 'met' : 'NOT met'})`);
    console.log(`  HTTP encumbrance vs ledger-only: throughput ${(reads.perSecond / baseline.perSecond).toFixed(2)}x, p50 ${(reads.p50 / baseline.p50).toFixed(2)}x`);
  } finally {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
