import { expect } from 'chai';
import { replay } from '../../src/modules/rules/engine/index.js';
import { doorScheduleExample } from '../../src/modules/rules/templates.js';
import { Log, minute, scope, t0, versionOf } from './engine-log.js';

describe('Rules engine: stock, door schedule, offline, geofence', function () {
  describe('stock-reconciliation', function () {
    const stock = versionOf({ id: 'stock', scope: { lotId: 'LOT-1' }, kind: 'stock-reconciliation', metric: 'weight', severity: 'critical', tolerance: { ratio: 0.02 }, forMs: 10 * minute });
    const cells = ['cell-1', 'cell-2', 'cell-3', 'cell-4'];
    /** Four load cells reporting every minute from `from` to `to`; `cell-1` reads `dip(m)` when given. */
    const weigh = (log: Log, from: number, to: number, dip?: (m: number) => number | undefined): Log => {
      for (let m = from; m < to; m++) for (const deviceId of cells) log.reading(t0 + m * minute, 'weight', deviceId === 'cell-1' ? (dip?.(m) ?? 2500) : 2500, { deviceId });
      return log;
    };

    it('a forklift transient on a load cell, shorter than forMs, raises nothing', function () {
      const log = weigh(new Log().rules(stock).fact('LOT-1', '10000'), 0, 60, (m) => (m >= 20 && m < 27 ? 400 : m >= 40 && m < 42 ? 4800 : undefined));
      expect(replay(log.items).changes).to.deep.equal([]);
    });

    it('a shortfall beyond tolerance for forMs raises on the lot, and clears when the weight is back', function () {
      const log = weigh(new Log().rules(stock).fact('LOT-1', '10000'), 0, 60, (m) => (m >= 20 && m < 45 ? 1500 : undefined));
      const { changes } = replay(log.items);
      expect(changes.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
      const alarm = changes[1]?.alarm;
      expect(alarm?.subject).to.deep.equal({ deviceId: null, lotId: 'LOT-1', warehouseId: 'WH-1' });
      expect(alarm?.startedAt).to.equal(new Date(t0 + 20 * minute).toISOString());
      expect(alarm?.clearedAt).to.equal(new Date(t0 + 45 * minute).toISOString());
      expect(changes[0]?.alarm.detail).to.equal('measured weight 9000 kg below receipted 10000 kg less tolerance 200 kg for 10 min');
    });

    it('without a receipted quantity, or with a silent load cell, the lot is unknown and raises nothing', function () {
      expect(replay(weigh(new Log().rules(stock), 0, 60, () => 0).items).changes).to.deep.equal([]);
      const log = new Log().rules(stock).fact('LOT-1', '10000');
      for (const deviceId of cells) log.reading(t0, 'weight', 2500, { deviceId });
      for (let m = 1; m < 60; m++) log.reading(t0 + m * minute, 'weight', 2500, { deviceId: 'cell-2' });
      expect(replay(log.items).changes).to.deep.equal([]);
    });
  });

  describe('door-schedule', function () {
    const door = versionOf({ ...doorScheduleExample(scope, 'Europe/Berlin'), forMs: undefined });
    /** The door opens at `iso` and closes a minute later; what does the rule say? */
    const open = (iso: string): string[] => {
      const ts = Date.parse(iso);
      const log = new Log().rules(door).reading(ts, 'door', 'open').reading(ts + minute, 'door', false);
      return replay(log.items).changes.map((c) => c.type);
    };

    it('follows local time across the start of summer time in Europe/Berlin (29 March 2026)', function () {
      // Friday before: CET (UTC+1). 05:30Z is 06:30 local, before opening.
      expect(open('2026-03-27T05:30:00Z')).to.deep.equal(['raised', 'cleared']);
      expect(open('2026-03-27T06:30:00Z')).to.deep.equal([]);
      expect(open('2026-03-27T17:30:00Z')).to.deep.equal([]);
      // Monday after: CEST (UTC+2). 05:30Z is 07:30 local, open hours; 17:30Z is 19:30 local, closed.
      expect(open('2026-03-30T05:30:00Z')).to.deep.equal([]);
      expect(open('2026-03-30T17:30:00Z')).to.deep.equal(['raised', 'cleared']);
      // Saturday 08:00–12:00 only; Sunday never.
      expect(open('2026-03-28T08:30:00Z')).to.deep.equal([]);
      expect(open('2026-03-29T10:00:00Z')).to.deep.equal(['raised', 'cleared']);
    });

    it('follows local time across the end of summer time in America/New_York (1 November 2026)', function () {
      const ny = versionOf({ ...doorScheduleExample(scope, 'America/New_York'), id: 'door-ny', forMs: undefined });
      const run = (iso: string): string[] => {
        const ts = Date.parse(iso);
        return replay(new Log().rules(ny).reading(ts, 'door', 1).reading(ts + minute, 'door', 0).items).changes.map((c) => c.type);
      };
      // Friday 30 October, EDT (UTC−4): 11:30Z is 07:30 local. Monday 2 November, EST (UTC−5): 11:30Z is 06:30.
      expect(run('2026-10-30T11:30:00Z')).to.deep.equal([]);
      expect(run('2026-11-02T11:30:00Z')).to.deep.equal(['raised', 'cleared']);
      expect(run('2026-11-02T12:30:00Z')).to.deep.equal([]);
    });

    it('a door left open outside hours for less than forMs raises nothing', function () {
      const graceful = versionOf(doorScheduleExample(scope, 'Europe/Berlin'));
      const ts = Date.parse('2026-03-30T20:00:00Z');
      const log = new Log().rules(graceful).reading(ts, 'door', 'open').reading(ts + minute, 'door', 'open').reading(ts + 90_000, 'door', 'closed');
      expect(replay(log.items).changes).to.deep.equal([]);
      log.reading(ts + 10 * minute, 'door', 'open').reading(ts + 12 * minute, 'door', 'open');
      expect(replay(log.items).changes.map((c) => c.type)).to.deep.equal(['raised']);
    });
  });

  describe('offline', function () {
    const offline = versionOf({ id: 'offline', scope, kind: 'offline', metric: 'temperature', severity: 'major', forMs: 15 * minute, seqGap: true });

    it('a device silent for forMs of wall-clock time (ticks) raises once, and clears when it reports again', function () {
      const log = new Log().rules(offline);
      for (let m = 0; m <= 10; m++) log.reading(t0 + m * minute, 'temperature', -19);
      log.tick(t0 + 24 * minute).tick(t0 + 26 * minute).tick(t0 + 40 * minute);
      const raised = replay(log.items).changes;
      expect(raised.map((c) => c.type)).to.deep.equal(['raised']);
      expect(raised[0]?.alarm.startedAt).to.equal(new Date(t0 + 25 * minute).toISOString());
      expect(raised[0]?.alarm.raisedBy[0]?.evidenceId).to.equal((log.items[11] as { evidenceId: string }).evidenceId);
      log.reading(t0 + 41 * minute, 'temperature', -19);
      const { changes } = replay(log.items);
      expect(changes.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
      expect(changes[1]?.alarm.stats.outOfRangeMs).to.equal(31 * minute);
    });

    it('a sequence gap raises, and the next reading in sequence clears it', function () {
      const log = new Log().rules(offline).reading(t0, 'temperature', -19, { seq: 4 }).reading(t0 + minute, 'temperature', -19, { seq: 9, seqGapFrom: 5 }).reading(t0 + 2 * minute, 'temperature', -19, { seq: 10 });
      const { changes } = replay(log.items);
      expect(changes.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
      expect(changes[0]?.alarm.detail).to.equal('sequence gap: 4 readings missing (seq 5 to 8)');
    });
  });

  describe('geofence', function () {
    const yard: [number, number][] = [[120.3, 36.0], [120.4, 36.0], [120.4, 36.1], [120.3, 36.1], [120.3, 36.0]];
    const fence = versionOf({ id: 'yard', scope, kind: 'geofence', metric: 'gps', severity: 'critical', polygon: yard });

    it('a tracker leaving the polygon raises, and coming back clears', function () {
      const log = new Log().rules(fence).reading(t0, 'gps', { lat: 36.05, lon: 120.35 }).reading(t0 + minute, 'gps', { lat: 36.05, lon: 120.5 }).reading(t0 + 2 * minute, 'gps', { lat: 36.2, lon: 120.5 }).reading(t0 + 3 * minute, 'gps', { lat: 36.09, lon: 120.31 });
      const { changes } = replay(log.items);
      expect(changes.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
      expect(changes[0]?.alarm.detail).to.equal('position 36.05, 120.5 outside the geofence for 0 min');
      expect(changes[1]?.alarm.stats.count).to.equal(2);
    });
  });
});
