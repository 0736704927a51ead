import type { ServerResponse } from 'node:http';
import type { Database } from '../../db/database.js';
import { serve } from '../../http/operation.js';
import { defineModule } from '../../platform/module.js';
import { startEventHub, type EventHub } from './hub.js';
import { operations } from './operations.js';
import type { Party, Position } from './outbox.js';
import { streamEvents, type StreamStats } from './stream.js';

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
  /** Streams events to `res` until the client goes or the gateway stops. */
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
  const stopping = new AbortController();
  const stats: StreamStats = { open: 0, dropped: 0, maxBufferedBytes: 0 };
  const api: EventsApi = {
    db: ctx.db,
    hub,
    retention: 'until pruned',
    stream: (res, subscription) => streamEvents(res, subscription, { db: ctx.db, hub, clock: ctx.clock, heartbeatMs, slowClientMs }, stats, stopping.signal),
    endStreams: () => stopping.abort(),
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
      stopping.abort();
      await hub.stop();
    },
  };
});
