import type { ServerResponse } from 'node:http';
import type { Database } from '../../db/database.js';
import { serve } from '../../http/operation.js';
import { defineModule } from '../../platform/module.js';
import { startEventHub, type EventHub } from './hub.js';
import { operations } from './operations.js';
import type { Party, Position } from './outbox.js';
import { streamEvents, type OpenStream, type StreamStats } from './stream.js';
import { startLoop } from '../../platform/loop.js';

export { eventCatalogue, eventExamples, eventTypes, isEventType, type EventType } from './catalogue.js';
export {
  appendEvents,
  custodianMspId,
  everyone,
  eventById,
  headPosition,
  lotAudience,
  onAppended,
  partyOf,
  publicEvent,
  readEvents,
  sees,
  comparePositions,
  type NewEvent,
  type Party,
  type Position,
  type PublicEvent,
  type StoredEvent,
} from './outbox.js';
export { operations as eventOperations } from './operations.js';

/** What the events module offers: the live stream and the outbox's readers (webhooks read it with their own cursor). */
export interface EventsApi {
  readonly db: Database;
  readonly hub: EventHub;
  /** How long events are kept, in words (for messages). */
  readonly retention: string;
  /** Streams events to `res` from after `after` (from now when undefined) until the client goes or the gateway stops. */
  stream(res: ServerResponse, subscription: { party: Party; types: ReadonlySet<string> | undefined; after: Position | undefined }): Promise<void>;
  /** Ends every open stream (the gateway calls it before it waits for connections to close). */
  endStreams(): void;
  readonly stats: Readonly<StreamStats>;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    events: EventsApi;
  }
}

/**
 * Events: the outbox every change writes to (in its own transaction; see outbox.ts), and GET /v1/events, the
 * server-sent event stream of it. Started first: the projection, alarms and work orders write to the outbox.
 */
export const eventsModule = defineModule('events', { migrations: ['011_events_outbox'] }, async (ctx) => {
  const { heartbeatMs, slowClientMs, pollMs, ringSize } = ctx.config.events;
  const hub = await startEventHub({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, pollMs, ringSize });
  const stats: StreamStats = { open: 0, dropped: 0, maxBufferedBytes: 0 };
  const open = new Set<OpenStream>();
  // One loop for every stream's heartbeat, so that a waiting stream holds no timer of its own.
  const heartbeats = startLoop({
    name: 'event-stream-heartbeats',
    clock: ctx.clock,
    idleMs: Math.max(50, Math.floor(heartbeatMs / 2)),
    backoff: { initialMs: 1_000, maxMs: 1_000 },
    step: () => {
      const now = ctx.clock.now().getTime();
      for (const stream of open) {
        if (now - stream.lastWriteAt >= heartbeatMs) {
          stream.heartbeatDue = true;
          stream.wake();
        }
      }
      return Promise.resolve('idle');
    },
  });
  const endStreams = (): void => {
    for (const stream of open) stream.end();
  };
  const api: EventsApi = {
    db: ctx.db,
    hub,
    retention: 'until pruned',
    stream: (res, subscription) => streamEvents(res, subscription, { db: ctx.db, hub, clock: ctx.clock, slowClientMs }, stats, open),
    endStreams,
    stats,
  };
  return {
    operations: serve(operations, api),
    api,
    health: () => {
      const position = hub.position();
      return Promise.resolve({
        events: {
          status: 'up',
          streams: stats.open,
          dropped: stats.dropped,
          maxBufferedBytes: stats.maxBufferedBytes,
          position: position === undefined ? null : `${position.tx.toString()}:${position.seq.toString()}`,
        },
      });
    },
    async stop() {
      endStreams();
      await heartbeats.stop();
      await hub.stop();
    },
  };
});
