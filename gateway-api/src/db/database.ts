import pg from 'pg';
import { DatabaseError, translateDriverError } from './errors.js';
import { migrate } from './migrate.js';
import { startPglite } from './pglite.js';

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement; rows come back as the driver decoded them and callers parse them with zod. */
  query<R = unknown>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** The gateway's database: PostgreSQL, or PGlite reached through the same driver. */
export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `work` in one transaction on one connection: COMMIT if it resolves, ROLLBACK if it throws. Inside, use only
   * `tx`: on PGlite the pool has one connection, so a query on the database itself would wait for this transaction.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** True when a trivial query succeeds (for /healthz); never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; unset: PGlite under `${dataDir}/pglite`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Folder of the `NNN_name.sql` migrations; by default the package's `migrations/`. */
  readonly migrationsDir?: URL;
  /** Told about errors of idle connections (the pool replaces them); without it they are dropped. */
  readonly onIdleError?: (error: unknown) => void;
}

/** Most connections the gateway holds to a real server: enough for concurrent requests, far below server limits. */
const POSTGRES_POOL_SIZE = 10;
/** How long a query waits for a connection (or for PGlite's only one) before DATABASE_UNAVAILABLE. */
const CONNECT_TIMEOUT_MS = 30_000;

/** Opens the database named by the options and brings its schema up to date before returning it. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = await connectDatabase(options);
  try {
    await migrate(database, options.migrationsDir);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** Opens the database without migrating it (for tools and tests that drive `migrate` themselves). */
export async function connectDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl !== undefined) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: POSTGRES_POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
    });
    return poolDatabase('postgres', pool, options.onIdleError, () => Promise.resolve());
  }
  const pglite = await startPglite(options.dataDir);
  const pool = new pg.Pool({
    host: pglite.host,
    port: pglite.port,
    user: 'postgres',
    database: 'postgres',
    // PGlite is one backend: a second connection would be refused, and an idle one is never worth closing.
    max: 1,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  return poolDatabase('pglite', pool, options.onIdleError, () => pglite.stop());
}

function poolDatabase(
  kind: Database['kind'],
  pool: pg.Pool,
  onIdleError: ((error: unknown) => void) | undefined,
  stopServer: () => Promise<void>,
): Database {
  // Without a listener an idle connection's error would crash the process; the pool already discards that client.
  pool.on('error', (error) => onIdleError?.(translateDriverError(error)));
  let closing: Promise<void> | undefined;

  return {
    kind,
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      return withClient(pool, (client) => run<R>(client, sql, params));
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      return withClient(pool, async (client) => {
        await run(client, 'BEGIN');
        let open = true;
        const tx: Queryable = {
          query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
            if (!open) return Promise.reject(new Error('the transaction is already finished'));
            return run<R>(client, sql, params);
          },
        };
        try {
          const result = await work(tx);
          await run(client, 'COMMIT');
          return result;
        } catch (error) {
          // A failed ROLLBACK leaves the connection in an unknown state: withClient then discards it.
          await run(client, 'ROLLBACK').catch((rollbackError: unknown) => {
            throw new BrokenConnection(error, rollbackError);
          });
          throw error;
        } finally {
          open = false;
        }
      });
    },
    async ping(): Promise<boolean> {
      try {
        await withClient(pool, (client) => run(client, 'SELECT 1'));
        return true;
      } catch {
        // A health check answers "no" instead of throwing; the cause shows up in the failing requests' errors.
        return false;
      }
    },
    close(): Promise<void> {
      closing ??= pool.end().then(stopServer);
      return closing;
    },
  };
}

/** A transaction whose ROLLBACK failed: the original error is what callers see, the connection is discarded. */
class BrokenConnection extends Error {
  constructor(
    readonly original: unknown,
    cause: unknown,
  ) {
    super('the connection failed during ROLLBACK', { cause });
  }
}

/** Checks out a client for `use`, translating driver failures and discarding a client whose connection broke. */
async function withClient<T>(pool: pg.Pool, use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw translateDriverError(error);
  }
  // A checked-out client with no query running would otherwise crash the process on a connection error.
  const ignoreCheckedOutError = (): void => undefined;
  client.on('error', ignoreCheckedOutError);
  let broken: Error | undefined;
  try {
    return await use(client);
  } catch (error) {
    if (error instanceof BrokenConnection) {
      broken = error;
      throw error.original;
    }
    if (error instanceof DatabaseError) broken = error;
    throw error;
  } finally {
    client.off('error', ignoreCheckedOutError);
    client.release(broken);
  }
}

async function run<R>(client: pg.PoolClient, sql: string, params?: readonly unknown[]): Promise<R[]> {
  try {
    const result = await client.query<Record<string, unknown>>(sql, params === undefined ? undefined : [...params]);
    // Rows stay unknown-shaped for callers, who parse them with zod: this is the one place they are typed as R.
    return result.rows as R[];
  } catch (error) {
    throw translateDriverError(error);
  }
}
