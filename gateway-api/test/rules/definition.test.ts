import { expect } from 'chai';
import { metrics, ruleDefinition, ruleHash, severities, severityRank, type RuleDefinition } from '../../src/modules/rules/definition.js';

const base = { id: 'r1', scope: { warehouseId: 'WH-1' }, severity: 'major' } as const;

/** The issue paths zod reports for a candidate, joined with dots. */
function issuePaths(candidate: unknown): string[] {
  const result = ruleDefinition.safeParse(candidate);
  expect(result.success, 'the candidate should be refused').to.equal(false);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

function accepts(candidate: unknown): RuleDefinition {
  const result = ruleDefinition.safeParse(candidate);
  expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).to.equal(true);
  if (!result.success) throw new Error('refused');
  return result.data;
}

describe('Rule definitions', function () {
  const threshold = { ...base, kind: 'threshold', metric: 'temperature', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 6, forMs: 60_000 } };

  it('accepts one rule of every kind and keeps exactly what was sent (no defaults slip into the hash)', function () {
    const rules: unknown[] = [
      threshold,
      { ...base, kind: 'sustained', metric: 'temperature', raise: { op: 'gt', value: -15, forMs: 1_800_000 }, clear: { op: 'lte', value: -18 } },
      { ...base, kind: 'cumulative', metric: 'temperature', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 8 }, windowMs: 86_400_000, budgetMs: 3_600_000 },
      { ...base, kind: 'rate-of-change', metric: 'temperature', raise: { op: 'gt', value: 5 }, clear: { op: 'lte', value: 2 }, perMs: 3_600_000 },
      { ...base, scope: { lotId: 'LOT-1' }, kind: 'stock-reconciliation', metric: 'weight', tolerance: { ratio: 0.02 }, forMs: 600_000 },
      { ...base, kind: 'door-schedule', metric: 'door', timeZone: 'Europe/Berlin', hours: [{ days: [1, 2, 3, 4, 5], from: '07:00', to: '19:00' }] },
      { ...base, kind: 'offline', metric: 'temperature', forMs: 900_000, seqGap: true },
      { ...base, scope: { commodity: 'frozen shrimp' }, kind: 'geofence', metric: 'gps', polygon: [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]] },
    ];
    for (const rule of rules) expect(accepts(rule)).to.deep.equal(rule);
  });

  it('refuses a threshold whose clear region is empty, inside the raise region or overlapping it', function () {
    expect(issuePaths({ ...threshold, clear: { op: 'gt', value: 10 } })).to.include('clear');
    expect(issuePaths({ ...threshold, raise: { op: 'lt', value: 2 }, clear: { op: 'lt', value: 1 } })).to.include('clear');
    expect(issuePaths({ ...threshold, clear: { op: 'lte', value: 9 } })).to.include('clear');
    expect(issuePaths({ ...threshold, raise: { op: 'gte', value: 8 }, clear: { op: 'lte', value: 8 } })).to.include('clear');
    expect(issuePaths({ ...threshold, raise: { op: 'lt', value: 0 }, clear: { op: 'gte', value: -1 } })).to.include('clear');
    accepts({ ...threshold, raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 8 } });
    accepts({ ...threshold, raise: { op: 'lt', value: 0 }, clear: { op: 'gte', value: 0.5 } });
  });

  it('refuses unknown metrics and metrics that do not fit the kind', function () {
    expect(metrics).to.include('temperature');
    expect(issuePaths({ ...threshold, metric: 'pressure' })).to.include('metric');
    expect(issuePaths({ ...threshold, metric: 'door' })).to.include('metric');
    expect(issuePaths({ ...base, kind: 'door-schedule', metric: 'temperature', timeZone: 'UTC', hours: [{ days: [1], from: '07:00', to: '19:00' }] })).to.include('metric');
    expect(issuePaths({ ...base, kind: 'geofence', metric: 'temperature', polygon: [[0, 0], [1, 0], [1, 1], [0, 0]] })).to.include('metric');
    expect(issuePaths({ ...base, kind: 'stock-reconciliation', metric: 'temperature', tolerance: { absolute: 5 }, forMs: 1000 })).to.include('metric');
  });

  it('refuses bad schedules: times, zones, empty or repeated days, reversed hours', function () {
    const door = { ...base, kind: 'door-schedule', metric: 'door', timeZone: 'Europe/Berlin', hours: [{ days: [1], from: '07:00', to: '19:00' }] };
    expect(issuePaths({ ...door, timeZone: 'Europe/Atlantis' })).to.include('timeZone');
    expect(issuePaths({ ...door, hours: [{ days: [1], from: '7:00', to: '19:00' }] })).to.include('hours.0.from');
    expect(issuePaths({ ...door, hours: [{ days: [1], from: '07:00', to: '24:30' }] })).to.include('hours.0.to');
    expect(issuePaths({ ...door, hours: [{ days: [], from: '07:00', to: '19:00' }] })).to.include('hours.0.days');
    expect(issuePaths({ ...door, hours: [{ days: [8], from: '07:00', to: '19:00' }] })).to.include('hours.0.days.0');
    expect(issuePaths({ ...door, hours: [{ days: [1, 1], from: '07:00', to: '19:00' }] })).to.include('hours.0.days');
    expect(issuePaths({ ...door, hours: [{ days: [1], from: '19:00', to: '07:00' }] })).to.include('hours.0.to');
    expect(issuePaths({ ...door, hours: [] })).to.include('hours');
    accepts({ ...door, hours: [{ days: [7], from: '00:00', to: '24:00' }] });
  });

  it('refuses geofences that are open, too small, out of range or oversized', function () {
    const fence = { ...base, kind: 'geofence', metric: 'gps' };
    expect(issuePaths({ ...fence, polygon: [[0, 0], [1, 0], [0, 0]] })).to.include('polygon');
    expect(issuePaths({ ...fence, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] })).to.include('polygon.3');
    expect(issuePaths({ ...fence, polygon: [[0, 0], [1, 0], [1, 91], [0, 0]] })).to.include('polygon.2.1');
    expect(issuePaths({ ...fence, polygon: [[0, 0], [181, 0], [1, 1], [0, 0]] })).to.include('polygon.1.0');
    expect(issuePaths({ ...fence, polygon: [[0, 0], [1, 0], [1, 0], [0, 0]] })).to.include('polygon');
    const big: [number, number][] = Array.from({ length: 1001 }, (_, i) => [Math.cos((i / 1000) * 2 * Math.PI), Math.sin((i / 1000) * 2 * Math.PI)]);
    big[1000] = big[0] ?? [0, 0];
    expect(issuePaths({ ...fence, polygon: big })).to.include('polygon');
    accepts({ ...fence, polygon: big.slice(0, 999).concat([big[0] ?? [0, 0]]) });
  });

  it('refuses bad ids, non-finite numbers, durations beyond 30 days, unknown fields and empty offline rules', function () {
    expect(issuePaths({ ...threshold, id: '-r' })).to.include('id');
    expect(issuePaths({ ...threshold, id: 'r'.repeat(65) })).to.include('id');
    expect(issuePaths({ ...threshold, raise: { op: 'gt', value: Infinity } })).to.include('raise.value');
    expect(issuePaths({ ...threshold, raise: { op: 'gt', value: NaN } })).to.include('raise.value');
    expect(issuePaths({ ...threshold, raise: { op: 'gt', value: 8, forMs: 31 * 86_400_000 } })).to.include('raise.forMs');
    expect(issuePaths({ ...threshold, raise: { op: 'gt', value: 8, forMs: 1.5 } })).to.include('raise.forMs');
    expect(issuePaths({ ...threshold, colour: 'red' })).to.deep.equal(['']);
    expect(issuePaths({ ...threshold, scope: { warehouseId: 'WH-1', lotId: 'L' } })).to.include('scope');
    expect(issuePaths({ ...base, kind: 'offline', metric: 'temperature' })).to.include('forMs');
    expect(issuePaths({ ...base, kind: 'sustained', metric: 'temperature', raise: { op: 'gt', value: 1 }, clear: { op: 'lte', value: 0 } })).to.include('raise.forMs');
    expect(issuePaths({ ...base, kind: 'cumulative', metric: 'temperature', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 8 }, windowMs: 1000, budgetMs: 2000 })).to.include('budgetMs');
    expect(issuePaths({ ...base, kind: 'rate-of-change', metric: 'temperature', raise: { op: 'lt', value: 5 }, clear: { op: 'gte', value: 6 }, perMs: 1000 })).to.include('raise.op');
    expect(issuePaths({ ...base, kind: 'stock-reconciliation', metric: 'weight', tolerance: {}, forMs: 1000 })).to.include('tolerance');
  });

  it('hashes the JCS bytes of a definition: 64 lowercase hex, independent of key order', function () {
    const rule = accepts(threshold);
    const reordered = accepts({ clear: threshold.clear, raise: threshold.raise, metric: 'temperature', kind: 'threshold', severity: 'major', scope: { warehouseId: 'WH-1' }, id: 'r1' });
    expect(ruleHash(rule)).to.match(/^[0-9a-f]{64}$/);
    expect(ruleHash(reordered)).to.equal(ruleHash(rule));
    expect(ruleHash(accepts({ ...threshold, severity: 'critical' }))).to.not.equal(ruleHash(rule));
  });

  it('ranks severities from info to critical', function () {
    expect(severities.map((s) => severityRank[s])).to.deep.equal([0, 1, 2, 3]);
  });
});
