import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseError } from './errors.js';

/** PGlite served on the loopback interface, so that the ordinary `pg` driver reaches it like any server. */
export interface PgliteServer {
  readonly host: string;
  readonly port: number;
  /** Stops the socket server, then PGlite (which flushes its files). */
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

/** Opens (or creates) the PGlite database under `${dataDir}/pglite` and serves it on a random loopback port. */
export async function startPglite(dataDir: string): Promise<PgliteServer> {
  const directory = join(dataDir, 'pglite');
  let db: PGlite;
  try {
    await mkdir(directory, { recursive: true });
    db = await PGlite.create(directory);
  } catch (error) {
    throw new DatabaseError(`PGlite could not open its files in ${directory}`, error);
  }
  // One connection: PGlite runs a single backend, and the pool in front of it never opens a second.
  const server = new PGLiteSocketServer({ db, host: LOOPBACK, port: 0, maxConnections: 1 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw new DatabaseError('the PGlite socket server could not start', error);
  }
  return {
    host: LOOPBACK,
    port: portOf(server.getServerConn()),
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** The port of the server's `host:port` address (the socket server reports the port it was given by the OS). */
function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`unexpected PGlite socket address ${address}`);
  return port;
}
