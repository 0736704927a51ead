import { jcs } from '@wr/anchor';
import type { Database } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteContext } from '../../platform/write.js';
import { EvidenceError } from '../errors.js';
import { leafHash, newEvidenceId, type Leaves, type NewLeaf } from '../leaves/index.js';
import type { ObjectStore } from './object-store.js';
import { documentStore } from './store.js';

export interface DocumentRegistration {
  /** 64 lowercase hex digits, with or without 0x. */
  readonly sha256: string;
  readonly mediaType: string;
  readonly name: string;
  readonly size: number;
  readonly lotId?: string | undefined;
  readonly receiptId?: string | undefined;
}

export interface DocumentRegistered {
  readonly id: string;
  readonly leafHash: string;
  readonly leafIndex: number;
  readonly document: {
    readonly sha256: string;
    readonly size: number;
    readonly mediaType: string;
    readonly name: string;
    /** Whether the bytes are in the object store yet (PUT /v1/documents/{sha256}/content). */
    readonly contentStored: boolean;
  };
}

/** Documents as evidence: registered by SHA-256 and metadata (a leaf), their bytes kept content-addressed. */
export interface Documents {
  register(registration: DocumentRegistration, context: WriteContext): Promise<DocumentRegistered>;
  /** Stores a registered document's bytes after checking them against its SHA-256 and size. */
  storeContent(
    sha256: string,
    content: AsyncIterable<Uint8Array>,
    context: WriteContext,
  ): Promise<{ readonly sha256: string; readonly size: number; readonly contentStored: true }>;
}

export interface DocumentsOptions {
  readonly db: Database;
  readonly objects: ObjectStore;
  readonly leaves: Leaves;
  readonly clock: Clock;
}

export function documents(options: DocumentsOptions): Documents {
  const { db, objects, leaves, clock } = options;
  const store = documentStore(db);
  return {
    async register(registration, context) {
      const sha256 = registration.sha256.replace(/^0x/, '');
      const receivedAt = clock.now();
      const known = await store.withHash(sha256);
      const conflicting = known.find((document) => document.size !== registration.size);
      if (conflicting !== undefined) {
        throw new EvidenceError(
          'CONTENT_SIZE_MISMATCH',
          `a document with SHA-256 0x${sha256} is registered with ${conflicting.size.toString()} bytes, not ${registration.size.toString()}`,
        );
      }
      const storedPath = await objects.find(sha256);
      const links = {
        ...(registration.lotId === undefined ? {} : { lotId: registration.lotId }),
        ...(registration.receiptId === undefined ? {} : { receiptId: registration.receiptId }),
      };
      const recordJcs = jcs({
        type: 'document',
        sha256: `0x${sha256}`,
        mediaType: registration.mediaType,
        name: registration.name,
        size: registration.size,
        ...links,
        submittedBy: context.submittedBy,
        receivedAt: receivedAt.toISOString(),
      });
      const leaf: NewLeaf = { id: newEvidenceId(receivedAt), kind: 'document', recordJcs, leafHash: leafHash(recordJcs), ...links, submittedBy: context.submittedBy, receivedAt };
      const leafIndex = await db.transaction(async (tx) => {
        const [index] = await leaves.store(tx).appendLeaves([leaf]);
        await documentStore(tx).insert({ evidenceId: leaf.id, sha256, size: registration.size, mediaType: registration.mediaType, name: registration.name, storedPath: storedPath ?? null });
        await context.record(tx);
        return index ?? -1;
      });
      return {
        id: leaf.id,
        leafHash: leaf.leafHash,
        leafIndex,
        document: { sha256: `0x${sha256}`, size: registration.size, mediaType: registration.mediaType, name: registration.name, contentStored: storedPath !== undefined },
      };
    },

    async storeContent(sha256Given, content, context) {
      const sha256 = sha256Given.replace(/^0x/, '');
      const [document] = await store.withHash(sha256);
      if (document === undefined) {
        throw new EvidenceError('DOCUMENT_NOT_FOUND', `no document with SHA-256 0x${sha256} is registered; POST /v1/documents first`);
      }
      const path = await objects.put(sha256, document.size, content);
      await db.transaction(async (tx) => {
        await documentStore(tx).markStored(sha256, path);
        await context.record(tx);
      });
      return { sha256: `0x${sha256}`, size: document.size, contentStored: true };
    },
  };
}
