import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { int8Number, parseRows } from '../../db/rows.js';
import { receiptVisibility, type Viewer } from '../receipts/receipt-queries.js';
import { supervisionVisibility } from '../access.js';

/** The receipt states whose goods are under a pledge or offered as one. */
export const pledgeStatuses = ['PLEDGE_REQUESTED', 'PLEDGED', 'DEFAULTED'] as const;

const pledgedRow = z.object({ commodity: z.string(), unit: z.string(), warehouse_id: z.string(), status: z.enum(pledgeStatuses), receipts: int8Number, quantity: z.string() });
const alarmRow = z.object({ day: z.string(), warehouse_id: z.string(), severity: z.string(), count: int8Number });
const anchorRow = z.object({ seq: int8Number.nullable(), anchored_at: z.date().nullable(), leaf_count: z.number().int().nullable(), waiting: int8Number });

export interface Dashboard {
  readonly asOf: string;
  /** Quantities under pledge (or requested, or defaulted) by commodity, unit and warehouse, as exact decimals. */
  readonly pledged: readonly { commodity: string; unit: string; warehouseId: string; status: (typeof pledgeStatuses)[number]; receipts: number; quantity: string }[];
  /** Alarms raised per UTC day, warehouse and severity over the last `days` days. */
  readonly alarms: readonly { day: string; warehouseId: string; severity: string; count: number }[];
  /** The last anchored checkpoint, how long ago it was anchored, and the leaves no checkpoint holds yet. */
  readonly anchoring: { readonly lastAnchored: { seq: number; anchoredAt: string; leafCount: number } | null; readonly ageSeconds: number | null; readonly leavesWaiting: number };
}

/**
 * The dashboard's figures, each over what the viewer may see: the receipts as ListReceipts scopes them, alarms as the
 * alarm list does (a lender's and a borrower's only on lots of receipts they see); anchoring is public, as
 * GET /v1/checkpoints is.
 */
export async function dashboard(db: Queryable, viewer: Viewer, now: Date, days: number): Promise<Dashboard> {
  const receiptParams: unknown[] = [];
  const receiptParam = (value: unknown): string => `$${receiptParams.push(value).toString()}`;
  const pledged = parseRows(
    pledgedRow,
    await db.query(
      `SELECT commodity, unit, warehouse_id, status, count(*) AS receipts, sum(quantity)::text AS quantity
       FROM receipts WHERE status = ANY(${receiptParam([...pledgeStatuses])}::text[]) AND ${receiptVisibility(viewer, receiptParam)}
       GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      receiptParams,
    ),
  );
  const alarmParams: unknown[] = [];
  const alarmParam = (value: unknown): string => `$${alarmParams.push(value).toString()}`;
  const alarms = parseRows(
    alarmRow,
    await db.query(
      `SELECT to_char(raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, warehouse_id, severity, count(*) AS count
       FROM alarms WHERE raised_at >= ${alarmParam(new Date(now.getTime() - days * 86_400_000))} AND ${supervisionVisibility(viewer, 'alarms.lot_id', alarmParam)}
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      alarmParams,
    ),
  );
  const [anchor] = parseRows(
    anchorRow,
    await db.query(
      `SELECT last.seq, last.anchored_at, last.leaf_count, (SELECT count(*) FROM evidence WHERE checkpoint_seq IS NULL) AS waiting
       FROM (SELECT 1) AS one
       LEFT JOIN (SELECT seq, anchored_at, leaf_count FROM checkpoints WHERE anchored_at IS NOT NULL ORDER BY seq DESC LIMIT 1) AS last ON true`,
    ),
  );
  const lastAnchored =
    anchor?.seq == null || anchor.anchored_at === null || anchor.leaf_count === null ? null : { seq: anchor.seq, anchoredAt: anchor.anchored_at.toISOString(), leafCount: anchor.leaf_count };
  return {
    asOf: now.toISOString(),
    pledged: pledged.map((row) => ({ commodity: row.commodity, unit: row.unit, warehouseId: row.warehouse_id, status: row.status, receipts: row.receipts, quantity: row.quantity })),
    alarms: alarms.map((row) => ({ day: row.day, warehouseId: row.warehouse_id, severity: row.severity, count: row.count })),
    anchoring: {
      lastAnchored,
      ageSeconds: lastAnchored === null ? null : Math.max(0, Math.round((now.getTime() - new Date(lastAnchored.anchoredAt).getTime()) / 1000)),
      leavesWaiting: anchor?.waiting ?? 0,
    },
  };
}
