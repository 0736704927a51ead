/**
 * The Node flavour of the RFC 6962 proof core (./verifier/rfc6962.ts, where the hash spec is stated): the same leaf
 * and node hashes and the same proof walk, hashed with node:crypto and returning Buffers, for the tree builder
 * (merkle.ts), the gateway and the Merkle benchmark. A test checks both flavours agree.
 */
import { hash } from 'node:crypto';
import { HASH_BYTES } from './verifier/hash.js';
import {
  LEAF_PREFIX,
  NODE_PREFIX,
  RootMismatchError as CoreRootMismatchError,
  checkChildren,
  rootFromInclusionProofWith,
  verifyInclusionWith,
  type NodeHasher,
} from './verifier/rfc6962.js';
import { sha256 } from './hash.js';

export {
  LEAF_PREFIX,
  NODE_PREFIX,
  ProofLengthError,
  auditPathSides,
  checkLeafIndex,
  decomposeInclusionProof,
} from './verifier/rfc6962.js';

const LEAF_PREFIX_BYTES = Buffer.of(LEAF_PREFIX);

/** SHA-256(0x00 || data): the RFC 6962 hash of a leaf's bytes. */
export function hashLeaf(data: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX_BYTES, data);
}

// One scratch buffer for every node hash: one-shot crypto.hash over it is about twice as fast as createHash with
// three updates, and it is filled and hashed synchronously, so no call can see another's bytes.
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = NODE_PREFIX;

/** SHA-256(0x01 || left || right): the RFC 6962 hash of an interior node (left and right 32 bytes each). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  checkChildren(left, right);
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_BYTES);
  return hash('sha256', nodeInput, 'buffer');
}

/** MTH({}) = SHA-256(""). */
export const EMPTY_ROOT: Buffer = sha256();

const nodeHasher: NodeHasher<Buffer> = { hashChildren, copy: (bytes) => Buffer.from(bytes) };

/** The computed root differs from the expected one; both are kept as evidence (Buffers, when thrown from here). */
export type RootMismatchError = CoreRootMismatchError & { readonly expectedRoot: Buffer; readonly calculatedRoot: Buffer };
/** The core's class itself, so that instanceof holds whichever entry a caller imports it from. */
export const RootMismatchError = CoreRootMismatchError;

/** The root implied by an audit path; throws InvalidArgumentError or ProofLengthError on a malformed proof. */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Buffer {
  return rootFromInclusionProofWith(nodeHasher, index, size, leafHash, proof);
}

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`. Throws
 * InvalidArgumentError (index >= size, wrong hash lengths), ProofLengthError or RootMismatchError; returns if valid.
 */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  verifyInclusionWith(nodeHasher, index, size, leafHash, proof, root);
}
