import { z } from 'zod';
import { refId } from '../../http/fields.js';
import { exampleHash } from '../evidence-examples.js';
import { evidenceLimits, label, mediaType, sha256Text } from '../readings/envelope.js';

/** Request and response schemas of the documents module. */

export const hashParams = z.strictObject({ hash: sha256Text });

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

