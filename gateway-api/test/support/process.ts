import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

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
    env: { ...process.env, DATABASE_URL: '', ANCHOR_DEV_RPC_PORT: '0', LOG_LEVEL: 'warn', ...env },
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
