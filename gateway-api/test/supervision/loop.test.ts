import { expect } from 'chai';
import { z } from 'zod';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { uid } from '../http/helpers.js';
import { alarmsSeen, minute, pledgedLot, placedDevice, series, submit } from './support.js';

const targets = await testDatabases();

const encumbranceReply = z.object({ data: z.looseObject({ freezes: z.array(z.looseObject({ riskEventId: z.string().nullable() })) }) });
const replayReply = z.object({ data: z.looseObject({ identical: z.boolean(), changes: z.number(), storedChanges: z.number(), firstDifference: z.unknown() }) });

for (const target of targets) {
  describe(`The rules loop on ${target.name}: restarts and wake-ups`, function () {
    this.timeout(120_000);
    // A manual clock feeds no tick, so only a new lot or a rule change makes the loop store its engine snapshot.
    const clock = new ManualClock(new Date());
    const gw = useTestGateway(target, { RULES_DEFAULT_TEMPLATES: 'none' }, { clock });

    it('after a restart between two stored snapshots, the readings since the last one are evaluated again without raising anything twice', async () => {
      const lot = await pledgedLot(gw());
      const device = await placedDevice(gw(), lot);
      const ruleId = uid('restart-high');
      const rule = { id: ruleId, scope: { lotId: lot.lotId }, kind: 'threshold', metric: 'temperature', severity: 'info', raise: { op: 'gt', value: 8, forMs: 10 * minute }, clear: { op: 'lte', value: 4 } };
      const created = await gw().request('custodian.supervisor', 'POST', '/v1/rules', { body: rule });
      expect(created.status, created.text).to.equal(201);
      const start = clock.now().getTime() - 40 * minute;

      // The lot is new to the loop: this step stores a snapshot. The excursion after it is readings only: no snapshot.
      await submit(gw(), series(device, start, [3, 3, 3]));
      await gw().gateway.supervisionSettled();
      await submit(gw(), series(device, start + 3 * minute, Array.from({ length: 12 }, () => 9), 4));
      await gw().gateway.supervisionSettled();
      const raised = (await alarmsSeen(gw(), 'custodian.supervisor', `?lotId=${lot.lotId}`)).filter((alarm) => alarm.ruleId === ruleId);
      expect(raised.map((alarm) => alarm.status)).to.deep.equal(['ACTIVE']);

      await gw.restart();
      // The episode goes on across the restart and clears once back in range.
      await submit(gw(), series(device, start + 15 * minute, [9, 3, 3], 16));
      await gw().gateway.supervisionSettled();
      const after = (await alarmsSeen(gw(), 'custodian.supervisor', `?lotId=${lot.lotId}`)).filter((alarm) => alarm.ruleId === ruleId);
      expect(after.map((alarm) => [alarm.id, alarm.status])).to.deep.equal([[raised[0]?.id, 'CLEARED']]);
      expect(after[0]?.stats.count).to.equal(13);

      const replayed = replayReply.parse((await gw().request('custodian.auditor', 'POST', '/v1/rules/replay', { body: {} })).body).data;
      expect(replayed.firstDifference).to.equal(null);
      expect(replayed).to.deep.include({ identical: true, changes: 2, storedChanges: 2 });
    });

    it('a critical alarm puts its hold on the receipts with nobody waiting for it: the covenant worker is woken once the alarm is committed', async () => {
      const lot = await pledgedLot(gw());
      const device = await placedDevice(gw(), lot);
      const ruleId = uid('wake-critical');
      const rule = { id: ruleId, scope: { lotId: lot.lotId }, kind: 'threshold', metric: 'temperature', severity: 'critical', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 4 } };
      const created = await gw().request('custodian.supervisor', 'POST', '/v1/rules', { body: rule });
      expect(created.status, created.text).to.equal(201);

      // The manual clock never ends the worker's idle sleep: only a wake after the commit can get the hold placed.
      await submit(gw(), series(device, clock.now().getTime() - minute, [9.5]));
      let freezes: { riskEventId: string | null }[] = [];
      for (const deadline = Date.now() + 10_000; Date.now() < deadline && !freezes.some((freeze) => freeze.riskEventId !== null); ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        freezes = encumbranceReply.parse((await gw().request('lender.officer', 'GET', `/v1/receipts/${lot.receiptId}/encumbrance`)).body).data.freezes;
      }
      const [alarm] = (await alarmsSeen(gw(), 'custodian.supervisor', `?lotId=${lot.lotId}`)).filter((each) => each.ruleId === ruleId);
      expect(freezes.map((freeze) => freeze.riskEventId)).to.include(`alarm-${alarm?.id ?? ''}`);
    });
  });
}
