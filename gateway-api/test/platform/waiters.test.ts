import { expect } from 'chai';
import { waiters } from '../../src/platform/waiters.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

class TimedOut extends Error {}
class Stopped extends Error {}

const options = { timeoutMs: 5_000, timedOut: () => new TimedOut('timed out') };

describe('waiters: waiting for a worker to reach a condition, with the timeout on the clock', () => {
  it('resolves on the notify() after which the condition holds; its timeout is then no longer pending', async () => {
    const clock = new ManualClock();
    const waiting = waiters(clock);
    let progress = 0;
    let resolved = false;
    const reached = waiting.until(() => progress >= 2, options).then(() => {
      resolved = true;
    });
    progress = 1;
    waiting.notify();
    await Promise.resolve();
    expect(resolved, 'progress 1 of 2').to.equal(false);
    progress = 2;
    waiting.notify();
    await reached;
    expect(clock.pending()).to.deep.equal([]);
  });

  it('resolves at once when the condition already holds, without a timeout', async () => {
    const clock = new ManualClock();
    await waiters(clock).until(() => true, options);
    expect(clock.pending()).to.deep.equal([]);
  });

  it('rejects with timedOut() once timeoutMs have passed on the clock, not before', async () => {
    const clock = new ManualClock();
    const outcome = waiters(clock)
      .until(() => false, options)
      .then(
        () => 'resolved',
        (error: unknown) => error,
      );
    expect(await clock.sleeping()).to.deep.equal([{ ms: 5_000, until: new Date(clock.now().getTime() + 5_000) }]);
    clock.advance(4_999);
    expect(clock.pending(), 'at 4999 ms').to.have.length(1);
    clock.advance(1);
    expect(await outcome).to.be.instanceOf(TimedOut);
  });

  it('rejects with aborted() when its signal aborts first, and its timeout is no longer pending', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const outcome = waiters(clock)
      .until(() => false, { ...options, signal: controller.signal, aborted: () => new Stopped('stopped') })
      .catch((error: unknown) => error);
    controller.abort();
    expect(await outcome).to.be.instanceOf(Stopped);
    expect(clock.pending()).to.deep.equal([]);
  });
});
