import { isBase64 } from '@wr/anchor';
import { idPattern, refIdPattern } from '@wr/chaincode/model';
import { z } from 'zod';
import { jsonDepth } from '../../util/json-depth.js';

export { jsonDepth };

/**
 * What a device signs and how an evidence batch carries it (docs/design.md section 6). A device signs the RFC 8785 JCS
 * bytes of its envelope `{deviceId, seq, ts, readings[], attachments[]}`; the gateway verifies and stores the
 * envelope exactly as it was sent, so these schemas only check it (they never strip or rewrite a field).
 */

/** Bounds of what the gateway accepts, so that one request cannot exhaust memory or the database. */
export const evidenceLimits = {
  /** Items in one POST /v1/evidence. */
  batchItems: 1000,
  /** JCS bytes of one envelope. */
  envelopeBytes: 16 * 1024,
  readingsPerEnvelope: 256,
  attachmentsPerEnvelope: 32,
  /** Members of one reading object. */
  fieldsPerReading: 16,
  /** Nesting of arrays and objects inside a reading's values. */
  valueDepth: 4,
  /** Nesting of one batch item (checked before anything walks it recursively). */
  bodyDepth: 16,
  /** Bytes of one document's content. */
  documentBytes: 1024 * 1024 * 1024,
} as const;

const invisibleOrControl = /[\p{Cc}\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;

/** A short printable label (sensor names, kinds, units). */
export const label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => value.isWellFormed() && !invisibleOrControl.test(value), 'must be printable, well-formed Unicode');

export const deviceId = z.string().regex(idPattern, 'must be 1-64 letters, digits, ".", "_" or "-", not starting with a symbol');
export const linkId = z.string().regex(refIdPattern, 'must be an id (letters, digits, ".", "_" or "-")');
/** SHA-256 as 64 lowercase hex digits, with or without `0x`. */
export const sha256Text = z.string().regex(/^(0x)?[0-9a-f]{64}$/, 'must be a SHA-256: 64 lowercase hex digits, optionally 0x-prefixed');
export const mediaType = z
  .string()
  .max(127)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a lowercase media type like "image/jpeg"');


const readingValue = z.json().refine((value) => jsonDepth(value) <= evidenceLimits.valueDepth, `must nest at most ${evidenceLimits.valueDepth} levels`);

/** One reading: a `kind` and a `value`, optionally `sensor` and `unit`, and a few more JSON members if the device has them. */
export const reading = z
  .object({ kind: label(64), value: readingValue, sensor: label(64).optional(), unit: label(32).optional() })
  .catchall(readingValue)
  .refine((value) => Object.keys(value).length <= evidenceLimits.fieldsPerReading, `a reading has at most ${evidenceLimits.fieldsPerReading} members`);

export const attachment = z.strictObject({ sha256: sha256Text, mediaType: mediaType.optional(), name: label(200).optional() });

/** The signed envelope. `ts` is RFC 3339 with a zone (`Z` or an offset); `seq` strictly increases per device. */
export const envelope = z.strictObject({
  deviceId,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ts: z.iso.datetime({ offset: true }),
  readings: z.array(reading).max(evidenceLimits.readingsPerEnvelope),
  attachments: z.array(attachment).max(evidenceLimits.attachmentsPerEnvelope),
});
export type Envelope = z.infer<typeof envelope>;

/**
 * Standard base64 (RFC 4648 section 4, padded): Ed25519's 64 raw bytes, or an ECDSA P-256 signature in DER. Canonical
 * only (no stray padding bits), as the evidence bundle's verifier requires: one signature, one spelling.
 */
export const signature = z.string().min(4).max(200).refine(isBase64, 'must be canonical padded base64 (RFC 4648 section 4)');

/**
 * One item of a batch: the envelope and its signature as the device produced them, and optionally the lot or receipt
 * the reading concerns. The links are the device gateway's statement, outside what the device signed.
 */
export const evidenceItem = z.strictObject({ envelope, signature, lotId: linkId.optional(), receiptId: linkId.optional() });
export type EvidenceItem = z.infer<typeof evidenceItem>;
