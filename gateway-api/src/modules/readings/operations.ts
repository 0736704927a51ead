import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import { custodian, custodianRoles } from '../access.js';
import type { Devices } from '../devices/devices.js';
import type { ReadingIntake } from './intake.js';
import * as schemas from './schemas.js';
import { MAX_BUCKETS, readingSeries } from './series.js';

/** What the readings module's operations are served by. */
export interface ReadingServices {
  readonly intake: ReadingIntake;
  readonly db: Database;
  readonly devices: Devices;
}

const operation = defineOperation<ReadingServices>();

const DAY_MS = 86_400_000;
/** The longest range one chart may ask for. */
const MAX_SPAN_DAYS = 400;

const seriesQuery = z
  .strictObject({
    kind: z.string().min(1).max(64).openapi({ description: "the readings' kind (a reading's `kind`)", example: 'temperature' }),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'start, inclusive (default: 24 hours before `to`)', example: '2026-11-30T00:00:00Z' }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'end, exclusive (default: now)', example: '2026-12-01T00:00:00Z' }),
    buckets: z.coerce.number().int().min(1).max(MAX_BUCKETS).default(500).openapi({ description: `time slots, at most ${MAX_BUCKETS}`, example: 500 }),
  })
  .transform((query, context) => {
    const to = query.to === undefined ? new Date() : new Date(query.to);
    const from = query.from === undefined ? new Date(to.getTime() - DAY_MS) : new Date(query.from);
    if (from >= to) context.addIssue({ code: 'custom', path: ['from'], message: 'must be before `to`' });
    if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * DAY_MS) context.addIssue({ code: 'custom', path: ['from'], message: `the range may span at most ${MAX_SPAN_DAYS} days` });
    return { kind: query.kind, from, to, buckets: query.buckets };
  });

const seriesBucket = z.object({ start: z.string(), count: z.number().int(), min: z.number(), max: z.number(), avg: z.number() });
const series = z
  .object({ deviceId: z.string(), kind: z.string(), from: z.string(), to: z.string(), bucketSeconds: z.number(), buckets: z.array(seriesBucket) })
  .openapi('ReadingSeries', {
    example: {
      deviceId: 'TEMP-QD-01',
      kind: 'temperature',
      from: '2026-11-30T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      bucketSeconds: 172.8,
      buckets: [
        { start: '2026-11-30T00:00:00.000Z', count: 17, min: 3.9, max: 4.6, avg: 4.21 },
        { start: '2026-11-30T00:02:52.800Z', count: 18, min: 4.0, max: 9.8, avg: 4.93 },
      ],
    },
  });

export const operations = [
  operation({
    operationId: 'submitEvidence',
    method: 'post',
    path: '/v1/evidence',
    summary:
      'Submit signed device envelopes; each item is accepted (stored as a Merkle leaf) or refused with its own code, ' +
      'and the accepted ones are committed together',
    tag: 'Evidence',
    allowed: custodian('device-gateway'),
    body: schemas.evidenceBatchBody,
    documentedBody: schemas.evidenceBatchDoc,
    response: schemas.evidenceBatchResult,
    audit: 'SubmitEvidence',
    successStatus: 200,
    run: async ({ body, write }, { intake }) => ({ data: await intake.submitBatch(body.items, write) }),
  }),
  operation({
    operationId: 'getReadingSeries',
    method: 'get',
    path: '/v1/devices/{id}/series',
    summary:
      "A device's numeric readings of one kind over a time range, downsampled on the server: the count, min, max and mean " +
      'of each time slot (min and max keep short excursions visible)',
    tag: 'Devices',
    allowed: custodianRoles,
    params: idParams,
    query: seriesQuery,
    response: series,
    successStatus: 200,
    run: async ({ params, query }, { db, devices }) => {
      // 404 DEVICE_NOT_FOUND for a device that was never registered (an empty series is a device with no readings).
      await devices.get(params.id);
      return { data: await readingSeries(db, { deviceId: params.id, ...query }) };
    },
  }),
];
