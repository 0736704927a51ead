import { expect } from 'chai';
import { z } from 'zod';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { expectProblem } from '../http/helpers.js';
import { run } from '../support/process.js';
import { alarmReply, alarmsSeen, minute, pledgedLot, placedDevice, ruleListReply, series, submit } from './support.js';

const targets = await testDatabases();

const encumbranceReply = z.object({
  data: z.looseObject({ freezes: z.array(z.looseObject({ riskEventId: z.string().nullable().optional() })), openRiskEvents: z.array(z.looseObject({ id: z.string(), severity: z.string() })) }),
});
const workOrderShape = z.looseObject({
  id: z.string(),
  priority: z.string(),
  severity: z.string().nullable(),
  state: z.string(),
  lotId: z.string().nullable(),
  sla: z.looseObject({ acknowledge: z.looseObject({ breached: z.boolean() }) }),
  history: z.array(z.looseObject({ action: z.string(), escalation: z.looseObject({ percent: z.number() }).optional() })),
});
const workOrderList = z.object({ data: z.array(workOrderShape) });
const workOrderReply = z.object({ data: workOrderShape });

/** Polls `probe` until it gives a value (the background loops run on their own). */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const riskEventsReply = z.object({ data: z.array(z.looseObject({ id: z.string(), kind: z.string(), severity: z.string(), status: z.string(), alarm: z.looseObject({ alarmId: z.string(), ruleHash: z.string(), evidenceRoot: z.string() }).optional() })) });

for (const target of targets) {
  describe(`A cold store watched end to end on ${target.name}: readings, alarms, ledger risk events and holds`, function () {
    this.timeout(120_000);
    const clock = new ManualClock(new Date());
    const gw = useTestGateway(target, { RULES_DEFAULT_TEMPLATES: 'chilled' }, { clock });

    it('a new warehouse starts supervised: its first device brings the chilled rules, owned by the custodian', async () => {
      const lot = await pledgedLot(gw());
      const device = await placedDevice(gw(), lot);
      await submit(gw(), series(device, clock.now().getTime() - 10 * minute, [2.5]));
      await gw().gateway.supervisionSettled();
      const rules = ruleListReply.parse((await gw().request('custodian.auditor', 'GET', '/v1/rules?limit=1000')).body).data;
      const own = rules.filter((rule) => rule.ruleId.includes(lot.warehouseId));
      expect(own.map((rule) => rule.ruleId.split('-wh-')[0]).sort()).to.deep.equal(['chilled-cumulative', 'chilled-high', 'chilled-low', 'chilled-offline', 'chilled-sustained']);
      for (const rule of own) expect(rule.owner.mspId).to.equal('CustodianMSP');
      expect(await alarmsSeen(gw(), 'custodian.auditor', `?lotId=${lot.lotId}`)).to.deep.equal([]);
    });

    it('an excursion raises one alarm per rule episode; the critical one is recorded on the ledger and holds the pledged receipt, and the lender sees it', async () => {
      const lot = await pledgedLot(gw());
      const device = await placedDevice(gw(), lot);
      const start = clock.now().getTime() - 3 * 60 * minute;
      // 10 min in range, 45 min at 9.5 °C (above 4 and above 8), then 30 min back in range.
      const values = [...Array<number>(10).fill(3), ...Array<number>(45).fill(9.5), ...Array<number>(30).fill(3)];
      await submit(gw(), series(device, start, values));
      await gw().gateway.supervisionSettled();

      const alarms = await alarmsSeen(gw(), 'custodian.auditor', `?lotId=${lot.lotId}`);
      const byRule = new Map(alarms.map((alarm) => [alarm.ruleId.split('-wh-')[0], alarm]));
      expect([...byRule.keys()].sort(), JSON.stringify(alarms.map((alarm) => alarm.ruleId))).to.include.members(['chilled-high', 'chilled-sustained']);
      expect(alarms.filter((alarm) => alarm.ruleId.startsWith('chilled-high')), 'one episode, one alarm').to.have.length(1);
      const critical = byRule.get('chilled-sustained');
      if (critical === undefined) expect.fail('no sustained alarm');
      expect(critical).to.deep.include({ severity: 'critical', status: 'ACTIVE', latched: true, acknowledgement: 'UNACK' });
      expect(critical.clearedAt, 'it cleared in device time').to.be.a('string');
      expect(Date.parse(critical.startedAt)).to.equal(start + 10 * minute);
      expect(critical.stats).to.deep.include({ min: 9.5, max: 9.5 });
      expect(critical.raisedBy[0]?.evidenceId).to.be.a('string');
      expect(critical.clearedBy).to.have.length.greaterThan(0);

      // On the ledger: the risk event carries the alarm, its rule hash and the evidence root; the receipt is held.
      const ledgerAction = critical.ledger.find((entry) => entry.action === 'risk-event');
      expect(ledgerAction, JSON.stringify(critical.ledger)).to.deep.include({ status: 'done' });
      const events = riskEventsReply.parse((await gw().request('lender.officer', 'GET', `/v1/receipts/${lot.receiptId}/risk-events`)).body).data;
      const recorded = events.find((event) => event.alarm?.alarmId === critical.id);
      expect(recorded, JSON.stringify(events)).to.deep.include({ severity: 'critical', status: 'OPEN', kind: 'ALARM_SUSTAINED' });
      expect(recorded?.alarm?.ruleHash).to.match(/^[0-9a-f]{64}$/);
      const encumbrance = encumbranceReply.parse((await gw().request('lender.officer', 'GET', `/v1/receipts/${lot.receiptId}/encumbrance`)).body).data;
      expect(encumbrance.freezes.map((hold) => hold.riskEventId)).to.include(recorded?.id);

      // What the lender and the borrower see; a stranger to the lot sees nothing.
      expect((await alarmsSeen(gw(), 'lender.officer', `?lotId=${lot.lotId}`)).map((alarm) => alarm.id)).to.include(critical.id);
      expect((await alarmsSeen(gw(), 'borrower.alice', `?receiptId=${lot.receiptId}`)).map((alarm) => alarm.id)).to.include(critical.id);
      expect(await alarmsSeen(gw(), 'borrower.bob', `?lotId=${lot.lotId}`)).to.deep.equal([]);
      expectProblem(await gw().request('borrower.bob', 'GET', `/v1/alarms/${critical.id}`), 404, 'ALARM_NOT_FOUND');

      // The latch holds until a person acknowledges; then the alarm shows CLEARED.
      const acked = await gw().request('custodian.supervisor', 'POST', `/v1/alarms/${critical.id}/acknowledgement`, { body: { note: 'compressor restarted' } });
      expect(acked.status, acked.text).to.equal(200);
      expect(alarmReply.parse(acked.body).data).to.deep.include({ status: 'CLEARED', latched: false, acknowledgement: 'ACK' });
      expectProblem(await gw().request('custodian.supervisor', 'POST', `/v1/alarms/${critical.id}/acknowledgement`, { body: {} }), 409, 'ALARM_ALREADY_ACKNOWLEDGED');
      expectProblem(await gw().request('lender.officer', 'POST', `/v1/alarms/${critical.id}/acknowledgement`, { body: {} }), 403, 'FORBIDDEN');
      expectProblem(await gw().request('custodian.supervisor', 'POST', `/v1/alarms/${critical.id}/shelving`, { body: { forMs: 60_000 } }), 409, 'ALARM_NOT_SHELVABLE');

      // Exactly one work order for the episode; its SLA breaches on the controllable clock and the ladder escalates.
      const orders = workOrderList.parse((await gw().request('custodian.auditor', 'GET', `/v1/work-orders?alarmId=${critical.id}`)).body).data;
      expect(orders, 'one work order per alarm episode').to.have.length(1);
      const order = orders[0];
      if (order === undefined) expect.fail('no work order');
      expect(order).to.deep.include({ priority: 'P1', severity: 'critical', state: 'OPEN', lotId: lot.lotId });
      expect((await gw().request('lender.officer', 'GET', `/v1/work-orders/${order.id}`)).status, 'the lender sees the work order on its pledged lot').to.equal(200);
      clock.advance(31 * minute);
      const escalated = await until(async () => {
        const current = workOrderReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/work-orders/${order.id}`)).body).data;
        return current.history.filter((entry) => entry.action === 'escalate').length >= 3 ? current : undefined;
      });
      expect(escalated.sla.acknowledge.breached).to.equal(true);
      expect(escalated.history.filter((entry) => entry.action === 'escalate').map((entry) => entry.escalation?.percent)).to.deep.equal([50, 80, 100]);

      // Four eyes on a critical alarm's work order: whoever resolves it cannot close it.
      const step = async (who: string, action: string, body: unknown, status = 200) => {
        const reply = await gw().request(who, 'POST', `/v1/work-orders/${order.id}/${action}`, { body });
        expect(reply.status, `${action} as ${who}: ${reply.text.slice(0, 300)}`).to.equal(status);
        return reply;
      };
      await step('custodian.supervisor', 'assignment', { assignee: 'custodian.supervisor' });
      await step('custodian.supervisor', 'start', { note: 'on site' });
      await step('custodian.supervisor', 'resolution', { note: 'door seal replaced; room back at 3 °C' });
      expectProblem(await step('custodian.supervisor', 'closure', {}, 403), 403, 'FOUR_EYES');
      await step('custodian.supervisor', 'reopening', { note: 'a second pair of eyes: redo the check', assignee: 'custodian.clerk' });
      await step('custodian.clerk', 'start', { note: 'on site' });
      await step('custodian.clerk', 'resolution', { note: 'seal checked, readings stable since 03:05' });
      await step('custodian.supervisor', 'closure', { note: 'readings checked since the repair' });

      // The existing resolution path lifts the hold.
      const resolved = await gw().request('custodian.supervisor', 'POST', `/v1/risk-events/${recorded?.id ?? ''}/resolution`, { body: { resolution: 'goods inspected, within tolerance' } });
      expect(resolved.status, resolved.text).to.equal(200);
      const after = encumbranceReply.parse((await gw().request('lender.officer', 'GET', `/v1/receipts/${lot.receiptId}/encumbrance`)).body).data;
      expect(after.freezes.map((hold) => hold.riskEventId)).not.to.include(recorded?.id);
    });

    it('the alarm bundle answers 409 NOT_YET_ANCHORED until its readings are anchored, then carries every one with its proof', async () => {
      const lot = await pledgedLot(gw());
      const device = await placedDevice(gw(), lot);
      const start = clock.now().getTime() - 2 * 60 * minute;
      await submit(gw(), series(device, start, [...Array<number>(5).fill(3), ...Array<number>(15).fill(5), ...Array<number>(10).fill(3)]));
      await gw().gateway.supervisionSettled();
      const [alarm] = (await alarmsSeen(gw(), 'custodian.auditor', `?lotId=${lot.lotId}`)).filter((each) => each.ruleId.startsWith('chilled-high'));
      if (alarm === undefined) expect.fail('no alarm');
      expectProblem(await gw().request('custodian.auditor', 'GET', `/v1/alarms/${alarm.id}/bundle`), 409, 'NOT_YET_ANCHORED');
      await gw().gateway.anchoringSettled();
      const reply = await gw().request('lender.officer', 'GET', `/v1/alarms/${alarm.id}/bundle`);
      expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
      const bundle = z.object({ data: z.object({ format: z.literal('wr-alarm-bundle/1'), evidenceRoot: z.string(), evidence: z.array(z.looseObject({ format: z.string(), evidence: z.looseObject({ id: z.string() }) })) }) }).parse(reply.body).data;
      const ids = [...alarm.raisedBy, ...alarm.clearedBy].map((reading) => reading.evidenceId);
      expect(bundle.evidence.map((each) => each.evidence.id)).to.deep.equal([...new Set(ids)]);
      for (const each of bundle.evidence) expect(each.format).to.equal('wr-evidence-bundle/1');
    });

    it('npm run admin -- replay-rules reproduces the stored alarm log, and exits 1 naming the first change a tampered log lacks', async () => {
      let replayed = { code: null as number | null, output: '' };
      let tampered = { code: null as number | null, output: '' };
      const env = { DATA_DIR: gw().dataDir, ...(target.options.databaseUrl ? { DATABASE_URL: target.options.databaseUrl } : {}) };
      await gw.restart(async () => {
        const admin = run('admin.js', ['replay-rules'], env);
        replayed = { code: await admin.exited, output: admin.output() };
        const db = await target.open();
        try {
          await db.query("UPDATE alarm_changes SET change_jcs = change_jcs || ' ' WHERE seq = (SELECT max(seq) FROM alarm_changes)");
          const again = run('admin.js', ['replay-rules'], env);
          tampered = { code: await again.exited, output: again.output() };
          await db.query("UPDATE alarm_changes SET change_jcs = rtrim(change_jcs, ' ') WHERE seq = (SELECT max(seq) FROM alarm_changes)");
        } finally {
          await db.close();
        }
      });
      expect(replayed.code, replayed.output).to.equal(0);
      expect(replayed.output).to.match(/identical: the stored alarm log is reproduced byte for byte/);
      expect(tampered.code, tampered.output).to.equal(1);
      expect(tampered.output).to.match(/DIFFERENT at change \d+/);
    });

    it('replay through the API gives the stored alarm log byte for byte', async () => {
      const reply = await gw().request('custodian.auditor', 'POST', '/v1/rules/replay', { body: {} });
      expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
      const result = z.object({ data: z.looseObject({ identical: z.boolean(), changes: z.number(), storedChanges: z.number(), firstDifference: z.unknown() }) }).parse(reply.body).data;
      expect(result.firstDifference).to.equal(null);
      expect(result).to.deep.include({ identical: true });
      expect(result.changes).to.be.greaterThan(0);
      expect(result.changes).to.equal(result.storedChanges);
    });
  });
}
