import { z } from 'zod';
import '../../http/fields.js';
import { itemRejectionCodes } from '../errors.js';
import { exampleEnvelope, exampleLeafHash, exampleSignature } from '../evidence-examples.js';
import { seqGap } from '../leaves/schemas.js';
import { attachment, deviceId, evidenceLimits, jsonDepth, label, linkId } from './envelope.js';

/**
 * Request and response schemas of the readings module. The batch is parsed at the boundary only as a list: the use
 * case parses each item on its own (envelope.ts), so that one bad item is refused alone; the schemas documenting the
 * items here mirror envelope.ts.
 */

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

