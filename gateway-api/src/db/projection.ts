import { lot as lotSchema, refId, type Lot } from '@wr/chaincode/model';
import { receiptView, type ReceiptView } from '@wr/chaincode/responses';
import { z } from 'zod';
import type { LedgerEvent, LedgerPort } from '../ledger/port.js';
import type { Database } from './database.js';
import { StoreError } from './errors.js';
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
  /** Delay before the first retry, doubled on each further one up to `maxDelayMs`. */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
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

/**
 * Projects the ledger's events into the database (after fabric-samples' off_chain_data listener): resumes after the
 * stored checkpoint, and for each event, in one transaction, records it, refreshes every receipt it names and their
 * lots from current ledger state, and moves the checkpoint. Re-reading current state instead of applying deltas makes
 * replays harmless: nothing is counted twice, and the tables converge on the ledger.
 */
export function startProjection(options: ProjectionOptions): Projection {
  const { db, ledger, reader } = options;
  const report = options.onError ?? ((): void => undefined);
  const initialDelay = options.retry?.initialDelayMs ?? 250;
  const maxDelay = options.retry?.maxDelayMs ?? 30_000;
  const stopping = new AbortController();
  const stopped = new Promise<IteratorResult<LedgerEvent>>((resolve) =>
    stopping.signal.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true }),
  );
  const waiters = new Set<() => void>();
  /** The last event applied, by this process or (as the checkpoint says) before it. */
  let applied: LedgerPosition | undefined;
  /** True while the event stream has nothing more to give: every event already committed is applied. */
  let idle = false;
  /** Events applied by this process: progress resets the resubscription backoff. */
  let appliedCount = 0;
  const notify = (): void => {
    for (const waiter of [...waiters]) waiter();
  };

  const delay = (attempt: number): number => Math.min(maxDelay, initialDelay * 2 ** Math.min(attempt, 30));

  async function follow(): Promise<void> {
    applied = await readCheckpoint(db);
    const session = new AbortController();
    const endSession = (): void => session.abort();
    stopping.signal.addEventListener('abort', endSession, { once: true });
    try {
      // Events come from the checkpoint's block (inclusive): those up to the checkpoint itself are skipped.
      const iterator = ledger.events(applied?.blockNumber ?? 0n, session.signal)[Symbol.asyncIterator]();
      for (;;) {
        const next = await nextOrIdle(iterator);
        if (next.done === true || stopping.signal.aborted) return;
        const event = next.value;
        if (applied !== undefined && compare(event, applied) <= 0) continue;
        if (!(await applyWithRetry(event))) return;
        applied = { blockNumber: event.blockNumber, txIndex: event.txIndex };
        appliedCount++;
        notify();
      }
    } finally {
      session.abort();
      stopping.signal.removeEventListener('abort', endSession);
    }
  }

  /**
   * The next event, noting when none is ready yet. Both ledgers deliver a block's events together, without I/O in
   * between, so "not ready after pending I/O" means every event of the blocks seen so far is applied.
   */
  async function nextOrIdle(iterator: AsyncIterator<LedgerEvent>): Promise<IteratorResult<LedgerEvent>> {
    const next = iterator.next();
    const first = await Promise.race([next, new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)))]);
    if (first !== IDLE) return first;
    idle = true;
    notify();
    try {
      // Stop does not depend on the ledger honouring the abort signal promptly.
      return await Promise.race([next, stopped]);
    } finally {
      idle = false;
    }
  }

  /** Applies an event, retrying with backoff until it succeeds; false if stopped first. */
  async function applyWithRetry(event: LedgerEvent): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await applyEvent(event);
        return true;
      } catch (error) {
        if (stopping.signal.aborted) return false;
        report(new ProjectionEventError(event, attempt, error));
        if (!(await sleep(delay(attempt - 1), stopping.signal))) return false;
      }
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

  async function run(): Promise<void> {
    let attempt = 0;
    while (!stopping.signal.aborted) {
      const appliedBefore = appliedCount;
      try {
        await follow();
        // The stream ended (a disconnected peer, a closed ledger): subscribe again after a pause.
      } catch (error) {
        if (stopping.signal.aborted) return;
        report(error);
      }
      attempt = appliedCount > appliedBefore ? 0 : attempt + 1;
      if (!(await sleep(delay(attempt), stopping.signal))) return;
    }
  }

  const running = run();

  /** Resolves when `reached` holds (checked on every change of progress), else rejects on timeout or stop. */
  function waitUntil(reached: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      const check = (): void => {
        if (reached()) {
          finish(resolve);
        } else if (stopping.signal.aborted) {
          finish(() => reject(new StoreError('PROJECTION_STOPPED', 'the projection was stopped')));
        }
      };
      const timer = setTimeout(() => {
        const message = `the projection did not reach ${what} within ${timeoutMs.toString()} ms`;
        finish(() => reject(new StoreError('PROJECTION_TIMEOUT', message)));
      }, timeoutMs);
      waiters.add(check);
      check();
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
      notify();
      await running;
    },
  };
}

function compare(a: LedgerPosition, b: LedgerPosition): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.txIndex - b.txIndex;
}

/** Waits `ms`; false if `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
