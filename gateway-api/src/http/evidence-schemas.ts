import { z } from 'zod';
import {
  attachment,
  deviceId,
  evidenceLimits,
  jsonDepth,
  label,
  linkId,
  mediaType,
  sha256Text,
} from '../evidence/envelope.js';
import { itemRejectionCodes } from '../evidence/errors.js';
import { deviceAlgorithms } from '../evidence/keys.js';
import { evidenceKinds } from '../evidence/store.js';
import { id, refId } from './schemas.js';

/**
 * Request and response schemas of the evidence routes (devices, evidence, documents). Requests are parsed with them at
 * the boundary; the evidence items themselves are parsed one by one by the use case, so that one bad item is refused
 * alone, and the schemas documenting them here mirror evidence/envelope.ts.
 */

const examplePem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA4aSsoAMil1Vjxt0CSDyIo34+6wQmmiCa/Z8HAQGZmOA=\n-----END PUBLIC KEY-----\n';
// The example envelope really is signed by the example key, and the example leaf hash is its record's.
const exampleLeafHash = '0x93d2cd54844c090ea3f288d75bcf64c0bbc2d91fe0eb65d40f88057ae259c361';
const exampleHash = '0x9f2c1a7be1d0e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3';
const exampleEnvelope = {
  deviceId: 'TEMP-QD-03-01',
  seq: 1042,
  ts: '2026-11-20T08:15:00Z',
  readings: [{ sensor: 'probe-1', kind: 'temperature', value: 4.5, unit: 'Cel' }],
  attachments: [],
};
const exampleSignature = 'oXQ7WUPty547ADaxGi0QD34KvFUYOg8JeOsBLvAHEfxoeHQEf5h3kiI7epcdABtfu9VEzvshshker6T/iBTsAw==';

export const hashParams = z.strictObject({ hash: sha256Text });

export const deviceRegistrationBody = z
  .strictObject({
    id: deviceId,
    warehouseId: id,
    kind: label(64).openapi({ description: 'what the device measures, e.g. temperature, humidity, load-cell, door, gps, camera' }),
    algorithm: z.enum(deviceAlgorithms),
    publicKey: z.string().max(4096).openapi({ description: 'SPKI PEM (-----BEGIN PUBLIC KEY-----) of the stated algorithm' }),
  })
  .openapi('DeviceRegistration', {
    example: { id: 'TEMP-QD-03-01', warehouseId: 'WH-QINGDAO-01', kind: 'temperature', algorithm: 'Ed25519', publicKey: examplePem },
  });

export const device = z
  .object({
    id: z.string(),
    warehouseId: z.string(),
    kind: z.string(),
    algorithm: z.enum(deviceAlgorithms),
    publicKey: z.string(),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    deactivatedAt: z.string().nullable(),
  })
  .openapi('Device', {
    example: {
      id: 'TEMP-QD-03-01',
      warehouseId: 'WH-QINGDAO-01',
      kind: 'temperature',
      algorithm: 'Ed25519',
      publicKey: examplePem,
      active: true,
      createdBy: 'custodian.supervisor',
      createdAt: '2026-11-01T02:00:00.000Z',
      deactivatedAt: null,
    },
  });

/** The batch as parsed at the boundary: each item is checked on its own by the use case. */
export const evidenceBatchBody = z
  .strictObject({ items: z.array(z.unknown()).min(1, 'a batch has at least one item') })
  // Checked before anything walks the body recursively (the idempotency hash, JCS).
  .refine((body) => jsonDepth(body) <= evidenceLimits.bodyDepth + 2, `items nest at most ${evidenceLimits.bodyDepth.toString()} levels`);

const readingDoc = z
  .object({ kind: label(64), value: z.unknown(), sensor: label(64).optional(), unit: label(32).optional() })
  .catchall(z.unknown())
  .openapi('Reading', {
    description: `kind and value required; up to ${evidenceLimits.fieldsPerReading.toString()} members, JSON values nested at most ${evidenceLimits.valueDepth.toString()} levels`,
  });

const envelopeDoc = z
  .strictObject({
    deviceId,
    seq: z.number().int().min(0).openapi({ description: 'strictly increases per device' }),
    ts: z.string().openapi({ description: 'RFC 3339 with Z or an offset; within the configured window around the gateway clock' }),
    readings: z.array(readingDoc).max(evidenceLimits.readingsPerEnvelope),
    attachments: z.array(attachment).max(evidenceLimits.attachmentsPerEnvelope),
  })
  .openapi('DeviceEnvelope', {
    description: `what the device signs: the RFC 8785 (JCS) bytes of this object, at most ${evidenceLimits.envelopeBytes.toString()}`,
    example: exampleEnvelope,
  });

/** The batch as documented: what each item must look like to be accepted. */
export const evidenceBatchDoc = z
  .strictObject({
    items: z
      .array(
        z.strictObject({
          envelope: envelopeDoc,
          // A fresh schema: instances made before zod-to-openapi extended zod (evidence/envelope.ts) have no .openapi().
          signature: z.base64().max(200).openapi({ description: 'base64 of the signature over JCS(envelope): Ed25519 64 bytes, or ECDSA P-256 DER' }),
          lotId: linkId.optional().openapi({ description: 'the lot the reading concerns (not signed by the device; stored beside the leaf)' }),
          receiptId: linkId.optional().openapi({ description: 'the receipt the reading concerns (not signed by the device)' }),
        }),
      )
      .min(1)
      .max(evidenceLimits.batchItems),
  })
  .openapi('EvidenceBatch', { example: { items: [{ envelope: exampleEnvelope, signature: exampleSignature }] } });

const seqGap = z.object({ fromSeq: z.number().int(), toSeq: z.number().int() });

export const evidenceBatchResult = z
  .object({
    receivedAt: z.string(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    items: z.array(
      z.discriminatedUnion('status', [
        z.object({
          status: z.literal('accepted'),
          id: z.string(),
          leafHash: z.string(),
          leafIndex: z.number().int(),
          seqGap: seqGap.optional().openapi({ description: 'sequence numbers the device skipped before this one: accepted, and recorded as a gap' }),
        }),
        z.object({ status: z.literal('rejected'), code: z.enum(itemRejectionCodes), message: z.string() }),
      ]),
    ),
  })
  .openapi('EvidenceBatchResult', {
    example: {
      receivedAt: '2026-11-20T08:15:02.117Z',
      accepted: 1,
      rejected: 1,
      items: [
        { status: 'accepted', id: 'ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P', leafHash: exampleLeafHash, leafIndex: 81234 },
        { status: 'rejected', code: 'SEQ_REPLAY', message: "device TEMP-QD-03-01's seq 1041 was accepted before" },
      ],
    },
  });

export const evidence = z
  .object({
    id: z.string(),
    kind: z.enum(evidenceKinds),
    record: z.unknown().openapi({ description: 'exactly the object whose RFC 8785 (JCS) bytes were hashed into the leaf' }),
    leafHash: z.string().openapi({ description: 'SHA-256(0x00 || JCS(record)), 0x-prefixed lowercase hex' }),
    leafIndex: z.number().int(),
    deviceId: z.string().nullable(),
    seqGap: seqGap.nullable(),
    lotId: z.string().nullable(),
    receiptId: z.string().nullable(),
    submittedBy: z.string(),
    receivedAt: z.string(),
    checkpointSeq: z.number().int().nullable().openapi({ description: 'the checkpoint the leaf is in; null until one is cut' }),
  })
  .openapi('Evidence', {
    example: {
      id: 'ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P',
      kind: 'device-reading',
      record: { type: 'device-reading', envelope: exampleEnvelope, signature: exampleSignature, receivedAt: '2026-11-20T08:15:02.117Z' },
      leafHash: exampleLeafHash,
      leafIndex: 81234,
      deviceId: 'TEMP-QD-03-01',
      seqGap: null,
      lotId: 'LOT-QD-0001',
      receiptId: null,
      submittedBy: 'custodian.device-gateway',
      receivedAt: '2026-11-20T08:15:02.117Z',
      checkpointSeq: null,
    },
  });

export const documentBody = z
  .strictObject({
    sha256: sha256Text,
    mediaType,
    name: label(200),
    size: z.number().int().min(0).max(evidenceLimits.documentBytes),
    lotId: refId.optional(),
    receiptId: refId.optional(),
  })
  .openapi('DocumentRegistration', {
    example: { sha256: exampleHash, mediaType: 'application/pdf', name: 'weighbridge ticket 88121.pdf', size: 183004, lotId: 'LOT-QD-0001' },
  });

const documentView = z.object({ sha256: z.string(), size: z.number().int(), mediaType: z.string(), name: z.string(), contentStored: z.boolean() });

export const documentRegistered = z
  .object({ id: z.string(), leafHash: z.string(), leafIndex: z.number().int(), document: documentView })
  .openapi('DocumentRegistered', {
    example: {
      id: 'ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P',
      leafHash: '0x4be1f07a9d62c35e8a1b0f9e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a',
      leafIndex: 81235,
      document: { sha256: exampleHash, size: 183004, mediaType: 'application/pdf', name: 'weighbridge ticket 88121.pdf', contentStored: false },
    },
  });

export const documentContentStored = z
  .object({ sha256: z.string(), size: z.number().int(), contentStored: z.literal(true) })
  .openapi('DocumentContentStored', { example: { sha256: exampleHash, size: 183004, contentStored: true } });

const hash = (description: string) => z.string().regex(/^0x[0-9a-f]{64}$/).openapi({ description });
const exampleRoot = '0x5f2e0c3b9a1d4e7f8a6b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f';
const exampleCheckpointHash = '0x9d1c7b5a3e2f4d6c8b0a1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e1d3c';

export const checkpointSeqParams = z.strictObject({ seq: z.string().regex(/^(0|[1-9]\d{0,15})$/, 'a checkpoint number: digits, no leading zeros') });
export const checkpointListQuery = z.strictObject({
  limit: z.string().regex(/^[1-9]\d{0,2}$/, '1 to 999').optional(),
  before: z.string().regex(/^(0|[1-9]\d{0,15})$/).optional(),
});

const anchorRecord = z
  .object({
    chainId: z.number().int(),
    contract: z.string().openapi({ description: 'the Anchor contract, 0x lowercase' }),
    txHash: hash('the anchoring transaction'),
    blockNumber: z.number().int(),
    blockHash: hash('the block that holds it'),
    blockTimestamp: z.number().int().openapi({ description: 'the block time, Unix seconds' }),
  })
  .openapi('AnchorRecord');

const checkpointFields = {
  seq: z.number().int(),
  prevHash: hash('the previous checkpoint hash (32 zero bytes for checkpoint 0)'),
  firstLeafIndex: z.number().int(),
  leafCount: z.number().int(),
  root: hash('RFC 6962 Merkle root over the leaves'),
  createdAt: z.string(),
  hash: hash('SHA-256(JCS(checkpoint without hash))'),
};
const exampleCheckpoint = {
  seq: 41,
  prevHash: exampleCheckpointHash,
  firstLeafIndex: 81000,
  leafCount: 512,
  root: exampleRoot,
  createdAt: '2026-11-20T08:15:10.000Z',
  hash: exampleCheckpointHash,
};
const exampleAnchor = {
  chainId: 31337,
  contract: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  txHash: exampleCheckpointHash,
  blockNumber: 43,
  blockHash: exampleRoot,
  blockTimestamp: 1795680911,
};

export const checkpointView = z
  .object({
    ...checkpointFields,
    anchor: anchorRecord.nullable().openapi({ description: 'null until the anchoring transaction is confirmed' }),
    ledgerTxId: z.string().nullable().openapi({ description: "the ledger's RecordCheckpoint transaction, once recorded" }),
  })
  .openapi('Checkpoint', { example: { ...exampleCheckpoint, anchor: exampleAnchor, ledgerTxId: 'c0ffee'.padEnd(64, '0') } });

export const checkpointList = z.array(checkpointView).openapi('CheckpointList');

export const evidenceBundle = z
  .object({
    format: z.literal('wr-evidence-bundle/1'),
    evidence: z.object({ id: z.string(), kind: z.enum(evidenceKinds), record: z.unknown() }),
    device: z.object({ id: z.string(), algorithm: z.enum(['Ed25519', 'ECDSA-P256']), publicKey: z.string() }).nullable(),
    leaf: z.object({ index: z.number().int(), hash: hash('SHA-256(0x00 || JCS(record))') }),
    proof: z.object({ treeSize: z.number().int(), path: z.array(z.string()).openapi({ description: 'RFC 6962 audit path, bottom-up' }) }),
    checkpoint: z.object(checkpointFields),
    anchor: anchorRecord,
    ledger: z.object({ receiptId: z.string().nullable(), lotId: z.string().nullable(), txId: z.string() }).nullable(),
    explanation: z.string(),
  })
  .openapi('EvidenceBundle', {
    description: 'wr-evidence-bundle/1 (DESIGN.md section 6): check it offline with `npx wr-verify bundle.json [--rpc URL]`',
  });
