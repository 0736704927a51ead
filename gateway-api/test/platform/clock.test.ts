import { expect } from 'chai';
import { systemClock } from '../../src/platform/clock.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

const start = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(start.getTime() + ms);

/** Records the order in which sleeps end. */
function tracked(clock: ManualClock, woken: string[], name: string, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.sleep(ms, signal).then(() => {
    woken.push(name);
  });
}

/** Lets every promise continuation that is ready run (the clock is not involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ManualClock: time moves only when the test moves it', () => {
  it('tells the time it was given, and the time it was moved to', () => {
    const clock = new ManualClock(start);
    expect(clock.now()).to.deep.equal(start);
    clock.advance(1_500);
    expect(clock.now()).to.deep.equal(at(1_500));
    clock.advanceTo(at(60_000));
    expect(clock.now()).to.deep.equal(at(60_000));
  });

  it('a sleep ends when its time is reached, not a millisecond before', async () => {
    const clock = new ManualClock(start);
    const woken: string[] = [];
    const sleeping = tracked(clock, woken, 'a', 1_000);
    expect(clock.pending()).to.deep.equal([{ ms: 1_000, until: at(1_000) }]);
    clock.advance(999);
    await settle();
    expect(woken, 'at 999 ms').to.deep.equal([]);
    expect(clock.pending()).to.have.length(1);
    clock.advance(1);
    await sleeping;
    expect(woken).to.deep.equal(['a']);
    expect(clock.pending()).to.deep.equal([]);
  });

  it('one advance wakes every sleep due, soonest first, equal deadlines in the order they began; later ones wait', async () => {
    const clock = new ManualClock(start);
    const woken: string[] = [];
    const sleeps = [
      tracked(clock, woken, 'c (300)', 300),
      tracked(clock, woken, 'a (100)', 100),
      tracked(clock, woken, 'b1 (200)', 200),
      tracked(clock, woken, 'b2 (200)', 200),
    ];
    void tracked(clock, woken, 'd (5000)', 5_000);
    expect(clock.pending().map((sleep) => sleep.ms)).to.deep.equal([100, 200, 200, 300, 5_000]);
    clock.advance(1_000);
    await Promise.all(sleeps);
    expect(woken).to.deep.equal(['a (100)', 'b1 (200)', 'b2 (200)', 'c (300)']);
    expect(clock.pending()).to.deep.equal([{ ms: 5_000, until: at(5_000) }]);
  });

  it('a sleep begun after an advance counts from the new time', async () => {
    const clock = new ManualClock(start);
    clock.advance(10_000);
    const sleeping = clock.sleep(500);
    expect(clock.pending()).to.deep.equal([{ ms: 500, until: at(10_500) }]);
    clock.advanceTo(at(10_500));
    await sleeping;
    expect(clock.pending()).to.deep.equal([]);
  });

  it('an abort ends a sleep early (resolving, not rejecting) and removes it; an aborted signal or 0 ms does not sleep', async () => {
    const clock = new ManualClock(start);
    const controller = new AbortController();
    const woken: string[] = [];
    const sleeping = tracked(clock, woken, 'aborted', 60_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(woken).to.deep.equal(['aborted']);
    expect(clock.pending()).to.deep.equal([]);
    await clock.sleep(1_000, controller.signal);
    await clock.sleep(0);
    expect(clock.pending(), 'neither is pending').to.deep.equal([]);
    expect(clock.now(), 'and no time passed').to.deep.equal(start);
  });

  it('sleeping(n) resolves once n sleeps are pending, with them soonest first', async () => {
    const clock = new ManualClock(start);
    let seen: readonly unknown[] | undefined;
    const waiting = clock.sleeping(2).then((pending) => {
      seen = pending;
    });
    void clock.sleep(700);
    await settle();
    expect(seen, 'one sleep is not two').to.equal(undefined);
    void clock.sleep(300);
    await waiting;
    expect(seen).to.deep.equal([
      { ms: 300, until: at(300) },
      { ms: 700, until: at(700) },
    ]);
    expect(await clock.sleeping(1), 'already asleep: at once').to.have.length(2);
  });

  it('refuses to move time backwards', () => {
    const clock = new ManualClock(start);
    expect(() => clock.advance(-1)).to.throw(RangeError);
    expect(() => clock.advanceTo(at(-1))).to.throw(RangeError);
    expect(clock.now()).to.deep.equal(start);
  });
});

describe('systemClock', () => {
  it('tells the system time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).to.be.within(before, Date.now());
  });

  it('a sleep ends as soon as its signal aborts, resolving (a minute-long sleep would outlast the test timeout)', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
    await systemClock.sleep(60_000, controller.signal);
  });

  it('a short sleep ends on its own', async () => {
    let woken = false;
    await systemClock.sleep(1).then(() => {
      woken = true;
    });
    expect(woken).to.equal(true);
  });
});
