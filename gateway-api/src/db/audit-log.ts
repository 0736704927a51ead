import { z } from 'zod';
import type { Queryable } from './database.js';
import { StoreError } from './errors.js';
import { int8, parseRows, timestamp } from './rows.js';

/** One request as the audit log keeps it. */
export interface AuditEntry {
  requestId: string;
  identityId: string | null;
  method: string;
  path: string;
  txName: string | null;
  txId: string | null;
  blockNumber: bigint | null;
  status: number;
  idempotencyKey: string | null;
}

export type RecordedAuditEntry = AuditEntry & { id: bigint; at: Date };

/** The append-only audit log (the database refuses UPDATE, DELETE and TRUNCATE of it). */
export interface AuditLog {
  /** Appends an entry; pass `tx` to record it in the same transaction as the change it describes. */
  append(entry: AuditEntry, tx?: Queryable): Promise<void>;
  /** Appends entries in one statement, in order (ids ascending); as `append` for `tx`. */
  appendAll(entries: readonly AuditEntry[], tx?: Queryable): Promise<void>;
  /** Newest first; `limit` defaults to 100 and may be 1-1000. */
  list(filter: { identityId?: string; limit?: number }): Promise<RecordedAuditEntry[]>;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const columns =
  'id, at, request_id, identity_id, method, path, tx_name, tx_id, block_number, status, idempotency_key';

const entryRow = z
  .object({
    id: int8,
    at: timestamp,
    request_id: z.string(),
    identity_id: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    tx_name: z.string().nullable(),
    tx_id: z.string().nullable(),
    block_number: int8.nullable(),
    status: z.number().int(),
    idempotency_key: z.string().nullable(),
  })
  .transform(
    (row): RecordedAuditEntry => ({
      id: row.id,
      at: row.at,
      requestId: row.request_id,
      identityId: row.identity_id,
      method: row.method,
      path: row.path,
      txName: row.tx_name,
      txId: row.tx_id,
      blockNumber: row.block_number,
      status: row.status,
      idempotencyKey: row.idempotency_key,
    }),
  );

export function auditLog(db: Queryable): AuditLog {
  async function appendAll(entries: readonly AuditEntry[], tx: Queryable = db): Promise<void> {
    if (entries.length === 0) return;
    const column = <T>(pick: (entry: AuditEntry) => T): T[] => entries.map(pick);
    // WITH ORDINALITY: the rows are inserted, and their ids drawn, in the order given.
    await tx.query(
      `INSERT INTO audit_log (request_id, identity_id, method, path, tx_name, tx_id, block_number, status, idempotency_key)
       SELECT request_id, identity_id, method, path, tx_name, tx_id, block_number, status, idempotency_key
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int4[], $9::text[])
              WITH ORDINALITY AS e(request_id, identity_id, method, path, tx_name, tx_id, block_number, status, idempotency_key, n)
        ORDER BY n`,
      [
        column((entry) => entry.requestId),
        column((entry) => entry.identityId),
        column((entry) => entry.method),
        column((entry) => entry.path),
        column((entry) => entry.txName),
        column((entry) => entry.txId),
        column((entry) => entry.blockNumber?.toString() ?? null),
        column((entry) => entry.status),
        column((entry) => entry.idempotencyKey),
      ],
    );
  }

  return {
    async append(entry, tx = db) {
      await tx.query(
        `INSERT INTO audit_log (request_id, identity_id, method, path, tx_name, tx_id, block_number, status, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          entry.requestId,
          entry.identityId,
          entry.method,
          entry.path,
          entry.txName,
          entry.txId,
          entry.blockNumber?.toString() ?? null,
          entry.status,
          entry.idempotencyKey,
        ],
      );
    },
    appendAll,

    async list(filter) {
      const limit = filter.limit ?? DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
        throw new StoreError('INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_LIMIT.toString()}`);
      }
      const rows =
        filter.identityId === undefined
          ? await db.query(`SELECT ${columns} FROM audit_log ORDER BY id DESC LIMIT $1`, [limit])
          : await db.query(`SELECT ${columns} FROM audit_log WHERE identity_id = $1 ORDER BY id DESC LIMIT $2`, [
              filter.identityId,
              limit,
            ]);
      return parseRows(entryRow, rows);
    },
  };
}
