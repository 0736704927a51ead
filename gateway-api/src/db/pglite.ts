import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { DatabaseError } from './errors.js';

/** PGlite served on the loopback interface, so that the ordinary `pg` driver reaches it like any server. */
export interface PgliteServer {
  readonly host: string;
  readonly port: number;
  /** Stops the socket server, then PGlite (which flushes its files). */
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

const workerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), address: z.string() }),
  z.object({ type: z.literal('error'), stage: z.enum(['open', 'listen']), message: z.string() }),
  z.object({ type: z.literal('stopped') }),
]);

/**
 * Opens (or creates) the PGlite database under `${dataDir}/pglite` and serves it on a random loopback port, from a
 * worker thread: PGlite is WebAssembly that would otherwise share the event loop with every request.
 */
export async function startPglite(dataDir: string): Promise<PgliteServer> {
  const directory = join(dataDir, 'pglite');
  const worker = new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: { directory } });
  const address = await new Promise<string>((resolve, reject) => {
    const fail = (error: unknown): void => {
      void worker.terminate();
      reject(error instanceof DatabaseError ? error : new DatabaseError('the PGlite worker failed to start', error));
    };
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`the PGlite worker exited with code ${code}`)));
    worker.once('message', (raw: unknown) => {
      const message = workerMessage.safeParse(raw);
      if (message.success && message.data.type === 'ready') {
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        resolve(message.data.address);
      } else if (message.success && message.data.type === 'error') {
        const what = message.data.stage === 'open' ? `PGlite could not open its files in ${directory}` : 'the PGlite socket server could not start';
        fail(new DatabaseError(`${what}: ${message.data.message}`, undefined));
      } else {
        fail(new Error('unexpected message from the PGlite worker'));
      }
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port: portOf(address),
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.once('message', () => void worker.terminate());
        worker.postMessage({ type: 'stop' });
      })),
  };
}

/** The port of the server's `host:port` address (the socket server reports the port it was given by the OS). */
function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`unexpected PGlite socket address ${address}`);
  return port;
}
