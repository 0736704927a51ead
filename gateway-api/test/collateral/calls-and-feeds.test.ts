import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { z } from 'zod';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { connectEvents } from '../events/sse.js';
import { expectProblem, uid } from '../http/helpers.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { Collateral } from './support.js';

const staleCommodity = uid('stale-copper');
const priceList = z.object({ data: z.array(z.object({ commodity: z.string(), latest: z.object({ price: z.string() }), staleAlarm: z.object({ id: z.string() }).nullable() })) });
const importResult = z.object({ data: z.object({ recorded: z.array(z.object({ commodity: z.string(), price: z.string() })), skipped: z.number() }) });
const problems = z.object({ problems: z.array(z.object({ row: z.number(), field: z.string().nullable(), code: z.string() })) });

for (const target of await testDatabases()) {
  describe(`margin calls, stale marks and price feeds on ${target.name}`, function () {
    this.timeout(120_000);
    // Made when the gateway starts (not when the file loads, maybe minutes before), so that its time starts at the ledger's.
    let clock = new ManualClock();
    let feed: { status: number; type: string; body: string } = { status: 200, type: 'text/csv', body: '' };
    let server: Server;
    let gateway: TestGateway;
    const c = new Collateral(() => gateway);

    before(async function () {
      this.timeout(120_000);
      clock = new ManualClock(new Date());
      server = createServer((_req, res) => res.writeHead(feed.status, { 'content-type': feed.type }).end(feed.body));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      gateway = await startTestGateway(
        target,
        {
          ANCHOR_INTERVAL_MS: '86400000',
          PRICE_STALE_LIMITS: JSON.stringify({ [staleCommodity]: 2 }),
          PRICE_FEED_URL: `http://127.0.0.1:${port.toString()}/marks.csv`,
          PRICE_FEED_INTERVAL_MS: '86400000',
        },
        { clock },
      );
    });
    after(async function () {
      this.timeout(60_000);
      await gateway.close();
      await target.cleanup();
      await new Promise((resolve) => server.close(resolve));
    });

    it('escalates a call past its deadline to the lender, told to the lender and the borrower but no other borrower', async () => {
      const alice = await connectEvents(`${gateway.url}/v1/events`, gateway.tokens['borrower.alice'] ?? '');
      const bob = await connectEvents(`${gateway.url}/v1/events`, gateway.tokens['borrower.bob'] ?? '');
      try {
        const { loanReference, commodity } = await c.loan({ price: '10000', quantity: '100', amount: '600000', terms: { cureHours: 1 } });
        await c.mark(commodity, '8000');
        const [open] = await c.calls('lender.approver', `?loanReference=${loanReference}`);
        expect(open?.status).to.equal('OPEN');
        const deadline = Date.parse(open?.deadline ?? '');
        clock.advanceTo(new Date(deadline - 60_000));
        expect((await c.calls('lender.approver', `?loanReference=${loanReference}`))[0]?.status, 'not before its deadline').to.equal('OPEN');
        clock.advanceTo(new Date(deadline + 60_000));
        const [escalated] = await c.calls('lender.approver', `?loanReference=${loanReference}&status=ESCALATED`);
        expect([escalated?.status, escalated?.escalation]).to.deep.equal(['ESCALATED', 'DEADLINE_PASSED']);
        const types = (events: { type: string; object: { id: string } }[]): string[] => events.filter((event) => event.object.id === open?.id).map((event) => event.type);
        await alice.until(() => types(alice.events).includes('margin-call.escalated'));
        expect(types(alice.events)).to.deep.equal(['margin-call.opened', 'margin-call.escalated']);
        expect(types(bob.events)).to.deep.equal([]);
      } finally {
        alice.close();
        bob.close();
      }
    });

    it('raises a stale-mark alarm when the latest mark outgrows its limit, and a fresh mark clears it', async () => {
      // 90 minutes before the gateway's clock (which earlier tests moved ahead of the ledger's).
      await c.mark(staleCommodity, '70000', { asOf: new Date(clock.now().getTime() - 90 * 60_000) });
      const alarm = async (): Promise<{ id: string } | null | undefined> => {
        await c.settled();
        const list = priceList.parse((await c.ok('lender.auditor', 'GET', '/v1/prices', undefined, 200)).body).data;
        return list.find((entry) => entry.commodity === staleCommodity)?.staleAlarm;
      };
      expect(await alarm(), 'a 90-minute-old mark under a 2-hour limit').to.equal(null);
      clock.advance(31 * 60_000);
      expect(await alarm(), '121 minutes old').to.have.property('id');
      await c.mark(staleCommodity, '70100');
      expect(await alarm(), 'cleared by a fresh mark').to.equal(null);
    });

    it('refuses a malformed CSV or JSON feed, a wrong currency and a negative price whole, recording nothing', async () => {
      const commodity = c.commodity('zinc');
      await c.mark(commodity, '22000', { minutesAgo: 60 });
      const height = (): number => gateway.gateway.embeddedLedger?.chainInfo().height ?? -1;
      const before = height();
      const asOf = new Date(Date.now() - 30 * 60_000).toISOString();
      const header = 'commodity,unit,price,currency,source,asOf';
      const refused = async (format: 'csv' | 'json', content: string, expected: [number, string | null, string][]): Promise<void> => {
        const reply = await gateway.request('custodian.oracle', 'POST', '/v1/price-imports', { body: { format, content } });
        const problem = expectProblem(reply, 422, 'PRICE_FEED_INVALID');
        expect(problems.parse(problem).problems.map((entry) => [entry.row, entry.field, entry.code]), content).to.deep.equal(expected);
      };
      await refused('csv', `commodity,unit,cost,currency,asOf\n${commodity},t,1,CNY,${asOf}\n`, [[0, null, 'MALFORMED']]);
      await refused('csv', `${header}\n${commodity},t,22100,CNY,desk\n`, [[1, null, 'MALFORMED']]);
      await refused('json', '{"marks": [', [[0, null, 'MALFORMED']]);
      await refused('json', JSON.stringify([{ commodity, unit: 't', price: '22100', currency: 'CNY', asOf, note: 'x' }]), [[1, null, 'MALFORMED']]);
      // Row 1 is good; row 2's currency is not the commodity's; row 3's price is negative: nothing at all is recorded.
      await refused('csv', `${header}\n${commodity},t,22100,CNY,desk,${asOf}\n${commodity},t,3100,USD,desk,${asOf}\n${commodity},t,-22000,CNY,desk,${asOf}\n`, [
        [2, 'currency', 'CURRENCY_MISMATCH'],
        [3, 'price', 'INVALID_PRICE'],
      ]);
      expect(height(), 'no block was written').to.equal(before);
      const good = `${header}\n${commodity},t,22100.50,CNY,"SHFE, settlement",${asOf}\n`;
      const first = importResult.parse((await c.ok('custodian.oracle', 'POST', '/v1/price-imports', { format: 'csv', content: good }, 200)).body).data;
      expect([first.recorded.map((mark) => mark.price), first.skipped]).to.deep.equal([['22100.5'], 0]);
      const again = importResult.parse((await c.ok('custodian.oracle', 'POST', '/v1/price-imports', { format: 'csv', content: good }, 200)).body).data;
      expect([again.recorded.length, again.skipped], 'a feed imported twice is recorded once').to.deep.equal([0, 1]);
      expectProblem(await gateway.request('lender.officer', 'POST', '/v1/price-imports', { body: { format: 'csv', content: good } }), 403, 'FORBIDDEN');
    });

    it('pulls the configured feed on demand: a broken feed is refused and reported, a good one recorded', async () => {
      const commodity = c.commodity('tin');
      const asOf = new Date(Date.now() - 10 * 60_000).toISOString();
      feed = { status: 200, type: 'application/json', body: JSON.stringify({ marks: [{ commodity, unit: 't', price: '-1', currency: 'CNY', asOf }] }) };
      expectProblem(await gateway.request('custodian.oracle', 'POST', '/v1/price-feed/pull', { body: {} }), 422, 'PRICE_FEED_INVALID');
      const status = z.object({ data: z.object({ lastError: z.object({ code: z.string() }).nullable(), lastResult: z.object({ recorded: z.number() }).nullable() }) });
      expect(status.parse((await c.ok('lender.auditor', 'GET', '/v1/price-feed', undefined, 200)).body).data.lastError?.code).to.equal('PRICE_FEED_INVALID');
      feed = { status: 503, type: 'text/plain', body: 'down' };
      expectProblem(await gateway.request('custodian.oracle', 'POST', '/v1/price-feed/pull', { body: {} }), 502, 'PRICE_FEED_UNREACHABLE');
      feed = { status: 200, type: 'text/csv', body: `commodity,unit,price,currency,asOf\n${commodity},t,251000,CNY,${asOf}\n` };
      const pulled = importResult.parse((await c.ok('custodian.oracle', 'POST', '/v1/price-feed/pull', {}, 200)).body).data;
      expect(pulled.recorded.map((mark) => [mark.commodity, mark.price])).to.deep.equal([[commodity, '251000']]);
      const after = status.parse((await c.ok('lender.auditor', 'GET', '/v1/price-feed', undefined, 200)).body).data;
      expect([after.lastError, after.lastResult?.recorded]).to.deep.equal([null, 1]);
    });
  });
}
