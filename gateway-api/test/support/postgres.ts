import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import { access, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { reservePort } from '@wr/anchor/testing';
import pg from 'pg';
import { z } from 'zod';
import { openDatabase, type Database, type DatabaseOptions } from '../../src/db/database.js';

const run = promisify(execFile);

/** One database the suite runs against: fresh for each `testDatabases()` call, reopenable until cleaned up. */
export interface TestDatabase {
  readonly name: string;
  readonly kind: Database['kind'];
  /** What `open` passes to openDatabase (tests that open it another way start from these). */
  readonly options: DatabaseOptions;
  open(): Promise<Database>;
  /** Drops the database (or removes PGlite's files). */
  cleanup(): Promise<void>;
}

/** A PostgreSQL server the suite may create databases on, or why there is none. */
type RealServer =
  | { readonly available: true; readonly adminUrl: string; readonly version: string; retain(): void; release(): Promise<void> }
  | { readonly available: false; readonly reason: string };

let realServer: Promise<RealServer> | undefined;

/**
 * PGlite always; plus real PostgreSQL: on DATABASE_URL if set, else on a throwaway cluster when the machine has the
 * server binaries. Each call returns fresh databases. The first call prints which databases the suite runs against.
 */
export async function testDatabases(): Promise<TestDatabase[]> {
  realServer ??= findRealServer().then((server) => {
    console.log(
      server.available
        ? `db tests: PGlite and PostgreSQL ${server.version}`
        : `db tests: PGlite only; no real PostgreSQL because ${server.reason}`,
    );
    return server;
  });
  const server = await realServer;
  const databases = [await pgliteDatabase()];
  if (server.available) databases.push(await postgresDatabase(server));
  return databases;
}

/**
 * Opens the target's database before the suite's tests and closes and removes it after them; returns a getter for
 * use inside the tests.
 */
export function useDatabase(target: TestDatabase): () => Database {
  let db: Database | undefined;
  before(async function () {
    this.timeout(120_000);
    db = await target.open();
  });
  after(async function () {
    this.timeout(60_000);
    await db?.close();
    await target.cleanup();
  });
  return () => {
    if (db === undefined) throw new Error(`the ${target.name} database is not open`);
    return db;
  };
}

async function pgliteDatabase(): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wr-db-test-'));
  const options: DatabaseOptions = { databaseUrl: undefined, dataDir };
  return {
    name: 'PGlite',
    kind: 'pglite',
    options,
    open: () => openDatabase(options),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function postgresDatabase(server: RealServer & { available: true }): Promise<TestDatabase> {
  const database = `wr_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(server.adminUrl, `CREATE DATABASE ${database}`);
  server.retain();
  const url = new URL(server.adminUrl);
  url.pathname = `/${database}`;
  const options: DatabaseOptions = { databaseUrl: url.toString(), dataDir: tmpdir() };
  return {
    name: `PostgreSQL ${server.version}`,
    kind: 'postgres',
    options,
    open: () => openDatabase(options),
    async cleanup() {
      await adminQuery(server.adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await server.release();
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<Record<string, unknown>>(sql);
    return result.rows;
  } finally {
    await client.end();
  }
}

async function serverVersion(url: string): Promise<string> {
  const [row] = await adminQuery(url, 'SHOW server_version');
  return z.object({ server_version: z.string() }).parse(row).server_version.split(' ')[0] ?? 'unknown';
}

async function findRealServer(): Promise<RealServer> {
  const given = process.env.DATABASE_URL;
  if (given !== undefined && given !== '') {
    // An explicitly given server that does not answer fails the suite: silently testing less would mislead.
    const version = await serverVersion(given);
    return {
      available: true,
      adminUrl: given,
      version: `${version} (DATABASE_URL)`,
      retain: () => undefined,
      release: () => Promise.resolve(),
    };
  }
  let bindir: string;
  try {
    bindir = (await run('pg_config', ['--bindir'])).stdout.trim();
  } catch {
    // pg_config missing is the ordinary "no PostgreSQL here" case; the reason is printed instead.
    return { available: false, reason: 'DATABASE_URL is not set and pg_config (PostgreSQL server binaries) is not installed' };
  }
  for (const tool of ['initdb', 'pg_ctl']) {
    try {
      await access(join(bindir, tool), constants.X_OK);
    } catch {
      return { available: false, reason: `DATABASE_URL is not set and ${join(bindir, tool)} is missing` };
    }
  }
  try {
    return await startThrowawayCluster(bindir);
  } catch (error) {
    return { available: false, reason: `a throwaway cluster failed to start: ${String(error)}` };
  }
}

/** A cluster on a reserved loopback port (reservePort), as .ci/postgres.sh starts one; stopped when its last database is dropped. */
async function startThrowawayCluster(bindir: string): Promise<RealServer> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-test-pg-'));
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres system user.
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asRoot) {
    await run('chown', ['postgres', dir]);
    await chmod(dir, 0o700);
  }
  const exec = (tool: string, args: readonly string[]): Promise<unknown> => {
    const [command, ...rest] = [...prefix, join(bindir, tool), ...args];
    // In the cluster's folder: the working directory may be closed to the postgres user.
    return run(command ?? tool, rest, { cwd: dir });
  };
  const data = join(dir, 'data');
  const port = await reservePort();
  const stopArgs = (mode: 'fast' | 'immediate'): string[] => ['-D', data, '-m', mode, 'stop'];
  await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port.toString()} -k ${dir} -c fsync=off`;
  await exec('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', options, 'start']);

  // Mocha's --exit ends the process without running after-hooks of suites it did not reach: stop the server then.
  const onExit = (): void => {
    const [command, ...rest] = [...prefix, join(bindir, 'pg_ctl'), ...stopArgs('immediate')];
    spawnSync(command ?? 'pg_ctl', rest, { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const adminUrl = `postgres://postgres@127.0.0.1:${port.toString()}/postgres`;
  const version = await serverVersion(adminUrl);
  let users = 0;
  return {
    available: true,
    adminUrl,
    version: `${version} (throwaway cluster on 127.0.0.1:${port.toString()})`,
    retain: () => {
      users++;
    },
    async release() {
      if (--users > 0) return;
      process.removeListener('exit', onExit);
      realServer = undefined;
      await exec('pg_ctl', stopArgs('fast'));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
