import type { Clock } from './clock.js';

/** What a step says of the work left: 'more' runs the next step at once, 'idle' waits `idleMs` or for `wake()`. */
export type StepOutcome = 'more' | 'idle';

/** A lease that makes one process of several the one that runs the loop (e.g. a row in a shared database). */
export interface LoopLease {
  /** Takes or renews the lease; false while another holder has it. Called before every step. */
  acquire(): Promise<boolean>;
  /** Gives the lease up; called once, when the loop stops. */
  release(): Promise<void>;
  /** How long to wait before asking again while another holder has it. */
  readonly retryMs: number;
}

/** Where a loop failed, as told to `onError`. */
export type LoopFailure =
  /** A step (or taking the lease) failed: the loop waits `retryInMs` and tries again; `failures` in a row so far. */
  | { readonly during: 'step' | 'lease'; readonly failures: number; readonly retryInMs: number }
  /** Releasing the lease on stop failed: nothing is retried (a lease runs out on its own). */
  | { readonly during: 'release' };

export interface LoopOptions {
  /** Names the loop in its status. */
  readonly name: string;
  readonly clock: Clock;
  /** One round of work. `signal` aborts when the loop is stopped; the loop waits for a running step to finish. */
  readonly step: (signal: AbortSignal) => Promise<StepOutcome>;
  /** How long to wait after an 'idle' step before the next, unless woken. */
  readonly idleMs: number;
  /** The wait after a failure: `initialMs`, doubled after each further failure in a row, at most `maxMs`. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** When given, steps run only while this process holds the lease; state 'standby' otherwise. */
  readonly lease?: LoopLease;
  /** Told about every failure (e.g. to log it); it must not throw. Failures after stop() are not told. */
  readonly onError?: (error: unknown, failure: LoopFailure) => void;
}

export type LoopState = 'starting' | 'running' | 'standby' | 'failing' | 'stopped';

/** What a loop reports of itself (for /healthz and tests). */
export interface LoopStatus {
  readonly name: string;
  readonly state: LoopState;
  /** The message of the last failure, while failing (and in standby after one). */
  readonly lastError: string | undefined;
  /** Failures in a row, since the last step that succeeded. */
  readonly failures: number;
}

export interface Loop {
  /**
   * Ends an idle wait now; during a step, the wait after it is skipped. Waits after a failure or in standby are
   * kept: they wait for something outside (a dependency, the lease holder), which new work does not change.
   */
  wake(): void;
  /** Ends the current wait, lets a running step finish, releases the lease; resolves once the loop has ended. */
  stop(): Promise<void>;
  status(): LoopStatus;
}

/** The delay after the `failures`-th failure in a row: initialMs doubled each time, at most maxMs. */
export function backoffDelay(backoff: LoopOptions['backoff'], failures: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

/**
 * Runs `step` over and over: at once after 'more', after `idleMs` (or a `wake()`) after 'idle', with exponential
 * backoff after a failure (reset by the next success), only while holding `lease`. Every wait is on `clock`.
 */
export function startLoop(options: Readonly<LoopOptions>): Loop {
  const { clock, step, lease } = options;
  const stopping = new AbortController();
  let state: LoopState = 'starting';
  let lastError: string | undefined;
  let failures = 0;
  /** Set by wake(); a step clears it before it runs, so a wake during the step skips the idle wait after it. */
  let woken = false;
  /** Aborts the idle wait under way, if any. */
  let idleWait: AbortController | undefined;

  /** Waits `ms` on the clock, or until stop (or, when `wakeable`, wake()). */
  async function wait(ms: number, wakeable: boolean): Promise<void> {
    const waiting = new AbortController();
    const end = (): void => waiting.abort();
    stopping.signal.addEventListener('abort', end, { once: true });
    if (wakeable) idleWait = waiting;
    try {
      await clock.sleep(ms, waiting.signal);
    } finally {
      if (idleWait === waiting) idleWait = undefined;
      stopping.signal.removeEventListener('abort', end);
    }
  }

  const running = (async () => {
    while (!stopping.signal.aborted) {
      let during: 'step' | 'lease' = 'lease';
      try {
        if (lease !== undefined && !(await lease.acquire())) {
          state = 'standby';
          await wait(lease.retryMs, false);
          continue;
        }
        during = 'step';
        woken = false;
        const outcome = await step(stopping.signal);
        state = 'running';
        lastError = undefined;
        failures = 0;
        if (outcome === 'idle' && !woken && !stopping.signal.aborted) await wait(options.idleMs, true);
        // A step that did no I/O (nothing to record, nothing to pick) resolves in microtasks: without this turn of the
        // event loop, a loop kept running by 'more' or a wake would starve timers and sockets, its own included.
        else await new Promise<void>((resolve) => setImmediate(resolve));
      } catch (error) {
        // A step cut short by stop() may fail for that reason alone: nothing to tell or retry.
        if (stopping.signal.aborted) break;
        failures++;
        state = 'failing';
        lastError = error instanceof Error ? error.message : String(error);
        const retryInMs = backoffDelay(options.backoff, failures);
        options.onError?.(error, { during, failures, retryInMs });
        await wait(retryInMs, false);
      }
    }
    if (lease !== undefined) await lease.release().catch((error: unknown) => options.onError?.(error, { during: 'release' }));
    state = 'stopped';
  })();

  return {
    wake() {
      woken = true;
      idleWait?.abort();
    },
    async stop() {
      stopping.abort();
      await running;
    },
    status: () => ({ name: options.name, state, lastError, failures }),
  };
}
