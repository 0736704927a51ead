import { anyKnownCaller } from '@wr/chaincode/roles';
import { z } from 'zod';
import { defineOperation } from '../../http/operation.js';
import { ApiError } from '../../http/problem.js';
import { EvidenceError } from '../errors.js';
import { eventCatalogue, eventExamples, eventTypes, isEventType } from './catalogue.js';
import type { Party } from './outbox.js';
import { eventById, partyOf, sees } from './outbox.js';
import type { EventsApi } from './index.js';
import { viewerOf } from '../access.js';

const operation = defineOperation<EventsApi>();

const typeList = z
  .string()
  .max(4000)
  .transform((text, context) => {
    const types = text.split(',').map((type) => type.trim()).filter((type) => type !== '');
    for (const type of types) if (!isEventType(type)) context.addIssue({ code: 'custom', message: `unknown event type ${type}; see GET /v1/event-types` });
    return new Set(types);
  })
  .openapi({ description: 'comma-separated event types (default: every type)', example: 'receipt.pledge-accepted,receipt.held,alarm.raised' });

const streamQuery = z.strictObject({
  types: typeList.optional(),
  after: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .openapi({ description: 'resume after this event id (the same as a Last-Event-ID header, for clients that cannot send one)', example: 'ledger-7d3c5f0e8b2a41c6' }),
});

const sseExample =
  'retry: 2000\n\n' +
  `id: ledger-7d3c5f0e8b2a41c69e0f1d2c3b4a59687766554433221100ffeeddccbbaa9988\nevent: receipt.pledge-accepted\ndata: ${JSON.stringify({
    id: 'ledger-7d3c5f0e8b2a41c69e0f1d2c3b4a59687766554433221100ffeeddccbbaa9988',
    type: 'receipt.pledge-accepted',
    timestamp: '2026-11-20T04:00:00.000Z',
    object: { type: 'receipt', id: 'WR-2026-0001' },
    data: { receiptId: 'WR-2026-0001', '…': '…' },
  })}\n\n: heartbeat\n\n`;

const eventTypeEntry = z.object({ type: z.string(), object: z.string(), summary: z.string(), example: z.record(z.string(), z.unknown()) });

export const operations = [
  operation({
    operationId: 'streamEvents',
    method: 'get',
    path: '/v1/events',
    summary:
      'Server-sent events: every event on objects the caller may see, from now on, or after the event named by Last-Event-ID (or `after`); ' +
      'heartbeat comments while quiet; a client that stops reading is dropped',
    tag: 'Events',
    allowed: anyKnownCaller,
    query: streamQuery,
    response: z.object({}),
    documentedResponse: {
      description: 'text/event-stream: `id` is the event id (send it back as Last-Event-ID), `event` its type, `data` the event as JSON (the same body a webhook gets)',
      contentType: 'text/event-stream',
      schema: { type: 'string' },
      example: sseExample,
    },
    successStatus: 200,
    run: ({ query, caller }, events) => {
      const party = partyOf(viewerOf(caller));
      if (party === undefined) throw new ApiError(403, 'FORBIDDEN', 'this identity is no party to the registry');
      return Promise.resolve({
        data: null,
        respond: async (req, res) => {
          const header = req.headers['last-event-id'];
          const lastEventId = (Array.isArray(header) ? header[0] : header)?.trim() || query.after;
          const after = lastEventId === undefined ? undefined : await positionOf(events, lastEventId, party);
          await events.stream(res, { party, types: query.types, after });
        },
      });
    },
  }),
  operation({
    operationId: 'listEventTypes',
    method: 'get',
    path: '/v1/event-types',
    summary: 'Every event type the registry tells (webhooks and GET /v1/events), with the object it is about and an example of its data',
    tag: 'Events',
    allowed: anyKnownCaller,
    response: z.array(eventTypeEntry).openapi({
      example: [{ type: 'receipt.pledge-accepted', ...eventCatalogue['receipt.pledge-accepted'], example: eventExamples['receipt.pledge-accepted'] }],
    }),
    successStatus: 200,
    run: () => Promise.resolve({ data: eventTypes.map((type) => ({ type, ...eventCatalogue[type], example: eventExamples[type] })) }),
  }),
];

/** The position to resume after: the named event's, if the caller may see it (else it does not exist for the caller). */
async function positionOf(events: EventsApi, id: string, party: Party) {
  const event = await eventById(events.db, id);
  if (event === undefined || !sees(party, event.audience)) {
    throw new EvidenceError('EVENT_NOT_FOUND', `no event ${id} to resume after (events are kept ${events.retention}); reconnect without Last-Event-ID to start from now`);
  }
  return event.position;
}
