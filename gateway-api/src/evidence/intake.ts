import { z } from 'zod';
import type { AuditEntry, AuditLog } from '../db/audit-log.js';
import type { Database } from '../db/database.js';
import { deviceId, evidenceItem, evidenceLimits, jsonDepth, type EvidenceItem } from './envelope.js';
import { EvidenceError, type ItemRejectionCode } from './errors.js';
import { jcs } from './jcs.js';
import { parseDeviceKey, verifyDeviceSignature, type DeviceAlgorithm, type DeviceKey } from './keys.js';
import { leafHash, newEvidenceId, sha256Of } from './leaf.js';
import type { ObjectStore } from './object-store.js';
import { evidenceStore, type DeviceRecord, type NewLeaf, type Rejection, type StoredEvidence } from './store.js';

export interface EvidenceServiceOptions {
  readonly db: Database;
  readonly objects: ObjectStore;
  readonly audit: AuditLog;
  /** How far ahead of the gateway's clock an envelope's `ts` may be (device clocks drift). */
  readonly clockSkewMs: number;
  /** How old an envelope's `ts` may be (a device that was offline uploads late, but not forever). */
  readonly maxAgeMs: number;
  readonly now?: () => Date;
}

export interface DeviceRegistration {
  readonly id: string;
  readonly warehouseId: string;
  readonly kind: string;
  readonly algorithm: DeviceAlgorithm;
  readonly publicKey: string;
}

export interface DocumentRegistration {
  /** 64 lowercase hex digits, with or without 0x. */
  readonly sha256: string;
  readonly mediaType: string;
  readonly name: string;
  readonly size: number;
  readonly lotId?: string | undefined;
  readonly receiptId?: string | undefined;
}

/** What happened to one item of a batch, in the batch's order. */
export type ItemResult =
  | {
      readonly status: 'accepted';
      readonly id: string;
      readonly leafHash: string;
      readonly leafIndex: number;
      /** Sequence numbers the device skipped before this reading: accepted, and recorded as a gap. */
      readonly seqGap?: { readonly fromSeq: number; readonly toSeq: number };
    }
  | { readonly status: 'rejected'; readonly code: ItemRejectionCode; readonly message: string };

export interface BatchResult {
  readonly receivedAt: string;
  readonly accepted: number;
  readonly rejected: number;
  readonly items: readonly ItemResult[];
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

/** Who makes a write, and the audit entry recorded in the same transaction when it succeeds. */
export interface WriteContext {
  readonly submittedBy: string;
  readonly audit: AuditEntry;
}

/** The evidence use cases: device registry, signed readings, documents, and reading evidence back. */
export interface EvidenceService {
  registerDevice(registration: DeviceRegistration, context: WriteContext): Promise<DeviceRecord>;
  deactivateDevice(id: string, context: WriteContext): Promise<DeviceRecord>;
  device(id: string): Promise<DeviceRecord>;
  /**
   * Checks each item on its own (shape, size, device, signature, clock window, sequence) and stores the accepted ones
   * as leaves, all in one transaction with the refusals' log; a refused item never blocks the others.
   */
  submitBatch(items: readonly unknown[], context: WriteContext): Promise<BatchResult>;
  registerDocument(registration: DocumentRegistration, context: WriteContext): Promise<DocumentRegistered>;
  /** Stores a registered document's bytes after checking them against its SHA-256 and size. */
  storeDocumentContent(
    sha256: string,
    content: AsyncIterable<Uint8Array>,
    context: WriteContext,
  ): Promise<{ readonly sha256: string; readonly size: number; readonly contentStored: true }>;
  evidence(id: string): Promise<StoredEvidence>;
}

/** An item that passed every check that needs no lock: what is left is its seq against the device's last one. */
interface Candidate {
  readonly index: number;
  readonly item: EvidenceItem;
  readonly itemSha256: Buffer;
}

export function evidenceService(options: EvidenceServiceOptions): EvidenceService {
  const { db, objects, audit } = options;
  const now = options.now ?? (() => new Date());
  const store = evidenceStore(db);

  return {
    async registerDevice(registration, context) {
      const key = parseDeviceKey(registration.algorithm, registration.publicKey);
      return db.transaction(async (tx) => {
        const device = await evidenceStore(tx).insertDevice({ ...registration, publicKey: key.pem, createdBy: context.submittedBy });
        await audit.append(context.audit, tx);
        return device;
      });
    },

    async deactivateDevice(id, context) {
      return db.transaction(async (tx) => {
        const device = await evidenceStore(tx).deactivateDevice(id, context.submittedBy);
        if (device === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
        await audit.append(context.audit, tx);
        return device;
      });
    },

    async device(id) {
      const device = await store.device(id);
      if (device === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
      return device;
    },

    async submitBatch(items, context) {
      if (items.length > evidenceLimits.batchItems) {
        throw new EvidenceError('BATCH_TOO_LARGE', `a batch has at most ${evidenceLimits.batchItems.toString()} items, not ${items.length.toString()}`);
      }
      if (items.some((item) => jsonDepth(item) > evidenceLimits.bodyDepth)) {
        throw new EvidenceError('MALFORMED_BATCH', `items nest at most ${evidenceLimits.bodyDepth.toString()} levels`);
      }
      const receivedAt = now();
      const results: ItemResult[] = [];
      const rejections: Rejection[] = [];
      const reject = (index: number, itemSha256: Buffer, code: ItemRejectionCode, message: string, claimed?: { deviceId: string; seq: number }): void => {
        results[index] = { status: 'rejected', code, message };
        rejections.push({ deviceId: claimed?.deviceId ?? null, deviceSeq: claimed?.seq ?? null, code, detail: message, itemSha256 });
      };

      // Checks that need no lock, first: a batch holds its device locks only while it compares sequence numbers.
      const parsed = items.map((raw, index) => ({ index, raw, itemSha256: sha256Of(jcs(raw)), result: evidenceItem.safeParse(raw) }));
      const keys = await deviceKeys(store, parsed.flatMap((entry) => (entry.result.success ? [entry.result.data.envelope.deviceId] : [])));
      const candidates: Candidate[] = [];
      for (const { index, itemSha256, result, raw } of parsed) {
        if (!result.success) {
          reject(index, itemSha256, 'MALFORMED_ITEM', describe(result.error), claimedBy(raw));
          continue;
        }
        const item = result.data;
        const claimed = { deviceId: item.envelope.deviceId, seq: item.envelope.seq };
        const signed = Buffer.from(jcs(item.envelope), 'utf8');
        if (signed.byteLength > evidenceLimits.envelopeBytes) {
          reject(index, itemSha256, 'ENVELOPE_TOO_LARGE', `the envelope is ${signed.byteLength.toString()} bytes (JCS); at most ${evidenceLimits.envelopeBytes.toString()}`, claimed);
          continue;
        }
        const device = keys.get(claimed.deviceId);
        if (device === undefined) {
          reject(index, itemSha256, 'UNKNOWN_DEVICE', `no device ${claimed.deviceId} is registered`, claimed);
          continue;
        }
        if (!device.active) {
          reject(index, itemSha256, 'DEVICE_INACTIVE', `device ${claimed.deviceId} is deactivated`, claimed);
          continue;
        }
        if (!verifyDeviceSignature(device.key, signed, Buffer.from(item.signature, 'base64'))) {
          reject(index, itemSha256, 'BAD_SIGNATURE', `the signature is not device ${claimed.deviceId}'s ${device.key.algorithm} signature of the envelope's JCS bytes`, claimed);
          continue;
        }
        const outOfWindow = clockWindow(Date.parse(item.envelope.ts), receivedAt.getTime(), options);
        if (outOfWindow !== undefined) {
          reject(index, itemSha256, 'TS_OUT_OF_WINDOW', outOfWindow, claimed);
          continue;
        }
        candidates.push({ index, item, itemSha256 });
      }

      const receivedAtText = receivedAt.toISOString();
      await db.transaction(async (tx) => {
        const locked = evidenceStore(tx);
        const devices = await locked.lockDevices(candidates.map((candidate) => candidate.item.envelope.deviceId));
        const stored = await locked.storedSeqs(candidates.map(({ item }) => ({ deviceId: item.envelope.deviceId, seq: item.envelope.seq })));
        const lastSeq = new Map([...devices].map(([id, state]) => [id, state.lastSeq]));
        const leaves: (NewLeaf & { readonly index: number; readonly gap?: { fromSeq: number; toSeq: number } })[] = [];
        for (const { index, item, itemSha256 } of candidates) {
          const { deviceId, seq } = item.envelope;
          const claimed = { deviceId, seq };
          const key = `${deviceId} ${seq.toString()}`;
          // Deactivated since the first look: the lock makes this answer final for this batch.
          if (devices.get(deviceId)?.active !== true) {
            reject(index, itemSha256, 'DEVICE_INACTIVE', `device ${deviceId} is deactivated`, claimed);
            continue;
          }
          const last = lastSeq.get(deviceId);
          if (stored.has(key)) {
            reject(index, itemSha256, 'SEQ_REPLAY', `device ${deviceId}'s seq ${seq.toString()} was accepted before`, claimed);
            continue;
          }
          if (last !== undefined && seq <= last) {
            reject(index, itemSha256, 'SEQ_NOT_INCREASING', `device ${deviceId}'s seq ${seq.toString()} is not above its last accepted seq ${last.toString()}`, claimed);
            continue;
          }
          const gap = last !== undefined && seq > last + 1 ? { fromSeq: last + 1, toSeq: seq - 1 } : undefined;
          const recordJcs = jcs({ type: 'device-reading', envelope: item.envelope, signature: item.signature, receivedAt: receivedAtText });
          leaves.push({
            index,
            id: newEvidenceId(receivedAt),
            kind: 'device-reading',
            recordJcs,
            leafHash: leafHash(recordJcs),
            deviceId,
            deviceSeq: seq,
            ...(gap ? { seqGapFrom: gap.fromSeq, gap } : {}),
            ...(item.lotId === undefined ? {} : { lotId: item.lotId }),
            ...(item.receiptId === undefined ? {} : { receiptId: item.receiptId }),
            submittedBy: context.submittedBy,
            receivedAt,
          });
          lastSeq.set(deviceId, seq);
          stored.add(key);
        }
        const indices = await locked.appendLeaves(leaves);
        leaves.forEach((leaf, position) => {
          results[leaf.index] = {
            status: 'accepted',
            id: leaf.id,
            leafHash: leaf.leafHash,
            leafIndex: indices[position] ?? -1,
            ...(leaf.gap ? { seqGap: leaf.gap } : {}),
          };
        });
        const newest = new Map<string, { deviceId: string; seq: number; evidenceId: string }>();
        for (const leaf of leaves) {
          if (leaf.deviceId !== undefined && leaf.deviceSeq !== undefined) newest.set(leaf.deviceId, { deviceId: leaf.deviceId, seq: leaf.deviceSeq, evidenceId: leaf.id });
        }
        await locked.setLastSeqs([...newest.values()]);
        await locked.logRejections(rejections, { receivedAt, submittedBy: context.submittedBy, requestId: context.audit.requestId });
        await audit.append(context.audit, tx);
      });
      const accepted = results.filter((result) => result.status === 'accepted').length;
      return { receivedAt: receivedAtText, accepted, rejected: results.length - accepted, items: results };
    },

    async registerDocument(registration, context) {
      const sha256 = registration.sha256.replace(/^0x/, '');
      const receivedAt = now();
      const known = await store.documentsWithHash(sha256);
      const conflicting = known.find((document) => document.size !== registration.size);
      if (conflicting !== undefined) {
        throw new EvidenceError(
          'CONTENT_SIZE_MISMATCH',
          `a document with SHA-256 0x${sha256} is registered with ${conflicting.size.toString()} bytes, not ${registration.size.toString()}`,
        );
      }
      const storedPath = await objects.find(sha256);
      const record = {
        type: 'document',
        sha256: `0x${sha256}`,
        mediaType: registration.mediaType,
        name: registration.name,
        size: registration.size,
        ...(registration.lotId === undefined ? {} : { lotId: registration.lotId }),
        ...(registration.receiptId === undefined ? {} : { receiptId: registration.receiptId }),
        submittedBy: context.submittedBy,
        receivedAt: receivedAt.toISOString(),
      };
      const recordJcs = jcs(record);
      const leaf: NewLeaf = {
        id: newEvidenceId(receivedAt),
        kind: 'document',
        recordJcs,
        leafHash: leafHash(recordJcs),
        ...(registration.lotId === undefined ? {} : { lotId: registration.lotId }),
        ...(registration.receiptId === undefined ? {} : { receiptId: registration.receiptId }),
        submittedBy: context.submittedBy,
        receivedAt,
      };
      const leafIndex = await db.transaction(async (tx) => {
        const inTx = evidenceStore(tx);
        const [index] = await inTx.appendLeaves([leaf]);
        await inTx.insertDocument({ evidenceId: leaf.id, sha256, size: registration.size, mediaType: registration.mediaType, name: registration.name, storedPath: storedPath ?? null });
        await audit.append(context.audit, tx);
        return index ?? -1;
      });
      return {
        id: leaf.id,
        leafHash: leaf.leafHash,
        leafIndex,
        document: { sha256: `0x${sha256}`, size: registration.size, mediaType: registration.mediaType, name: registration.name, contentStored: storedPath !== undefined },
      };
    },

    async storeDocumentContent(sha256Given, content, context) {
      const sha256 = sha256Given.replace(/^0x/, '');
      const [document] = await store.documentsWithHash(sha256);
      if (document === undefined) {
        throw new EvidenceError('DOCUMENT_NOT_FOUND', `no document with SHA-256 0x${sha256} is registered; POST /v1/documents first`);
      }
      const path = await objects.put(sha256, document.size, content);
      await db.transaction(async (tx) => {
        await evidenceStore(tx).markStored(sha256, path);
        await audit.append(context.audit, tx);
      });
      return { sha256: `0x${sha256}`, size: document.size, contentStored: true };
    },

    async evidence(id) {
      const found = await store.evidenceById(id);
      if (found === undefined) throw new EvidenceError('EVIDENCE_NOT_FOUND', `no evidence ${id}`);
      return found;
    },
  };
}

/** The parsed keys of the devices named in a batch (one query); unknown devices are absent. */
async function deviceKeys(
  store: ReturnType<typeof evidenceStore>,
  ids: readonly string[],
): Promise<Map<string, { readonly active: boolean; readonly key: DeviceKey }>> {
  const devices = await store.devices([...new Set(ids)]);
  // Stored keys were parsed at registration; parsing again here is what turns them into KeyObjects.
  return new Map([...devices].map(([id, device]) => [id, { active: device.active, key: parseDeviceKey(device.algorithm, device.publicKey) }]));
}

/** Why `ts` is outside the accepted window around the gateway's clock, or undefined when it is inside. */
function clockWindow(ts: number, now: number, limits: Pick<EvidenceServiceOptions, 'clockSkewMs' | 'maxAgeMs'>): string | undefined {
  if (ts > now + limits.clockSkewMs) {
    return `ts is ${Math.round((ts - now) / 1000).toString()} s ahead of the gateway's clock; at most ${Math.round(limits.clockSkewMs / 1000).toString()} s allowed`;
  }
  if (ts < now - limits.maxAgeMs) {
    return `ts is ${Math.round((now - ts) / 1000).toString()} s old; at most ${Math.round(limits.maxAgeMs / 1000).toString()} s allowed`;
  }
  return undefined;
}

/** The first problem of a malformed item, with where it is (`envelope.readings.0.kind: ...`). */
function describe(error: z.ZodError): string {
  const [first] = error.issues;
  if (first === undefined) return 'malformed item';
  const path = first.path.map(String).join('.');
  return path === '' ? first.message : `${path}: ${first.message}`;
}

/** The device and seq a malformed item claims, when they can be read (for the refusals' log). */
function claimedBy(raw: unknown): { deviceId: string; seq: number } | undefined {
  if (typeof raw !== 'object' || raw === null || !('envelope' in raw)) return undefined;
  const claimed = z.object({ deviceId, seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).safeParse(raw.envelope);
  return claimed.success ? claimed.data : undefined;
}
