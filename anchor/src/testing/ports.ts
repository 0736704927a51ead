import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * THE PORT RULE for tests (and benchmarks) that give a server a port of their choosing:
 *
 * - Never take a port from the OS's ephemeral range (listen(0) and then reuse the number). The OS hands those out to
 *   every outgoing connection and every other listen(0) on the machine, so once the server stops (SIGKILL, restart)
 *   or before it has bound, someone else may take it: EADDRINUSE on the next start.
 * - Never use a fixed, well-known port (8080, 8545, 5432, ...): two runs on one machine, or a developer's `npm start`,
 *   collide on it.
 * - A test whose server may just as well come back on another port listens on port 0 and reads the port it got, each
 *   time it starts. Everything else takes its port from reservePort().
 *
 * reservePort() picks from 20000..32767 without the ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range,
 * default 32768-60999), starting at a point derived from the pid and a random number and going up from there, so
 * parallel runs start far apart; checks that the port can be bound on 127.0.0.1 right now; never hands the same
 * port out twice in one process; and locks it against other processes that use this helper (a file per port in
 * <tmpdir>/wr-test-ports, holding the pid, removed when the process exits and taken over if that pid is gone).
 */

const POOL_FIRST = 20_000;
const POOL_LAST = 32_767;
const LOCK_DIR = join(tmpdir(), 'wr-test-ports');

/** The lock file of a reserved port (it holds the reserving process's pid). */
export const portLockFile = (port: number): string => join(LOCK_DIR, `${String(port)}.lock`);

/** The OS's ephemeral port range: Linux's setting when readable, otherwise Linux's default. */
export function ephemeralPortRange(): { readonly first: number; readonly last: number } {
  try {
    const [first, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(first) && Number.isInteger(last)) return { first: first as number, last: last as number };
  } catch {
    // Not Linux (or no /proc): assume Linux's default, which lies above the pool on macOS and Windows too (49152+).
  }
  return { first: 32_768, last: 60_999 };
}

let pool: readonly number[] | undefined;
let cursor: number | undefined;
const held = new Set<number>();

function candidates(): readonly number[] {
  if (pool !== undefined) return pool;
  const { first, last } = ephemeralPortRange();
  const ports: number[] = [];
  for (let port = POOL_FIRST; port <= POOL_LAST; port++) if (port < first || port > last) ports.push(port);
  if (ports.length === 0) {
    throw new Error(`the ephemeral port range ${String(first)}-${String(last)} covers all of ${String(POOL_FIRST)}-${String(POOL_LAST)}: no test ports`);
  }
  return (pool = ports);
}

function releaseAll(): void {
  for (const port of held) {
    try {
      unlinkSync(portLockFile(port));
    } catch {
      // Already gone.
    }
  }
  held.clear();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the port's lock file; false if a live process holds it. Without a usable lock folder, every port is ours. */
function lock(port: number): boolean {
  const file = portLockFile(port);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // Shared by every user's runs, like /tmp itself (the umask would narrow mkdir's mode).
      if (mkdirSync(LOCK_DIR, { recursive: true }) !== undefined) chmodSync(LOCK_DIR, 0o1777);
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      if (held.size === 0) process.once('exit', releaseAll);
      held.add(port);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return true; // e.g. EACCES on a folder of another user's: the bind check still holds
      const owner = Number(readFileSafely(file));
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return false;
      try {
        unlinkSync(file); // left by a process that is gone
      } catch {
        return false;
      }
    }
  }
  return false;
}

function readFileSafely(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function bindable(port: number): Promise<boolean> {
  const server = createServer();
  server.listen({ port, host: '127.0.0.1', exclusive: true });
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  } catch {
    return false;
  }
  server.close();
  await once(server, 'close');
  return true;
}

/** Reserves the first usable port at or after ports[start] (wrapping round); with the index after it. */
async function search(ports: readonly number[], start: number): Promise<{ port: number; next: number }> {
  for (let tried = 0; tried < ports.length; tried++) {
    const index = (start + tried) % ports.length;
    const port = ports[index] as number;
    if (held.has(port) || !lock(port)) continue;
    if (await bindable(port)) return { port, next: (index + 1) % ports.length };
  }
  throw new Error(`no free loopback port in ${String(POOL_FIRST)}-${String(POOL_LAST)} outside the ephemeral range`);
}

/**
 * A loopback TCP port for a server a test starts, and may stop and start again on the same port: see THE PORT RULE
 * above. Reserved for this process until it exits.
 */
export async function reservePort(): Promise<number> {
  const ports = candidates();
  cursor ??= (process.pid * 7919 + Math.floor(Math.random() * ports.length)) % ports.length;
  const { port, next } = await search(ports, cursor);
  cursor = next;
  return port;
}

/** reservePort's search from port `first` on (the pool's next port if `first` is not in it); for its own tests. */
export async function reservePortFrom(first: number): Promise<number> {
  const ports = candidates();
  const index = ports.findIndex((port) => port >= first);
  return (await search(ports, index === -1 ? 0 : index)).port;
}
