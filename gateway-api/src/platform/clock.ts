/**
 * The time and the waits of the gateway's background work. Every worker takes one, so that each waits the same way
 * and a test can step its time with a ManualClock (`@wr/gateway-api/testing`) instead of sleeping.
 */
export interface Clock {
  /** The current time. */
  now(): Date;
  /**
   * Resolves after `ms` milliseconds, or as soon as `signal` aborts: it never rejects, so a caller checks its signal
   * after waking (a stopped worker wakes like a timed-out one, and decides for itself what that means).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `new Date()` and timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted === true) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};
