import { expect } from 'chai';
import { alarmId, replay } from '../../src/modules/rules/engine/index.js';
import { Log, minute, scope, t0, versionOf } from './engine-log.js';

describe('Rules engine: levels, hysteresis and gaps', function () {
  const high = versionOf({ id: 'chilled-high', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 3.5 } });

  it('a value oscillating around the threshold raises one alarm, not one per crossing (hysteresis)', function () {
    const log = new Log().rules(high);
    for (let i = 0; i < 120; i++) log.reading(t0 + i * minute, 'temperature', i % 2 === 0 ? 4.2 : 3.8);
    const { changes } = replay(log.items);
    expect(changes.map((c) => c.type)).to.deep.equal(['raised']);
    log.reading(t0 + 120 * minute, 'temperature', 3.4);
    expect(replay(log.items).changes.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
  });

  it('with forMs, short excursions of an oscillating value raise nothing, and one long enough raises once', function () {
    const held = versionOf({ ...high.definition, id: 'held', raise: { op: 'gt', value: 4, forMs: 10 * minute } });
    const log = new Log().rules(held);
    for (let i = 0; i < 120; i++) log.reading(t0 + i * minute, 'temperature', Math.floor(i / 4) % 2 === 0 ? 4.5 : 3.0);
    expect(replay(log.items).changes).to.deep.equal([]);
    for (let i = 120; i < 140; i++) log.reading(t0 + i * minute, 'temperature', 4.5 + (i % 2) * 0.1);
    const { changes } = replay(log.items);
    expect(changes.map((c) => c.type)).to.deep.equal(['raised']);
    const alarm = changes[0]?.alarm;
    expect(alarm?.startedAt).to.equal(new Date(t0 + 120 * minute).toISOString());
    expect(alarm?.raisedBy.map((r) => r.evidenceId)).to.deep.equal([(log.items[121] as { evidenceId: string }).evidenceId, (log.items[131] as { evidenceId: string }).evidenceId]);
  });

  it('records the episode: device-time start and clear, stats with mean kinetic temperature, evidence, a derived id', function () {
    const log = new Log().rules(high);
    const values = [3, 5, 7, 6, 3.4, 3];
    values.forEach((v, i) => log.reading(t0 + i * 10 * minute, 'temperature', v));
    const { changes } = replay(log.items);
    expect(changes.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
    const cleared = changes[1]?.alarm;
    if (cleared === undefined) throw new Error('no clear');
    expect(cleared.state).to.equal('CLEARED');
    expect(cleared.startedAt).to.equal('2026-03-02T00:10:00.000Z');
    expect(cleared.clearedAt).to.equal('2026-03-02T00:40:00.000Z');
    expect(cleared.stats).to.include({ count: 3, min: 5, max: 7, mean: 6, outOfRangeMs: 30 * minute });
    const kelvin = [5, 7, 6].map((c) => c + 273.15);
    const mkt = 10000 / -Math.log(kelvin.reduce((sum, k) => sum + Math.exp(-10000 / k), 0) / 3) - 273.15;
    expect(cleared.stats.mktC).to.be.closeTo(mkt, 1e-9);
    expect(cleared.raisedBy.map((r) => r.evidenceId)).to.deep.equal([(log.items[2] as { evidenceId: string }).evidenceId]);
    expect(cleared.clearedBy.map((r) => r.evidenceId)).to.deep.equal([(log.items[5] as { evidenceId: string }).evidenceId]);
    expect(cleared.id).to.equal(alarmId(high.hash, { deviceId: 'dev-1', lotId: 'LOT-1', warehouseId: 'WH-1' }, (log.items[2] as { evidenceId: string }).evidenceId));
    expect(cleared.id).to.match(/^alm_[0-9a-f]{32}$/);
    expect(changes[0]?.alarm.detail).to.equal('temperature 5 °C above 4 for 0 min');
    expect(changes[0]?.alarm.id).to.equal(cleared.id);
  });

  it('a gap longer than gapMs bridges no sustained excursion: neither side alone lasts forMs', function () {
    const sustained = versionOf({ id: 'sus', scope, kind: 'sustained', metric: 'temperature', severity: 'critical', raise: { op: 'gt', value: 8, forMs: 30 * minute }, clear: { op: 'lte', value: 4 }, gapMs: 15 * minute });
    const log = new Log().rules(sustained);
    for (let m = 0; m <= 20; m += 5) log.reading(t0 + m * minute, 'temperature', 9);
    for (let m = 50; m <= 70; m += 5) log.reading(t0 + m * minute, 'temperature', 9);
    expect(replay(log.items).changes).to.deep.equal([]);
    // Without the gap the same excursion does raise.
    const steady = new Log().rules(sustained);
    for (let m = 0; m <= 70; m += 5) steady.reading(t0 + m * minute, 'temperature', 9);
    expect(replay(steady.items).changes.map((c) => c.type)).to.deep.equal(['raised']);
  });

  it('a gap accumulates no time out of range (cumulative), and does not count as still in range toward a clear', function () {
    const cumulative = versionOf({ id: 'cum', scope, kind: 'cumulative', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 4 }, windowMs: 24 * 60 * minute, budgetMs: 30 * minute, gapMs: 15 * minute });
    const log = new Log().rules(cumulative);
    for (let m = 0; m <= 20; m += 5) log.reading(t0 + m * minute, 'temperature', 6);
    for (let m = 60; m <= 65; m += 5) log.reading(t0 + m * minute, 'temperature', 6);
    expect(replay(log.items).changes, '20 + 5 min out of range, not 65').to.deep.equal([]);
    log.reading(t0 + 70 * minute, 'temperature', 6);
    const { changes } = replay(log.items);
    expect(changes.map((c) => c.type)).to.deep.equal(['raised']);
    expect(changes[0]?.alarm.stats.outOfRangeMs).to.equal(30 * minute);

    const slow = versionOf({ ...high.definition, id: 'slow-clear', clear: { op: 'lte', value: 3.5, forMs: 10 * minute }, gapMs: 15 * minute });
    const clearing = new Log().rules(slow).reading(t0, 'temperature', 6).reading(t0 + minute, 'temperature', 3).reading(t0 + 40 * minute, 'temperature', 3);
    expect(replay(clearing.items).changes.map((c) => c.type), 'the 39 min gap is not 39 min in range').to.deep.equal(['raised']);
    clearing.reading(t0 + 50 * minute, 'temperature', 3);
    const cleared = replay(clearing.items).changes;
    expect(cleared.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
    expect(cleared[1]?.alarm.clearedAt).to.equal(new Date(t0 + 40 * minute).toISOString());
  });

  it('rate-of-change raises on a fast warming and not on a slow drift', function () {
    const rate = versionOf({ id: 'rate', scope, kind: 'rate-of-change', metric: 'temperature', severity: 'warning', raise: { op: 'gt', value: 5 }, clear: { op: 'lte', value: 2 }, perMs: 60 * minute });
    const drift = new Log().rules(rate);
    for (let m = 0; m < 60; m++) drift.reading(t0 + m * minute, 'temperature', -20 + m * 0.05);
    expect(replay(drift.items).changes).to.deep.equal([]);
    const warm = new Log().rules(rate).reading(t0, 'temperature', -20).reading(t0 + minute, 'temperature', -19.8).reading(t0 + 2 * minute, 'temperature', -19.8);
    const { changes } = replay(warm.items);
    expect(changes.map((c) => c.type)).to.deep.equal(['raised', 'cleared']);
    expect(changes[0]?.alarm.detail).to.equal('temperature changing 12 °C per 60 min, above 5, for 0 min');
  });
});
