import { expect } from 'chai';
import { z } from 'zod';
import { TestDevice } from '../evidence/devices.js';
import { testDatabases } from '../support/postgres.js';
import { useGateway } from './helpers.js';

const dashboard = z.object({
  data: z.object({
    asOf: z.string(),
    pledged: z.array(z.object({ commodity: z.string(), unit: z.string(), warehouseId: z.string(), status: z.string(), receipts: z.number(), quantity: z.string() })),
    alarms: z.array(z.object({ day: z.string(), warehouseId: z.string(), severity: z.string(), count: z.number() })),
    anchoring: z.object({ lastAnchored: z.object({ seq: z.number(), anchoredAt: z.string(), leafCount: z.number() }).nullable(), ageSeconds: z.number().nullable(), leavesWaiting: z.number() }),
  }),
});

for (const target of await testDatabases()) {
  describe(`GET /v1/dashboard on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target, { ANCHOR_INTERVAL_MS: '3600000' });
    const read = async (who: string) => {
      const reply = await suite().api.gateway.request(who, 'GET', '/v1/dashboard');
      expect(reply.status, reply.text).to.equal(200);
      return dashboard.parse(reply.body).data;
    };

    it('sums the quantities under pledge, requested and defaulted exactly, each over the receipts the caller may see', async () => {
      const { fixtures, api } = suite();
      await fixtures.pledged('alice');
      await fixtures.pledged('alice');
      await fixtures.pledgeRequested('alice');
      await fixtures.issued('bob');
      await api.gateway.gateway.projectionCaughtUp();
      const sum = (rows: { status: string; receipts: number; quantity: string }[], status: string): [number, number] => {
        const of = rows.filter((row) => row.status === status);
        return [of.reduce((total, row) => total + row.receipts, 0), of.reduce((total, row) => total + Number(row.quantity), 0)];
      };
      // The lender sees what is pledged or offered to it; alice her own; bob has pledged nothing.
      const lender = await read('lender.officer');
      expect(sum(lender.pledged, 'PLEDGED')).to.deep.equal([2, 200]);
      expect(sum(lender.pledged, 'PLEDGE_REQUESTED')).to.deep.equal([1, 100]);
      expect(sum((await read('borrower.alice')).pledged, 'PLEDGED')).to.deep.equal([2, 200]);
      expect((await read('borrower.bob')).pledged).to.deep.equal([]);
      expect(sum((await read('custodian.auditor')).pledged, 'PLEDGED')).to.deep.equal([2, 200]);
    });

    it('tells how fresh the anchoring is: the leaves waiting, then the last anchored checkpoint and its age', async () => {
      const { api } = suite();
      const device = new TestDevice(`TEMP-DASH-${target.kind}`, 'Ed25519');
      expect((await api.gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration() })).status).to.equal(201);
      expect((await api.gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: [device.item(1), device.item(2)] } })).status).to.equal(200);
      const before = (await read('lender.auditor')).anchoring;
      expect(before.leavesWaiting).to.be.at.least(2);
      await api.gateway.gateway.anchoringSettled();
      const after = (await read('lender.auditor')).anchoring;
      expect(after.leavesWaiting).to.equal(0);
      expect(after.lastAnchored?.leafCount).to.be.at.least(2);
      expect(after.ageSeconds).to.be.a('number').and.at.least(0).and.below(60);
    });

    it('counts no alarms where none were raised, and refuses a range of days out of bounds', async () => {
      expect((await read('custodian.clerk')).alarms).to.deep.equal([]);
      expect((await suite().api.gateway.request('custodian.clerk', 'GET', '/v1/dashboard?days=0')).status).to.equal(400);
      expect((await suite().api.gateway.request(null, 'GET', '/v1/dashboard')).status).to.equal(401);
    });
  });
}
