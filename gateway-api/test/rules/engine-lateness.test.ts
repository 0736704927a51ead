import { expect } from 'chai';
import { jcs } from '@wr/anchor';
import { prng, replayHint, testSeed } from '@wr/anchor/testing';
import { MAX_BUFFERED } from '../../src/modules/rules/engine/engine.js';
import { createEngine, replay, type EngineInput } from '../../src/modules/rules/engine/index.js';
import { templateRules } from '../../src/modules/rules/templates.js';
import { finalAlarms, Log, minute, scope, t0, versionOf } from './engine-log.js';

/** Renumbers positions after a reorder, as the loop's log would have them. */
const renumber = (items: readonly EngineInput[]): EngineInput[] => items.map((item, position) => ({ ...item, position }));

describe('Rules engine: device time, watermark and lateness', function () {
  const rules = templateRules('chilled', scope).map((definition) => versionOf(definition));
  const seed = testSeed();

  it(`late and shuffled readings within the allowed lateness give the same final alarms as in order (${replayHint(seed)})`, function () {
    const random = prng(seed ^ 0x1a7e);
    const log = new Log().rules(...rules);
    let value = 2;
    for (let i = 0; i < 3000; i++) {
      // Excursions above 4 and below 0, each a random length, on two devices.
      if (i % 97 === 0) value = random.next() < 0.5 ? 9 : -2;
      else if (i % 97 === 40) value = 2;
      const noisy = value + (random.next() - 0.5);
      log.reading(t0 + i * 30_000, 'temperature', Math.round(noisy * 10) / 10, { deviceId: i % 3 === 0 ? 'dev-2' : 'dev-1' });
    }
    const ordered = log.items;
    // Shuffle inside blocks of 8 readings: 4 min of device time, under the default 5 min lateness.
    const shuffled: EngineInput[] = [ordered[0] as EngineInput];
    for (let i = 1; i < ordered.length; i += 8) {
      const block = ordered.slice(i, i + 8);
      for (let j = block.length - 1; j > 0; j--) {
        const k = random.int(j + 1);
        [block[j], block[k]] = [block[k] as EngineInput, block[j] as EngineInput];
      }
      shuffled.push(...block);
    }
    const inOrder = replay(renumber(ordered));
    const late = replay(renumber(shuffled));
    expect(late.state.counters.tooLate).to.equal(0);
    expect(inOrder.changes.length).to.be.greaterThan(10);
    expect(late.changes.some((c) => c.type === 'withdrawn' || c.type === 'updated'), 'the shuffle did reorder episodes').to.equal(true);
    expect(jcs([...finalAlarms(late.changes).values()])).to.equal(jcs([...finalAlarms(inOrder.changes).values()]));
  });

  it('a late reading that becomes the first of an excursion withdraws the alarm it replaces and raises its own', function () {
    const high = versionOf({ id: 'high', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 3 } });
    const log = new Log().rules(high).reading(t0, 'temperature', 2).reading(t0 + 2 * minute, 'temperature', 6).reading(t0 + minute, 'temperature', 5);
    const { changes } = replay(log.items);
    expect(changes.map((c) => c.type)).to.deep.equal(['raised', 'withdrawn', 'raised']);
    expect(changes[2]?.alarm.startedAt).to.equal(new Date(t0 + minute).toISOString());
    expect(changes[1]?.alarm.id).to.equal(changes[0]?.alarm.id);
    expect(changes[2]?.alarm.id).to.not.equal(changes[0]?.alarm.id);
  });

  it('a reading older than the watermark minus the lateness is counted as too late and not evaluated', function () {
    const high = versionOf({ id: 'high', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 3 }, allowedLatenessMs: 5 * minute });
    const engine = createEngine();
    const log = new Log().rules(high).reading(t0 + 10 * minute, 'temperature', 2).reading(t0, 'temperature', 9);
    const changes = log.items.flatMap((item) => [...engine.apply(item)]);
    expect(changes).to.deep.equal([]);
    expect(engine.counters.tooLate).to.equal(1);
    expect(engine.snapshot().counters.tooLate).to.equal(1);
  });

  it(`a stream holds at most ${MAX_BUFFERED.toString()} readings in its window: a stuck clock neither grows the state nor re-folds without bound`, function () {
    const high = versionOf({ id: 'high', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 3 } });
    const log = new Log().rules(high);
    // A device whose clock is stuck: every reading at the same device time, within any lateness.
    for (let i = 0; i < 3 * MAX_BUFFERED; i++) log.reading(t0 + minute, 'temperature', i % 2 === 0 ? 2 : 3);
    const engine = createEngine();
    for (const item of log.items) engine.apply(item);
    const [stream] = engine.snapshot().streams;
    expect(stream?.buf.length).to.equal(MAX_BUFFERED);
    expect(stream?.baseTs).to.equal(t0 + minute);
    // Within the lateness (5 min) but before the folded readings: too late, as the window no longer holds them.
    const late = new Log().reading(t0, 'temperature', 9).items.map((item) => ({ ...item, position: log.items.length }));
    expect(late.flatMap((item) => [...engine.apply(item)])).to.deep.equal([]);
    expect(engine.counters.tooLate).to.equal(1);
    // At the stuck time itself it is still in order by log position, and evaluated.
    const next = new Log().reading(t0 + minute, 'temperature', 9).items.map((item) => ({ ...item, position: log.items.length + 1 }));
    expect(next.flatMap((item) => [...engine.apply(item)]).map((change) => change.type)).to.deep.equal(['raised']);
  });
});
