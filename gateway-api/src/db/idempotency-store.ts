import { z } from 'zod';
import type { Queryable } from './database.js';
import { StoreError } from './errors.js';
import { parseOptionalRow, parseRow } from './rows.js';

/** What `begin` found: a fresh claim, a finished response to replay, another request's key, or one still running. */
export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'replay'; status: number; body: unknown }
  | { state: 'mismatch' }
  | { state: 'in_progress' };

export interface IdempotencyStore {
  /**
   * Claims `key` for this identity, atomically: exactly one of concurrent callers gets 'new'. A key first used with
   * another request hash is a 'mismatch'; one whose request is still running is 'in_progress'.
   */
  begin(identityId: string, key: string, requestHash: string): Promise<IdempotencyBegin>;
  /** Stores the response of a claimed key, to be replayed; NOT_FOUND if the key is not claimed (in progress). */
  complete(identityId: string, key: string, status: number, body: unknown): Promise<void>;
  /** Releases a claimed key so that the client can retry (after a 5xx); a completed key is left as it is. */
  abandon(identityId: string, key: string): Promise<void>;
  /** Forgets keys created before `cutoff` (retention); returns how many. */
  purgeBefore(cutoff: Date): Promise<number>;
}

export interface IdempotencyOptions {
  /**
   * A claim older than this is taken over by a retry with the same request hash: its request died with its
   * process (no HTTP request runs this long), and without a takeover the key would answer 'in_progress' forever.
   */
  readonly staleAfterMs?: number;
}

const DEFAULT_STALE_AFTER_MS = 10 * 60_000;
/** A key released between our INSERT and SELECT is claimed again; more than a few rounds means a bug. */
const MAX_CLAIM_ATTEMPTS = 3;

const keyRow = z.object({
  request_hash: z.string(),
  state: z.enum(['in_progress', 'done']),
  status: z.number().int().nullable(),
  body: z.unknown(),
});
const countRow = z.object({ count: z.coerce.number().int() });

export function idempotencyStore(db: Queryable, options: IdempotencyOptions = {}): IdempotencyStore {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;

  return {
    async begin(identityId, key, requestHash) {
      for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
        // Two statements, not one: the read must see a row a concurrent claimer committed while we waited on it.
        const claimed = await db.query(
          `INSERT INTO idempotency_keys (identity_id, key, request_hash, state) VALUES ($1, $2, $3, 'in_progress')
           ON CONFLICT (identity_id, key) DO UPDATE SET created_at = now()
             WHERE idempotency_keys.state = 'in_progress'
               AND idempotency_keys.request_hash = EXCLUDED.request_hash
               AND idempotency_keys.created_at < now() - $4::double precision * interval '1 millisecond'
           RETURNING 1`,
          [identityId, key, requestHash, staleAfterMs],
        );
        if (claimed.length === 1) return { state: 'new' };
        const existing = parseOptionalRow(
          keyRow,
          await db.query('SELECT request_hash, state, status, body FROM idempotency_keys WHERE identity_id = $1 AND key = $2', [
            identityId,
            key,
          ]),
        );
        if (existing === undefined) continue;
        if (existing.request_hash !== requestHash) return { state: 'mismatch' };
        if (existing.state === 'in_progress' || existing.status === null) return { state: 'in_progress' };
        return { state: 'replay', status: existing.status, body: existing.body };
      }
      throw new Error(`idempotency key ${key} kept disappearing while it was being claimed`);
    },

    async complete(identityId, key, status, body) {
      const rows = await db.query(
        `UPDATE idempotency_keys SET state = 'done', status = $3, body = $4::jsonb, completed_at = now()
         WHERE identity_id = $1 AND key = $2 AND state = 'in_progress'
         RETURNING 1`,
        // Serialised here: the driver would turn a JS array into a PostgreSQL array, not JSON.
        [identityId, key, status, JSON.stringify(body ?? null)],
      );
      if (rows.length !== 1) throw new StoreError('NOT_FOUND', `idempotency key ${key} is not in progress`);
    },

    async abandon(identityId, key) {
      await db.query(`DELETE FROM idempotency_keys WHERE identity_id = $1 AND key = $2 AND state = 'in_progress'`, [
        identityId,
        key,
      ]);
    },

    async purgeBefore(cutoff) {
      const rows = await db.query(
        'WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING 1) SELECT count(*) AS count FROM gone',
        [cutoff],
      );
      return parseRow(countRow, rows).count;
    },
  };
}
