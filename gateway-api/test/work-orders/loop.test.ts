import { expect } from 'chai';
import { z } from 'zod';
import { defaultModules } from '../../src/main.js';
import { defaultCalendar, workOrdersModuleWith, type Calendar } from '../../src/modules/work-orders/index.js';
import { defaultPolicy } from '../../src/modules/work-orders/sla.js';
import { workOrders } from '../../src/modules/work-orders/work-orders.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { expectProblem } from '../http/helpers.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { testDatabases, useDatabase } from '../support/postgres.js';

const targets = await testDatabases();

const entry = z.looseObject({ action: z.string(), actor: z.string(), escalation: z.object({ clock: z.string(), percent: z.number(), action: z.string() }).optional() });
const workOrder = z.looseObject({
  id: z.string(),
  state: z.string(),
  priority: z.string(),
  assignee: z.string().nullable(),
  location: z.string().nullable(),
  source: z.looseObject({ type: z.string(), occurrence: z.string().optional() }),
  history: z.array(entry),
});
const one = z.object({ data: workOrder });
const list = z.object({ data: z.array(workOrder) });
const schedules = z.object({ data: z.array(z.looseObject({ id: z.string(), consideredUntil: z.string(), nextOccurrences: z.array(z.string()) })) });

/** Shanghai, Monday to Friday 09:00-17:00; Monday 1 April 2030 a holiday. */
const calendar: Calendar = { ...defaultCalendar, holidays: ['2030-04-01'] };
const minute = 60_000;

/**
 * Checks `condition` until it holds, nudging the manual clock a second at a time so that the loop (which sleeps a
 * second between rounds) runs again; the nudges are far smaller than the steps under test.
 */
async function eventually(clock: ManualClock, condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await condition()) return;
    clock.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const target of targets) {
  describe(`Work-order loop (escalation, schedules) on ${target.name}, with a manual clock`, function () {
    this.timeout(120_000);
    // Monday 7 January 2030, 09:00 in Shanghai.
    const clock = new ManualClock(new Date('2030-01-07T01:00:00.000Z'));
    let gateway: TestGateway | undefined;
    before(async function () {
      // In its place: the alarms module, started after it, raises work orders through it.
      const modules = defaultModules.map((module) => (module.name === 'work-orders' ? workOrdersModuleWith({ calendar, intervalMs: 1_000 }) : module));
      gateway = await startTestGateway(target, {}, { clock, modules });
    });
    after(async function () {
      await gateway?.close();
      await target.cleanup();
    });
    const gw = (): TestGateway => {
      if (gateway === undefined) throw new Error('the gateway is not running');
      return gateway;
    };
    const read = async (id: string) => one.parse((await gw().request('custodian.auditor', 'GET', `/v1/work-orders/${id}`)).body).data;
    const escalations = async (id: string) => (await read(id)).history.filter((item) => item.action === 'escalate').map((item) => `${item.escalation?.clock ?? ''} ${String(item.escalation?.percent)} ${item.escalation?.action ?? ''}`);

    it('escalates a P2 work order at 50%, 80% and 100% of its acknowledge goal (2 working hours): notify, reassign, raise the priority, each once', async () => {
      const start = clock.now().getTime();
      const created = await gw().request('custodian.clerk', 'POST', '/v1/work-orders', { body: { title: 'Check door seal, cold room 2', priority: 'P2', warehouseId: 'WH-QD-01' } });
      expect(created.status, created.text).to.equal(201);
      const { id } = one.parse(created.body).data;

      clock.advanceTo(new Date(start + 61 * minute));
      await eventually(clock, async () => (await escalations(id)).length === 1, 'the 50% step');
      expect(await escalations(id)).to.deep.equal(['acknowledge 50 notify']);

      clock.advanceTo(new Date(start + 97 * minute));
      await eventually(clock, async () => (await escalations(id)).length === 2, 'the 80% step');
      expect((await read(id)).assignee, 'reassigned to the supervisor').to.equal('custodian.supervisor');

      clock.advanceTo(new Date(start + 121 * minute));
      await eventually(clock, async () => (await escalations(id)).length === 3, 'the 100% step');
      const breached = await read(id);
      expect(breached).to.include({ priority: 'P1', state: 'OPEN' });
      expect(breached.history.at(-1)?.actor).to.equal('work-orders.escalation');

      // Monday 17:00: the resolve clock (16 working hours) reaches 50% after 8; the acknowledge steps stay as they were.
      clock.advanceTo(new Date(start + 8 * 60 * minute));
      await eventually(clock, async () => (await escalations(id)).length === 4, 'the resolve clock at 50%');
      expect(await escalations(id)).to.deep.equal(['acknowledge 50 notify', 'acknowledge 80 reassign', 'acknowledge 100 raise-priority', 'resolve 50 notify']);
    });

    it('refuses a schedule with a bad cron expression or time zone with 400 and the field', async () => {
      const body = { id: 'Q-BAD', cron: '0 8 * 1,4,7,10 *', timeZone: 'Asia/Shanghai', title: 'Count', scope: { warehouseId: 'WH-QD-01' } };
      for (const [change, path] of [[{ cron: '61 8 * * *' }, 'cron'], [{ cron: 'every day' }, 'cron'], [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'], [{ dayRule: 'sometimes' }, 'dayRule']] as const) {
        const problem = expectProblem(await gw().request('custodian.supervisor', 'POST', '/v1/work-order-schedules', { body: { ...body, ...change } }), 400, 'VALIDATION_FAILED');
        expect(z.object({ errors: z.array(z.object({ path: z.string() })) }).parse(problem).errors.map((error) => error.path)).to.deep.equal([path]);
      }
      expectProblem(await gw().request('custodian.clerk', 'POST', '/v1/work-order-schedules', { body }), 403, 'FORBIDDEN');
    });

    it('raises one work order per occurrence of "the first working day of each quarter", skipping a holiday, also across a restart', async () => {
      clock.advanceTo(new Date('2030-03-20T00:00:00.000Z'));
      const definition = {
        id: 'Q-COUNT-A',
        cron: '0 8 * 1,4,7,10 *',
        timeZone: 'Asia/Shanghai',
        dayRule: 'first-working-day',
        title: 'Quarterly full count of every A-class location',
        priority: 'P2',
        scope: { warehouseId: 'WH-QD-01', locationClass: 'A' },
      };
      const created = await gw().request('custodian.supervisor', 'POST', '/v1/work-order-schedules', { body: definition });
      expect(created.status, created.text).to.equal(201);
      const listed = schedules.parse((await gw().request('custodian.auditor', 'GET', '/v1/work-order-schedules')).body).data;
      expect(listed.find((schedule) => schedule.id === 'Q-COUNT-A')?.nextOccurrences.slice(0, 2)).to.deep.equal(['2030-04-02T00:00:00.000Z', '2030-07-01T00:00:00.000Z']);

      const raised = async () => list.parse((await gw().request('custodian.auditor', 'GET', '/v1/work-orders?scheduleId=Q-COUNT-A')).body).data;
      const consideredPast = (time: string) => async () =>
        (schedules.parse((await gw().request('custodian.auditor', 'GET', '/v1/work-order-schedules')).body).data.find((schedule) => schedule.id === 'Q-COUNT-A')?.consideredUntil ?? '') >= time;

      // Monday 1 April, 20:00 in Shanghai: a holiday, so nothing yet.
      clock.advanceTo(new Date('2030-04-01T12:00:00.000Z'));
      await eventually(clock, consideredPast('2030-04-01T12:00:00.000Z'), 'the schedule looked at 1 April');
      expect(await raised()).to.deep.equal([]);

      clock.advanceTo(new Date('2030-04-02T00:30:00.000Z'));
      await eventually(clock, async () => (await raised()).length === 1, 'the work order of 2 April');
      const [april] = await raised();
      expect(april?.source).to.deep.equal({ type: 'schedule', scheduleId: 'Q-COUNT-A', occurrence: '2030-04-02T00:00:00.000Z' });
      expect(april).to.include({ priority: 'P2', location: 'every class A location', state: 'OPEN' });

      gateway = await gw().restart();
      clock.advanceTo(new Date('2030-04-20T00:00:00.000Z'));
      await eventually(clock, consideredPast('2030-04-20T00:00:00.000Z'), 'the schedule looked at after the restart');
      expect(await raised(), 'still one for April').to.have.length(1);

      clock.advanceTo(new Date('2030-07-01T01:00:00.000Z'));
      await eventually(clock, async () => (await raised()).length === 2, 'the work order of 1 July');
      expect((await raised()).map((order) => order.source.occurrence)).to.deep.equal(['2030-04-02T00:00:00.000Z', '2030-07-01T00:00:00.000Z']);
    });
  });
}

for (const target of await testDatabases()) {
  describe(`raiseForAlarm on ${target.name}`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);
    const service = () => workOrders(db(), new ManualClock(new Date('2030-01-07T01:00:00.000Z')), { calendar: defaultCalendar, policy: defaultPolicy });
    const alarm = (alarmId: string) => ({ alarmId, severity: 'critical' as const, title: 'Cold room 3 above -15 °C', warehouseId: 'WH-QD-01', lotId: 'LOT-1', receiptIds: ['WR-1'] });
    const device = { submittedBy: 'custodian.device-gateway' };

    it('raises exactly one work order per alarm episode, however often and however concurrently it is called', async () => {
      const first = await db().transaction((tx) => service().raiseForAlarm(tx, alarm('alm_once'), device));
      expect(first.created).to.equal(true);
      expect(first.workOrder).to.deep.include({ priority: 'P1', severity: 'critical', state: 'OPEN', lotId: 'LOT-1', source: { type: 'alarm', alarmId: 'alm_once' } });
      const again = await db().transaction((tx) => service().raiseForAlarm(tx, alarm('alm_once'), device));
      expect(again).to.deep.include({ created: false });
      expect(again.workOrder.id).to.equal(first.workOrder.id);

      const racing = await Promise.all([1, 2, 3].map(() => db().transaction((tx) => service().raiseForAlarm(tx, alarm('alm_race'), device))));
      expect(racing.filter((outcome) => outcome.created)).to.have.length(1);
      expect(new Set(racing.map((outcome) => outcome.workOrder.id)).size).to.equal(1);
    });

    it("takes part in the caller's transaction: rolled back with it, nothing stays", async () => {
      const failure = await db()
        .transaction(async (tx) => {
          await service().raiseForAlarm(tx, alarm('alm_rolled_back'), device);
          throw new Error('the alarm could not be stored');
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).to.be.instanceOf(Error);
      const rows = await db().query('SELECT id FROM work_orders WHERE alarm_id = $1', ['alm_rolled_back']);
      expect(rows).to.deep.equal([]);
    });
  });
}
