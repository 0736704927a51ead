import { z } from 'zod';
import '../../http/fields.js';
import { exampleEnvelope, exampleLeafHash, examplePem, exampleSignature } from '../evidence-examples.js';
import { evidenceKinds } from '../leaves/store.js';

/** Request and response schemas of the anchoring module: checkpoints and court bundles. */

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

const exampleCheckpointView = { ...exampleCheckpoint, anchor: exampleAnchor, ledgerTxId: 'c0ffee'.padEnd(64, '0') };
export const checkpointList = z.array(checkpointView).openapi('CheckpointList', { example: [exampleCheckpointView] });

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
    description:
      'wr-evidence-bundle/1 (docs/design.md section 6): check it offline with `npx wr-verify bundle.json [--rpc URL]`. ' +
      'The example shows the shape only: its hashes are placeholders and do not verify',
    example: {
      format: 'wr-evidence-bundle/1',
      evidence: { id: 'ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P', kind: 'device-reading', record: { type: 'device-reading', envelope: exampleEnvelope, signature: exampleSignature, receivedAt: '2026-11-20T08:15:02.117Z' } },
      device: { id: 'TEMP-QD-03-01', algorithm: 'Ed25519', publicKey: examplePem },
      leaf: { index: 234, hash: exampleLeafHash },
      proof: { treeSize: 512, path: [exampleRoot, exampleCheckpointHash] },
      checkpoint: exampleCheckpoint,
      anchor: exampleAnchor,
      ledger: { receiptId: null, lotId: 'LOT-QD-0001', txId: 'c0ffee'.padEnd(64, '0') },
      explanation: 'How to check every step with standard tools: …',
    },
  });
