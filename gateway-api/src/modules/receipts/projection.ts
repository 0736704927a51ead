import { lot as lotSchema, refId, type Lot } from '@wr/chaincode/model';
import { receiptView, type ReceiptView } from '@wr/chaincode/responses';
import { z } from 'zod';
import type { LedgerEvent, LedgerPort } from '../../ledger/port.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { startLoop, type StepOutcome } from '../../platform/loop.js';
import { waiters as createWaiters } from '../../platform/waiters.js';
import type { Database } from '../../db/database.js';
import { StoreError } from '../../db/errors.js';
import { readCheckpoint, writeEventUpdate, type EventUpdate, type LedgerPosition } from './projection-store.js';

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
  /** Stops following the ledger; an event being written is finished first. */
  stop(): Promise<void>;
}

export interface ProjectionOptions {
  readonly db: Database;
  readonly ledger: Pick<LedgerPort, 'events'>;
  readonly reader: ProjectionReader;
  /** Told about every failed attempt (the event is then retried, never skipped) and every broken event stream. */
  readonly onError?: (error: unknown) => void;
  /**
   * Delay before the first retry, doubled on each further one up to `maxDelayMs`; also the pause before subscribing
   * again to an event stream that ended.
   */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Every wait of the projection: retries, resubscriptions and the timeouts of waitFor and caughtUp. */
  readonly clock?: Clock;
}

/** A failed attempt to project one event, as reported to `onError`. */
export class ProjectionEventError extends Error {
  constructor(
    readonly event: Pick<LedgerEvent, 'blockNumber' | 'txIndex' | 'txId' | 'eventName'>,
    readonly attempt: number,
    cause: unknown,
  ) {
    super(
      `projecting ${event.eventName} of block ${event.blockNumber.toString()} (tx ${event.txId}) failed on attempt ` +
        `${attempt.toString()}; retrying`,
      { cause },
    );
    this.name = 'ProjectionEventError';
  }
}

/** What the projection reads of an event: the receipts it wrote and the lot it touched (other fields vary). */
const eventPayload = z.looseObject({ receiptIds: z.array(refId).optional(), lotId: refId.nullable().optional() });

const DEFAULT_WAIT_MS = 10_000;
const IDLE = Symbol('idle');
const STOPPED = Symbol('stopped');

/** A subscription to the ledger's events, ended by aborting it. */
interface Session {
  readonly iterator: AsyncIterator<LedgerEvent>;
  readonly controller: AbortController;
}

/**
 * Projects the ledger's events into the database (after fabric-samples' off_chain_data listener): resumes after the
 * stored checkpoint, and for each event, in one transaction, records it, refreshes every receipt it names and their
 * lots from current ledger state, and moves the checkpoint. Re-reading current state instead of applying deltas makes
 * replays harmless: nothing is counted twice, and the tables converge on the ledger.
 *
 * It runs as a loop (platform/loop.ts) whose step applies the next event: a step waits on the event stream for it,
 * so the loop's backoff is the retry of a failing event (the same event again, never skipped) and of a broken stream
 * (subscribed again), and each event applied resets it.
 */
export function startProjection(options: ProjectionOptions): Projection {
  const { db, ledger, reader } = options;
  const clock = options.clock ?? systemClock;
  const report = options.onError ?? ((): void => undefined);
  const initialDelay = options.retry?.initialDelayMs ?? 250;
  const maxDelay = options.retry?.maxDelayMs ?? 30_000;
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
  /** The event being applied, kept across failed attempts so that the retry applies the same one. */
  let pending: { readonly event: LedgerEvent; attempts: number } | undefined;

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

  /** One step: takes the next event (subscribing first if need be) and applies it. */
  async function step(): Promise<StepOutcome> {
    if (pending === undefined) {
      session ??= await subscribe();
      let next: IteratorResult<LedgerEvent> | typeof STOPPED;
      try {
        next = await nextOrIdle(session.iterator);
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
      pending = { event: next.value, attempts: 0 };
    }
    const { event } = pending;
    try {
      await applyEvent(event);
    } catch (error) {
      throw new ProjectionEventError(event, ++pending.attempts, error);
    }
    pending = undefined;
    applied = { blockNumber: event.blockNumber, txIndex: event.txIndex };
    waiters.notify();
    return 'more';
  }

  /**
   * The next event, noting when none is ready yet. Both ledgers deliver a block's events together, without I/O in
   * between, so "not ready after pending I/O" means every event of the blocks seen so far is applied.
   */
  async function nextOrIdle(iterator: AsyncIterator<LedgerEvent>): Promise<IteratorResult<LedgerEvent> | typeof STOPPED> {
    const next = iterator.next();
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

  async function applyEvent(event: LedgerEvent): Promise<void> {
    const payloadJson = Buffer.from(event.payload).toString('utf8');
    const payload = eventPayload.parse(JSON.parse(payloadJson));
    // Read before the transaction: a ledger round trip must not hold PGlite's only connection.
    const receipts = new Map<string, ReceiptView | undefined>();
    for (const id of new Set(payload.receiptIds ?? [])) {
      const found = await reader.receipt(id);
      receipts.set(id, found === undefined ? undefined : receiptView.parse(found));
    }
    const lotIds = new Set<string>();
    if (payload.lotId != null) lotIds.add(payload.lotId);
    for (const receipt of receipts.values()) if (receipt !== undefined) lotIds.add(receipt.lotId);
    const lots = new Map<string, Lot | undefined>();
    for (const id of lotIds) {
      const found = await reader.lot(id);
      lots.set(id, found === undefined ? undefined : lotSchema.parse(found));
    }
    const update: EventUpdate = { event, payloadJson, receipts, lots };
    await db.transaction((tx) => writeEventUpdate(tx, update));
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
