import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { int8Number, parseRows } from '../../db/rows.js';

/** At most this many buckets per series: a chart is a few thousand pixels wide at most. */
export const MAX_BUCKETS = 2_000;

/** One time slot of a series: how many values fell in it, and their least, greatest and mean value. */
export interface SeriesBucket {
  readonly start: string;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly avg: number;
}

/** A device's readings of one kind over [from, to), downsampled on the server into equal time slots. */
export interface ReadingSeries {
  readonly deviceId: string;
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly bucketSeconds: number;
  /** Slots that hold values, in time order (an empty slot is a gap in the chart, not a zero). */
  readonly buckets: readonly SeriesBucket[];
}

const bucketRow = z.object({ slot: int8Number, count: int8Number, min: z.number(), max: z.number(), avg: z.number() });

/**
 * The min/max downsampling of one series: each slot keeps its extremes, so an excursion shorter than a slot still
 * shows (a mean or a sample would hide it), in one GROUP BY over an index-only scan of reading_series_chart.
 */
export async function readingSeries(db: Queryable, query: { deviceId: string; kind: string; from: Date; to: Date; buckets: number }): Promise<ReadingSeries> {
  const spanMs = query.to.getTime() - query.from.getTime();
  // Whole milliseconds per slot, at least one.
  const slotMs = Math.max(1, Math.ceil(spanMs / query.buckets));
  const rows = parseRows(
    bucketRow,
    await db.query(
      `SELECT floor((extract(epoch FROM ts) * 1000 - $3::float8) / $5::float8)::bigint AS slot,
              count(*) AS count, min(value) AS min, max(value) AS max, avg(value) AS avg
       FROM reading_series
       WHERE device_id = $1 AND kind = $2 AND ts >= to_timestamp($3::float8 / 1000) AND ts < to_timestamp($4::float8 / 1000)
       GROUP BY slot ORDER BY slot`,
      [query.deviceId, query.kind, query.from.getTime(), query.to.getTime(), slotMs],
    ),
  );
  return {
    deviceId: query.deviceId,
    kind: query.kind,
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    bucketSeconds: slotMs / 1000,
    buckets: rows.map((row) => ({ start: new Date(query.from.getTime() + row.slot * slotMs).toISOString(), count: row.count, min: row.min, max: row.max, avg: row.avg })),
  };
}
