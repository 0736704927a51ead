import type { AnchorClient, AnchorRecord, Checkpoint } from '@wr/anchor';
import type { Logger } from 'pino';
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
  /** Clock for checkpoint times (tests). */
  readonly now?: () => Date;
}

export interface Anchoring {
  status(): AnchoringStatus;
  /** Resolves once every leaf accepted so far is in a checkpoint that is anchored and recorded (tests, shutdown). */
  settled(timeoutMs?: number): Promise<void>;
  /** Cuts checkpoints now over every leaf waiting, whatever the interval (tests and operators). */
  cutNow(): void;
  stop(): Promise<void>;
}

const LEASE_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * The anchoring worker: cuts a checkpoint every `intervalMs` or `maxLeaves` leaves, anchors it, records it on the
 * ledger, in seq order. Every step is persisted before the next, so a crash anywhere is resumed on restart: a cut
 * checkpoint is anchored, a sent transaction is waited for (or re-sent), an anchored one is recorded.
 */
export function startAnchoring(options: AnchoringOptions): Anchoring {
  const { store, logger } = options;
  const now = options.now ?? (() => new Date());
  const holder = options.holder;
  const startedAt = now();
  const stopping = new AbortController();
  let state: AnchoringStatus['state'] = 'starting';
  let lastError: string | undefined;
  let lastAnchoredSeq: number | undefined;
  let waitingLeaves: number | undefined;
  let forceCut = false;
  let wake: (() => void) | undefined;
  const waiters = new Set<() => void>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
      wake = done;
      stopping.signal.addEventListener('abort', done, { once: true });
    });

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
    for (const entry of await store.unfinished()) await finish(client, entry);
    const backlog = await store.backlog();
    waitingLeaves = backlog.leaves;
    // Before the first checkpoint, the interval runs from the worker's start.
    const since = (backlog.lastCutAt ?? startedAt).getTime();
    const due = backlog.leaves >= options.maxLeaves || (backlog.leaves > 0 && (forceCut || now().getTime() - since >= options.intervalMs));
    if (backlog.leaves === 0) {
      forceCut = false;
      for (const resolve of waiters) resolve();
    }
    if (!due) return 'idle';
    const cut = await store.cut(options.maxLeaves, now());
    if (cut) {
      logger.debug({ seq: cut.checkpoint.seq, leaves: cut.checkpoint.leafCount }, 'checkpoint cut');
      await finish(client, cut);
    }
    return 'more';
  }

  const running = (async () => {
    let client: AnchorClient | undefined;
    let backoff = 500;
    while (!stopping.signal.aborted) {
      try {
        if (!(await store.lease(holder, LEASE_MS))) {
          state = 'standby';
          await sleep(LEASE_MS / 3);
          continue;
        }
        client ??= await options.client();
        const outcome = await round(client);
        state = 'running';
        lastError = undefined;
        backoff = 500;
        if (outcome === 'idle') await sleep(Math.min(options.intervalMs, 1_000));
      } catch (error) {
        if (stopping.signal.aborted) break;
        state = 'failing';
        lastError = error instanceof Error ? error.message : String(error);
        logger.error({ err: error }, 'anchoring failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    state = 'stopped';
    await store.release(holder).catch(() => undefined);
  })();

  return {
    status: () => ({ state, lastError, lastAnchoredSeq, waitingLeaves }),
    settled(timeoutMs = 30_000) {
      forceCut = true;
      wake?.();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`anchoring did not settle within ${timeoutMs.toString()} ms (${state}${lastError ? `: ${lastError}` : ''})`));
        }, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    },
    cutNow() {
      forceCut = true;
      wake?.();
    },
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
