/**
 * Runs in a worker thread: PGlite and its socket server, so that the database's WebAssembly work uses the second
 * core instead of the gateway's event loop. Reports `{ready, port}` or `{error}`, stops on `{stop}`.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdir } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';

const LOOPBACK = '127.0.0.1';
const { directory } = z.object({ directory: z.string() }).parse(workerData);

async function main(): Promise<void> {
  if (!parentPort) throw new Error('pglite-worker must run in a worker thread');
  const port = parentPort;
  let db: PGlite;
  try {
    await mkdir(directory, { recursive: true });
    db = await PGlite.create(directory);
  } catch (error) {
    port.postMessage({ type: 'error', stage: 'open', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  // One connection: PGlite runs a single backend, and the pool in front of it never opens a second.
  const server = new PGLiteSocketServer({ db, host: LOOPBACK, port: 0, maxConnections: 1 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    port.postMessage({ type: 'error', stage: 'listen', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  port.on('message', (message: unknown) => {
    if (z.object({ type: z.literal('stop') }).safeParse(message).success) {
      void (async () => {
        await server.stop();
        await db.close();
        port.postMessage({ type: 'stopped' });
        port.close();
      })();
    }
  });
  port.postMessage({ type: 'ready', address: server.getServerConn() });
}

void main();
