import type { ServerResponse } from 'node:http';
import type { Database } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { EventHub } from './hub.js';
import { comparePositions, publicEvent, readEvents, sees, type Party, type Position, type StoredEvent } from './outbox.js';

export interface StreamOptions {
  readonly db: Database;
  readonly hub: EventHub;
  readonly clock: Clock;
  /** A comment line is sent after this long without an event, so proxies and clients know the stream lives. */
  readonly heartbeatMs: number;
  /** A client whose socket stays full this long is dropped: the stream never buffers without bound. */
  readonly slowClientMs: number;
}

/** What the streams of this process report (for /metrics and /healthz). */
export interface StreamStats {
  open: number;
  dropped: number;
  /** The most bytes any stream had waiting in its socket buffer. */
  maxBufferedBytes: number;
}

export interface Subscription {
  readonly party: Party;
  readonly types: ReadonlySet<string> | undefined;
  /** Start after this position (the Last-Event-ID's), or at the live end when undefined. */
  readonly after: Position | undefined;
}

const PAGE = 200;

/** Streams the events `subscription` may see to `res` as server-sent events, until the client goes or `stop` aborts. */
export async function streamEvents(res: ServerResponse, subscription: Subscription, options: StreamOptions, stats: StreamStats, stop: AbortSignal): Promise<void> {
  const { hub, db } = options;
  let cursor = subscription.after ?? hub.position();
  const wanted = (event: StoredEvent): boolean => sees(subscription.party, event.audience) && (subscription.types === undefined || subscription.types.has(event.type));
  const ended = new AbortController();
  const end = (): void => ended.abort();
  res.on('close', end);
  stop.addEventListener('abort', end, { once: true });
  let wake: (() => void) | undefined;
  /** Set when the hub read new events since the last look: checked before waiting, so no wake-up is missed. */
  let signalled = false;
  const unsubscribe = hub.onEvents(() => {
    signalled = true;
    wake?.();
  });
  stats.open++;

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  /** Writes one chunk; when the socket is full, waits for it to drain, and drops the client if it does not in time. */
  const write = async (chunk: string): Promise<boolean> => {
    if (ended.signal.aborted) return false;
    const fits = res.write(chunk);
    stats.maxBufferedBytes = Math.max(stats.maxBufferedBytes, res.writableLength);
    if (fits) return true;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (value: boolean): void => {
        res.off('drain', onDrain);
        ended.signal.removeEventListener('abort', onEnd);
        timer.abort();
        resolve(value);
      };
      const onDrain = (): void => done(true);
      const onEnd = (): void => done(false);
      const timer = new AbortController();
      res.on('drain', onDrain);
      ended.signal.addEventListener('abort', onEnd, { once: true });
      options.clock.sleep(options.slowClientMs, timer.signal).then(
        () => done(false),
        () => undefined,
      );
    });
    if (!drained && !ended.signal.aborted) {
      stats.dropped++;
      res.destroy();
    }
    return drained;
  };

  /** The next events after the cursor: from the hub's ring when it reaches back that far, else from the database. */
  const next = async (): Promise<{ events: StoredEvent[]; upTo: Position | undefined }> => {
    const recent = hub.after(cursor, PAGE);
    if (recent !== undefined) return { events: recent.filter(wanted), upTo: recent.at(-1)?.position ?? cursor };
    const live = hub.position();
    const events = await readEvents(db, { after: cursor, limit: PAGE, party: subscription.party, ...(subscription.types ? { types: [...subscription.types] } : {}) });
    // Fewer than a page: every event the hub had read when the query began was considered, seen or not.
    const upTo = events.length < PAGE && live !== undefined && (cursor === undefined || comparePositions(live, cursor) > 0) ? live : (events.at(-1)?.position ?? cursor);
    return { events, upTo };
  };

  try {
    if (!(await write('retry: 2000\n\n'))) return;
    while (!ended.signal.aborted) {
      signalled = false;
      const { events, upTo } = await next();
      for (const event of events) {
        if (!(await write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(publicEvent(event))}\n\n`))) return;
      }
      const moved = upTo !== undefined && (cursor === undefined || comparePositions(upTo, cursor) > 0);
      cursor = upTo;
      if (moved || signalled) continue;
      // Nothing new: wait for the hub, or send a heartbeat when it stays quiet.
      const quiet = await new Promise<boolean>((resolve) => {
        const timer = new AbortController();
        const done = (value: boolean): void => {
          wake = undefined;
          timer.abort();
          ended.signal.removeEventListener('abort', onEnd);
          resolve(value);
        };
        const onEnd = (): void => done(false);
        wake = () => done(false);
        ended.signal.addEventListener('abort', onEnd, { once: true });
        options.clock.sleep(options.heartbeatMs, timer.signal).then(
          () => done(true),
          () => undefined,
        );
      });
      if (quiet && !(await write(': heartbeat\n\n'))) return;
    }
  } finally {
    stats.open--;
    unsubscribe();
    res.off('close', end);
    stop.removeEventListener('abort', end);
    if (!res.destroyed) res.end();
  }
}
