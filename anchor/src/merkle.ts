/**
 * Building RFC 6962 trees (hash spec in verifier/rfc6962.ts) twice over: with merkletreejs, configured for RFC 6962
 * here and nowhere else, and with plain node:crypto as the baseline the benchmark measures against and tests
 * cross-check.
 *
 * merkletreejs's defaults are unsafe for us: leaves and nodes hashed alike (no 0x00/0x01 domain separation, so an
 * interior node passes for a leaf), a pure-JS SHA-256, and the duplicateOdd / sortPairs / complete / Bitcoin
 * options, which all build other trees. With leaves passed in hashed, the 0x01 prefix added by the concatenator and
 * every option off, it carries a level's lone last node up unhashed: exactly RFC 6962's split at the largest power
 * of two. Buffers in and out keep it off its string and crypto-js conversion paths.
 */
import { MerkleTree } from 'merkletreejs';
import { hash } from 'node:crypto';
import { InvalidArgumentError, InvariantError } from './verifier/errors.js';
import { HASH_BYTES } from './verifier/hash.js';
import { EMPTY_ROOT, NODE_PREFIX, checkLeafIndex, hashChildren } from './rfc6962.js';

/** A built tree over leaf hashes: its root and the audit path of any leaf. */
export interface MerkleTreeView {
  readonly size: number;
  readonly root: Buffer;
  /** Sibling hashes of leaf `index`, bottom-up (the RFC 6962 audit path). */
  auditPath(index: number): Buffer[];
}

/** Builds the RFC 6962 tree over `leafHashes` (each already SHA-256(0x00 || leaf)) with merkletreejs. */
export function buildTree(leafHashes: readonly Buffer[]): MerkleTreeView {
  checkLeafHashes(leafHashes);
  // hashFn only ever sees the concatenator's output, since leaves come in hashed (hashLeaves: false), and
  // merkletreejs hashes each concatenation at once: so the concatenator can fill one scratch buffer instead of
  // allocating 65 bytes per node, which with one-shot hashing halves the build time.
  const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
  nodeInput[0] = NODE_PREFIX;
  const tree = new MerkleTree([...leafHashes], (data: Buffer) => hash('sha256', data, 'buffer'), {
    concatenator: ([left, right]: Buffer[]) => {
      if (left === undefined || right === undefined) throw new InvariantError('merkletreejs concatenated other than a pair');
      left.copy(nodeInput, 1);
      right.copy(nodeInput, 1 + HASH_BYTES);
      return nodeInput;
    },
    hashLeaves: false,
    duplicateOdd: false,
    sortLeaves: false,
    sortPairs: false,
    sort: false,
    isBitcoinTree: false,
    complete: false,
  });
  const size = leafHashes.length;
  return {
    size,
    root: size === 0 ? Buffer.from(EMPTY_ROOT) : tree.getRoot(),
    auditPath(index: number): Buffer[] {
      checkLeafIndex(index, size);
      // The index decides; the leaf argument is only required to be present.
      return tree.getProof(leafHashes[index] as Buffer, index).map((step) => step.data);
    },
  };
}

/** Builds the same tree with node:crypto alone: the levels bottom-up, each level's lone last node carried up. */
export function buildBaselineTree(leafHashes: readonly Buffer[]): MerkleTreeView {
  checkLeafHashes(leafHashes);
  const levels: Buffer[][] = [[...leafHashes]];
  for (let level = levels[0] as Buffer[]; level.length > 1; ) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashChildren(level[i] as Buffer, level[i + 1] as Buffer));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
    levels.push(next);
    level = next;
  }
  const size = leafHashes.length;
  return {
    size,
    root: size === 0 ? Buffer.from(EMPTY_ROOT) : ((levels[levels.length - 1] as Buffer[])[0] as Buffer),
    auditPath(index: number): Buffer[] {
      checkLeafIndex(index, size);
      // Sized up front: arrays grown by push keep spare capacity, which for a million paths is 150 MB and GC time.
      let length = 0;
      for (let level = 0, i = index; level < levels.length; level++, i >>>= 1) if ((i ^ 1) < (levels[level] as Buffer[]).length) length++;
      const path = new Array<Buffer>(length);
      for (let level = 0, i = index, k = 0; level < levels.length; level++, i >>>= 1) {
        const nodes = levels[level] as Buffer[];
        if ((i ^ 1) < nodes.length) path[k++] = nodes[i ^ 1] as Buffer;
      }
      return path;
    },
  };
}

function checkLeafHashes(leafHashes: readonly Buffer[]): void {
  if (!Array.isArray(leafHashes)) throw new InvalidArgumentError('leaf hashes must be an array');
  leafHashes.forEach((leaf, i) => {
    if (!Buffer.isBuffer(leaf) || leaf.length !== HASH_BYTES) throw new InvalidArgumentError(`leaf hash ${i} is not a ${HASH_BYTES}-byte Buffer`);
  });
}
