import assert from 'node:assert/strict';
import { riskEventArgs } from '../src/args';
import { marshal } from '../src/marshal';
import { riskEvent, riskSeverities } from '../src/model';

/** A risk event exactly as the chaincode stored it before severities had `major` and events had `alarm`. */
const storedBeforeAlarms = {
  docType: 'risk',
  id: 'shortfall-LOT1-0123456789ab',
  receiptId: null,
  lotId: 'LOT1',
  kind: 'SHORTFALL',
  severity: 'critical',
  detail: 'stock count found 80 t, receipted 90, missing 10',
  evidenceRef: 'COUNT-2024-07',
  status: 'RESOLVED',
  recordedBy: 'li',
  recordedAt: '2024-07-01T08:00:00.000Z',
  resolvedBy: 'li',
  resolvedAt: '2024-07-02T08:00:00.000Z',
  resolution: 'found in bay 4',
};

const alarm = {
  alarmId: 'alm_5d41402abc4b2a76b9719d911017c592',
  ruleHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  evidenceRoot: '0x2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
};

const args = (fields: object): unknown => ({
  id: 'RISK-1',
  lotId: 'LOT1',
  kind: 'STOCK_RECONCILIATION',
  severity: 'major',
  detail: 'load cells 2.1% below receipted for 30 min',
  ...fields,
});

describe('risk event records', () => {
  it('orders severities info < warning < major < critical', () => {
    assert.deepEqual([...riskSeverities], ['info', 'warning', 'major', 'critical']);
  });

  it('reads a record stored before alarms existed, without adding an alarm member, and writes it back byte for byte', () => {
    const parsed = riskEvent.parse(storedBeforeAlarms);
    assert.equal('alarm' in parsed, false);
    assert.deepEqual(marshal(parsed), marshal(storedBeforeAlarms));
    // What ResolveRiskEvent does to a stored event: spreading it must not introduce an undefined member.
    assert.doesNotThrow(() => marshal({ ...parsed, status: 'RESOLVED' }));
  });

  it('reads a major event with its alarm and marshals the alarm with sorted keys', () => {
    const parsed = riskEvent.parse({ ...storedBeforeAlarms, severity: 'major', alarm });
    assert.deepEqual(parsed.alarm, alarm);
    const json = new TextDecoder().decode(marshal(parsed));
    assert.ok(json.includes(`"alarm":{"alarmId":"${alarm.alarmId}","evidenceRoot":"${alarm.evidenceRoot}","ruleHash":"${alarm.ruleHash}"}`));
  });

  it('has one form for "no alarm": absent; a stored null alarm is not a record we write', () => {
    assert.equal(riskEvent.safeParse({ ...storedBeforeAlarms, alarm: null }).success, false);
  });
});

describe('RecordRiskEvent arguments', () => {
  it('take severity major and an optional alarm link', () => {
    assert.equal(riskEventArgs.safeParse(args({})).success, true);
    const parsed = riskEventArgs.parse(args({ alarm }));
    assert.deepEqual(parsed.alarm, alarm);
  });

  it('refuse an alarm whose rule hash, evidence root or id is not exactly in form', () => {
    const bad: Record<string, object> = {
      'upper-case rule hash': { ...alarm, ruleHash: alarm.ruleHash.toUpperCase() },
      '0x rule hash': { ...alarm, ruleHash: `0x${alarm.ruleHash}` },
      'short rule hash': { ...alarm, ruleHash: alarm.ruleHash.slice(1) },
      'root without 0x': { ...alarm, evidenceRoot: alarm.evidenceRoot.slice(2) },
      'upper-case root': { ...alarm, evidenceRoot: `0x${alarm.evidenceRoot.slice(2).toUpperCase()}` },
      'root of 31 bytes': { ...alarm, evidenceRoot: alarm.evidenceRoot.slice(0, -2) },
      'alarm id with a space': { ...alarm, alarmId: 'alm 1' },
      'alarm id of 65 characters': { ...alarm, alarmId: `alm_${'a'.repeat(61)}` },
      'missing rule hash': { alarmId: alarm.alarmId, evidenceRoot: alarm.evidenceRoot },
      'unknown member': { ...alarm, ruleVersion: 3 },
    };
    for (const [what, value] of Object.entries(bad)) {
      assert.equal(riskEventArgs.safeParse(args({ alarm: value })).success, false, what);
    }
    assert.equal(riskEventArgs.safeParse(args({ alarm: null })).success, false, 'null alarm');
    assert.equal(riskEventArgs.safeParse(args({ severity: 'fatal' })).success, false, 'unknown severity');
  });
});
