import type { CheckpointAnchor } from '../../../src/chain/anchor-client.js';
import { ChainError } from '../../../src/verifier/chain-error.js';

/** A 32-byte hash of one repeated byte, e.g. hash('ab'). */
export const hash = (byte: string): string => `0x${byte.repeat(32)}`;

/** A checkpoint whose root is made of `byte`. */
export const checkpoint = (byte: string, seq = 1): CheckpointAnchor => ({ root: hash(byte), checkpointHash: hash('ee'), seq });

/** The ChainError a call fails with; fails the test if it succeeds or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<ChainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ChainError) return error;
    throw error;
  }
  throw new Error('expected a ChainError, the call succeeded');
}
