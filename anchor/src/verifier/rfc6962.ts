/**
 * RFC 6962 (Certificate Transparency) Merkle trees, as RFC 9162 §2.1 restates them, with SHA-256:
 *
 *   leaf hash  = SHA-256(0x00 || leaf bytes)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")                  (the empty tree)
 *   MTH({d0})  = leaf hash of d0
 *   MTH(D[n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two below n
 *
 * No odd node is duplicated and no pair is sorted. Built bottom-up, a level's lone last node is carried up
 * unhashed, which yields the same tree as splitting at k. The audit path of a leaf is its siblings bottom-up,
 * skipping the levels where it was carried up.
 *
 * This module is the pure proof core and the one statement of the hash spec (LEAF_PREFIX, NODE_PREFIX): hashing
 * and inclusion-proof verification after transparency-dev/merkle proof/verify.go, on Uint8Arrays. The Node entry
 * (../rfc6962.ts) hashes the same way with node:crypto, for speed, and builds trees (../merkle.ts).
 */
import { InvalidArgumentError } from './errors.js';
import { HASH_BYTES, equalBytes, sha256, toHex } from './hash.js';

/** The domain separator hashed before a leaf's bytes: no leaf can pass for an interior node. */
export const LEAF_PREFIX = 0x00;
/** The domain separator hashed before an interior node's two children. */
export const NODE_PREFIX = 0x01;

const LEAF_PREFIX_BYTES = Uint8Array.of(LEAF_PREFIX);
const NODE_PREFIX_BYTES = Uint8Array.of(NODE_PREFIX);

/** SHA-256(0x00 || data): the RFC 6962 hash of a leaf's bytes. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX_BYTES, data);
}

/** Throws InvalidArgumentError unless both children of a node are hashes. */
export function checkChildren(left: Uint8Array, right: Uint8Array): void {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) throw new InvalidArgumentError(`node children must be ${HASH_BYTES} bytes each`);
}

/** SHA-256(0x01 || left || right): the RFC 6962 hash of an interior node (left and right 32 bytes each). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  checkChildren(left, right);
  return sha256(NODE_PREFIX_BYTES, left, right);
}

/** MTH({}) = SHA-256(""). */
export const EMPTY_ROOT: Uint8Array = sha256();

/** Throws InvalidArgumentError unless 0 <= index < size. */
export function checkLeafIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`tree size ${size} is not a non-negative integer`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new InvalidArgumentError(`leaf index ${index} is not in [0, ${size})`);
  }
}

/** The computed root differs from the expected one; both are kept as evidence. */
export class RootMismatchError extends Error {
  constructor(
    readonly expectedRoot: Uint8Array,
    readonly calculatedRoot: Uint8Array,
  ) {
    super(`calculated root ${toHex(calculatedRoot)} does not match expected root ${toHex(expectedRoot)}`);
    this.name = 'RootMismatchError';
  }
}

/** An inclusion proof has the wrong number of hashes for its leaf index and tree size. */
export class ProofLengthError extends Error {
  constructor(
    readonly expectedLength: number,
    readonly actualLength: number,
  ) {
    super(`inclusion proof has ${actualLength} hashes, a leaf at this index and tree size needs ${expectedLength}`);
    this.name = 'ProofLengthError';
  }
}

/**
 * Splits the audit path of leaf `index` in a tree of `size` leaves (0 <= index < size): `inner` hashes below the
 * level where the leaf's path leaves the tree's right border, then `border` hashes all on the left.
 */
export function decomposeInclusionProof(index: number, size: number): { inner: number; border: number } {
  checkLeafIndex(index, size);
  // BigInt because JavaScript's bitwise operators truncate to 32 bits and sizes may reach 2^53.
  const inner = bitLength(BigInt(index) ^ BigInt(size - 1));
  const border = [...(BigInt(index) >> BigInt(inner)).toString(2)].filter((bit) => bit === '1').length;
  return { inner, border };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** Which side each audit path hash sits on when hashing up: 'left' means SHA-256(0x01 || hash || running). */
export function auditPathSides(index: number, size: number): ('left' | 'right')[] {
  const { inner, border } = decomposeInclusionProof(index, size);
  const sides: ('left' | 'right')[] = [];
  for (let level = 0; level < inner; level++) sides.push(Math.floor(index / 2 ** level) % 2 === 0 ? 'right' : 'left');
  for (let i = 0; i < border; i++) sides.push('left');
  return sides;
}

/** A node hash implementation and a copy of a hash in the same kind of array; see rootFromInclusionProofWith. */
export interface NodeHasher<Bytes extends Uint8Array> {
  hashChildren(left: Uint8Array, right: Uint8Array): Bytes;
  copy(hash: Uint8Array): Bytes;
}

const coreHasher: NodeHasher<Uint8Array> = { hashChildren, copy: (hash) => new Uint8Array(hash) };

/**
 * The proof walk of rootFromInclusionProof over any node hash implementation: the Node entry passes node:crypto's,
 * so that the one walk (and its checks) serves both.
 */
export function rootFromInclusionProofWith<Bytes extends Uint8Array>(
  hasher: NodeHasher<Bytes>,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Bytes {
  const sides = auditPathSides(index, size);
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_BYTES) throw new InvalidArgumentError(`leaf hash is not ${HASH_BYTES} bytes`);
  if (!Array.isArray(proof)) throw new InvalidArgumentError('proof must be an array');
  if (proof.length !== sides.length) throw new ProofLengthError(sides.length, proof.length);
  let running = hasher.copy(leafHash);
  proof.forEach((hash, i) => {
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_BYTES) throw new InvalidArgumentError(`proof hash ${i} is not ${HASH_BYTES} bytes`);
    running = sides[i] === 'left' ? hasher.hashChildren(hash, running) : hasher.hashChildren(running, hash);
  });
  return running;
}

/** verifyInclusion over any node hash implementation (see rootFromInclusionProofWith). */
export function verifyInclusionWith<Bytes extends Uint8Array>(
  hasher: NodeHasher<Bytes>,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const calculated = rootFromInclusionProofWith(hasher, index, size, leafHash, proof);
  if (!(root instanceof Uint8Array) || root.length !== HASH_BYTES) throw new InvalidArgumentError(`root is not ${HASH_BYTES} bytes`);
  if (!equalBytes(calculated, root)) throw new RootMismatchError(hasher.copy(root), calculated);
}

/** The root implied by an audit path; throws InvalidArgumentError or ProofLengthError on a malformed proof. */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  return rootFromInclusionProofWith(coreHasher, index, size, leafHash, proof);
}

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`. Throws
 * InvalidArgumentError (index >= size, wrong hash lengths), ProofLengthError or RootMismatchError; returns if valid.
 */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  verifyInclusionWith(coreHasher, index, size, leafHash, proof, root);
}
