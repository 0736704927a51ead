import { once } from 'node:events';
import { createServer } from 'node:net';

/** A TCP port free on the loopback interface right now (for tests and benchmarks that start a server process). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('the OS gave no TCP port');
  return address.port;
}
