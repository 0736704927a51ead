import { expect } from 'chai';
import { jcs } from '@wr/anchor';
import { prng, replayHint, testSeed } from '@wr/anchor/testing';
import { engineState, replay } from '../../src/modules/rules/engine/index.js';
import { templateRules } from '../../src/modules/rules/templates.js';
import { generatedLog, scope, versionOf } from './engine-log.js';

describe('Rules engine: determinism', function () {
  const seed = testSeed();

  it(`a 100,000-reading log gives a byte-identical JCS alarm log twice, and across a snapshot and restore midway (${replayHint(seed)})`, function () {
    this.timeout(120_000);
    const rules = [...templateRules('frozen', scope), ...templateRules('chilled', { commodity: 'frozen shrimp' })].map((definition) => versionOf(definition));
    const items = generatedLog(prng(seed ^ 0xde7e), 100_000, rules);
    expect(JSON.stringify(generatedLog(prng(seed ^ 0xde7e), 100_000, rules)), 'the generator is seeded').to.equal(JSON.stringify(items));

    const first = replay(items);
    const second = replay(items);
    const log = jcs(first.changes);
    expect(jcs(second.changes)).to.equal(log);

    const kinds = new Set(first.changes.map((c) => `${c.alarm.kind} ${c.type}`));
    for (const expected of ['threshold raised', 'threshold cleared', 'sustained raised', 'cumulative raised', 'offline raised', 'offline cleared']) expect(kinds, expected).to.include(expected);

    const middle = Math.floor(items.length / 2);
    const head = replay(items.slice(0, middle));
    // The loop persists the snapshot as JSON and parses it back.
    const restored = engineState.parse(JSON.parse(JSON.stringify(head.state)));
    const tail = replay(items.slice(middle), restored);
    expect(jcs([...head.changes, ...tail.changes])).to.equal(log);
    // Same state too, up to key order (the parse orders keys as its schema does).
    const canonical = (state: unknown): string => jcs(JSON.parse(JSON.stringify(state)));
    expect(canonical(tail.state)).to.equal(canonical(first.state));
  });

  it('refuses a state that is not a snapshot', function () {
    expect(engineState.safeParse({ format: 'wr-rules-engine/1', rules: [], lots: [], counters: { tooLate: -1, invalid: 0 }, streams: [], offline: [] }).success).to.equal(false);
    expect(engineState.safeParse({ format: 'other' }).success).to.equal(false);
  });
});
