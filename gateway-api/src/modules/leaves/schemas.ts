import { z } from 'zod';
import '../../http/fields.js';
import { exampleEnvelope, exampleLeafHash, exampleSignature } from '../evidence-examples.js';
import { evidenceKinds } from './store.js';

/** Response schemas of the leaves module: a piece of evidence as stored. */

export const seqGap = z.object({ fromSeq: z.number().int(), toSeq: z.number().int() });

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

