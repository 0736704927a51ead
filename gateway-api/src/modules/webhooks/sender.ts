import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import { startLoop, type Loop, type LoopLease } from '../../platform/loop.js';
import { publicEvent } from '../events/index.js';
import { delivered, type AttemptOutcome, type Poster } from './attempt.js';
import { webhookHeaders } from './signing.js';
import type { AttemptRecord, DueDelivery, WebhookStore } from './store.js';

export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** A delivery still failing this long after its first attempt is dead. */
  readonly windowMs: number;
}

/** The wait before the next attempt after `failures` failures in a row: full jitter over min(max, base * 2^(failures-1)). */
export function retryDelay(policy: RetryPolicy, failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.floor(random() * ceiling);
}

/** What an attempt's outcome makes of its delivery. */
export function afterAttempt(due: DueDelivery, outcome: AttemptOutcome, at: Date, policy: RetryPolicy, random?: () => number): AttemptRecord {
  const firstAttemptAt = due.firstAttemptAt ?? at;
  const common = { deliveryId: due.id, version: due.version, attempt: due.attempts + 1, at, durationMs: outcome.durationMs, statusCode: outcome.statusCode, error: outcome.error, firstAttemptAt };
  if (delivered(outcome)) return { ...common, status: 'delivered', nextAttemptAt: at, failures: due.failures };
  const failures = due.failures + 1;
  const dead = at.getTime() - firstAttemptAt.getTime() >= policy.windowMs;
  return { ...common, status: dead ? 'dead' : 'pending', nextAttemptAt: new Date(at.getTime() + (dead ? 0 : retryDelay(policy, failures, random))), failures };
}

export interface SenderOptions {
  /** What the sender needs of the webhook tables. */
  readonly store: Pick<WebhookStore, 'due' | 'record'>;
  readonly poster: Poster;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lease: LoopLease;
  readonly policy: RetryPolicy;
  /** Attempts in flight at once. */
  readonly concurrency: number;
  /** How often due deliveries (retries) are looked for when nothing wakes the sender. */
  readonly pollMs: number;
}

export interface Sender {
  readonly loop: Loop;
  /** Attempts in flight now. */
  inFlight(): number;
  stop(): Promise<void>;
}

/** Deliveries picked per query, as a multiple of the concurrency: a query's cost is mostly its wait for the connection. */
const PICK_FACTOR = 8;
/**
 * A picked delivery not started within this long goes back (it is still pending in the database, and is picked again
 * with its subscription's state then): behind a slow receiver, a pause or a redelivery is seen within a second.
 */
const QUEUED_MS = 1_000;

/**
 * The sender: a loop that records the attempts finished since its last step (all in one transaction), and picks due
 * deliveries into a queue in memory when fewer than `concurrency` are queued; attempts start from the queue as slots
 * free, without waiting for the loop. On PGlite's one connection each query waits behind intake and the projection:
 * picking 32 per query (the slots) held a busy sender to 32 deliveries per round trip. A delivery waits while an
 * earlier one of its subscription and object is pending, so each object's events arrive in order.
 */
export function startSender(options: SenderOptions): Sender {
  const { store, clock, policy } = options;
  /** Picked and not yet recorded: queued or under way (the pick excludes them). */
  const picked = new Map<string, Promise<void> | undefined>();
  const queue: { readonly due: DueDelivery; readonly at: number }[] = [];
  let running = 0;
  let stopping = false;
  let finished: AttemptRecord[] = [];

  const attempt = async (due: DueDelivery): Promise<void> => {
    const at = clock.now();
    let outcome: AttemptOutcome;
    try {
      const body = JSON.stringify(publicEvent({ id: due.eventId, type: due.eventType, occurredAt: due.occurredAt, object: due.object, audience: [], data: due.data }));
      outcome = await options.poster.post(due.url, webhookHeaders(due.secret, due.eventId, Math.floor(at.getTime() / 1000), body), body);
    } catch (error) {
      // Our bug, not the receiver's: logged, and the delivery retried like any failed attempt.
      options.logger.error({ err: error, delivery: due.id }, 'webhook attempt failed before sending');
      outcome = { statusCode: null, error: 'internal error', durationMs: 0 };
    }
    finished.push(afterAttempt(due, outcome, at, policy));
  };

  /** Starts queued attempts while slots are free. */
  const pump = (): void => {
    while (!stopping && running < options.concurrency) {
      const next = queue.shift();
      if (next === undefined) return;
      const { due } = next;
      if (clock.now().getTime() - next.at > QUEUED_MS) {
        picked.delete(due.id);
        continue;
      }
      running++;
      picked.set(
        due.id,
        attempt(due).finally(() => {
          running--;
          pump();
          loop.wake();
        }),
      );
    }
  };

  const loop: Loop = startLoop({
    name: 'webhook-sender',
    clock,
    idleMs: options.pollMs,
    backoff: { initialMs: 250, maxMs: 10_000 },
    lease: options.lease,
    onError: (error, failure) => options.logger.error({ err: error, ...failure }, 'webhook sender failed; retrying'),
    step: async (signal) => {
      const results = finished;
      finished = [];
      try {
        await store.record(results);
      } catch (error) {
        finished = [...results, ...finished];
        throw error;
      }
      // Only now are they off the picked list: until their results were stored, they were pending in the database.
      for (const result of results) picked.delete(result.deliveryId);
      if (signal.aborted || queue.length >= options.concurrency) return results.length > 0 ? 'more' : 'idle';
      const limit = options.concurrency * PICK_FACTOR - picked.size;
      if (limit <= 0) return results.length > 0 ? 'more' : 'idle';
      const now = clock.now();
      const due = await store.due(limit, now, [...picked.keys()]);
      for (const delivery of due) {
        picked.set(delivery.id, undefined);
        queue.push({ due: delivery, at: now.getTime() });
      }
      pump();
      return due.length === limit || results.length > 0 ? 'more' : 'idle';
    },
  });

  return {
    loop,
    inFlight: () => running,
    async stop() {
      // Queued attempts are not started, not even by an attempt that ends while the loop stops: they stay pending in
      // the database. Attempts under way finish (each has its timeout); their results are recorded here: what is not
      // recorded stays pending and is sent again (at least once).
      stopping = true;
      queue.length = 0;
      await loop.stop();
      await Promise.allSettled([...picked.values()]);
      await store.record(finished).catch((error: unknown) => options.logger.warn({ err: error }, 'webhook attempts not recorded at stop; they will be retried'));
      options.poster.close();
    },
  };
}
