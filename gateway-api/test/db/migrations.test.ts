import { expect } from 'chai';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { connectDatabase, openDatabase, type Database } from '../../src/db/database.js';
import { StoreError } from '../../src/db/errors.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../src/db/migrate.js';
import { testDatabases } from '../support/postgres.js';
import { rejection } from '../../src/testing/refusal.js';

const recorded = z.array(
  z.object({ version: z.number(), name: z.string(), checksum: z.string(), applied_at: z.date() }),
);

async function recordedMigrations(db: Database): Promise<z.infer<typeof recorded>> {
  return recorded.parse(await db.query('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version'));
}

/** A copy of the package's migrations to change, as a file URL ending in a slash. */
async function migrationsCopy(): Promise<{ dir: string; url: URL }> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-migrations-'));
  await cp(defaultMigrationsDir, dir, { recursive: true });
  return { dir, url: pathToFileURL(`${dir}/`) };
}

const refusal = (promise: Promise<unknown>): Promise<StoreError> => rejection(promise, StoreError);

for (const target of await testDatabases()) {
  describe(`migrations (${target.name})`, function () {
    this.timeout(120_000);
    let db: Database;
    const copies: string[] = [];

    before(async () => {
      db = await target.open();
    });
    after(async () => {
      await db.close();
      await target.cleanup();
      for (const dir of copies) await rm(dir, { recursive: true, force: true });
    });

    /** Closes the database (PGlite's files take one process at a time), runs `attempt`, then opens it again. */
    async function whileClosed<T>(attempt: () => Promise<T>): Promise<T> {
      await db.close();
      try {
        return await attempt();
      } finally {
        db = await target.open();
      }
    }

    async function changedCopy(change: (dir: string) => Promise<void>): Promise<URL> {
      const copy = await migrationsCopy();
      copies.push(copy.dir);
      await change(copy.dir);
      return copy.url;
    }

    it('applies every migration file once, in version order, recording its name and checksum', async () => {
      const files = await readMigrations();
      expect(files.map((file) => file.version)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      const rows = await recordedMigrations(db);
      expect(rows.map(({ version, name, checksum }) => ({ version, name, checksum }))).to.deep.equal(
        files.map(({ version, name, checksum }) => ({ version, name, checksum })),
      );
    });

    it('reopening applies nothing again: the recorded migrations, with their times, stay as they were', async () => {
      const before = await recordedMigrations(db);
      await db.close();
      db = await target.open();
      expect(await recordedMigrations(db)).to.deep.equal(before);
      expect(await migrate(db), 'a second run on the open database').to.deep.equal([]);
      expect(await recordedMigrations(db)).to.deep.equal(before);
    });

    it('refuses to start when an applied migration file was changed, and changes nothing', async () => {
      const before = await recordedMigrations(db);
      const changed = await changedCopy((dir) => appendFile(join(dir, '002_audit_log.sql'), '\n-- an innocent edit\n'));
      const error = await whileClosed(() => refusal(openDatabase({ ...target.options, migrationsDir: changed })));
      expect(error.code).to.equal('MIGRATION_MISMATCH');
      expect(error.message).to.contain('002_audit_log');
      expect(await recordedMigrations(db)).to.deep.equal(before);
    });

    it('refuses to start on a database migrated by a build with more migrations than this one', async () => {
      const older = await changedCopy((dir) => rm(join(dir, '004_ledger_projection.sql')));
      const error = await whileClosed(() => refusal(openDatabase({ ...target.options, migrationsDir: older })));
      expect(error.code).to.equal('MIGRATION_MISMATCH');
      expect(error.message).to.contain('004_ledger_projection');
    });

    it('accepts a migration file whose only change is CRLF line endings (a Windows checkout)', async () => {
      const crlf = await changedCopy(async (dir) => {
        const file = join(dir, '001_identities_and_tokens.sql');
        await writeFile(file, (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'));
      });
      const reopened = await whileClosed(async () => {
        const other = await openDatabase({ ...target.options, migrationsDir: crlf });
        await other.close();
        return true;
      });
      expect(reopened).to.equal(true);
    });

    // Last: it records a migration the package does not have, so the default folder is refused from here on.
    it('two starters migrating at once apply a new migration exactly once', async () => {
      const next = (await recordedMigrations(db)).length + 1;
      const extended = await changedCopy((dir) =>
        writeFile(
          join(dir, `${next.toString().padStart(3, '0')}_probe.sql`),
          'CREATE TABLE migration_probe (n integer NOT NULL);\nINSERT INTO migration_probe VALUES (1);\n',
        ),
      );
      // Two pools on PostgreSQL; PGlite serves one process, so there both starters share its one connection and
      // their transactions interleave.
      const second = target.kind === 'postgres' ? await connectDatabase(target.options) : db;
      try {
        const [first, other] = await Promise.all([migrate(db, extended), migrate(second, extended)]);
        expect([...first, ...other].map((migration) => migration.version)).to.deep.equal([next]);
      } finally {
        if (second !== db) await second.close();
      }
      const probe = z.array(z.object({ n: z.number() })).parse(await db.query('SELECT n FROM migration_probe'));
      expect(probe).to.deep.equal([{ n: 1 }]);
      expect((await recordedMigrations(db)).map((row) => row.version)).to.deep.equal(Array.from({ length: next }, (_, index) => index + 1));
    });
  });
}
