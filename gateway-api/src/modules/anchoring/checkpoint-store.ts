import { buildTree, fromHex, hashSchema, nextCheckpoint, toHex, type AnchorRecord, type Checkpoint, type PendingAnchor } from '@wr/anchor';
import { z } from 'zod';
import type { Database, Queryable } from '../../db/database.js';
import { singletonLease } from '../../db/lease.js';
import { parseOptionalRow, parseRows } from '../../db/rows.js';
import type { Leaves } from '../leaves/index.js';
import { appendEvents, everyone } from '../events/outbox.js';

/** A checkpoint as the gateway keeps it: cut, maybe sent, maybe anchored, maybe recorded on the ledger. */
export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The anchoring transaction signed and (perhaps) broadcast, not yet confirmed. */
  readonly pending: PendingAnchor | null;
  readonly anchor: AnchorRecord | null;
  /** The ledger's RecordCheckpoint transaction, once committed. */
  readonly ledgerTxId: string | null;
}

export interface CheckpointStore {
  /**
   * Cuts the next checkpoint over up to `maxLeaves` leaves not yet in one (in leaf order), in one transaction that
   * also assigns those leaves to it; undefined when there are none.
   */
  cut(maxLeaves: number, createdAt: Date): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints not yet anchored or not yet recorded on the ledger, oldest first. */
  unfinished(): Promise<StoredCheckpoint[]>;
  markSent(seq: number, pending: PendingAnchor): Promise<void>;
  markAnchored(seq: number, anchor: AnchorRecord): Promise<void>;
  markRecorded(seq: number, ledgerTxId: string): Promise<void>;
  get(seq: number): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints by seq, newest first, below `beforeSeq` when given. */
  list(limit: number, beforeSeq?: number): Promise<StoredCheckpoint[]>;
  /** The leaf hashes of a checkpoint, in tree order. */
  leafHashes(seq: number): Promise<Buffer[]>;
  /** How many leaves wait for a checkpoint, and when the last checkpoint was cut. */
  backlog(): Promise<{ readonly leaves: number; readonly lastCutAt: Date | undefined }>;
  /** The Anchor contract deployed on `chainId` and remembered here, if any, with its deployment block. */
  contract(chainId: number): Promise<{ readonly address: string; readonly deployBlock: number } | undefined>;
  rememberContract(chainId: number, deployment: { contract: string; txHash: string; blockNumber: number }, signer: string): Promise<void>;
  /**
   * Takes or renews the anchoring worker's lease for `holder` (one worker per database, whatever the number of
   * gateways); false while another holder's lease runs.
   */
  lease(holder: string, ttlMs: number): Promise<boolean>;
  release(holder: string): Promise<void>;
}

const int8 = z.union([z.number(), z.string().regex(/^\d+$/)]).transform((value) => Number(value));
const row = z.object({
  seq: int8,
  prev_hash: hashSchema,
  first_leaf_index: int8,
  leaf_count: z.number(),
  root: hashSchema,
  created_at: z.string(),
  hash: hashSchema,
  pending_tx_hash: z.string().nullable(),
  pending_nonce: int8.nullable(),
  chain_id: int8.nullable(),
  contract: z.string().nullable(),
  tx_hash: z.string().nullable(),
  block_number: int8.nullable(),
  block_hash: z.string().nullable(),
  block_timestamp: int8.nullable(),
  ledger_tx_id: z.string().nullable(),
});
const columns =
  'seq, prev_hash, first_leaf_index, leaf_count, root, created_at, hash, pending_tx_hash, pending_nonce, chain_id, contract, tx_hash, block_number, block_hash, block_timestamp, ledger_tx_id';

function stored(r: z.infer<typeof row>): StoredCheckpoint {
  return {
    checkpoint: {
      seq: r.seq,
      prevHash: r.prev_hash,
      firstLeafIndex: r.first_leaf_index,
      leafCount: r.leaf_count,
      root: r.root,
      createdAt: r.created_at,
      hash: r.hash,
    },
    pending: r.pending_tx_hash !== null && r.pending_nonce !== null ? { txHash: r.pending_tx_hash, nonce: r.pending_nonce } : null,
    anchor:
      r.tx_hash !== null && r.chain_id !== null && r.contract !== null && r.block_number !== null && r.block_hash !== null && r.block_timestamp !== null
        ? { chainId: r.chain_id, contract: r.contract, txHash: r.tx_hash, blockNumber: r.block_number, blockHash: r.block_hash, blockTimestamp: r.block_timestamp }
        : null,
    ledgerTxId: r.ledger_tx_id,
  };
}

async function latest(q: Queryable): Promise<StoredCheckpoint | undefined> {
  const found = parseOptionalRow(row, await q.query(`SELECT ${columns} FROM checkpoints ORDER BY seq DESC LIMIT 1`));
  return found && stored(found);
}

/** The checkpoints over the leaf log `leaves`, which it reads and assigns through the leaves module's API. */
export function checkpointStore(db: Database, leaves: Leaves): CheckpointStore {
  const one = async (sql: string, params: readonly unknown[]): Promise<StoredCheckpoint | undefined> => {
    const found = parseOptionalRow(row, await db.query(sql, params));
    return found && stored(found);
  };
  const lease = singletonLease(db, 'anchor_worker_lease');
  return {
    cut(maxLeaves, createdAt) {
      return db.transaction(async (tx) => {
        // Cuts are serialised (several gateways may share the database); intake keeps inserting meanwhile.
        await tx.query('LOCK TABLE checkpoints IN SHARE ROW EXCLUSIVE MODE');
        const previous = (await latest(tx))?.checkpoint ?? null;
        const from = previous === null ? 0 : previous.firstLeafIndex + previous.leafCount;
        const waiting = await leaves.store(tx).unanchoredLeaves(from, maxLeaves);
        // Leaves are committed without gaps; stop at a gap all the same rather than anchor a hole.
        const run = waiting.findIndex((leaf, index) => leaf.leafIndex !== from + index);
        const batch = run === -1 ? waiting : waiting.slice(0, run);
        if (batch.length === 0) return undefined;
        const tree = buildTree(batch.map((leaf) => fromHex(leaf.leafHash)));
        const checkpoint = nextCheckpoint(previous, { root: toHex(tree.root), leafCount: batch.length, createdAt: createdAt.toISOString() });
        await tx.query(
          'INSERT INTO checkpoints (seq, prev_hash, first_leaf_index, leaf_count, root, created_at, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [checkpoint.seq, checkpoint.prevHash, checkpoint.firstLeafIndex, checkpoint.leafCount, checkpoint.root, checkpoint.createdAt, checkpoint.hash],
        );
        await leaves.store(tx).assignCheckpoint(checkpoint.seq, checkpoint.firstLeafIndex, checkpoint.leafCount);
        return { checkpoint, pending: null, anchor: null, ledgerTxId: null };
      });
    },
    async unfinished() {
      return parseRows(row, await db.query(`SELECT ${columns} FROM checkpoints WHERE ledger_tx_id IS NULL ORDER BY seq`)).map(stored);
    },
    async markSent(seq, pending) {
      await db.query('UPDATE checkpoints SET pending_tx_hash = $2, pending_nonce = $3 WHERE seq = $1 AND tx_hash IS NULL', [seq, pending.txHash, pending.nonce]);
    },
    async markAnchored(seq, anchor) {
      await db.transaction(async (tx) => {
        const updated = parseOptionalRow(
          row,
          await tx.query(
            `UPDATE checkpoints SET chain_id = $2, contract = $3, tx_hash = $4, block_number = $5, block_hash = $6, block_timestamp = $7,
               anchored_at = now() WHERE seq = $1 AND tx_hash IS NULL RETURNING ${columns}`,
            [seq, anchor.chainId, anchor.contract, anchor.txHash, anchor.blockNumber, anchor.blockHash, anchor.blockTimestamp],
          ),
        );
        // Checkpoints are public (GET /v1/checkpoints answers every known caller): everyone hears of an anchoring.
        if (updated !== undefined) {
          const { checkpoint } = stored(updated);
          await appendEvents(tx, [
            {
              id: `checkpoint-${checkpoint.seq.toString()}-anchored`,
              type: 'checkpoint.anchored',
              occurredAt: new Date(anchor.blockTimestamp * 1000),
              object: { type: 'checkpoint', id: checkpoint.seq.toString() },
              audience: [everyone],
              data: { checkpoint, anchor },
            },
          ]);
        }
      });
    },
    async markRecorded(seq, ledgerTxId) {
      await db.query('UPDATE checkpoints SET ledger_tx_id = $2, recorded_at = now() WHERE seq = $1 AND ledger_tx_id IS NULL', [seq, ledgerTxId]);
    },
    get: (seq) => one(`SELECT ${columns} FROM checkpoints WHERE seq = $1`, [seq]),
    async list(limit, beforeSeq) {
      const rows = await db.query(`SELECT ${columns} FROM checkpoints WHERE $2::bigint IS NULL OR seq < $2 ORDER BY seq DESC LIMIT $1`, [limit, beforeSeq ?? null]);
      return parseRows(row, rows).map(stored);
    },
    leafHashes: (seq) => leaves.store().leafHashes(seq),
    async backlog() {
      const waiting = await leaves.store().waiting();
      const last = await latest(db);
      return { leaves: waiting, lastCutAt: last ? new Date(last.checkpoint.createdAt) : undefined };
    },
    async contract(chainId) {
      const found = parseOptionalRow(
        z.object({ address: z.string(), deploy_block: int8 }),
        await db.query('SELECT address, deploy_block FROM anchor_contracts WHERE chain_id = $1', [chainId]),
      );
      return found && { address: found.address, deployBlock: found.deploy_block };
    },
    async rememberContract(chainId, deployment, signer) {
      await db.query(
        'INSERT INTO anchor_contracts (chain_id, address, deploy_tx_hash, deploy_block, signer) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chain_id) DO NOTHING',
        [chainId, deployment.contract, deployment.txHash, deployment.blockNumber, signer],
      );
    },
    lease: (holder, ttlMs) => lease.take(holder, ttlMs),
    release: (holder) => lease.release(holder),
  };
}
