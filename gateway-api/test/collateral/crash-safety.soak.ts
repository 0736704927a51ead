import { prng, replayHint, reservePort, testSeed } from '@wr/anchor/testing';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { openDatabase } from '../../src/db/database.js';
import { killableGateway, type KillableGateway } from '../support/process.js';

/**
 * Marking under crashes: the gateway process is SIGKILLed at seeded random moments just after marks that move 150
 * loans across their warning line and back. Every crossing must end up with exactly one margin call per loan, opened
 * once and cured once, each told once on the events outbox: nothing lost, nothing doubled.
 */

const LOANS = 150;
const ROUNDS = 4;
const seed = testSeed();

const loanList = z.object({ data: z.array(z.looseObject({ loanReference: z.string(), holdings: z.array(z.looseObject({ mark: z.looseObject({ price: z.string() }).nullable() })) })), next: z.string().nullable() });

describe(`marking survives SIGKILL (${replayHint(seed)})`, function () {
  this.timeout(600_000);
  let dataDir: string;
  let gatewayProcess: KillableGateway | undefined;
  let port: number;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-marking-crash-'));
    // The gateway comes back on the same port after every kill: reserved, never from the ephemeral range.
    port = await reservePort();
  });
  after(async () => {
    await gatewayProcess?.kill();
    if (dataDir && process.env.CRASH_KEEP !== '1') await rm(dataDir, { recursive: true, force: true });
  });

  const gateway = (): KillableGateway => (gatewayProcess ??= killableGateway(dataDir, port, { RULES_DEFAULT_TEMPLATES: 'none', MARKING_POLL_MS: '50' }));

  async function ok(who: string, method: string, path: string, body: unknown, status: number): Promise<unknown> {
    const reply = await gateway().call(who, method, path, body);
    expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body).slice(0, 400)}`).to.equal(status);
    return reply.body;
  }

  /** Every loan as the lender sees it. */
  async function loans(): Promise<z.infer<typeof loanList>['data']> {
    const found: z.infer<typeof loanList>['data'] = [];
    for (let after: string | null = ''; after !== null; ) {
      const page = loanList.parse(await ok('lender.auditor', 'GET', `/v1/loans?limit=1000${after === '' ? '' : `&after=${encodeURIComponent(after)}`}`, undefined, 200));
      found.push(...page.data);
      after = page.next;
    }
    return found;
  }

  /** Waits until every loan is valued at `price` (marking has applied the mark), restarting a killed gateway first. */
  async function markedAt(price: string): Promise<void> {
    if (!gateway().running()) await gateway().start();
    for (let attempt = 0; ; attempt++) {
      const all = await loans();
      if (all.length === LOANS && all.every((loan) => loan.holdings[0]?.mark?.price === price)) return;
      expect(attempt, `every loan valued at ${price}`).to.be.below(600);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('a SIGKILL during marking loses no margin call and doubles none', async () => {
    const { next } = prng(seed);
    const suffix = seed.toString(36).slice(-6);
    const commodity = `crash-copper-${suffix}`;
    await gateway().start();
    let asOf = Date.now() - 3_600_000;
    const mark = (price: string): Promise<unknown> =>
      ok('custodian.oracle', 'POST', '/v1/prices', { commodity, unit: 't', price, currency: 'CNY', source: 'soak', asOf: new Date((asOf += 1000)).toISOString() }, 201);
    await mark('10000');
    // 150 loans of 10 t each, 60000 CNY out: LTV 0.6 at 10000, 0.75 (a call) at 8000.
    for (let index = 0; index < LOANS; index++) {
      const lotId = `LOT-${suffix}-${index.toString()}`;
      const receiptId = `WR-${suffix}-${index.toString()}`;
      await ok('custodian.clerk', 'POST', '/v1/lots', { id: lotId, warehouseId: 'WH-CRASH', location: 'shed 1', commodity, unit: 't', quantity: '10' }, 201);
      await ok('custodian.clerk', 'POST', '/v1/receipts', { id: receiptId, lotId, owner: 'alice', quantity: '10' }, 201);
      await ok('custodian.supervisor', 'POST', `/v1/receipts/${receiptId}/confirm`, {}, 200);
      await ok('borrower.alice', 'POST', `/v1/receipts/${receiptId}/pledge-request`, { lender: 'LenderMSP', loanReference: `LOAN-${suffix}-${index.toString()}`, loanAmount: '60000', currency: 'CNY' }, 200);
      await ok('lender.officer', 'POST', `/v1/receipts/${receiptId}/pledge-acceptance`, {}, 200);
    }
    await markedAt('10000');

    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const price of ['8000', '10000']) {
        await mark(price);
        // Somewhere inside the marking of 150 loans, or just after it.
        await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 120)));
        await gateway().kill();
        kills++;
        await markedAt(price);
      }
    }
    await gateway().kill();

    const db = await openDatabase({ databaseUrl: undefined, dataDir });
    try {
      const calls = z
        .array(z.object({ loan_reference: z.string(), calls: z.string(), cured: z.string() }))
        .parse(await db.query(`SELECT loan_reference, count(*)::text AS calls, count(*) FILTER (WHERE status = 'CURED')::text AS cured FROM margin_calls WHERE loan_reference LIKE $1 GROUP BY loan_reference`, [`LOAN-${suffix}-%`]));
      expect(calls.length, 'every loan was called').to.equal(LOANS);
      for (const loan of calls) expect([loan.loan_reference, Number(loan.calls), Number(loan.cured)]).to.deep.equal([loan.loan_reference, ROUNDS, ROUNDS]);
      const told = z
        .array(z.object({ type: z.string(), events: z.string(), objects: z.string() }))
        .parse(await db.query(`SELECT type, count(*)::text AS events, count(DISTINCT object_id)::text AS objects FROM events WHERE type LIKE 'margin-call.%' AND data->'marginCall'->>'loanReference' LIKE $1 GROUP BY type ORDER BY type`, [`LOAN-${suffix}-%`]));
      expect(told.map((row) => [row.type, Number(row.events), Number(row.objects)]), `after ${kills.toString()} kills`).to.deep.equal([
        ['margin-call.cured', LOANS * ROUNDS, LOANS * ROUNDS],
        ['margin-call.opened', LOANS * ROUNDS, LOANS * ROUNDS],
      ]);
    } finally {
      await db.close();
    }
  });
});
