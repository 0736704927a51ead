import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { StoreError } from '../../db/errors.js';
import { int8Number, parseOptionalRow, parseRow, parseRows, timestamp } from '../../db/rows.js';

export const evidenceKinds = ['device-reading', 'document', 'ledger-event'] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];

/** One piece of evidence as stored: its record, exactly as hashed, and where it stands. */
export interface StoredEvidence {
  readonly id: string;
  readonly kind: EvidenceKind;
  /** The record, parsed from the exact JCS text that was hashed. */
  readonly record: unknown;
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

/** A leaf to append; its index is assigned by {@link LeafStore.appendLeaves}. */
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

/** A leaf as the checkpoint worker takes it. */
export interface UnanchoredLeaf {
  readonly id: string;
  readonly leafIndex: number;
  readonly leafHash: string;
}

/**
 * The leaf log: every accepted piece of evidence, in acceptance order, with gap-free indices. Made over the database
 * or over an open transaction (`leafStore(tx)`); `append` is meant to run in the transaction that accepts the leaves.
 */
export interface LeafStore {
  /** Which of these (device, seq) pairs are already stored, as `${deviceId} ${seq}`. */
  storedSeqs(pairs: readonly { readonly deviceId: string; readonly seq: number }[]): Promise<Set<string>>;
  /**
   * Appends leaves in the given order and returns their leaf indices. Takes the next indices from the one-row counter
   * in the same transaction: indices are assigned in commit order and a rollback returns them, so committed leaves
   * never have a gap.
   */
  appendLeaves(leaves: readonly NewLeaf[]): Promise<number[]>;
  evidenceById(id: string): Promise<StoredEvidence | undefined>;
  /** Leaves from `fromLeafIndex` not yet in a checkpoint, in leaf_index order, at most `limit`. */
  unanchoredLeaves(fromLeafIndex: number, limit: number): Promise<UnanchoredLeaf[]>;
  /**
   * Puts leaves firstLeafIndex .. firstLeafIndex + leafCount - 1 into checkpoint `seq`: all of them, or (when any is
   * missing or already in a checkpoint) none, with INVALID_ARGUMENT.
   */
  assignCheckpoint(seq: number, firstLeafIndex: number, leafCount: number): Promise<void>;
  /** The leaf hashes of a checkpoint, in tree order. */
  leafHashes(seq: number): Promise<Buffer[]>;
  /** How many leaves wait for a checkpoint. */
  waiting(): Promise<number>;
}

const bytes = z.instanceof(Buffer);
const hex = (buffer: Buffer): string => buffer.toString('hex');

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

export function leafStore(db: Queryable): LeafStore {
  return {
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
      // One round trip: the counter and the leaves. The leaves' rows are read from one jsonb parameter (one statement
      // whatever the batch size, no parameter limit to meet).
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

    async leafHashes(seq) {
      const rows = parseRows(z.object({ leaf_hash: bytes }), await db.query('SELECT leaf_hash FROM evidence WHERE checkpoint_seq = $1 ORDER BY leaf_index', [seq]));
      return rows.map((row) => row.leaf_hash);
    },

    async waiting() {
      const [counted] = parseRows(z.object({ leaves: int8Number }), await db.query('SELECT count(*) AS leaves FROM evidence WHERE checkpoint_seq IS NULL'));
      return counted?.leaves ?? 0;
    },
  };
}
