import { z } from 'zod';
import type { JsonValue } from '@wr/anchor';
import type { Queryable } from '../db/database.js';
import { sqlState, StoreError } from '../db/errors.js';
import { parseOptionalRow, parseRow, parseRows, timestamp } from '../db/rows.js';
import { EvidenceError, type ItemRejectionCode } from './errors.js';
import { deviceAlgorithms, type DeviceAlgorithm } from './keys.js';

/** A registered device as the gateway keeps it. */
export interface DeviceRecord {
  readonly id: string;
  readonly warehouseId: string;
  readonly kind: string;
  readonly algorithm: DeviceAlgorithm;
  /** SPKI PEM. */
  readonly publicKey: string;
  readonly active: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly deactivatedAt: Date | null;
}

export const evidenceKinds = ['device-reading', 'document', 'ledger-event'] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];

/** One piece of evidence as stored: its record, exactly as hashed, and where it stands. */
export interface StoredEvidence {
  readonly id: string;
  readonly kind: EvidenceKind;
  /** The record, parsed from the exact JCS text that was hashed. */
  readonly record: JsonValue;
  /** The RFC 8785 text whose bytes the leaf hash covers. */
  readonly recordJcs: string;
  /** SHA-256(0x00 || recordJcs), 0x-prefixed lowercase hex. */
  readonly leafHash: string;
  /** 0-based position among all leaves, in acceptance order, without gaps. */
  readonly leafIndex: number;
  readonly deviceId: string | null;
  readonly deviceSeq: number | null;
  /** Sequence numbers this reading skipped (inclusive range), when it skipped some. */
  readonly seqGap: { readonly fromSeq: number; readonly toSeq: number } | null;
  readonly lotId: string | null;
  readonly receiptId: string | null;
  readonly submittedBy: string;
  readonly receivedAt: Date;
  readonly checkpointSeq: number | null;
}

/** A leaf to append; its index is assigned by {@link EvidenceStore.appendLeaves}. */
export interface NewLeaf {
  readonly id: string;
  readonly kind: EvidenceKind;
  readonly recordJcs: string;
  readonly leafHash: string;
  readonly deviceId?: string;
  readonly deviceSeq?: number;
  readonly seqGapFrom?: number;
  readonly lotId?: string;
  readonly receiptId?: string;
  readonly submittedBy: string;
  readonly receivedAt: Date;
}

export interface Rejection {
  readonly deviceId: string | null;
  readonly deviceSeq: number | null;
  readonly code: ItemRejectionCode;
  readonly detail: string;
  /** SHA-256 of the item's JCS text. */
  readonly itemSha256: Buffer;
}

/** A leaf as the checkpoint worker takes it. */
export interface UnanchoredLeaf {
  readonly id: string;
  readonly leafIndex: number;
  readonly leafHash: string;
}

export interface DocumentRow {
  readonly evidenceId: string;
  readonly sha256: string;
  readonly size: number;
  readonly mediaType: string;
  readonly name: string;
  readonly storedPath: string | null;
}

/** A device's state under its row lock: whether it may still submit, and the last seq accepted from it. */
export interface LockedDevice {
  readonly active: boolean;
  readonly lastSeq: number | undefined;
}

/**
 * The evidence tables. Made over the database or over an open transaction (`evidenceStore(tx)`); the functions that
 * lock or append are meant to run in a transaction.
 */
export interface EvidenceStore {
  /** DEVICE_EXISTS if the id is taken. */
  insertDevice(device: Omit<DeviceRecord, 'active' | 'createdAt' | 'deactivatedAt'>): Promise<DeviceRecord>;
  device(id: string): Promise<DeviceRecord | undefined>;
  devices(ids: readonly string[]): Promise<Map<string, DeviceRecord>>;
  /** Deactivates a device (under its row lock); an inactive one stays as it is. Undefined if unknown. */
  deactivateDevice(id: string, by: string): Promise<DeviceRecord | undefined>;
  /** Locks the devices' rows (in id order, so that concurrent batches cannot deadlock) and reads their state. */
  lockDevices(ids: readonly string[]): Promise<Map<string, LockedDevice>>;
  /** Which of these (device, seq) pairs are already stored, as `${deviceId} ${seq}`. */
  storedSeqs(pairs: readonly { readonly deviceId: string; readonly seq: number }[]): Promise<Set<string>>;
  /**
   * Appends leaves in the given order and returns their leaf indices. Takes the next indices from the one-row counter
   * in the same transaction: indices are assigned in commit order and a rollback returns them, so committed leaves
   * never have a gap. In the same statement, raises each device's last accepted seq to the highest of its new leaves
   * (never lowers it): a device's last seq is always the highest seq stored for it. Device leaves are meant to be
   * appended under their devices' locks ({@link lockDevices}).
   */
  appendLeaves(leaves: readonly NewLeaf[]): Promise<number[]>;
  logRejections(rejections: readonly Rejection[], context: { readonly receivedAt: Date; readonly submittedBy: string; readonly requestId: string }): Promise<void>;
  insertDocument(document: Omit<DocumentRow, 'storedPath'> & { readonly storedPath: string | null }): Promise<void>;
  /** Documents registered with this SHA-256 (hex, no prefix). */
  documentsWithHash(sha256: string): Promise<DocumentRow[]>;
  /** Records that the bytes of every document with this hash are stored at `path` (relative to DATA_DIR). */
  markStored(sha256: string, path: string): Promise<void>;
  evidenceById(id: string): Promise<StoredEvidence | undefined>;
  /** Leaves from `fromLeafIndex` not yet in a checkpoint, in leaf_index order, at most `limit`. */
  unanchoredLeaves(fromLeafIndex: number, limit: number): Promise<UnanchoredLeaf[]>;
  /**
   * Puts leaves firstLeafIndex .. firstLeafIndex + leafCount - 1 into checkpoint `seq`: all of them, or (when any is
   * missing or already in a checkpoint) none, with INVALID_ARGUMENT.
   */
  assignCheckpoint(seq: number, firstLeafIndex: number, leafCount: number): Promise<void>;
}

/** int8 as the driver returns it (text), as a JS number: every value here (indices, seqs) is a safe integer. */
const int8Number = z
  .string()
  .regex(/^-?\d+$/)
  .transform((text) => Number(text))
  .refine((value) => Number.isSafeInteger(value), 'beyond the safe integer range');
const bytes = z.instanceof(Buffer);
const hex = (buffer: Buffer): string => buffer.toString('hex');

const deviceColumns = 'id, warehouse_id, kind, algorithm, public_key, active, created_by, created_at, deactivated_at';
const deviceRow = z
  .object({
    id: z.string(),
    warehouse_id: z.string(),
    kind: z.string(),
    algorithm: z.enum(deviceAlgorithms),
    public_key: z.string(),
    active: z.boolean(),
    created_by: z.string(),
    created_at: timestamp,
    deactivated_at: timestamp.nullable(),
  })
  .transform(
    (row): DeviceRecord => ({
      id: row.id,
      warehouseId: row.warehouse_id,
      kind: row.kind,
      algorithm: row.algorithm,
      publicKey: row.public_key,
      active: row.active,
      createdBy: row.created_by,
      createdAt: row.created_at,
      deactivatedAt: row.deactivated_at,
    }),
  );

const evidenceColumns =
  'id, kind, record_jcs, leaf_hash, leaf_index, device_id, device_seq, seq_gap_from, lot_id, receipt_id, submitted_by, received_at, checkpoint_seq';
const evidenceRow = z
  .object({
    id: z.string(),
    kind: z.enum(evidenceKinds),
    record_jcs: z.string(),
    leaf_hash: bytes,
    leaf_index: int8Number,
    device_id: z.string().nullable(),
    device_seq: int8Number.nullable(),
    seq_gap_from: int8Number.nullable(),
    lot_id: z.string().nullable(),
    receipt_id: z.string().nullable(),
    submitted_by: z.string(),
    received_at: timestamp,
    checkpoint_seq: int8Number.nullable(),
  })
  .transform(
    (row): StoredEvidence => ({
      id: row.id,
      kind: row.kind,
      record: z.json().parse(JSON.parse(row.record_jcs)),
      recordJcs: row.record_jcs,
      leafHash: `0x${hex(row.leaf_hash)}`,
      leafIndex: row.leaf_index,
      deviceId: row.device_id,
      deviceSeq: row.device_seq,
      seqGap: row.seq_gap_from === null || row.device_seq === null ? null : { fromSeq: row.seq_gap_from, toSeq: row.device_seq - 1 },
      lotId: row.lot_id,
      receiptId: row.receipt_id,
      submittedBy: row.submitted_by,
      receivedAt: row.received_at,
      checkpointSeq: row.checkpoint_seq,
    }),
  );

const documentRow = z
  .object({ evidence_id: z.string(), sha256: bytes, size: int8Number, media_type: z.string(), name: z.string(), stored_path: z.string().nullable() })
  .transform(
    (row): DocumentRow => ({
      evidenceId: row.evidence_id,
      sha256: hex(row.sha256),
      size: row.size,
      mediaType: row.media_type,
      name: row.name,
      storedPath: row.stored_path,
    }),
  );

const hexBytes = (value: string): Buffer => Buffer.from(value.replace(/^0x/, ''), 'hex');

export function evidenceStore(db: Queryable): EvidenceStore {
  const device = async (id: string): Promise<DeviceRecord | undefined> =>
    parseOptionalRow(deviceRow, await db.query(`SELECT ${deviceColumns} FROM devices WHERE id = $1`, [id]));

  return {
    async insertDevice(device) {
      try {
        const rows = await db.query(
          `INSERT INTO devices (id, warehouse_id, kind, algorithm, public_key, created_by) VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING ${deviceColumns}`,
          [device.id, device.warehouseId, device.kind, device.algorithm, device.publicKey, device.createdBy],
        );
        return parseRow(deviceRow, rows);
      } catch (error) {
        if (sqlState(error) === '23505') throw new EvidenceError('DEVICE_EXISTS', `device ${device.id} is already registered`);
        throw error;
      }
    },

    device,

    async devices(ids) {
      const rows = parseRows(deviceRow, await db.query(`SELECT ${deviceColumns} FROM devices WHERE id = ANY($1::text[])`, [[...ids]]));
      return new Map(rows.map((row) => [row.id, row]));
    },

    async deactivateDevice(id, by) {
      const rows = await db.query(
        `UPDATE devices SET active = false, deactivated_at = now(), deactivated_by = $2 WHERE id = $1 AND active RETURNING ${deviceColumns}`,
        [id, by],
      );
      return parseOptionalRow(deviceRow, rows) ?? device(id);
    },

    async lockDevices(ids) {
      const sorted = [...new Set(ids)].sort();
      // Two statements: under READ COMMITTED, the second one's snapshot is taken after the lock was granted, so it sees
      // what a batch that held the lock before us committed (a join in the locking statement could read stale rows).
      await db.query('SELECT id FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [sorted]);
      const rows = parseRows(
        z.object({ id: z.string(), active: z.boolean(), last_seq: int8Number.nullable() }),
        await db.query(
          `SELECT d.id, d.active, s.last_seq FROM devices d LEFT JOIN device_sequences s ON s.device_id = d.id WHERE d.id = ANY($1::text[])`,
          [sorted],
        ),
      );
      return new Map(rows.map((row) => [row.id, { active: row.active, lastSeq: row.last_seq ?? undefined }]));
    },

    async storedSeqs(pairs) {
      if (pairs.length === 0) return new Set();
      const rows = parseRows(
        z.object({ device_id: z.string(), device_seq: int8Number }),
        await db.query(
          `SELECT e.device_id, e.device_seq FROM evidence e
           JOIN unnest($1::text[], $2::bigint[]) AS wanted (device_id, device_seq)
             ON e.device_id = wanted.device_id AND e.device_seq = wanted.device_seq`,
          [pairs.map((pair) => pair.deviceId), pairs.map((pair) => pair.seq.toString())],
        ),
      );
      return new Set(rows.map((row) => `${row.device_id} ${row.device_seq.toString()}`));
    },

    async appendLeaves(leaves) {
      if (leaves.length === 0) return [];
      // One round trip: the counter, the leaves and the devices' last seqs. The leaves' rows are read from one jsonb
      // parameter (one statement whatever the batch size, no parameter limit to meet).
      const { first } = parseRow(
        z.object({ first: int8Number }),
        await db.query(
          `WITH counter AS (
             UPDATE evidence_leaf_counter SET next_leaf_index = next_leaf_index + $2 WHERE singleton RETURNING next_leaf_index - $2 AS first
           ), leaves AS (
             SELECT x.*, counter.first + x.n AS leaf_index
             FROM jsonb_to_recordset($1::jsonb) AS x (n bigint, id text, kind text, record_jcs text, leaf_hash text, device_id text,
                                                      device_seq bigint, seq_gap_from bigint, lot_id text, receipt_id text,
                                                      submitted_by text, received_at timestamptz),
                  counter
           ), inserted AS (
             INSERT INTO evidence (id, kind, record, record_jcs, leaf_hash, leaf_index, device_id, device_seq, seq_gap_from, lot_id,
                                   receipt_id, submitted_by, received_at)
             SELECT id, kind, record_jcs::jsonb, record_jcs, decode(leaf_hash, 'hex'), leaf_index, device_id, device_seq, seq_gap_from,
                    lot_id, receipt_id, submitted_by, received_at
             FROM leaves ORDER BY leaf_index
           ), sequences AS (
             INSERT INTO device_sequences (device_id, last_seq, last_evidence_id)
             SELECT DISTINCT ON (device_id) device_id, device_seq, id FROM leaves WHERE device_id IS NOT NULL ORDER BY device_id, device_seq DESC
             ON CONFLICT (device_id) DO UPDATE SET last_seq = EXCLUDED.last_seq, last_evidence_id = EXCLUDED.last_evidence_id, updated_at = now()
               WHERE EXCLUDED.last_seq > device_sequences.last_seq
           )
           SELECT first FROM counter`,
          [
            JSON.stringify(
              leaves.map((leaf, n) => ({
                n,
                id: leaf.id,
                kind: leaf.kind,
                record_jcs: leaf.recordJcs,
                leaf_hash: leaf.leafHash.replace(/^0x/, ''),
                device_id: leaf.deviceId ?? null,
                device_seq: leaf.deviceSeq ?? null,
                seq_gap_from: leaf.seqGapFrom ?? null,
                lot_id: leaf.lotId ?? null,
                receipt_id: leaf.receiptId ?? null,
                submitted_by: leaf.submittedBy,
                received_at: leaf.receivedAt.toISOString(),
              })),
            ),
            leaves.length,
          ],
        ),
      );
      return leaves.map((_, offset) => first + offset);
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

    async insertDocument(document) {
      await db.query(
        `INSERT INTO documents (evidence_id, sha256, size, media_type, name, stored_path, stored_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END)`,
        [document.evidenceId, hexBytes(document.sha256), document.size, document.mediaType, document.name, document.storedPath],
      );
    },

    async documentsWithHash(sha256) {
      return parseRows(
        documentRow,
        await db.query('SELECT evidence_id, sha256, size, media_type, name, stored_path FROM documents WHERE sha256 = $1 ORDER BY evidence_id', [
          hexBytes(sha256),
        ]),
      );
    },

    async markStored(sha256, path) {
      await db.query('UPDATE documents SET stored_path = $2, stored_at = now() WHERE sha256 = $1 AND stored_path IS NULL', [hexBytes(sha256), path]);
    },

    async evidenceById(id) {
      return parseOptionalRow(evidenceRow, await db.query(`SELECT ${evidenceColumns} FROM evidence WHERE id = $1`, [id]));
    },

    async unanchoredLeaves(fromLeafIndex, limit) {
      const rows = parseRows(
        z.object({ id: z.string(), leaf_index: int8Number, leaf_hash: bytes }),
        await db.query(
          'SELECT id, leaf_index, leaf_hash FROM evidence WHERE checkpoint_seq IS NULL AND leaf_index >= $1 ORDER BY leaf_index LIMIT $2',
          [fromLeafIndex, limit],
        ),
      );
      return rows.map((row) => ({ id: row.id, leafIndex: row.leaf_index, leafHash: `0x${hex(row.leaf_hash)}` }));
    },

    async assignCheckpoint(seq, firstLeafIndex, leafCount) {
      // One statement: either every leaf of the range is free and gets the checkpoint, or none is touched.
      const rows = await db.query(
        `WITH range AS (
           SELECT count(*) FILTER (WHERE checkpoint_seq IS NULL) AS free FROM evidence WHERE leaf_index >= $2 AND leaf_index < $2 + $3
         )
         UPDATE evidence SET checkpoint_seq = $1
         WHERE leaf_index >= $2 AND leaf_index < $2 + $3 AND (SELECT free FROM range) = $3
         RETURNING leaf_index`,
        [seq, firstLeafIndex, leafCount],
      );
      if (rows.length !== leafCount) {
        throw new StoreError(
          'INVALID_ARGUMENT',
          `leaves ${firstLeafIndex.toString()}..${(firstLeafIndex + leafCount - 1).toString()} are not all stored and outside any checkpoint`,
        );
      }
    },
  };
}
