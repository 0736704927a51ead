import { expect } from 'chai';
import { z } from 'zod';
import { testDatabases } from '../support/postgres.js';
import { useGateway, writeEnvelope, type Api, type ListPage } from './helpers.js';

const targets = await testDatabases();

/** Every receipt the custodian's auditor lists, page by page (limit 3, to cross page boundaries). */
async function listAll(api: Api): Promise<ListPage['data']> {
  const items: ListPage['data'] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page: ListPage = await api.list('custodian.auditor', `?limit=3${after === null ? '' : `&after=${encodeURIComponent(after)}`}`);
    items.push(...page.data);
    after = page.next;
    if (after === null) return items;
  }
  throw new Error('the listing never ended');
}

/** The listing matches the ledger: every expected receipt exactly once, each as GET /v1/receipts/{id} returns it. */
async function expectListingMatchesLedger(api: Api, expected: ReadonlySet<string>): Promise<void> {
  await api.gateway.gateway.projectionCaughtUp();
  const listed = await listAll(api);
  const ids = listed.map((receipt) => receipt.id);
  expect(ids.length, 'no receipt listed twice').to.equal(new Set(ids).size);
  expect([...ids].sort()).to.deep.equal([...expected].sort());
  for (const receipt of listed) {
    expect(receipt, `${receipt.id} as listed vs as the ledger holds it`).to.deep.equal(await api.receipt(receipt.id));
  }
  const page = await api.list('custodian.auditor', '?limit=1');
  expect(page.asOfBlock).to.equal(api.height() - 1);
}

for (const target of targets) {
  describe(`HTTP listing from the projection across restarts, on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target);
    const expected = new Set<string>();

    it('before any restart, lists exactly the receipts written, as the ledger holds them', async () => {
      const { api, fixtures } = suite();
      const pledged = await fixtures.pledged('alice', { releaseApprovalThreshold: '1000' });
      await api.write('releasePledge', 'lender.officer', { id: pledged, body: { quantity: '25' } });
      const split = await fixtures.issued('bob');
      await api.write('splitReceipt', 'borrower.bob', { id: split, body: { quantities: ['1', '99'] } });
      const draft = await fixtures.draft('alice', '5');
      for (const id of [pledged, `${pledged}.1`, `${pledged}.2`, split, `${split}.1`, `${split}.2`, draft]) expected.add(id);
      await expectListingMatchesLedger(api, expected);
    });

    it('after a restart with nothing new, lists the same receipts once each', async function () {
      this.timeout(60_000);
      const { api } = suite();
      api.gateway = await api.gateway.restart();
      await expectListingMatchesLedger(api, expected);
    });

    it('changes made just before a restart (the projection possibly behind) are caught up after it, none counted twice', async function () {
      this.timeout(60_000);
      const { api, fixtures } = suite();
      const drafts = (await api.list('custodian.auditor', '?status=DRAFT')).data.map((receipt) => receipt.id);
      expect(drafts).to.have.length(1);
      for (const id of drafts) await api.write('confirmReceipt', 'custodian.supervisor', { id });
      const fresh = await fixtures.withdrawalRequested('bob');
      await api.write('confirmDelivery', 'custodian.supervisor', { id: fresh });
      expected.add(fresh);
      api.gateway = await api.gateway.restart(); // no waiting for the projection first
      await expectListingMatchesLedger(api, expected);
      expect((await api.list('custodian.auditor', '?status=DRAFT')).data).to.deep.equal([]);
      expect((await api.list('custodian.auditor', '?status=DELIVERED')).data.map((receipt) => receipt.id)).to.deep.equal([fresh]);
      // each owner's own listing agrees with the whole
      const all = await listAll(api);
      for (const owner of ['alice', 'bob']) {
        const own = (await api.list(`borrower.${owner}`, '?limit=1000')).data.map((receipt) => receipt.id).sort();
        expect(own).to.deep.equal(all.filter((receipt) => receipt.owner.id === owner).map((receipt) => receipt.id).sort());
      }
    });

    it('/healthz reports the projection at the ledger head with no lag', async () => {
      const { api } = suite();
      await api.gateway.gateway.projectionCaughtUp();
      const health = z
        .object({ checks: z.object({ ledger: z.object({ height: z.number() }), projection: z.object({ block: z.number(), lagBlocks: z.number() }) }) })
        .parse((await api.request(null, 'GET', '/healthz')).body);
      expect(health.checks.projection.block).to.equal(health.checks.ledger.height - 1);
      expect(health.checks.projection.lagBlocks).to.equal(0);
    });

    it('an idempotent write is still replayed after a restart, without a second transaction', async function () {
      this.timeout(60_000);
      const { api, fixtures } = suite();
      const id = await fixtures.issued('alice');
      expected.add(id);
      const request = { id, body: { newOwner: 'bob' }, headers: { 'idempotency-key': 'transfer-across-restart' } };
      const first = await api.write('transferReceipt', 'borrower.alice', request);
      api.gateway = await api.gateway.restart();
      const height = api.height();
      const again = await api.call('transferReceipt', 'borrower.alice', request);
      expect(again.status).to.equal(200);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(writeEnvelope.parse(again.body).transaction.txId).to.equal(first.txId);
      expect(api.height()).to.equal(height);
      await expectListingMatchesLedger(api, expected);
    });
  });
}
