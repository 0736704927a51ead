/**
 * `@wr/anchor`, for Node: the verifier core (`@wr/anchor/verifier`), with node:crypto versions of its hashing that
 * return Buffers (same names, same results), the RFC 6962 tree builder and the chain client (`@wr/anchor/chain`).
 * It loads neither Hardhat nor solc: the dev chain and the contract compiler are `@wr/anchor/dev`.
 */
export * from './verifier/index.js';
// The Node versions of the core's hashing, by the same names: the same results, as Buffers (node:crypto is faster).
export { HASH_BYTES, JCS_MAX_DEPTH, equalBytes, fromBase64, fromHex, isBase64, isHash, isHex, jcs, jcsBytes, notJsonReason, sha256, toBase64, toHex, type Hex } from './hash.js';
export {
  EMPTY_ROOT,
  LEAF_PREFIX,
  NODE_PREFIX,
  ProofLengthError,
  RootMismatchError,
  auditPathSides,
  checkLeafIndex,
  decomposeInclusionProof,
  hashChildren,
  hashLeaf,
  rootFromInclusionProof,
  verifyInclusion,
} from './rfc6962.js';
export { buildBaselineTree, buildTree, type MerkleTreeView } from './merkle.js';
export { parseDevicePublicKey } from './device-signature.js';
export * from './chain/index.js';
