import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, useGateway, validBody } from './helpers.js';

const targets = await testDatabases();

for (const target of targets) {
  describe(`HTTP rate limiting (RATE_LIMIT_BURST=3, RATE_LIMIT_PER_SECOND=1) on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target, { RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_SECOND: '1' });

    it('the 4th quick request of one identity is 429 RATE_LIMITED with Retry-After; another identity is unaffected; after Retry-After it passes again', async function () {
      this.timeout(20_000);
      const { api } = suite();
      // sent together, so that the bucket cannot refill in between
      const replies = await Promise.all([1, 2, 3, 4].map(() => api.request('borrower.alice', 'GET', '/v1/receipts')));
      expect(replies.map((reply) => reply.status).sort()).to.deep.equal([200, 200, 200, 429]);
      const limited = replies.find((reply) => reply.status === 429);
      if (limited === undefined) throw new Error('no request was limited');
      const problem = expectProblem(limited, 429, 'RATE_LIMITED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${String(limited.headers.get('retry-after'))}`).to.equal(true);
      expect(problem.retryAfterSeconds, 'the problem says it too').to.equal(retryAfter);

      expect((await api.request('borrower.bob', 'GET', '/v1/receipts')).status, 'bob has his own bucket').to.equal(200);
      expect((await api.request(null, 'GET', '/healthz')).status, '/healthz is not limited').to.equal(200);

      await sleep(retryAfter * 1000 + 50);
      expect((await api.request('borrower.alice', 'GET', '/v1/receipts')).status).to.equal(200);
    });

    it('of four writes sent at once, three commit and the one refused with 429 never reaches the ledger', async () => {
      const { api } = suite();
      const bodies = [0, 1, 2, 3].map(() => validBody('registerLot', { lotId: '', receiptId: '' }));
      const replies = await Promise.all(bodies.map((body) => api.call('registerLot', 'custodian.clerk', { body })));
      expect(replies.map((reply) => reply.status).sort()).to.deep.equal([201, 201, 201, 429]);
      // each identity has its own budget of 3: spread the checks over several
      const checkers = ['custodian.supervisor', 'custodian.auditor', 'custodian.device-gateway', 'custodian.auditor'];
      for (const [index, reply] of replies.entries()) {
        const lot = await api.call('getLot', checkers[index] ?? 'custodian.supervisor', { id: String(bodies[index]?.id) });
        if (reply.status === 429) {
          expectProblem(reply, 429, 'RATE_LIMITED');
          expectProblem(lot, 404, 'NOT_FOUND');
        } else {
          expect(lot.status).to.equal(200);
        }
      }
    });
  });
}

// A gateway's target is cleaned up after its describe: these get fresh ones.
for (const target of await testDatabases()) {
  describe(`unknown tokens (AUTH_FAILURE_BURST=3, AUTH_FAILURE_PER_SECOND=1) on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target, { AUTH_FAILURE_BURST: '3', AUTH_FAILURE_PER_SECOND: '1' });

    // First: the other test leaves this address blocked for a while.
    it('accepts the Bearer scheme in any letter case', async () => {
      const { api } = suite();
      const token = api.gateway.tokens['borrower.bob'] ?? '';
      const reply = await api.request(null, 'GET', '/v1/receipts', { headers: { authorization: `bEARER ${token}` } });
      expect(reply.status).to.equal(200);
    });

    it('after three unknown tokens an address gets 429 without another look-up, while known tokens it already used keep working', async () => {
      const { api } = suite();
      expect((await api.request('borrower.alice', 'GET', '/v1/receipts')).status).to.equal(200);
      const guess = (i: number) =>
        api.request(null, 'GET', '/v1/receipts', { headers: { authorization: `Bearer wr_${'A'.repeat(42)}${String(i % 10)}` } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await guess(i)).status);
      expect(statuses).to.deep.equal([401, 401, 401, 401, 429]);
      const limited = await guess(9);
      expectProblem(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).to.be.at.least(1);
      expect((await api.request('borrower.alice', 'GET', '/v1/receipts')).status, 'a token resolved before is still trusted').to.equal(200);
    });
  });
}
