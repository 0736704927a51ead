import type { Queryable } from './database.js';

/**
 * A lease on a one-row table `(singleton boolean PRIMARY KEY, holder text, expires_at timestamptz)`: one worker per
 * database, whatever the number of gateways. The database's clock decides expiry, so gateways' clocks need not agree.
 */
export interface SingletonLease {
  /** Takes or renews the lease for `holder`; false while another holder's lease runs. */
  take(holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, when `holder` has it. */
  release(holder: string): Promise<void>;
}

/** The lease kept in `table`, a constant of the caller's (never user input). */
export function singletonLease(db: Queryable, table: 'anchor_worker_lease' | 'webhook_lease'): SingletonLease {
  return {
    async take(holder, ttlMs) {
      const rows = await db.query(
        `INSERT INTO ${table} (singleton, holder, expires_at) VALUES (true, $1, now() + $2 * interval '1 millisecond')
         ON CONFLICT (singleton) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
           WHERE ${table}.holder = EXCLUDED.holder OR ${table}.expires_at < now()
         RETURNING holder`,
        [holder, ttlMs],
      );
      return rows.length === 1;
    },
    async release(holder) {
      await db.query(`DELETE FROM ${table} WHERE holder = $1`, [holder]);
    },
  };
}
