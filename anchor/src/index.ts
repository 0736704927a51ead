export { InvalidArgumentError, InvariantError } from './errors.js';
export { HASH_BYTES, fromBase64, fromHex, isBase64, isHash, isHex, jcs, jcsBytes, sha256, toHex, type Hex } from './hash.js';
export {
  EMPTY_ROOT,
  ProofLengthError,
  RootMismatchError,
  auditPathSides,
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
} from './checkpoint.js';
export { describeIssues, hashSchema, jsonObjectSchema, jsonValueSchema, type JsonObject, type JsonValue } from './schemas.js';
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
} from './bundle.js';
export { explainBundle } from './explanation.js';
export { KeyAlgorithmError, checkEnvelopeSignature, parseDevicePublicKey, type SignatureCheck, type SignatureFailure } from './device-signature.js';
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
} from './verify.js';
export { RpcError, checkAnchor, rpcSend, type AnchorCheck, type AnchorFailure, type JsonRpcSender, type RpcErrorCode, type RpcSend } from './anchor-check.js';
export * from './chain/index.js';
