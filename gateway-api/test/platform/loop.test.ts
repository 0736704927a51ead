import { expect } from 'chai';
import { startLoop, type Loop, type LoopFailure, type LoopOptions, type StepOutcome } from '../../src/platform/loop.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Lets every promise continuation that is ready run (no clock involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('startLoop: one loop for every worker, stepped on a manual clock', () => {
  let clock: ManualClock;
  let loop: Loop | undefined;
  let failures: { error: unknown; failure: LoopFailure }[];

  beforeEach(() => {
    clock = new ManualClock();
    failures = [];
  });
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });

  function start(step: LoopOptions['step'], options: Partial<LoopOptions> = {}): Loop {
    loop = startLoop({
      name: 'test',
      clock,
      step,
      idleMs: 1_000,
      backoff: { initialMs: 100, maxMs: 1_000 },
      onError: (error, failure) => failures.push({ error, failure }),
      ...options,
    });
    return loop;
  }

  it("runs again at once after 'more'; after 'idle' waits idleMs on the clock, not a millisecond less", async () => {
    const outcomes: StepOutcome[] = ['more', 'more', 'idle'];
    let steps = 0;
    const current = start(() => {
      steps++;
      return Promise.resolve(outcomes.shift() ?? 'idle');
    });
    expect(await clock.sleeping()).to.deep.equal([{ ms: 1_000, until: new Date(clock.now().getTime() + 1_000) }]);
    expect(steps, "two 'more' and one 'idle'").to.equal(3);
    expect(current.status()).to.deep.include({ name: 'test', state: 'running', lastError: undefined, failures: 0 });
    clock.advance(999);
    await settle();
    expect(steps, 'at 999 ms').to.equal(3);
    clock.advance(1);
    await clock.sleeping();
    expect(steps, 'at 1000 ms').to.equal(4);
  });

  it('wake() ends an idle wait at once; a wake during a step skips the idle wait after it', async () => {
    let steps = 0;
    let gated = false;
    const gate = deferred();
    const entered: Deferred<void>[] = [deferred(), deferred(), deferred(), deferred()];
    const current = start(async () => {
      entered[steps++]?.resolve();
      if (gated) await gate.promise;
      return 'idle';
    });
    await clock.sleeping();
    const startedAt = clock.now();
    current.wake();
    await entered[1]?.promise;
    expect(steps, 'woken out of the idle wait').to.equal(2);

    gated = true;
    await clock.sleeping();
    current.wake();
    await entered[2]?.promise;
    current.wake();
    gate.resolve();
    await entered[3]?.promise;
    expect(steps, 'the step after the woken one ran without waiting').to.equal(4);
    expect(clock.now(), 'and no time passed').to.deep.equal(startedAt);
  });

  it('a failing step: state failing, told with the wait, backoff doubling to maxMs; a success resets it', async () => {
    let failing = true;
    let steps = 0;
    const current = start(() => {
      steps++;
      return failing ? Promise.reject(new Error('the chain is unreachable')) : Promise.resolve('idle');
    });
    const waits: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const [sleep] = await clock.sleeping();
      waits.push(sleep?.ms ?? -1);
      expect(current.status()).to.deep.include({ state: 'failing', lastError: 'the chain is unreachable', failures: attempt + 1 });
      // The chain is back for the step after the sixth wait.
      if (attempt === 5) failing = false;
      clock.advance(sleep?.ms ?? 0);
    }
    expect(waits).to.deep.equal([100, 200, 400, 800, 1_000, 1_000]);
    expect(failures.map(({ failure }) => failure)).to.deep.equal(
      waits.map((retryInMs, index) => ({ during: 'step', failures: index + 1, retryInMs })),
    );
    expect(failures.every(({ error }) => error instanceof Error && error.message === 'the chain is unreachable')).to.equal(true);

    expect((await clock.sleeping())[0]?.ms, 'a success, then the idle wait').to.equal(1_000);
    expect(current.status()).to.deep.include({ state: 'running', lastError: undefined, failures: 0 });
    failing = true;
    clock.advance(1_000);
    expect((await clock.sleeping())[0]?.ms, 'the next failure starts over').to.equal(100);
    expect(steps, 'six failures, a success, a failure').to.equal(8);
  });

  it('with a lease: standby while another holder has it, asks again after retryMs, works once it holds it', async () => {
    let held = false;
    let acquired = 0;
    let released = 0;
    let steps = 0;
    const current = start(
      () => {
        steps++;
        return Promise.resolve('idle');
      },
      {
        lease: {
          acquire: () => {
            acquired++;
            return Promise.resolve(held);
          },
          release: () => {
            released++;
            return Promise.resolve();
          },
          retryMs: 10_000,
        },
      },
    );
    expect((await clock.sleeping())[0]?.ms).to.equal(10_000);
    expect(current.status().state).to.equal('standby');
    clock.advance(9_999);
    await settle();
    expect({ acquired, steps }, 'at 9999 ms').to.deep.equal({ acquired: 1, steps: 0 });
    clock.advance(1);
    await clock.sleeping();
    expect({ acquired, steps }, 'at 10 s').to.deep.equal({ acquired: 2, steps: 0 });
    current.wake();
    await settle();
    expect(acquired, 'a wake does not cut standby short').to.equal(2);

    held = true;
    clock.advance(10_000);
    expect((await clock.sleeping())[0]?.ms, 'then the idle wait').to.equal(1_000);
    expect({ acquired, steps, state: current.status().state }).to.deep.equal({ acquired: 3, steps: 1, state: 'running' });
    clock.advance(1_000);
    await clock.sleeping();
    expect({ acquired, steps }, 'the lease is renewed before every step').to.deep.equal({ acquired: 4, steps: 2 });
    await current.stop();
    expect(released).to.equal(1);
    expect(failures).to.deep.equal([]);
  });

  it("a lease that cannot be asked for backs off like a failed step, told as during 'lease'", async () => {
    const current = start(() => Promise.resolve('idle'), {
      lease: { acquire: () => Promise.reject(new Error('database unavailable')), release: () => Promise.resolve(), retryMs: 10_000 },
    });
    expect((await clock.sleeping())[0]?.ms).to.equal(100);
    clock.advance(100);
    expect((await clock.sleeping())[0]?.ms).to.equal(200);
    expect(current.status()).to.deep.include({ state: 'failing', lastError: 'database unavailable' });
    expect(failures.map(({ failure }) => failure)).to.deep.equal([
      { during: 'lease', failures: 1, retryInMs: 100 },
      { during: 'lease', failures: 2, retryInMs: 200 },
    ]);
  });

  it('stop() lets a running step finish (its signal aborted), runs no further step, releases the lease, then resolves', async () => {
    const entered = deferred();
    const gate = deferred();
    let steps = 0;
    let abortedInside: boolean | undefined;
    let released = 0;
    const current = start(
      async (signal) => {
        steps++;
        entered.resolve();
        await gate.promise;
        abortedInside = signal.aborted;
        return 'more';
      },
      {
        lease: {
          acquire: () => Promise.resolve(true),
          release: () => {
            released++;
            return Promise.resolve();
          },
          retryMs: 10_000,
        },
      },
    );
    await entered.promise;
    let stopped = false;
    const stopping = current.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect({ stopped, released }, 'while the step runs').to.deep.equal({ stopped: false, released: 0 });
    gate.resolve();
    await stopping;
    expect({ abortedInside, steps, released }).to.deep.equal({ abortedInside: true, steps: 1, released: 1 });
    expect(current.status().state).to.equal('stopped');
    expect(clock.pending(), 'nothing left asleep').to.deep.equal([]);
    await current.stop();
    expect(released, 'stop() twice releases once').to.equal(1);
  });

  it('stop() ends an idle or backoff wait at once, without the clock moving', async () => {
    const current = start(() => Promise.reject(new Error('down')));
    expect(await clock.sleeping()).to.have.length(1);
    await current.stop();
    expect(clock.pending()).to.deep.equal([]);
    expect(current.status().state).to.equal('stopped');
  });

  it('a step that fails because it was stopped is not told; a lease release that fails on stop is', async () => {
    const entered = deferred();
    const current = start(
      (signal) =>
        new Promise<StepOutcome>((_resolve, reject) => {
          entered.resolve();
          signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
      { lease: { acquire: () => Promise.resolve(true), release: () => Promise.reject(new Error('connection closed')), retryMs: 10_000 } },
    );
    await entered.promise;
    await current.stop();
    expect(failures.map(({ failure }) => failure)).to.deep.equal([{ during: 'release' }]);
    expect(failures[0]?.error).to.have.property('message', 'connection closed');
  });

  it('a step that does no I/O and asks for more lets timers and sockets run between steps (no starved event loop)', async () => {
    let fired = false;
    let steps = 0;
    const done = deferred();
    setTimeout(() => (fired = true), 0);
    start(() => {
      steps++;
      // Bounded, so that the test fails rather than hangs if the loop never yields.
      if (fired || steps >= 100_000) {
        done.resolve();
        return Promise.resolve('idle');
      }
      return Promise.resolve('more');
    });
    await done.promise;
    expect(fired, 'the timer fired while the loop asked for more').to.equal(true);
    expect(steps).to.be.below(100_000);
  });
});
