import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const cliDir = join(import.meta.dirname, '..', '..', 'src', 'cli');

/** A command-line program of the gateway running as a child process, with what it printed so far. */
export interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Settles when the process has exited, however (exit code, or null after a signal). */
  readonly exited: Promise<number | null>;
}

/** Runs gateway-api/dist/src/cli/<script> on embedded defaults, with `env` on top. */
export function run(script: string, args: string[], env: Record<string, string>): Started {
  let output = '';
  // Embedded defaults: a DATABASE_URL in the environment (CI exports one) would make every process share one database.
  const child = spawn(process.execPath, [join(cliDir, script), ...args], {
    env: { ...process.env, DATABASE_URL: '', ANCHOR_DEV_RPC_PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code]) => (typeof code === 'number' ? code : null));
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exited };
}

/** Whether the process is still running (neither exited nor killed by a signal). */
export const alive = (started: Started | undefined): boolean =>
  started !== undefined && started.child.exitCode === null && started.child.signalCode === null;

/** Resolves once the gateway at `url` answers /healthz with 200; fails if the process ends first. */
export async function untilHealthy(url: string, started: Started): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (!alive(started)) throw new Error(`gateway exited: ${started.output()}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gateway did not become healthy: ${started.output()}`);
}

/** A gateway process on fixed data and a fixed port, started and SIGKILLed at will (the crash-safety soaks). */
export interface KillableGateway {
  readonly url: string;
  /** Starts the process with the environment it was made with; resolves once it is healthy. */
  start(): Promise<void>;
  /** Kills it with SIGKILL, if it runs, and waits until it has exited. */
  kill(): Promise<void>;
  running(): boolean;
  /** The demo tokens it wrote to DATA_DIR/dev-tokens.json. */
  tokens(): Promise<Record<string, string>>;
  /** A request as `who` (a dev-tokens.json key). */
  call(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

export function killableGateway(dataDir: string, port: number, env: Record<string, string>): KillableGateway {
  let started: Started | undefined;
  const url = `http://127.0.0.1:${port.toString()}`;
  const tokens = async (): Promise<Record<string, string>> => {
    return z.record(z.string(), z.string()).parse(JSON.parse(await readFile(join(dataDir, 'dev-tokens.json'), 'utf8')));
  };
  return {
    url,
    async start() {
      started = run('start.js', [], { DATA_DIR: dataDir, PORT: String(port), RATE_LIMIT_BURST: '1000000', RATE_LIMIT_PER_SECOND: '1000000', ...env });
      await untilHealthy(url, started);
    },
    async kill() {
      if (alive(started)) started?.child.kill('SIGKILL');
      await started?.exited;
    },
    running: () => alive(started),
    tokens,
    async call(who, method, path, body) {
      const token = (await tokens())[who];
      if (token === undefined) throw new Error(`no dev token for ${who}`);
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    },
  };
}
