import type { Clock } from './clock.js';

export interface WaitOptions {
  /** How long to wait, on the clock, before rejecting with `timedOut()`. */
  readonly timeoutMs: number;
  readonly timedOut: () => Error;
  /** When given: rejects with `aborted()` once it aborts (e.g. the worker stopping), unless reached first. */
  readonly signal?: AbortSignal;
  readonly aborted?: () => Error;
}

/** Callers waiting for a worker to reach a condition ("settled", "caught up"), each with a timeout on the clock. */
export interface Waiters {
  /** Resolves once `reached()` holds, checked now and on every `notify()`; else rejects (see WaitOptions). */
  until(reached: () => boolean, options: WaitOptions): Promise<void>;
  /** Checks every waiting condition again: call it on every change of progress. */
  notify(): void;
}

/** Waiters whose timeouts run on `clock`, so that a test can make them time out without waiting. */
export function waiters(clock: Clock): Waiters {
  const checks = new Set<() => void>();
  return {
    until(reached, options) {
      return new Promise<void>((resolve, reject) => {
        const timer = new AbortController();
        const finish = (settle: () => void): void => {
          timer.abort();
          checks.delete(check);
          options.signal?.removeEventListener('abort', check);
          settle();
        };
        const check = (): void => {
          if (reached()) finish(resolve);
          else if (options.signal?.aborted === true) finish(() => reject(options.aborted?.() ?? new Error('aborted')));
        };
        check();
        if (timer.signal.aborted) return;
        checks.add(check);
        options.signal?.addEventListener('abort', check, { once: true });
        void clock.sleep(options.timeoutMs, timer.signal).then(() => {
          // Woken by finish(): reached or aborted in the meantime.
          if (!timer.signal.aborted) finish(() => reject(options.timedOut()));
        });
      });
    },
    notify() {
      for (const check of [...checks]) check();
    },
  };
}
