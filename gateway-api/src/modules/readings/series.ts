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

/** The widths, in seconds, that reading_series_rollup sums readings up in, widest first. */
const ROLLUP_WIDTHS = [3600, 60] as const;

/**
 * The min/max downsampling of one series: each slot keeps its extremes, so an excursion shorter than a slot still
 * shows (a mean or a sample would hide it). Slots of a minute or more are read from the per-minute or per-hour sums
 * (reading_series_rollup), so a chart over months reads thousands of rows, not millions; their width is then a whole
 * number of minutes or hours and `from` is moved back to a whole one, so that every slot is made of whole sums. Shorter
 * slots are counted from the values themselves (an index-only scan of reading_series_chart).
 */
export async function readingSeries(db: Queryable, query: { deviceId: string; kind: string; from: Date; to: Date; buckets: number }): Promise<ReadingSeries> {
  const wantedMs = Math.max(1, Math.ceil((query.to.getTime() - query.from.getTime()) / query.buckets));
  const width = ROLLUP_WIDTHS.find((seconds) => seconds * 1000 <= wantedMs);
  const widthMs = (width ?? 0) * 1000;
  const slotMs = width === undefined ? wantedMs : Math.ceil(wantedMs / widthMs) * widthMs;
  const origin = width === undefined ? query.from.getTime() : Math.floor(query.from.getTime() / widthMs) * widthMs;
  const rows = parseRows(
    bucketRow,
    width === undefined
      ? await db.query(
          `SELECT floor((extract(epoch FROM ts) * 1000 - $3::float8) / $5::float8)::bigint AS slot,
                  count(*) AS count, min(value) AS min, max(value) AS max, avg(value) AS avg
           FROM reading_series
           WHERE device_id = $1 AND kind = $2 AND ts >= to_timestamp($3::float8 / 1000) AND ts < to_timestamp($4::float8 / 1000)
           GROUP BY 1 ORDER BY 1`,
          [query.deviceId, query.kind, origin, query.to.getTime(), slotMs],
        )
      : await db.query(
          `SELECT floor((extract(epoch FROM slot) * 1000 - $3::float8) / $5::float8)::bigint AS slot,
                  sum(count)::bigint AS count, min(min) AS min, max(max) AS max, sum(sum) / sum(count) AS avg
           FROM reading_series_rollup
           WHERE device_id = $1 AND kind = $2 AND width = $6 AND slot >= to_timestamp($3::float8 / 1000) AND slot < to_timestamp($4::float8 / 1000)
           GROUP BY 1 ORDER BY 1`,
          [query.deviceId, query.kind, origin, query.to.getTime(), slotMs, width],
        ),
  );
  return {
    deviceId: query.deviceId,
    kind: query.kind,
    from: new Date(origin).toISOString(),
    to: query.to.toISOString(),
    bucketSeconds: slotMs / 1000,
    buckets: rows.map((row) => ({ start: new Date(origin + row.slot * slotMs).toISOString(), count: row.count, min: row.min, max: row.max, avg: row.avg })),
  };
}
