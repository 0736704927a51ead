import type { AnchorClient, AnchorRecord, Checkpoint } from '@wr/anchor';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../platform/clock.js';
import { startLoop } from '../../platform/loop.js';
import { waiters as createWaiters } from '../../platform/waiters.js';
import type { CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';

/** What /healthz and tests see of the anchoring worker. */
export interface AnchoringStatus {
  readonly state: 'starting' | 'running' | 'standby' | 'failing' | 'stopped';
  /** The last error, while the worker retries. */
  readonly lastError: string | undefined;
  readonly lastAnchoredSeq: number | undefined;
  /** Leaves waiting for a checkpoint, as of the worker's last look. */
  readonly waitingLeaves: number | undefined;
}

export interface AnchoringOptions {
  readonly store: CheckpointStore;
  /** The chain client; opened once, when the worker starts (the dev chain takes a moment). */
  readonly client: () => Promise<AnchorClient>;
  /** Records an anchored checkpoint on the ledger (RecordCheckpoint) and returns the transaction id. */
  readonly record: (checkpoint: Checkpoint, anchor: AnchorRecord) => Promise<string>;
  readonly intervalMs: number;
  readonly maxLeaves: number;
  readonly logger: Logger;
  /**
   * Who holds the worker's lease: stable across restarts of the same gateway (its host and data folder), so that a
   * gateway restarted after a crash takes its lease back at once instead of waiting for it to expire.
   */
  readonly holder: string;
  /** The time checkpoints are cut at, and every wait of the worker (default: the system clock). */
  readonly clock?: Clock;
}

export interface Anchoring {
  status(): AnchoringStatus;
  /** Resolves once every leaf accepted so far is in a checkpoint that is anchored and recorded (tests, shutdown). */
  settled(timeoutMs?: number): Promise<void>;
  /** Cuts checkpoints now over every leaf waiting, whatever the interval (tests and operators). */
  cutNow(): void;
  stop(): Promise<void>;
}

/** Why `settled()` rejected: it did not settle within its timeout. */
export class AnchoringError extends Error {
  readonly code = 'ANCHORING_TIMEOUT';

  constructor(message: string) {
    super(message);
    this.name = 'AnchoringError';
  }
}

/** How long the worker's lease runs unless renewed; it is renewed before every round. */
export const LEASE_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * The anchoring worker: cuts a checkpoint every `intervalMs` or `maxLeaves` leaves, anchors it, records it on the
 * ledger, in seq order. Every step is persisted before the next, so a crash anywhere is resumed on restart: a cut
 * checkpoint is anchored, a sent transaction is waited for (or re-sent), an anchored one is recorded.
 */
export function startAnchoring(options: AnchoringOptions): Anchoring {
  const { store, logger } = options;
  const clock = options.clock ?? systemClock;
  const holder = options.holder;
  const startedAt = clock.now();
  let lastAnchoredSeq: number | undefined;
  let waitingLeaves: number | undefined;
  let client: AnchorClient | undefined;
  /** Rounds begun, and the last of them that found no leaf waiting: settled() waits for one begun after its call. */
  let roundsBegun = 0;
  let lastEmptyRound = 0;
  /**
   * While set, leaves are cut whatever the interval (cutNow, settled): the rounds begun when it was asked for. Only a
   * round begun later clears it, since an earlier one may have counted the leaves before the latest ones came in.
   */
  let forceCutAfter: number | undefined;
  const waiters = createWaiters(clock);

  async function finish(client: AnchorClient, entry: StoredCheckpoint): Promise<void> {
    const { checkpoint } = entry;
    let anchor = entry.anchor;
    if (!anchor) {
      anchor = await client.anchorCheckpoint(
        { root: checkpoint.root, checkpointHash: checkpoint.hash, seq: checkpoint.seq },
        { ...(entry.pending ? { pending: entry.pending } : {}), onSent: (txHash, nonce) => store.markSent(checkpoint.seq, { txHash, nonce }) },
      );
      await store.markAnchored(checkpoint.seq, anchor);
      logger.info({ seq: checkpoint.seq, leaves: checkpoint.leafCount, root: checkpoint.root, txHash: anchor.txHash, block: anchor.blockNumber }, 'checkpoint anchored');
    }
    lastAnchoredSeq = checkpoint.seq;
    if (entry.ledgerTxId === null) await store.markRecorded(checkpoint.seq, await options.record(checkpoint, anchor));
  }

  async function round(client: AnchorClient): Promise<'more' | 'idle'> {
    const thisRound = ++roundsBegun;
    for (const entry of await store.unfinished()) await finish(client, entry);
    const backlog = await store.backlog();
    waitingLeaves = backlog.leaves;
    // Before the first checkpoint, the interval runs from the worker's start.
    const since = (backlog.lastCutAt ?? startedAt).getTime();
    const due = backlog.leaves >= options.maxLeaves || (backlog.leaves > 0 && (forceCutAfter !== undefined || clock.now().getTime() - since >= options.intervalMs));
    if (backlog.leaves === 0) {
      if (forceCutAfter !== undefined && thisRound > forceCutAfter) forceCutAfter = undefined;
      lastEmptyRound = thisRound;
      waiters.notify();
    }
    if (!due) return 'idle';
    const cut = await store.cut(options.maxLeaves, clock.now());
    if (cut) {
      logger.debug({ seq: cut.checkpoint.seq, leaves: cut.checkpoint.leafCount }, 'checkpoint cut');
      await finish(client, cut);
    }
    return 'more';
  }

  const loop = startLoop({
    name: 'anchoring',
    clock,
    step: async () => round((client ??= await options.client())),
    // New leaves are looked for at least once a second (or once per interval, when that is shorter).
    idleMs: Math.min(options.intervalMs, 1_000),
    backoff: { initialMs: 500, maxMs: MAX_BACKOFF_MS },
    lease: { acquire: () => store.lease(holder, LEASE_MS), release: () => store.release(holder), retryMs: LEASE_MS / 3 },
    onError: (error, failure) =>
      failure.during === 'release'
        ? logger.warn({ err: error }, 'anchoring lease not released; it runs out on its own')
        : logger.error({ err: error, retryInMs: failure.retryInMs }, 'anchoring failed; retrying'),
  });

  return {
    status() {
      const { state, lastError } = loop.status();
      return { state, lastError, lastAnchoredSeq, waitingLeaves };
    },
    settled(timeoutMs = 30_000) {
      const after = roundsBegun;
      forceCutAfter = after;
      loop.wake();
      return waiters.until(() => lastEmptyRound > after, {
        timeoutMs,
        timedOut: () => {
          const { state, lastError } = loop.status();
          return new AnchoringError(`anchoring did not settle within ${timeoutMs.toString()} ms (${state}${lastError ? `: ${lastError}` : ''})`);
        },
      });
    },
    cutNow() {
      forceCutAfter = roundsBegun;
      loop.wake();
    },
    stop: () => loop.stop(),
  };
}
