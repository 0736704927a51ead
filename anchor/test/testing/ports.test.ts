import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { ephemeralPortRange, portLockFile, reservePort, reservePortFrom } from '../../src/testing/ports.js';

async function listen(port: number): Promise<Server | undefined> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
    return server;
  } catch {
    return undefined;
  }
}

async function close(server: Server): Promise<void> {
  server.close();
  await once(server, 'close');
}

/** A pool port nobody has locked, with a server of this test listening on it (not reserved through the helper). */
async function occupiedUnlockedPort(): Promise<{ port: number; server: Server }> {
  for (let port = 25_000 + (process.pid % 5000); port < 32_768; port++) {
    if (existsSync(portLockFile(port))) continue;
    const server = await listen(port);
    if (server !== undefined) return { port, server };
  }
  throw new Error('no pool port to occupy');
}

describe('reservePort (the port rule for tests)', () => {
  it('reserves distinct loopback ports in 20000-32767 outside the ephemeral range, each free to bind and locked with this pid', async () => {
    const { first, last } = ephemeralPortRange();
    const ports = [await reservePort(), await reservePort(), await reservePort(), await reservePort()];
    expect(new Set(ports).size).to.equal(ports.length);
    for (const port of ports) {
      expect(port).to.be.within(20_000, 32_767);
      expect(port >= first && port <= last, `${String(port)} is in the ephemeral range ${String(first)}-${String(last)}`).to.equal(false);
      expect(readFileSync(portLockFile(port), 'utf8')).to.equal(String(process.pid));
      const server = await listen(port);
      expect(server, `port ${String(port)} can be bound`).to.not.equal(undefined);
      if (server !== undefined) await close(server);
    }
  });

  it('skips a port something listens on', async () => {
    const { port, server } = await occupiedUnlockedPort();
    try {
      const reserved = await reservePortFrom(port);
      expect(reserved).to.not.equal(port);
      expect(reserved).to.be.above(port);
    } finally {
      await close(server);
    }
  });

  it('skips a port a live process has locked, and takes over the lock once that process is gone', async () => {
    const { port, server } = await occupiedUnlockedPort();
    await close(server); // free again, and unlocked
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      writeFileSync(portLockFile(port), String(other.pid), { flag: 'wx' });
      expect(await reservePortFrom(port)).to.not.equal(port);
    } finally {
      const exited = once(other, 'exit');
      other.kill('SIGKILL');
      await exited;
    }
    expect(await reservePortFrom(port)).to.equal(port);
    expect(readFileSync(portLockFile(port), 'utf8')).to.equal(String(process.pid));
  });

  it('frees its locks when the process exits', async () => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { reservePort } = await import(${JSON.stringify(new URL('../../src/testing/ports.js', import.meta.url).href)}); console.log(await reservePort());`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).to.equal(0);
    const port = Number(output.trim());
    expect(port).to.be.within(20_000, 32_767);
    expect(existsSync(portLockFile(port))).to.equal(false);
  });
});
