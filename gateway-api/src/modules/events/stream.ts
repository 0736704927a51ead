import type { ServerResponse } from 'node:http';
import type { Database } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { EventHub } from './hub.js';
import { comparePositions, publicEvent, readEvents, sees, type Party, type Position, type StoredEvent } from './outbox.js';

export interface StreamOptions {
  readonly db: Database;
  readonly hub: EventHub;
  readonly clock: Clock;
  /** A client whose socket stays full this long is dropped: the stream never buffers without bound. */
  readonly slowClientMs: number;
}

/** What the streams of this process report (for /healthz). */
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

/** An open stream as the module's heartbeat and shutdown see it. */
export interface OpenStream {
  /** The clock's time of the last byte written. */
  lastWriteAt: number;
  /** Asks for a heartbeat comment at the next wake-up. */
  heartbeatDue: boolean;
  wake(): void;
  end(): void;
}

const PAGE = 200;

/** What a stream writes to: an HTTP response (only what the stream uses of one, so a test can give it any Writable). */
export type EventSink = Pick<ServerResponse, 'writeHead' | 'flushHeaders' | 'write' | 'writableLength' | 'on' | 'off' | 'destroy' | 'end' | 'destroyed'>;

/**
 * Streams the events `subscription` may see to `res` as server-sent events, until the client goes or `end()` is called
 * on its entry in `open` (the module does, on stop). Waiting costs no timer: the hub wakes the stream when it read new
 * events, the module's heartbeat loop when a comment is due.
 */
export async function streamEvents(res: EventSink, subscription: Subscription, options: StreamOptions, stats: StreamStats, open: Set<OpenStream>): Promise<void> {
  const { hub, db, clock } = options;
  let cursor = subscription.after ?? hub.position();
  const wanted = (event: StoredEvent): boolean => sees(subscription.party, event.audience) && (subscription.types === undefined || subscription.types.has(event.type));
  let ended = false;
  /** Set by a wake-up since the last look: checked before waiting, so none is missed. */
  let signalled = false;
  let resume: (() => void) | undefined;
  const entry: OpenStream = {
    lastWriteAt: clock.now().getTime(),
    heartbeatDue: false,
    wake() {
      signalled = true;
      resume?.();
    },
    end() {
      ended = true;
      resume?.();
    },
  };
  const onClose = (): void => entry.end();
  res.on('close', onClose);
  const unsubscribe = hub.onEvents(() => entry.wake());
  open.add(entry);
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
    if (ended) return false;
    entry.lastWriteAt = clock.now().getTime();
    const fits = res.write(chunk);
    stats.maxBufferedBytes = Math.max(stats.maxBufferedBytes, res.writableLength);
    if (fits) return true;
    const timer = new AbortController();
    const drained = await new Promise<boolean>((resolve) => {
      const done = (value: boolean): void => {
        res.off('drain', onDrain);
        res.off('close', onGone);
        timer.abort();
        resolve(value);
      };
      const onDrain = (): void => done(true);
      const onGone = (): void => done(false);
      res.on('drain', onDrain);
      res.on('close', onGone);
      clock.sleep(options.slowClientMs, timer.signal).then(
        () => done(false),
        () => undefined,
      );
    });
    if (!drained && !ended) {
      stats.dropped++;
      ended = true;
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
    while (!ended) {
      signalled = false;
      const { events, upTo } = await next();
      for (const event of events) {
        if (!(await write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(publicEvent(event))}\n\n`))) return;
      }
      const moved = upTo !== undefined && (cursor === undefined || comparePositions(upTo, cursor) > 0);
      cursor = upTo;
      if (entry.heartbeatDue) {
        entry.heartbeatDue = false;
        if (!(await write(': heartbeat\n\n'))) return;
      }
      if (moved || signalled || ended) continue;
      await new Promise<void>((resolve) => (resume = resolve));
      resume = undefined;
    }
  } finally {
    stats.open--;
    open.delete(entry);
    unsubscribe();
    res.off('close', onClose);
    if (!res.destroyed) res.end();
  }
}
