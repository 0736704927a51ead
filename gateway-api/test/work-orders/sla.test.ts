import { expect } from 'chai';
import { workingMs, type Calendar } from '../../src/modules/work-orders/calendar.js';
import type { HistoryEntry } from '../../src/modules/work-orders/model.js';
import { occurrences, type ScheduleDefinition } from '../../src/modules/work-orders/schedules.js';
import { defaultPolicy, dueEscalations, slaOf } from '../../src/modules/work-orders/sla.js';

const hour = 3_600_000;
const nineToFive = [{ from: '09:00', to: '17:00' }];
/** Shanghai (UTC+8, no daylight saving), Monday to Friday 09:00-17:00; Tuesday 8 January 2030 is a holiday. */
const calendar: Calendar = {
  timeZone: 'Asia/Shanghai',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
  holidays: ['2030-01-01', '2030-01-08', '2030-04-01', '2030-10-01', '2030-10-02', '2030-10-03', '2030-10-04', '2030-10-07'],
};
/** A Shanghai wall-clock time as an instant. */
const local = (text: string): Date => new Date(`${text}+08:00`);
const entry = (at: string, action: HistoryEntry['action'], from: HistoryEntry['from'], to: HistoryEntry['to'], extra: Partial<HistoryEntry> = {}): HistoryEntry => ({
  at: local(at).toISOString(),
  actor: 'custodian.clerk',
  action,
  from,
  to,
  ...extra,
});
const created = (at: string, priority: HistoryEntry['priority'] = 'P2'): HistoryEntry => entry(at, 'create', null, 'OPEN', { priority });

describe('work-order SLA clocks (slaOf, pure)', () => {
  it('count only working hours: a weekend and a holiday add nothing (Friday 16:00 to Wednesday 10:00 is 10 working hours)', () => {
    const sla = slaOf([created('2030-01-04T16:00:00')], defaultPolicy, calendar, local('2030-01-09T10:00:00'));
    expect(sla.acknowledge).to.include({ elapsedMs: 10 * hour, goalMs: 2 * hour, status: 'running', breached: true, dueAt: null });
    expect(sla.resolve).to.include({ elapsedMs: 10 * hour, goalMs: 16 * hour, percent: 62.5, status: 'running', breached: false });
    // 6 working hours left after Wednesday 10:00: Wednesday 16:00.
    expect(sla.resolve.dueAt).to.equal(local('2030-01-09T16:00:00').toISOString());
  });

  it('pause the resolve clock while WAITING, and stop each clock when its state is reached', () => {
    const history = [
      created('2030-01-07T09:00:00'),
      entry('2030-01-07T09:30:00', 'assign', 'OPEN', 'ASSIGNED', { assignee: 'custodian.clerk' }),
      entry('2030-01-07T10:00:00', 'start', 'ASSIGNED', 'IN_PROGRESS'),
      entry('2030-01-07T11:00:00', 'wait', 'IN_PROGRESS', 'WAITING'),
    ];
    const waiting = slaOf(history, defaultPolicy, calendar, local('2030-01-07T14:00:00'));
    expect(waiting.acknowledge).to.include({ elapsedMs: 0.5 * hour, status: 'stopped', breached: false, stoppedAt: local('2030-01-07T09:30:00').toISOString() });
    expect(waiting.resolve).to.include({ elapsedMs: 2 * hour, status: 'paused', dueAt: null });
    expect(slaOf(history, defaultPolicy, calendar, local('2030-01-07T16:59:00')).resolve.elapsedMs, 'nothing counts while waiting').to.equal(2 * hour);

    const resolved = [...history, entry('2030-01-07T15:00:00', 'start', 'WAITING', 'IN_PROGRESS'), entry('2030-01-09T11:00:00', 'resolve', 'IN_PROGRESS', 'RESOLVED')];
    // Monday 09-11 and 15-17, Tuesday a holiday, Wednesday 09-11: 6 hours; later reads give the same answer.
    for (const now of ['2030-01-09T11:00:00', '2030-02-01T12:00:00']) {
      const sla = slaOf(resolved, defaultPolicy, calendar, local(now));
      expect(sla.resolve).to.include({ elapsedMs: 6 * hour, status: 'stopped', breached: false, stoppedAt: local('2030-01-09T11:00:00').toISOString() });
    }
  });

  it('count every hour for P1 (24x7), weekends included', () => {
    const sla = slaOf([created('2030-01-05T10:00:00', 'P1')], defaultPolicy, calendar, local('2030-01-05T13:00:00'));
    expect(sla.resolve).to.include({ elapsedMs: 3 * hour, goalMs: 4 * hour, percent: 75 });
    expect(sla.acknowledge.breached).to.equal(true);
  });

  it('follow the local wall clock across a daylight-saving change (Berlin, 31 March 2030)', () => {
    const berlin: Calendar = { ...calendar, timeZone: 'Europe/Berlin', holidays: [] };
    // Friday 16:00 CET (15:00Z) to Monday 10:00 CEST (08:00Z): one hour on each working day.
    expect(workingMs(berlin, Date.parse('2030-03-29T15:00:00Z'), Date.parse('2030-04-01T08:00:00Z'))).to.equal(2 * hour);
  });

  it('start both clocks again from a reopening; raising the priority does not move the goals', () => {
    const history = [
      created('2030-01-07T09:00:00'),
      entry('2030-01-07T09:10:00', 'escalate', 'OPEN', 'OPEN', { priority: 'P1', escalation: { clock: 'acknowledge', percent: 100, action: 'raise-priority' } }),
      entry('2030-01-07T09:20:00', 'assign', 'OPEN', 'ASSIGNED', { assignee: 'custodian.clerk' }),
      entry('2030-01-07T09:30:00', 'start', 'ASSIGNED', 'IN_PROGRESS'),
      entry('2030-01-07T10:00:00', 'resolve', 'IN_PROGRESS', 'RESOLVED'),
      entry('2030-01-07T13:00:00', 'reopen', 'RESOLVED', 'ASSIGNED', { assignee: 'custodian.clerk' }),
    ];
    const sla = slaOf(history, defaultPolicy, calendar, local('2030-01-07T14:00:00'));
    // The reopening happened under P1 (raised): the new cycle has P1's goals; the first cycle had P2's.
    expect(sla.priority).to.equal('P1');
    expect(sla.cycleStartedAt).to.equal(local('2030-01-07T13:00:00').toISOString());
    expect(sla.acknowledge).to.include({ elapsedMs: 0, status: 'stopped' });
    expect(sla.resolve).to.include({ elapsedMs: hour, status: 'running' });
    expect(slaOf(history.slice(0, 5), defaultPolicy, calendar, local('2030-01-07T14:00:00')).priority).to.equal('P2');
  });
});

describe('the escalation ladder (dueEscalations, pure)', () => {
  const start = created('2030-01-07T09:00:00');
  const step = (at: string, clock: 'acknowledge' | 'resolve', percent: number, action: 'notify' | 'reassign' | 'raise-priority'): HistoryEntry =>
    entry(at, 'escalate', 'OPEN', 'OPEN', { actor: 'work-orders.escalation', escalation: { clock, percent, action } });

  it('is due at 50, 80 and 100 percent of a running clock, each step once per cycle', () => {
    expect(dueEscalations([start], defaultPolicy, calendar, local('2030-01-07T09:59:00'))).to.deep.equal([]);
    expect(dueEscalations([start], defaultPolicy, calendar, local('2030-01-07T10:00:00'))).to.deep.equal([{ clock: 'acknowledge', step: { percent: 50, action: 'notify' } }]);
    const notified = [start, step('2030-01-07T10:00:00', 'acknowledge', 50, 'notify')];
    expect(dueEscalations(notified, defaultPolicy, calendar, local('2030-01-07T10:30:00')), 'taken once').to.deep.equal([]);
    expect(dueEscalations(notified, defaultPolicy, calendar, local('2030-01-07T11:00:00')).map((due) => due.step.action)).to.deep.equal(['reassign', 'raise-priority']);
  });

  it('is not due for a clock that stopped or is paused', () => {
    const assigned = [start, entry('2030-01-07T09:10:00', 'assign', 'OPEN', 'ASSIGNED'), entry('2030-01-07T09:20:00', 'start', 'ASSIGNED', 'IN_PROGRESS'), entry('2030-01-07T09:30:00', 'wait', 'IN_PROGRESS', 'WAITING')];
    expect(dueEscalations(assigned, defaultPolicy, calendar, local('2030-02-07T09:00:00')), 'acknowledged in time; resolve paused at 30 min').to.deep.equal([]);
  });
});

describe('work-order schedule occurrences (pure)', () => {
  const quarterly: ScheduleDefinition = {
    id: 'Q-COUNT-A',
    cron: '0 8 * 1,4,7,10 *',
    timeZone: 'Asia/Shanghai',
    dayRule: 'first-working-day',
    title: 'Quarterly full count of every A-class location',
    priority: 'P2',
    scope: { warehouseId: 'WH-QD-01', locationClass: 'A' },
  };

  it('first working day of each quarter: 08:00 on the first day of the quarter that is neither a weekend nor a holiday', () => {
    const { due } = occurrences(quarterly, calendar, new Date('2029-12-31T00:00:00Z'), new Date('2030-12-31T00:00:00Z'));
    // 1 Jan a holiday; 1 Apr a holiday (a Monday); 1 Jul a Monday; 1-7 Oct holidays or a weekend.
    expect(due.map((time) => time.toISOString())).to.deep.equal(['2030-01-02T00:00:00.000Z', '2030-04-02T00:00:00.000Z', '2030-07-01T00:00:00.000Z', '2030-10-08T00:00:00.000Z']);
  });

  it('working-day keeps every cron time on a working day; any keeps them all', () => {
    const daily = { ...quarterly, cron: '30 17 * * *' };
    const after = local('2030-01-04T00:00:00');
    const until = local('2030-01-09T00:00:00');
    const working = occurrences({ ...daily, dayRule: 'working-day' }, calendar, after, until).due.map((time) => time.toISOString());
    expect(working).to.deep.equal([local('2030-01-04T17:30:00').toISOString(), local('2030-01-07T17:30:00').toISOString()]);
    expect(occurrences({ ...daily, dayRule: 'any' }, calendar, after, until).due).to.have.length(5);
  });
});
