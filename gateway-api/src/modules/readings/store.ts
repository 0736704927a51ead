import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { int8Number, parseRows } from '../../db/rows.js';
import type { ItemRejectionCode } from '../errors.js';

/** An item of a batch that was refused, as the refusals' log keeps it. */
export interface Rejection {
  readonly deviceId: string | null;
  readonly deviceSeq: number | null;
  readonly code: ItemRejectionCode;
  readonly detail: string;
  /** SHA-256 of the item's JCS text. */
  readonly itemSha256: Buffer;
}

/** The readings module's tables: each device's last accepted seq, and the log of refused items. */
export interface ReadingStore {
  /** The last accepted seq of each device named (absent: none yet); read after the devices' locks are held. */
  lastSeqs(deviceIds: readonly string[]): Promise<Map<string, number>>;
  /** Raises each device's last accepted seq to the highest of `accepted` (never lowers it). */
  raiseLastSeqs(accepted: readonly { readonly deviceId: string; readonly seq: number; readonly evidenceId: string }[]): Promise<void>;
  logRejections(rejections: readonly Rejection[], context: { readonly receivedAt: Date; readonly submittedBy: string; readonly requestId: string }): Promise<void>;
}


export function readingStore(db: Queryable): ReadingStore {
  return {
    async lastSeqs(deviceIds) {
      if (deviceIds.length === 0) return new Map();
      const rows = parseRows(
        z.object({ device_id: z.string(), last_seq: int8Number }),
        await db.query('SELECT device_id, last_seq FROM device_sequences WHERE device_id = ANY($1::text[])', [[...new Set(deviceIds)]]),
      );
      return new Map(rows.map((row) => [row.device_id, row.last_seq]));
    },

    async raiseLastSeqs(accepted) {
      if (accepted.length === 0) return;
      await db.query(
        `INSERT INTO device_sequences (device_id, last_seq, last_evidence_id)
         SELECT DISTINCT ON (device_id) device_id, seq, evidence_id
         FROM jsonb_to_recordset($1::jsonb) AS x (device_id text, seq bigint, evidence_id text)
         ORDER BY device_id, seq DESC
         ON CONFLICT (device_id) DO UPDATE SET last_seq = EXCLUDED.last_seq, last_evidence_id = EXCLUDED.last_evidence_id, updated_at = now()
           WHERE EXCLUDED.last_seq > device_sequences.last_seq`,
        [JSON.stringify(accepted.map((entry) => ({ device_id: entry.deviceId, seq: entry.seq, evidence_id: entry.evidenceId })))],
      );
    },

    async logRejections(rejections, context) {
      if (rejections.length === 0) return;
      await db.query(
        `INSERT INTO evidence_rejections (received_at, submitted_by, request_id, device_id, device_seq, code, detail, item_sha256)
         SELECT $2, $3, $4, x.device_id, x.device_seq, x.code, x.detail, decode(x.item_sha256, 'hex')
         FROM jsonb_to_recordset($1::jsonb) AS x (n integer, device_id text, device_seq bigint, code text, detail text, item_sha256 text)
         ORDER BY x.n`,
        [
          JSON.stringify(
            rejections.map((rejection, n) => ({
              n,
              device_id: rejection.deviceId,
              device_seq: rejection.deviceSeq,
              code: rejection.code,
              detail: rejection.detail,
              item_sha256: rejection.itemSha256.toString('hex'),
            })),
          ),
          context.receivedAt,
          context.submittedBy,
          context.requestId,
        ],
      );
    },
  };
}
