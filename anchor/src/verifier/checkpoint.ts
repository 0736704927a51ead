import { z } from 'zod';
import { InvalidArgumentError } from './errors.js';
import { sha256, toHex, type Hex } from './hash.js';
import { jcsBytes } from './jcs.js';
import { describeIssues, hashSchema, rfc3339Schema, uintSchema } from './schemas.js';

/**
 * The prevHash of the first checkpoint (seq 0): 32 zero bytes. Every later checkpoint carries the hash of the one
 * before, so the chain of checkpoints starts from a value nobody chose.
 */
export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

const checkpointBodyShape = {
  seq: uintSchema,
  prevHash: hashSchema,
  /** Index of this checkpoint's first leaf in the sequence of all leaves: the sum of the earlier leafCounts. */
  firstLeafIndex: uintSchema,
  leafCount: z.int().positive(),
  root: hashSchema,
  createdAt: rfc3339Schema,
};

/** A checkpoint before hashing: one RFC 6962 tree over a batch of leaves, chained to the checkpoint before. */
export const checkpointBodySchema = z.strictObject(checkpointBodyShape);
export type CheckpointBody = z.infer<typeof checkpointBodySchema>;

/** A checkpoint with its hash, as it is anchored and appears in evidence bundles. */
export const checkpointSchema = z.strictObject({ ...checkpointBodyShape, hash: hashSchema });
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** The hashed members of a checkpoint: all but `hash`. */
export function checkpointBody(checkpoint: CheckpointBody): CheckpointBody {
  const { seq, prevHash, firstLeafIndex, leafCount, root, createdAt } = checkpoint;
  return { seq, prevHash, firstLeafIndex, leafCount, root, createdAt };
}

/** '0x' + hex(SHA-256(JCS(checkpoint without hash))). */
export function checkpointHash(checkpoint: CheckpointBody): Hex {
  return toHex(sha256(jcsBytes(checkpointBody(checkpoint))));
}

/** Validates `body` and adds its hash; throws InvalidArgumentError on a malformed body or a seq 0 not chained to ZERO_HASH. */
export function makeCheckpoint(body: CheckpointBody): Checkpoint {
  const parsed = checkpointBodySchema.safeParse(body);
  if (!parsed.success) throw new InvalidArgumentError(`malformed checkpoint: ${describeIssues(parsed.error)}`);
  if (parsed.data.seq === 0 && (parsed.data.prevHash !== ZERO_HASH || parsed.data.firstLeafIndex !== 0)) {
    throw new InvalidArgumentError('checkpoint 0 must have prevHash ZERO_HASH and firstLeafIndex 0');
  }
  return { ...parsed.data, hash: checkpointHash(parsed.data) };
}

/** The checkpoint after `previous` (or the first one, when null) over a batch of `leafCount` leaves with `root`. */
export function nextCheckpoint(previous: Checkpoint | null, batch: { root: Hex; leafCount: number; createdAt: string }): Checkpoint {
  return makeCheckpoint({
    seq: previous === null ? 0 : previous.seq + 1,
    prevHash: previous === null ? ZERO_HASH : previous.hash,
    firstLeafIndex: previous === null ? 0 : previous.firstLeafIndex + previous.leafCount,
    leafCount: batch.leafCount,
    root: batch.root,
    createdAt: batch.createdAt,
  });
}
