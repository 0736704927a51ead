/**
 * `@wr/anchor`, for Node: the verifier core (`@wr/anchor/verifier`), with node:crypto versions of its hashing that
 * return Buffers (same names, same results), the RFC 6962 tree builder and the chain client (`@wr/anchor/chain`).
 * It loads neither Hardhat nor solc: the dev chain and the contract compiler are `@wr/anchor/dev`.
 */
export { InvalidArgumentError, InvariantError } from './verifier/errors.js';
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
export {
  ZERO_HASH,
  checkpointBody,
  checkpointBodySchema,
  checkpointHash,
  checkpointSchema,
  makeCheckpoint,
  nextCheckpoint,
  type Checkpoint,
  type CheckpointBody,
} from './verifier/checkpoint.js';
export { describeIssues, hashSchema, jsonObjectSchema, jsonValueSchema, type JsonObject, type JsonValue } from './verifier/schemas.js';
export {
  BUNDLE_FORMAT,
  anchorSchema,
  deviceAlgorithms,
  deviceEnvelopeSchema,
  deviceReadingRecordSchema,
  deviceSchema,
  evidenceBundleSchema,
  evidenceSchema,
  leafHashOfRecord,
  ledgerReferenceSchema,
  type Anchor,
  type Device,
  type DeviceAlgorithm,
  type DeviceEnvelope,
  type DeviceReadingRecord,
  type Evidence,
  type EvidenceBundle,
  type LedgerReference,
} from './verifier/bundle.js';
export { explainBundle } from './verifier/explanation.js';
export {
  KeyAlgorithmError,
  checkEnvelopeSignature,
  parsePublicKeyPem,
  type DevicePublicKey,
  type SignatureCheck,
  type SignatureFailure,
} from './verifier/device-signature.js';
export { parseDevicePublicKey } from './device-signature.js';
export {
  checkNames,
  isHttpUrl,
  reasonCodes,
  verifyBundle,
  verifyBundleJson,
  type Check,
  type CheckName,
  type CheckStatus,
  type ReasonCode,
  type VerifyOptions,
  type VerifyResult,
} from './verifier/verify.js';
export { RpcError, checkAnchor, rpcSend, type AnchorCheck, type AnchorFailure, type JsonRpcSender, type RpcErrorCode, type RpcSend } from './verifier/anchor-check.js';
export * from './chain/index.js';
