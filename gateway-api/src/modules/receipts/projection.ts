import { lot as lotSchema, refId } from '@wr/chaincode/model';
import { receiptView } from '@wr/chaincode/responses';
import { z } from 'zod';
import type { LedgerEvent, LedgerPort } from '../../ledger/port.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { startLoop, type StepOutcome } from '../../platform/loop.js';
import { waiters as createWaiters } from '../../platform/waiters.js';
import type { Database } from '../../db/database.js';
import { StoreError } from '../../db/errors.js';
import { announceAppended } from '../events/outbox.js';
import { EventUpdateError, readCheckpoint, writeEventUpdates, type EventUpdate, type LedgerPosition } from './projection-store.js';

/**
 * Reads current state from the ledger for the projection, e.g. GetReceipt / GetLot evaluated as a custodian auditor.
 * Resolves to the chaincode's JSON (parsed here with the chaincode's own schemas), or undefined when not found.
 */
export interface ProjectionReader {
  receipt(id: string): Promise<unknown>;
  lot(id: string): Promise<unknown>;
}

export interface Projection {
  /** The position of the last event applied, as stored (undefined before the first). */
  readonly position: () => Promise<LedgerPosition | undefined>;
  /**
   * Resolves once every event up to and including block `blockNumber` is applied; meant for read-your-writes after
   * a submit, whose block always carries the transaction's event. Rejects with PROJECTION_TIMEOUT after `timeoutMs`
   * (default 10 s), or PROJECTION_STOPPED.
   */
  waitFor(blockNumber: bigint, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every event the ledger has committed is applied (the event stream has nothing more to give), with
   * the same rejections as `waitFor`. Use it to wait for "caught up": a block number may name a block without events
   * (block 0, a block of only invalidated transactions), which `waitFor` would wait for in vain.
   */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Stops following the ledger; a batch being written is finished first. */
  stop(): Promise<void>;
}

export interface ProjectionOptions {
  readonly db: Database;
  readonly ledger: Pick<LedgerPort, 'events'>;
  readonly reader: ProjectionReader;
  /** Told about every failed attempt (its events are then retried, never skipped) and every broken event stream. */
  readonly onError?: (error: unknown) => void;
  /**
   * Delay before the first retry, doubled on each further one up to `maxDelayMs`; also the pause before subscribing
   * again to an event stream that ended.
   */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Every wait of the projection: retries, resubscriptions and the timeouts of waitFor and caughtUp. */
  readonly clock?: Clock;
  /**
   * A step applies up to `maxEvents` events (default 200) of those the event stream already holds, in one
   * transaction, after reading the state they name with at most `readConcurrency` (default 8) ledger reads at once.
   * `maxEvents: 1` applies one event per transaction.
   */
  readonly batch?: { readonly maxEvents?: number; readonly readConcurrency?: number };
}

/**
 * A failed attempt to project an event, as reported to `onError`: the event whose reads or writes failed, or the
 * first of the attempt's events when the failure belongs to none of them (the commit). `attempt` counts the
 * attempts that failed on this event; `batchSize` is how many events the attempt applied together.
 */
export class ProjectionEventError extends Error {
  constructor(
    readonly event: Pick<LedgerEvent, 'blockNumber' | 'txIndex' | 'txId' | 'eventName'>,
    readonly attempt: number,
    cause: unknown,
    readonly batchSize = 1,
  ) {
    super(
      `projecting ${event.eventName} of block ${event.blockNumber.toString()} (tx ${event.txId})` +
        `${batchSize > 1 ? ` in a batch of ${batchSize.toString()} events` : ''} failed on attempt ${attempt.toString()}; retrying`,
      { cause },
    );
    this.name = 'ProjectionEventError';
  }
}

/** A failure inside a batch, pinned on the event (its index in the batch) it belongs to. */
class BatchFailure extends Error {
  constructor(
    readonly index: number,
    cause: unknown,
  ) {
    super(`event ${index.toString()} of the batch failed`, { cause });
    this.name = 'BatchFailure';
  }
}

/** What the projection reads of an event: the receipts it wrote and the lot it touched (other fields vary). */
const eventPayload = z.looseObject({ receiptIds: z.array(refId).optional(), lotId: refId.nullable().optional() });

const DEFAULT_WAIT_MS = 10_000;
const DEFAULT_BATCH_EVENTS = 200;
const DEFAULT_READ_CONCURRENCY = 8;
const IDLE = Symbol('idle');
const STOPPED = Symbol('stopped');

/** A subscription to the ledger's events, ended by aborting it. */
interface Session {
  readonly iterator: AsyncIterator<LedgerEvent>;
  readonly controller: AbortController;
  /** A `next()` asked for but not taken yet (it was not ready when a batch was gathered): the next one to take. */
  ahead?: Promise<IteratorResult<LedgerEvent>>;
}

/**
 * Projects the ledger's events into the database (after fabric-samples' off_chain_data listener): resumes after the
 * stored checkpoint, and for each event records it, refreshes every receipt it names and their lots from current
 * ledger state, and moves the checkpoint. Re-reading current state instead of applying deltas makes replays
 * harmless: nothing is counted twice, and the tables converge on the ledger.
 *
 * It runs as a loop (platform/loop.ts) whose step applies a batch: it waits on the event stream for the next event,
 * takes every further event the stream already holds (up to `batch.maxEvents`), reads the current state of every
 * receipt and lot they name once (the read is of current state, whichever event asks), then writes the events in
 * one transaction, each exactly as alone and in order, the checkpoint ending at the last. The loop's backoff is the
 * retry of a failing batch (its events are kept, never skipped) and of a broken stream (subscribed again); each
 * batch applied resets it. A retry applies the events before the one that failed, or, when that one is first, that
 * event alone, as without batching; batches resume after it.
 */
export function startProjection(options: ProjectionOptions): Projection {
  const { db, ledger, reader } = options;
  const clock = options.clock ?? systemClock;
  const report = options.onError ?? ((): void => undefined);
  const initialDelay = options.retry?.initialDelayMs ?? 250;
  const maxDelay = options.retry?.maxDelayMs ?? 30_000;
  const maxEvents = Math.max(1, options.batch?.maxEvents ?? DEFAULT_BATCH_EVENTS);
  const readConcurrency = Math.max(1, options.batch?.readConcurrency ?? DEFAULT_READ_CONCURRENCY);
  const stopping = new AbortController();
  const stopped = new Promise<typeof STOPPED>((resolve) =>
    stopping.signal.addEventListener('abort', () => resolve(STOPPED), { once: true }),
  );
  const waiters = createWaiters(clock);
  /** The last event applied, by this process or (as the checkpoint says) before it. */
  let applied: LedgerPosition | undefined;
  /** True while the event stream has nothing more to give: every event already committed is applied. */
  let idle = false;
  let session: Session | undefined;
  /** Events taken from the stream and not applied yet, in order; kept across failed attempts, so nothing is skipped. */
  let queue: LedgerEvent[] = [];
  /** How many events the next attempt applies at most: `maxEvents`, fewer after a failure (see step). */
  let limit = maxEvents;
  /** The event the last failed attempt was pinned on, and how many attempts in a row failed on it. */
  let failure: { readonly position: LedgerPosition; readonly attempts: number } | undefined;

  async function subscribe(): Promise<Session> {
    applied = await readCheckpoint(db);
    const controller = new AbortController();
    // Events come from the checkpoint's block (inclusive): those up to the checkpoint itself are skipped.
    const iterator = ledger.events(applied?.blockNumber ?? 0n, controller.signal)[Symbol.asyncIterator]();
    return { iterator, controller };
  }

  function endSession(): void {
    session?.controller.abort();
    session = undefined;
  }

  /** One step: takes the next events (subscribing first if need be) and applies them. */
  async function step(): Promise<StepOutcome> {
    if (queue.length === 0) {
      session ??= await subscribe();
      let next: IteratorResult<LedgerEvent> | typeof STOPPED;
      try {
        next = await nextOrIdle(session);
      } catch (error) {
        // A broken stream: the loop backs off, and the next step subscribes again.
        endSession();
        throw error;
      }
      if (next === STOPPED || stopping.signal.aborted) return 'idle';
      if (next.done === true) {
        // The stream ended (a disconnected peer, a closed ledger): subscribe again after the loop's idle pause.
        endSession();
        return 'idle';
      }
      if (applied !== undefined && compare(next.value, applied) <= 0) return 'more';
      queue.push(next.value);
    }
    if (session !== undefined) await takeReady(session);
    const batch = queue.slice(0, limit);
    try {
      await applyBatch(batch);
    } catch (error) {
      const index = error instanceof BatchFailure ? error.index : 0;
      const event = batch[index] ?? batch[0];
      if (event === undefined) throw error;
      const attempts = failure !== undefined && compare(failure.position, event) === 0 ? failure.attempts + 1 : 1;
      failure = { position: { blockNumber: event.blockNumber, txIndex: event.txIndex }, attempts };
      // The retry applies the events before the failing one, or that one alone when it is first (as without batches).
      limit = Math.max(1, index);
      throw new ProjectionEventError(event, attempts, error instanceof BatchFailure ? error.cause : error, batch.length);
    }
    queue = queue.slice(batch.length);
    const last = batch[batch.length - 1];
    if (last !== undefined) applied = { blockNumber: last.blockNumber, txIndex: last.txIndex };
    if (failure !== undefined && applied !== undefined && compare(failure.position, applied) <= 0) failure = undefined;
    limit = maxEvents;
    waiters.notify();
    return 'more';
  }

  /**
   * Adds to the queue, up to `limit`, the events the stream holds ready now (each without waiting on I/O); the first
   * that is not ready stays asked for, to be taken by the next step. Replays of applied events are dropped.
   */
  async function takeReady(current: Session): Promise<void> {
    while (queue.length < limit && !stopping.signal.aborted) {
      current.ahead ??= current.iterator.next();
      const ahead = current.ahead;
      // A broken stream is left to the next step's wait, once this batch is applied.
      const first = await Promise.race([
        ahead.catch((): typeof IDLE => IDLE),
        new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE))),
      ]);
      if (first === IDLE || first.done === true) return;
      current.ahead = undefined;
      if (applied === undefined || compare(first.value, applied) > 0) queue.push(first.value);
    }
  }

  /**
   * The next event, noting when none is ready yet. Both ledgers deliver a block's events together, without I/O in
   * between, so "not ready after pending I/O" means every event of the blocks seen so far is applied.
   */
  async function nextOrIdle(current: Session): Promise<IteratorResult<LedgerEvent> | typeof STOPPED> {
    const next = current.ahead ?? current.iterator.next();
    current.ahead = undefined;
    const first = await Promise.race([next, new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)))]);
    if (first !== IDLE) return first;
    idle = true;
    waiters.notify();
    try {
      // Stop does not depend on the ledger honouring the abort signal promptly.
      return await Promise.race([next, stopped]);
    } finally {
      idle = false;
    }
  }

  /**
   * Applies `events` in one transaction. Reads come first, outside it (a ledger round trip must not hold PGlite's
   * only connection): each receipt and lot once, however many events name it. A failure is pinned on the first
   * event it belongs to (BatchFailure).
   */
  async function applyBatch(events: readonly LedgerEvent[]): Promise<void> {
    const parsed = events.map((event, index) => {
      try {
        const payloadJson = Buffer.from(event.payload).toString('utf8');
        return { event, payloadJson, payload: eventPayload.parse(JSON.parse(payloadJson)) };
      } catch (error) {
        throw new BatchFailure(index, error);
      }
    });
    /** Each id read, and the index of the first event that needs it. */
    const receiptUse = new Map<string, number>();
    const receiptIds = parsed.map(({ payload }, index) => {
      const ids = [...new Set(payload.receiptIds ?? [])];
      for (const id of ids) if (!receiptUse.has(id)) receiptUse.set(id, index);
      return ids;
    });
    const receipts = await readAll(receiptUse, async (id) => {
      const found = await reader.receipt(id);
      return found === undefined ? undefined : receiptView.parse(found);
    });
    const lotUse = new Map<string, number>();
    const lotIds = parsed.map(({ payload }, index) => {
      const ids = new Set<string>();
      if (payload.lotId != null) ids.add(payload.lotId);
      for (const id of receiptIds[index] ?? []) {
        const receipt = receipts.get(id);
        if (receipt !== undefined) ids.add(receipt.lotId);
      }
      for (const id of ids) if (!lotUse.has(id)) lotUse.set(id, index);
      return [...ids];
    });
    const lots = await readAll(lotUse, async (id) => {
      const found = await reader.lot(id);
      return found === undefined ? undefined : lotSchema.parse(found);
    });
    const updates = parsed.map(({ event, payloadJson }, index): EventUpdate => ({
      event,
      payloadJson,
      receipts: new Map((receiptIds[index] ?? []).map((id) => [id, receipts.get(id)])),
      lots: new Map((lotIds[index] ?? []).map((id) => [id, lots.get(id)])),
    }));
    try {
      // In event order, each as alone: an event's update reads what the ones before it wrote (partiesBefore).
      await db.transaction((tx) => writeEventUpdates(tx, updates));
    } catch (error) {
      throw error instanceof EventUpdateError ? new BatchFailure(error.index, error.cause) : error;
    }
    // Readers woken while the transaction ran may have looked before its commit: tell them again.
    announceAppended();
  }

  /**
   * Reads every id of `use` with at most `readConcurrency` reads at once; stops starting reads after a failure, then
   * throws the failure of the earliest event (use maps each id to the first event that needs it).
   */
  async function readAll<T>(use: ReadonlyMap<string, number>, read: (id: string) => Promise<T>): Promise<Map<string, T>> {
    const ids = [...use.keys()];
    const results = new Map<string, T>();
    const progress: { next: number; failed?: BatchFailure } = { next: 0 };
    const worker = async (): Promise<void> => {
      for (let id = ids[progress.next++]; id !== undefined && progress.failed === undefined; id = ids[progress.next++]) {
        try {
          results.set(id, await read(id));
        } catch (error) {
          const index = use.get(id) ?? 0;
          const earlier = progress.failed as BatchFailure | undefined;
          if (earlier === undefined || index < earlier.index) progress.failed = new BatchFailure(index, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(readConcurrency, ids.length) }, worker));
    if (progress.failed !== undefined) throw progress.failed;
    return results;
  }

  const loop = startLoop({
    name: 'projection',
    clock,
    step,
    idleMs: initialDelay,
    backoff: { initialMs: initialDelay, maxMs: maxDelay },
    onError: (error) => report(error),
  });

  /** Resolves when `reached` holds (checked on every change of progress), else rejects on timeout or stop. */
  function waitUntil(reached: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return waiters.until(reached, {
      timeoutMs,
      timedOut: () => new StoreError('PROJECTION_TIMEOUT', `the projection did not reach ${what} within ${timeoutMs.toString()} ms`),
      signal: stopping.signal,
      aborted: () => new StoreError('PROJECTION_STOPPED', 'the projection was stopped'),
    });
  }

  return {
    position: () => readCheckpoint(db),
    waitFor(blockNumber, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => applied !== undefined && (applied.blockNumber > blockNumber || (applied.blockNumber === blockNumber && idle)),
        timeoutMs,
        `block ${blockNumber.toString()}`,
      );
    },
    async caughtUp(timeoutMs = DEFAULT_WAIT_MS) {
      // A block committed just before this call may still be on its way through promise callbacks to the event
      // loop above, which then still looks idle: look only once those have run.
      await new Promise((resolve) => setImmediate(resolve));
      return waitUntil(() => idle, timeoutMs, 'the end of the ledger');
    },
    async stop() {
      stopping.abort();
      await loop.stop();
      endSession();
    },
  };
}

function compare(a: LedgerPosition, b: LedgerPosition): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.txIndex - b.txIndex;
}
