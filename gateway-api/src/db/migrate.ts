import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Database, Queryable } from './database.js';
import { StoreError } from './errors.js';
import { parseRows } from './rows.js';

/** The package's migrations; the compiled module lives in dist/src/db/. */
export const defaultMigrationsDir = new URL('../../../migrations/', import.meta.url);

/** One versioned schema change, as read from `NNN_name.sql`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** SHA-256 (hex) of the file with line endings normalised to LF, so a CRLF checkout is not a "change". */
  readonly checksum: string;
}

const fileName = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/**
 * The one lock every starter takes before touching the schema, so that concurrent gateways migrate one at a time.
 * Transaction-scoped: it is released by COMMIT or ROLLBACK, never left behind by a crash. (Works on PGlite too.)
 */
const MIGRATION_LOCK_KEY = '7165053477154320653';

/**
 * The migrations of the gateway's shared infrastructure (identities and tokens, the audit log, idempotency keys);
 * each module names its own (`GatewayModule.migrations`). One sequence for the whole database, since tables refer to
 * each other across modules. `005_evidence` made the tables of the four evidence modules at once, before they were
 * split; applied migrations never change (their checksums are kept), so it stays whole, owned by the leaves module.
 * New files are named `NNN_<module>_<change>.sql`.
 */
export const coreMigrations: readonly string[] = ['001_identities_and_tokens', '002_audit_log', '003_idempotency_keys'];

/** Reads every `NNN_name.sql` file of the folder, in version order; any other `.sql` file is a mistake. */
export async function readMigrations(dir: URL = defaultMigrationsDir): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of (await readdir(dir)).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = fileName.exec(file);
    if (match?.[1] === undefined || match[2] === undefined) {
      throw new StoreError('MIGRATION_MISMATCH', `migration file ${file} is not named NNN_name.sql`);
    }
    const sql = (await readFile(new URL(file, dir), 'utf8')).replace(/\r\n/g, '\n');
    const version = Number(match[1]);
    if (migrations.some((migration) => migration.version === version)) {
      throw new StoreError('MIGRATION_MISMATCH', `two migration files have version ${match[1]}`);
    }
    migrations.push({ version, name: match[2], sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

const appliedRow = z.object({ version: z.number().int(), name: z.string(), checksum: z.string() });
type AppliedRow = z.infer<typeof appliedRow>;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction, and returns them.
 * Refuses (MIGRATION_MISMATCH) when an applied migration's file changed or is missing: the database was built by
 * other code than this, and guessing which schema is right could lose data.
 */
export async function migrate(db: Database, dir: URL = defaultMigrationsDir): Promise<Migration[]> {
  const migrations = await readMigrations(dir);
  const applied = await db.transaction(async (tx) => {
    await lock(tx);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    return appliedMigrations(tx);
  });
  for (const row of applied) verify(row, migrations.find((migration) => migration.version === row.version));

  const newlyApplied: Migration[] = [];
  for (const migration of migrations.filter((candidate) => !applied.some((row) => row.version === candidate.version))) {
    const ran = await db.transaction(async (tx) => {
      await lock(tx);
      // Another starter may have applied it while we waited for the lock.
      const [row] = (await appliedMigrations(tx)).filter((candidate) => candidate.version === migration.version);
      if (row !== undefined) {
        verify(row, migration);
        return false;
      }
      await runMigration(tx, migration);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      return true;
    });
    if (ran) newlyApplied.push(migration);
  }
  return newlyApplied;
}

async function lock(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
}

async function appliedMigrations(tx: Queryable): Promise<AppliedRow[]> {
  return parseRows(appliedRow, await tx.query('SELECT version, name, checksum FROM schema_migrations ORDER BY version'));
}

async function runMigration(tx: Queryable, migration: Migration): Promise<void> {
  try {
    await tx.query(migration.sql);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError('MIGRATION_FAILED', `migration ${label(migration)} failed`, { cause: error });
  }
}

function verify(row: AppliedRow, migration: Migration | undefined): void {
  if (migration === undefined) {
    throw new StoreError(
      'MIGRATION_MISMATCH',
      `the database has migration ${label(row)}, which this build does not have: it was migrated by another version`,
    );
  }
  if (row.checksum !== migration.checksum) {
    throw new StoreError(
      'MIGRATION_MISMATCH',
      `migration ${label(migration)} changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the ` +
        `database, ${migration.checksum.slice(0, 12)}… on disk): restore the file and put the change in a new migration`,
    );
  }
}

function label(migration: { readonly version: number; readonly name: string }): string {
  return `${migration.version.toString().padStart(3, '0')}_${migration.name}`;
}
