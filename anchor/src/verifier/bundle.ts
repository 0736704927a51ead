import { getAddress } from 'ethers';
import { z } from 'zod';
import { checkpointSchema } from './checkpoint.js';
import { toHex, type Hex } from './hash.js';
import { jcsBytes } from './jcs.js';
import { hashLeaf } from './rfc6962.js';
import { base64Schema, hashSchema, jsonObjectSchema, jsonValueSchema, rfc3339Schema, uintSchema, type JsonObject } from './schemas.js';

/** The `format` value of version 1 of the evidence bundle. */
export const BUNDLE_FORMAT = 'wr-evidence-bundle/1';

/** What a device signs, canonicalised with JCS: `seq` strictly increases per device. */
export const deviceEnvelopeSchema = z.strictObject({
  deviceId: z.string().min(1),
  seq: uintSchema,
  ts: rfc3339Schema,
  readings: z.array(jsonValueSchema),
  attachments: z.array(jsonValueSchema),
});
export type DeviceEnvelope = z.infer<typeof deviceEnvelopeSchema>;

/** The evidence record of a device reading: the envelope as signed, the signature (DER for ECDSA) and arrival time. */
export const deviceReadingRecordSchema = z.strictObject({
  type: z.literal('device-reading'),
  envelope: deviceEnvelopeSchema,
  signature: base64Schema,
  receivedAt: rfc3339Schema,
});
export type DeviceReadingRecord = z.infer<typeof deviceReadingRecordSchema>;

const evidenceId = z.string().min(1);

/** A record of `kind` other than a device reading: any JSON object whose `type` is the kind. */
function recordOfType(kind: 'document' | 'ledger-event') {
  return jsonObjectSchema.refine((record) => record.type === kind, { error: `record.type must be "${kind}"`, path: ['type'] });
}

/**
 * The evidence and exactly the record whose JCS bytes were hashed into the leaf. `record.type` repeats `kind`, so
 * that the kind is covered by the leaf hash: relabelling a device reading as a document cannot skip its signature.
 */
export const evidenceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ id: evidenceId, kind: z.literal('device-reading'), record: deviceReadingRecordSchema }),
  z.strictObject({ id: evidenceId, kind: z.literal('document'), record: recordOfType('document') }),
  z.strictObject({ id: evidenceId, kind: z.literal('ledger-event'), record: recordOfType('ledger-event') }),
]);
export type Evidence = z.infer<typeof evidenceSchema>;

/** Signature algorithms a device may use. */
export const deviceAlgorithms = ['Ed25519', 'ECDSA-P256'] as const;
export type DeviceAlgorithm = (typeof deviceAlgorithms)[number];

const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n(?:[A-Za-z0-9+/=]+\r?\n)+-----END PUBLIC KEY-----\r?\n?$/;

/** The signing device: its public key as an SPKI PEM block. */
export const deviceSchema = z.strictObject({
  id: z.string().min(1),
  algorithm: z.enum(deviceAlgorithms),
  publicKey: z.string().regex(PEM_PUBLIC_KEY, 'expected an SPKI PEM block (BEGIN PUBLIC KEY)'),
});
export type Device = z.infer<typeof deviceSchema>;

/** An EVM address: `0x` and 40 hex digits, all lowercase or EIP-55 checksummed. */
export const addressSchema = z.string().refine((value) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) return false;
  return value === value.toLowerCase() || getAddress(value) === value;
}, 'expected an EVM address, lowercase or EIP-55 checksummed');

/** The anchoring transaction; numbers are JSON integers (chain ids, block numbers and unix seconds all stay below 2^53). */
export const anchorSchema = z.strictObject({
  chainId: z.int().positive(),
  contract: addressSchema,
  txHash: hashSchema,
  blockNumber: uintSchema,
  blockHash: hashSchema,
  blockTimestamp: uintSchema,
});
export type Anchor = z.infer<typeof anchorSchema>;

/** Where the evidence touches the ledger; receiptId and lotId are null when the evidence concerns no receipt or lot. */
export const ledgerReferenceSchema = z.strictObject({
  receiptId: z.string().min(1).nullable(),
  lotId: z.string().min(1).nullable(),
  txId: z.string().min(1),
});
export type LedgerReference = z.infer<typeof ledgerReferenceSchema>;

/** Each section of the bundle; verify.ts parses them one by one so that one malformed section spoils only its checks. */
export const bundleSections = {
  format: z.literal(BUNDLE_FORMAT),
  evidence: evidenceSchema,
  device: deviceSchema.nullable(),
  leaf: z.strictObject({ index: uintSchema, hash: hashSchema }),
  // 64 hashes cover any tree of fewer than 2^53 leaves; the bound keeps garbage input cheap to refuse.
  proof: z.strictObject({ treeSize: z.int().positive(), path: z.array(hashSchema).max(64) }),
  checkpoint: checkpointSchema,
  anchor: anchorSchema,
  ledger: ledgerReferenceSchema.nullable(),
  explanation: z.string(),
};

/** A `wr-evidence-bundle/1` document (DESIGN §6), a public format: names and shapes never change within version 1. */
export const evidenceBundleSchema = z.strictObject(bundleSections);
export type EvidenceBundle = z.infer<typeof evidenceBundleSchema>;

/** SHA-256(0x00 || JCS(record)): the leaf of an evidence record; throws InvalidArgumentError if it is not plain JSON. */
export function leafHashOfRecord(record: JsonObject): Hex {
  return toHex(hashLeaf(jcsBytes(record)));
}
