import { expect } from 'chai';
import { ruleDefinition } from '../../src/modules/rules/definition.js';
import { doorScheduleExample, scopeKey, templateNames, templateRules } from '../../src/modules/rules/templates.js';

describe('Rule templates', function () {
  const scopes = [{ warehouseId: 'WH-QD-01' }, { lotId: 'LOT-7' }, { commodity: 'frozen shrimp' }, { warehouseId: 'W'.repeat(128) }];

  it('every template rule, for every kind of scope, passes the rule schema unchanged', function () {
    for (const scope of scopes) {
      for (const name of templateNames) {
        for (const rule of templateRules(name, scope)) {
          const parsed = ruleDefinition.safeParse(rule);
          expect(parsed.success, `${rule.id}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`).to.equal(true);
          expect(parsed.data).to.deep.equal(rule);
        }
      }
      expect(ruleDefinition.safeParse(doorScheduleExample(scope)).success).to.equal(true);
    }
  });

  it('gives deterministic, distinct ids such as chilled-high-<scope key>', function () {
    const ids = templateRules('chilled', { warehouseId: 'WH-QD-01' }).map((rule) => rule.id);
    expect(ids).to.include('chilled-high-wh-WH-QD-01');
    expect(templateRules('chilled', { warehouseId: 'WH-QD-01' }).map((rule) => rule.id)).to.deep.equal(ids);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(scopeKey({ commodity: 'frozen shrimp' })).to.equal('com-frozen-shrimp');
    const long = templateRules('frozen', { warehouseId: 'W'.repeat(128) }).map((rule) => rule.id);
    expect(long.every((id) => id.length <= 64)).to.equal(true);
    expect(templateRules('frozen', { warehouseId: 'W'.repeat(127) }).map((rule) => rule.id)).to.not.deep.equal(long);
  });

  it('covers the cold-chain kinds: frozen has threshold, sustained, cumulative, rate-of-change and offline; chilled high and low', function () {
    expect(templateRules('frozen', { lotId: 'L' }).map((rule) => rule.kind)).to.deep.equal(['threshold', 'sustained', 'cumulative', 'rate-of-change', 'offline']);
    const chilled = templateRules('chilled', { lotId: 'L' });
    expect(chilled.map((rule) => rule.kind)).to.deep.equal(['threshold', 'threshold', 'sustained', 'cumulative', 'offline']);
    expect(chilled.map((rule) => ('raise' in rule ? rule.raise.op : null)).slice(0, 2)).to.deep.equal(['gt', 'lt']);
  });
});
