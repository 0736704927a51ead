import type { Logger } from 'pino';
import type { Database } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { startLoop } from '../../platform/loop.js';
import { comparePositions, headPosition, onAppended, readEvents, type Position, type StoredEvent } from './outbox.js';

/**
 * One reader of the outbox for every live stream of this process: it reads each new event once, keeps the most
 * recent ones in a ring, and wakes the streams, which take from the ring what they may see (200 streams cost one
 * query, not 200). A stream further behind than the ring reads the database itself.
 */
export interface EventHub {
  /** Events after `after` from the ring, in order, at most `limit`; undefined when the ring no longer reaches back that far. */
  after(after: Position | undefined, limit: number): readonly StoredEvent[] | undefined;
  /** The position of the last event read (every event up to it had committed when it was read). */
  position(): Position | undefined;
  /** Calls `listener` after each read that found new events; returns an unsubscribe. */
  onEvents(listener: () => void): () => void;
  stop(): Promise<void>;
}

export interface EventHubOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often the outbox is read when nothing in this process wrote to it (other gateways on one database). */
  readonly pollMs: number;
  /** How many recent events the ring keeps. */
  readonly ringSize: number;
}

const PAGE = 1_000;

export async function startEventHub(options: EventHubOptions): Promise<EventHub> {
  const { db, ringSize } = options;
  const ring: StoredEvent[] = [];
  /** The ring holds every event after this position (undefined: every event there is). */
  let ringFrom = await headPosition(db);
  let position = ringFrom;
  const listeners = new Set<() => void>();

  const loop = startLoop({
    name: 'event-hub',
    clock: options.clock,
    idleMs: options.pollMs,
    backoff: { initialMs: 250, maxMs: 5_000 },
    onError: (error, failure) => options.logger.error({ err: error, ...failure }, 'reading the events outbox failed; retrying'),
    step: async () => {
      const events = await readEvents(db, { after: position, limit: PAGE });
      if (events.length === 0) return 'idle';
      ring.push(...events);
      const excess = ring.length - ringSize;
      if (excess > 0) ringFrom = ring.splice(0, excess).at(-1)?.position ?? ringFrom;
      position = events.at(-1)?.position ?? position;
      for (const listener of listeners) listener();
      return events.length === PAGE ? 'more' : 'idle';
    },
  });
  const unsubscribe = onAppended(() => loop.wake());

  return {
    after(after, limit) {
      if (ringFrom !== undefined && (after === undefined || comparePositions(after, ringFrom) < 0)) return undefined;
      // Binary search for the first event after `after`.
      let low = 0;
      let high = ring.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const event = ring[middle];
        if (event !== undefined && after !== undefined && comparePositions(event.position, after) <= 0) low = middle + 1;
        else high = middle;
      }
      return ring.slice(low, low + limit);
    },
    position: () => position,
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      unsubscribe();
      await loop.stop();
    },
  };
}
