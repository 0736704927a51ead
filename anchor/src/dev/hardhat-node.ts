import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { reservePort } from '../testing/ports.js';
import { ChainError } from '../verifier/chain-error.js';
import { DEV_PRIVATE_KEY } from './dev-chain.js';

/** Options of startHardhatNode. */
export interface HardhatNodeOptions {
  /** Loopback port; 0 or unset reserves one by the project's port rule (reservePort in @wr/anchor/testing). */
  readonly port?: number;
  /** How long to wait for the node to answer eth_chainId; default 60 s. */
  readonly startTimeoutMs?: number;
}

/** A `hardhat node` child process listening on 127.0.0.1. */
export interface HardhatNode {
  /** e.g. http://127.0.0.1:54321 */
  readonly url: string;
  readonly port: number;
  /** 31337 */
  readonly chainId: number;
  /** A funded key on this node (Hardhat's public account #0). */
  readonly privateKey: string;
  /** Kills the node's process group and waits for it to exit. */
  stop(): Promise<void>;
}

const OUTPUT_KEPT = 16 * 1024;

async function chainIdAt(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null && 'result' in body && typeof body.result === 'string') {
      return Number.parseInt(body.result, 16);
    }
    return undefined;
  } catch {
    // Not listening yet: the caller polls again.
    return undefined;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Starts `hardhat node --hostname 127.0.0.1 --port <port>` as a child process and waits until it answers. */
export async function startHardhatNode(options: Readonly<HardhatNodeOptions> = {}): Promise<HardhatNode> {
  const port = options.port === undefined || options.port === 0 ? await reservePort() : options.port;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const main = fileURLToPath(new URL('./hardhat-node-main.js', import.meta.url));
  const child = spawn(process.execPath, [main, '--hostname', '127.0.0.1', '--port', String(port)], {
    // Its own process group, so stop() reaches anything it spawns.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // No prompt, no telemetry, no network: this must work offline and unattended.
    env: { ...process.env, CI: 'true', HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', DO_NOT_TRACK: '1' },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    // The node logs every request; keep draining so it never blocks, and keep the tail for error messages.
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async () => {
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ChainError('CHAIN_UNAVAILABLE', `hardhat node exited before answering:\n${output}`);
    }
    const chainId = await chainIdAt(url);
    if (chainId !== undefined) return { url, port, chainId, privateKey: DEV_PRIVATE_KEY, stop };
    if (Date.now() >= deadline) {
      await stop();
      throw new ChainError('CHAIN_UNAVAILABLE', `hardhat node did not answer within ${startTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
