import { expect } from 'chai';
import { z } from 'zod';
import { demoIdentities } from '../../src/identity/dev-identities.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { uid } from '../http/helpers.js';
import { alarmListReply, minute, placedDevice, pledgedLot, ruleListReply, series, submit, type PledgedLot } from './support.js';

const targets = await testDatabases();

for (const target of targets) {
  describe(`Who sees supervision on ${target.name}: every demo identity over every alarm and rule route`, function () {
    this.timeout(120_000);
    const gw = useTestGateway(target);

    /** A lot of `owner`'s, pledged to the lender when `pledged`, with a rule on it and one alarm raised by it. */
    async function watchedLot(owner: string, pledged: boolean): Promise<PledgedLot & { ruleId: string; alarmId: string }> {
      let lot: PledgedLot;
      if (pledged) {
        lot = await pledgedLot(gw());
      } else {
        // A receipt of bob's, not pledged: only the custodian and bob (and the borrowers' auditor) may see its lot.
        const warehouseId = uid('WH-VIS');
        const lotId = uid('LOT-VIS');
        const ok = async (who: string, path: string, body: unknown, status: number) => {
          const reply = await gw().request(who, 'POST', path, { body });
          expect(reply.status, reply.text.slice(0, 300)).to.equal(status);
          return reply.body as { data: { id: string } };
        };
        await ok('custodian.clerk', '/v1/lots', { id: lotId, warehouseId, location: 'room 1', commodity: 'frozen shrimp', unit: 'kg', quantity: '100' }, 201);
        const receiptId = (await ok('custodian.clerk', '/v1/receipts', { id: uid('WR-VIS'), lotId, owner, quantity: '50' }, 201)).data.id;
        await ok('custodian.supervisor', `/v1/receipts/${receiptId}/confirm`, {}, 200);
        await gw().gateway.projectionCaughtUp();
        lot = { warehouseId, lotId, receiptId };
      }
      const ruleId = uid('vis-rule');
      const rule = { id: ruleId, scope: { lotId: lot.lotId }, kind: 'threshold', metric: 'temperature', severity: 'warning', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 4 } };
      expect((await gw().request('custodian.supervisor', 'POST', '/v1/rules', { body: rule })).status).to.equal(201);
      const device = await placedDevice(gw(), lot);
      await submit(gw(), series(device, Date.now() - 30 * minute, [3, 9, 9, 3]));
      await gw().gateway.supervisionSettled();
      const alarms = alarmListReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/alarms?lotId=${lot.lotId}`)).body).data;
      expect(alarms).to.have.length(1);
      return { ...lot, ruleId, alarmId: alarms[0]?.id ?? '' };
    }

    it("custodian: every alarm and rule; lender: those on lots under its pledges; borrower: those on its own receipts' lots; everyone else 404 and an empty list", async () => {
      const alices = await watchedLot('alice', true);
      const bobs = await watchedLot('bob', false);
      const expected = (id: string, org: string): string[] => {
        // The oracle records prices and sees nothing of the custodian's books.
        if (id === 'custodian.oracle') return [];
        if (org === 'custodian') return ['alice', 'bob'];
        if (org === 'lender') return ['alice'];
        if (id === 'borrower.auditor') return ['alice', 'bob'];
        if (id === 'borrower.alice') return ['alice'];
        if (id === 'borrower.bob') return ['bob'];
        return [];
      };
      const lots = { alice: alices, bob: bobs };
      for (const identity of demoIdentities) {
        const sees = expected(identity.id, identity.org);
        const mine = [alices.alarmId, bobs.alarmId];
        const listed = alarmListReply.parse((await gw().request(identity.id, 'GET', '/v1/alarms?limit=1000')).body).data.map((alarm) => alarm.id);
        expect(listed.filter((id) => mine.includes(id)).sort(), `${identity.id} lists alarms`).to.deep.equal(sees.map((owner) => lots[owner as 'alice' | 'bob'].alarmId).sort());
        const rules = ruleListReply.parse((await gw().request(identity.id, 'GET', '/v1/rules?limit=1000')).body).data.map((rule) => rule.ruleId);
        expect(rules.filter((id) => [alices.ruleId, bobs.ruleId].includes(id)).sort(), `${identity.id} lists rules`).to.deep.equal(sees.map((owner) => lots[owner as 'alice' | 'bob'].ruleId).sort());
        for (const owner of ['alice', 'bob'] as const) {
          const lot = lots[owner];
          const visible = sees.includes(owner);
          const paths = [`/v1/alarms/${lot.alarmId}`, `/v1/alarms/${lot.alarmId}/bundle`, `/v1/rules/${lot.ruleId}`];
          for (const path of paths) {
            const reply = await gw().request(identity.id, 'GET', path);
            if (visible) {
              // The bundle waits for the anchor; visible means anything but 404.
              expect(reply.status, `${identity.id} GET ${path}: ${reply.text.slice(0, 200)}`).to.be.oneOf(path.endsWith('/bundle') ? [200, 409] : [200]);
            } else {
              expect(reply.status, `${identity.id} GET ${path}`).to.equal(404);
            }
          }
          const byLot = alarmListReply.parse((await gw().request(identity.id, 'GET', `/v1/alarms?lotId=${lot.lotId}`)).body).data;
          expect(byLot.length, `${identity.id} filters by ${owner}'s lot`).to.equal(visible ? 1 : 0);
          const byReceipt = alarmListReply.parse((await gw().request(identity.id, 'GET', `/v1/alarms?receiptId=${lot.receiptId}`)).body).data;
          expect(byReceipt.length, `${identity.id} filters by ${owner}'s receipt`).to.equal(visible ? 1 : 0);
        }
      }
      // Without a token: 401 on every route.
      for (const path of ['/v1/alarms', `/v1/alarms/${alices.alarmId}`, '/v1/rules', `/v1/rules/${alices.ruleId}`]) {
        expect((await gw().request(null, 'GET', path)).status, path).to.equal(401);
      }
      expect(z.array(z.string()).parse(Object.keys(gw().tokens)).sort()).to.deep.equal(demoIdentities.map((identity) => identity.id).sort());
    });
  });
}
