import type { Clock } from '../platform/clock.js';

/** A sleep that a ManualClock has not woken yet. */
export interface PendingSleep {
  readonly ms: number;
  /** When it is due, in the clock's time. */
  readonly until: Date;
}

interface Sleeper extends PendingSleep {
  readonly due: number;
  readonly wake: () => void;
}

interface Watcher {
  readonly count: number;
  readonly resolve: (pending: readonly PendingSleep[]) => void;
}

/**
 * A clock for tests whose time moves only when the test moves it. `advance`/`advanceTo` wake every sleep due by the
 * new time, soonest first (ties in the order they began); `sleeping(n)` waits until the code under test is asleep,
 * so a test steps through its waits exactly, with no real time passing.
 */
export class ManualClock implements Clock {
  #now: number;
  /** Pending sleeps, soonest first; among equal deadlines, in the order they began. */
  readonly #sleepers: Sleeper[] = [];
  readonly #watchers = new Set<Watcher>();

  constructor(start: Date = new Date('2030-01-01T00:00:00.000Z')) {
    this.#now = start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** As Clock.sleep; a sleep of 0 ms or less resolves without the clock moving, as a due timer would. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted === true || !(ms > 0)) {
        resolve();
        return;
      }
      const wake = (): void => {
        const index = this.#sleepers.indexOf(sleeper);
        if (index !== -1) this.#sleepers.splice(index, 1);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const due = this.#now + ms;
      const sleeper: Sleeper = { ms, until: new Date(due), due, wake };
      // After every sleeper due no later: equal deadlines wake in the order they began.
      const later = this.#sleepers.findIndex((other) => other.due > due);
      this.#sleepers.splice(later === -1 ? this.#sleepers.length : later, 0, sleeper);
      signal?.addEventListener('abort', wake, { once: true });
      this.#notify();
    });
  }

  /** The sleeps pending now, soonest first. */
  pending(): readonly PendingSleep[] {
    return this.#sleepers.map(({ ms, until }) => ({ ms, until }));
  }

  /** Resolves, with the pending sleeps soonest first, once at least `count` sleeps are pending. */
  sleeping(count = 1): Promise<readonly PendingSleep[]> {
    return new Promise((resolve) => {
      if (this.#sleepers.length >= count) resolve(this.pending());
      else this.#watchers.add({ count, resolve });
    });
  }

  /** Moves time forward by `ms` (see advanceTo). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a ManualClock only moves forward, not by ${String(ms)} ms`);
    this.advanceTo(new Date(this.#now + ms));
  }

  /**
   * Moves time to `time` and wakes every sleep due by then, soonest first. Code woken runs after this returns (await
   * `sleeping()` to let it go back to sleep); a sleep it then begins counts from `time`.
   */
  advanceTo(time: Date): void {
    const target = time.getTime();
    if (!(target >= this.#now)) throw new RangeError(`a ManualClock only moves forward, not back to ${time.toISOString()}`);
    this.#now = target;
    const due = this.#sleepers.filter((sleeper) => sleeper.due <= target);
    for (const sleeper of due) sleeper.wake();
  }

  #notify(): void {
    for (const watcher of this.#watchers) {
      if (this.#sleepers.length < watcher.count) continue;
      this.#watchers.delete(watcher);
      watcher.resolve(this.pending());
    }
  }
}
