import { expect } from 'chai';
import { replay } from '../../src/modules/rules/engine/index.js';
import { Log, minute, scope, t0, versionOf } from './engine-log.js';

describe('Rules engine: rule sets', function () {
  const v1 = versionOf({ id: 'high', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 3 } });
  const v2 = versionOf({ ...v1.definition, severity: 'critical', raise: { op: 'gt', value: 6 } }, 2);

  it('a version leaving the set ends its open episode at the stream watermark; the new version raises its own alarm', function () {
    const log = new Log().rules(v1).reading(t0, 'temperature', 7).reading(t0 + minute, 'temperature', 7).rules(v2).reading(t0 + 2 * minute, 'temperature', 7);
    const { changes } = replay(log.items);
    expect(changes.map((c) => `${c.type} v${c.alarm.ruleVersion}`)).to.deep.equal(['raised v1', 'cleared v1', 'raised v2']);
    expect(changes[1]?.alarm.clearedAt).to.equal(new Date(t0 + minute).toISOString());
    expect(changes[1]?.alarm.clearedBy).to.deep.equal([]);
    expect(changes[1]?.alarm.detail).to.match(/rule version no longer in force$/);
    expect(changes[2]?.alarm.ruleHash).to.equal(v2.hash);
    expect(changes[2]?.alarm.id).to.not.equal(changes[0]?.alarm.id);
  });

  it('a version kept in the set keeps its streams; a retired one is not evaluated', function () {
    const kept = new Log().rules(v1).reading(t0, 'temperature', 7).rules(v1).reading(t0 + minute, 'temperature', 7);
    expect(replay(kept.items).changes.map((c) => c.type)).to.deep.equal(['raised']);
    const retired = new Log().rules({ ...v1, retired: true }).reading(t0, 'temperature', 7);
    expect(replay(retired.items).changes).to.deep.equal([]);
  });

  it('scope and metric decide which readings a rule sees', function () {
    const lotRule = versionOf({ ...v1.definition, id: 'lot-high', scope: { lotId: 'LOT-2' } });
    const log = new Log().rules(lotRule).reading(t0, 'temperature', 9).reading(t0, 'humidity', 9, { lotId: 'LOT-2', deviceId: 'dev-2' }).reading(t0 + minute, 'temperature', 9, { lotId: 'LOT-2', deviceId: 'dev-3' });
    const { changes } = replay(log.items);
    expect(changes.map((c) => c.alarm.subject)).to.deep.equal([{ deviceId: 'dev-3', lotId: 'LOT-2', warehouseId: 'WH-1' }]);
  });

  it('counts values that do not fit their metric and evaluates nothing from them', function () {
    const log = new Log().rules(v1).reading(t0, 'temperature', '9').reading(t0 + minute, 'temperature', Number.NaN);
    const { changes, state } = replay(log.items);
    expect(changes).to.deep.equal([]);
    expect(state.counters.invalid).to.equal(2);
  });
});
