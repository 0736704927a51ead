import { InvalidArgumentError, jcs, jcsBytes, sha256 } from '@wr/anchor';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteContext } from '../../platform/write.js';
import type { Devices } from '../devices/index.js';
import { verifyDeviceSignature } from '../devices/index.js';
import { EvidenceError, type ItemRejectionCode } from '../errors.js';
import { leafHash, newEvidenceId, newEvidenceIds, sha256Of, type Leaves, type NewLeaf } from '../leaves/index.js';
import { deviceId, evidenceItem, evidenceLimits, jsonDepth } from './envelope.js';
import { readingStore, type Rejection } from './store.js';

export interface ReadingIntakeOptions {
  readonly db: Database;
  readonly devices: Devices;
  readonly leaves: Leaves;
  readonly clock: Clock;
  /** How far ahead of the gateway's clock an envelope's `ts` may be (device clocks drift). */
  readonly clockSkewMs: number;
  /** How old an envelope's `ts` may be (a device that was offline uploads late, but not forever). */
  readonly maxAgeMs: number;
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

export interface BatchOptions {
  /**
   * Awaited after the checks that need no lock (signatures among them) and before the batch's transaction; if it
   * rejects, nothing is stored. A channel that submits batches back to back (MQTT) passes the previous batch, so that
   * one batch's signatures are checked while the one before commits, and the commits keep their order.
   */
  readonly turn?: Promise<unknown>;
}

/** Signed device readings in: each item checked on its own, the accepted ones stored as leaves together. */
export interface ReadingIntake {
  /**
   * Checks each item on its own (shape, size, device, signature, clock window, sequence) and stores the accepted ones
   * as leaves, all in one transaction with the refusals' log; a refused item never blocks the others.
   */
  submitBatch(items: readonly unknown[], context: WriteContext, options?: BatchOptions): Promise<BatchResult>;
  /** Calls `listener` after each batch that stored readings has committed (e.g. to wake the rules); returns an unsubscribe. */
  onAccepted(listener: () => void): () => void;
}

/**
 * An item that passed every check that needs no lock, with its leaf ready: what is left is its seq against the
 * device's last one, under the device's lock.
 */
interface Candidate {
  readonly index: number;
  readonly raw: unknown;
  readonly leaf: NewLeaf & { readonly deviceId: string; readonly deviceSeq: number };
}

/** An item refused before the transaction, and who it claims to come from when that can be read. */
interface Refusal {
  readonly index: number;
  readonly raw: unknown;
  readonly code: ItemRejectionCode;
  readonly message: string;
  readonly claimed: { readonly deviceId: string; readonly seq: number } | undefined;
}

export function readingIntake(options: ReadingIntakeOptions): ReadingIntake {
  const { db, devices, leaves, clock } = options;
  const listeners = new Set<() => void>();

  return {
    onAccepted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async submitBatch(items, context, batchOptions = {}) {
      if (items.length > evidenceLimits.batchItems) {
        throw new EvidenceError('BATCH_TOO_LARGE', `a batch has at most ${evidenceLimits.batchItems.toString()} items, not ${items.length.toString()}`);
      }
      if (items.some((item) => jsonDepth(item) > evidenceLimits.bodyDepth)) {
        throw new EvidenceError('MALFORMED_BATCH', `items nest at most ${evidenceLimits.bodyDepth.toString()} levels`);
      }
      const receivedAt = clock.now();
      const receivedAtText = receivedAt.toISOString();
      const results: ItemResult[] = [];
      const rejections: Rejection[] = [];
      const reject = (index: number, raw: unknown, code: ItemRejectionCode, message: string, claimed?: { deviceId: string; seq: number }): void => {
        results[index] = { status: 'rejected', code, message };
        rejections.push({ deviceId: claimed?.deviceId ?? null, deviceSeq: claimed?.seq ?? null, code, detail: message, itemSha256: itemSha256(raw) });
      };

      // Every check that needs no lock, and every leaf's JCS and hash, before the transaction: it holds the devices'
      // locks (and, on PGlite, the only connection) for the sequence comparison and the inserts alone.
      const parsed = items.map((raw) => evidenceItem.safeParse(raw));
      const deviceIds = parsed.flatMap((result) => (result.success ? [result.data.envelope.deviceId] : []));
      const keys = await devices.keys(deviceIds);
      // A reading concerns the lot its device is placed on, unless the item names one itself.
      const placements = await devices.currentPlacements(deviceIds);
      const ids = newEvidenceIds(receivedAt, items.length);
      const check = async (index: number, raw: unknown, result: (typeof parsed)[number]): Promise<Candidate | Refusal> => {
        if (!result.success) return { index, raw, code: 'MALFORMED_ITEM', message: describe(result.error), claimed: claimedBy(raw) };
        const item = result.data;
        const { deviceId, seq } = item.envelope;
        const refuse = (code: ItemRejectionCode, message: string): Refusal => ({ index, raw, code, message, claimed: { deviceId, seq } });
        const signed = canonical(item.envelope);
        if (typeof signed === 'string') return refuse('MALFORMED_ITEM', `envelope: ${signed}`);
        if (signed.byteLength > evidenceLimits.envelopeBytes) {
          return refuse('ENVELOPE_TOO_LARGE', `the envelope is ${signed.byteLength.toString()} bytes (JCS); at most ${evidenceLimits.envelopeBytes.toString()}`);
        }
        const device = keys.get(deviceId);
        if (device === undefined) return refuse('UNKNOWN_DEVICE', `no device ${deviceId} is registered`);
        if (!device.active) return refuse('DEVICE_INACTIVE', `device ${deviceId} is deactivated`);
        if (!(await verifyDeviceSignature(device.key, signed, Buffer.from(item.signature, 'base64')))) {
          return refuse('BAD_SIGNATURE', `the signature is not device ${deviceId}'s ${device.key.algorithm} signature of the envelope's JCS bytes`);
        }
        const outOfWindow = clockWindow(Date.parse(item.envelope.ts), receivedAt.getTime(), options);
        if (outOfWindow !== undefined) return refuse('TS_OUT_OF_WINDOW', outOfWindow);
        const recordJcs = jcs({ type: 'device-reading', envelope: item.envelope, signature: item.signature, receivedAt: receivedAtText });
        const leaf = {
          id: ids[index] ?? newEvidenceId(receivedAt),
          kind: 'device-reading',
          recordJcs,
          leafHash: leafHash(recordJcs),
          deviceId,
          deviceSeq: seq,
          ...lotOf(item.lotId ?? placements.get(deviceId)?.lotId ?? undefined),
          ...(item.receiptId === undefined ? {} : { receiptId: item.receiptId }),
          submittedBy: context.submittedBy,
          receivedAt,
        } as const;
        return { index, raw, leaf };
      };
      // The signatures are checked on libuv's thread pool, all of a batch at once, while this thread serves the others.
      const candidates: Candidate[] = [];
      for (const outcome of await Promise.all(parsed.map((result, index) => check(index, items[index], result)))) {
        if ('leaf' in outcome) candidates.push(outcome);
        else reject(outcome.index, outcome.raw, outcome.code, outcome.message, outcome.claimed);
      }

      await batchOptions.turn;
      await db.transaction(async (tx) => {
        const log = leaves.store(tx);
        const sequences = readingStore(tx);
        const named = candidates.map(({ leaf }) => leaf.deviceId);
        const locked = await devices.lock(tx, named);
        // Read after the locks are granted: under READ COMMITTED this statement's snapshot sees what a batch that held
        // the locks before us committed.
        const lastSeq: Map<string, number | undefined> = await sequences.lastSeqs(named);
        // The store keeps a device's last seq at the highest it holds for the device: a seq above it cannot be stored,
        // so only seqs at or below it are looked up, to tell a replay from a seq that went backwards.
        const stored = await log.storedSeqs(
          candidates.flatMap(({ leaf }) => {
            const last = lastSeq.get(leaf.deviceId);
            return last !== undefined && leaf.deviceSeq <= last ? [{ deviceId: leaf.deviceId, seq: leaf.deviceSeq }] : [];
          }),
        );
        const accepted: (NewLeaf & { readonly index: number; readonly gap?: { fromSeq: number; toSeq: number } })[] = [];
        for (const { index, raw, leaf } of candidates) {
          const { deviceId, deviceSeq: seq } = leaf;
          const claimed = { deviceId, seq };
          const key = `${deviceId} ${seq.toString()}`;
          // Deactivated since the first look: the lock makes this answer final for this batch.
          if (locked.get(deviceId)?.active !== true) {
            reject(index, raw, 'DEVICE_INACTIVE', `device ${deviceId} is deactivated`, claimed);
            continue;
          }
          const last = lastSeq.get(deviceId);
          if (stored.has(key)) {
            reject(index, raw, 'SEQ_REPLAY', `device ${deviceId}'s seq ${seq.toString()} was accepted before`, claimed);
            continue;
          }
          if (last !== undefined && seq <= last) {
            reject(index, raw, 'SEQ_NOT_INCREASING', `device ${deviceId}'s seq ${seq.toString()} is not above its last accepted seq ${last.toString()}`, claimed);
            continue;
          }
          const gap = last !== undefined && seq > last + 1 ? { fromSeq: last + 1, toSeq: seq - 1 } : undefined;
          accepted.push({ ...leaf, index, ...(gap ? { seqGapFrom: gap.fromSeq, gap } : {}) });
          lastSeq.set(deviceId, seq);
          stored.add(key);
        }
        const indices = await log.appendLeaves(accepted);
        await sequences.raiseLastSeqs(accepted.flatMap((leaf) => (leaf.deviceId === undefined || leaf.deviceSeq === undefined ? [] : [{ deviceId: leaf.deviceId, seq: leaf.deviceSeq, evidenceId: leaf.id }])));
        accepted.forEach((leaf, position) => {
          results[leaf.index] = {
            status: 'accepted',
            id: leaf.id,
            leafHash: leaf.leafHash,
            leafIndex: indices[position] ?? -1,
            ...(leaf.gap ? { seqGap: leaf.gap } : {}),
          };
        });
        await sequences.logRejections(rejections, { receivedAt, submittedBy: context.submittedBy, requestId: context.requestId });
        await context.record(tx);
      });
      const acceptedCount = results.filter((result) => result.status === 'accepted').length;
      if (acceptedCount > 0) for (const listener of listeners) listener();
      return { receivedAt: receivedAtText, accepted: acceptedCount, rejected: results.length - acceptedCount, items: results };
    },
  };
}

/** The JCS bytes of a value, or why it has none (e.g. a lone surrogate in a reading's value, which I-JSON excludes). */
function canonical(value: unknown): Uint8Array | string {
  try {
    return jcsBytes(value);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.message;
    throw error;
  }
}

/**
 * SHA-256 of an item's JCS text, for the refusals' log. Computed for refused items only; an item that has no JCS text
 * (one with a lone surrogate, which I-JSON and so RFC 8785 exclude) is logged with the hash of its JSON.stringify text.
 */
function itemSha256(raw: unknown): Buffer {
  const bytes = canonical(raw);
  return typeof bytes === 'string' ? sha256Of(JSON.stringify(raw)) : sha256(bytes);
}

/** The leaf's lot link, when it has one. */
function lotOf(lotId: string | undefined): { readonly lotId?: string } {
  return lotId === undefined ? {} : { lotId };
}

/** Why `ts` is outside the accepted window around the gateway's clock, or undefined when it is inside. */
function clockWindow(ts: number, now: number, limits: Pick<ReadingIntakeOptions, 'clockSkewMs' | 'maxAgeMs'>): string | undefined {
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
