/**
 * `@wr/anchor/verifier`: the verification core, for Node and browsers alike. It imports no Node built-in (a test
 * bundles it for the browser to prove it) and works on Uint8Arrays; SHA-256, Ed25519 and ECDSA P-256 come from
 * @noble/hashes and @noble/curves, so that a bundle verifies the same in every runtime.
 */
export { InvalidArgumentError, InvariantError } from './errors.js';
export { HASH_BYTES, equalBytes, fromBase64, fromHex, isBase64, isHash, isHex, sha256, toBase64, toHex, type Hex } from './hash.js';
export { JCS_MAX_DEPTH, jcs, jcsBytes, notJsonReason } from './jcs.js';
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
export {
  KeyAlgorithmError,
  checkEnvelopeSignature,
  parsePublicKeyPem,
  type DevicePublicKey,
  type SignatureCheck,
  type SignatureFailure,
} from './device-signature.js';
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
export { ANCHOR_ABI, ANCHORED_EVENT_SIGNATURE, ANCHORED_EVENT_TOPIC } from './anchor-abi.js';
export { type Eip1193Provider, type HttpProviderOptions, JsonRpcResponseError, httpJsonRpcProvider } from './json-rpc.js';
