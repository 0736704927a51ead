/** Evidence intake: devices, signed readings, documents, and the leaves the checkpoint worker anchors. */
export { evidenceLimits, evidenceItem, envelope, type Envelope, type EvidenceItem } from './envelope.js';
export { EvidenceError, evidenceErrorCodes, itemRejectionCodes, type EvidenceErrorCode, type ItemRejectionCode } from './errors.js';
export {
  evidenceService,
  type BatchResult,
  type DeviceRegistration,
  type DocumentRegistered,
  type DocumentRegistration,
  type EvidenceService,
  type EvidenceServiceOptions,
  type ItemResult,
  type WriteContext,
} from './intake.js';
export { jcs } from './jcs.js';
export { deviceAlgorithms, parseDeviceKey, verifyDeviceSignature, type DeviceAlgorithm, type DeviceKey } from './keys.js';
export { leafHash, newEvidenceId } from './leaf.js';
export { fileObjectStore, type ObjectStore } from './object-store.js';
export {
  evidenceKinds,
  evidenceStore,
  type DeviceRecord,
  type EvidenceKind,
  type EvidenceStore,
  type NewLeaf,
  type StoredEvidence,
  type UnanchoredLeaf,
} from './store.js';
