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
  readonly store: WebhookStore;
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

/**
 * The sender: a loop that records the attempts finished since its last step (all in one transaction), then picks as
 * many due deliveries as there are free slots and starts their attempts; each attempt that ends wakes it. A delivery
 * waits while an earlier one of its subscription and object is pending, so each object's events arrive in order.
 */
export function startSender(options: SenderOptions): Sender {
  const { store, clock, policy } = options;
  const flying = new Map<string, Promise<void>>();
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

  const loop = startLoop({
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
      // Only now are they off the in-flight list: until their results were stored, they were pending in the database.
      for (const result of results) flying.delete(result.deliveryId);
      const free = options.concurrency - flying.size;
      // Picking costs a query whatever the number picked: with attempts in flight, wait until a quarter of the slots
      // are free (each attempt that ends wakes the loop), so that a busy sender picks in batches.
      if (free <= 0 || signal.aborted || (flying.size > 0 && free < Math.ceil(options.concurrency / 4))) return 'idle';
      const due = await store.due(free, clock.now(), [...flying.keys()]);
      for (const delivery of due) {
        flying.set(
          delivery.id,
          attempt(delivery).finally(() => loop.wake()),
        );
      }
      return due.length === free || results.length > 0 ? 'more' : 'idle';
    },
  });

  return {
    loop,
    inFlight: () => flying.size,
    async stop() {
      await loop.stop();
      // Attempts under way finish (each has its timeout); their results are recorded when the loop runs next, here
      // once more: what is not recorded stays pending and is sent again (at least once).
      await Promise.allSettled(flying.values());
      await store.record(finished).catch((error: unknown) => options.logger.warn({ err: error }, 'webhook attempts not recorded at stop; they will be retried'));
      options.poster.close();
    },
  };
}
