import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { reservePort } from '@wr/gateway-api/testing';

const startScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'gateway-api', 'dist', 'src', 'cli', 'start.js');

export interface GatewayProcessOptions {
  /** DATA_DIR of the gateway (its dev-tokens.json is read from there). */
  readonly dataDir: string;
  /** Environment of the gateway on top of this process's; DATA_DIR, PORT and generous rate limits are set here. */
  readonly env: Readonly<Record<string, string>>;
  /** Keep-alive connections the load may open at once. */
  readonly clients: number;
  /** Options for node itself (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
}

/** The gateway as `npm start` runs it, in a process of its own, reached over HTTP on loopback. */
export interface GatewayProcess {
  /** Where it listens (http://127.0.0.1:<port>). */
  readonly url: string;
  /** The demo identities' bearer tokens (dev-tokens.json). */
  readonly tokens: Readonly<Record<string, string>>;
  /** One request with an optional JSON payload; resolves with the status and the body's text, whatever the status. */
  call(method: string, path: string, token: string | undefined, payload?: string): Promise<{ readonly status: number; readonly text: string }>;
  /**
   * CPU seconds the gateway process has used so far, all its threads (user + system), from /proc on Linux; undefined
   * elsewhere. A figure that other load on the machine disturbs less than throughput does.
   */
  cpuSeconds(): Promise<number | undefined>;
  /** Closes the connections and stops the gateway (SIGTERM), waiting for it to exit. */
  stop(): Promise<void>;
}

/** Linux's clock ticks per second (USER_HZ), in which /proc/<pid>/stat counts CPU time. */
const USER_HZ = 100;

/** Starts the gateway and waits until /healthz answers 200. */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const port = await reservePort();
  const env = {
    ...process.env,
    LOG_LEVEL: 'warn',
    // Any free port for the dev chain's JSON-RPC, so that a gateway already running elsewhere does not clash.
    ANCHOR_DEV_RPC_PORT: '0',
    // No embedded MQTT broker on the well-known 1883 unless a benchmark asks for one on a port of its own.
    MQTT_PORT: '0',
    ...options.env,
    DATA_DIR: options.dataDir,
    PORT: String(port),
    RATE_LIMIT_BURST: '1000000',
    RATE_LIMIT_PER_SECOND: '1000000',
  };
  const server = spawn(process.execPath, [...(options.nodeArgs ?? []), startScript], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  const stop = async (): Promise<void> => {
    agent.destroy();
    server.kill('SIGTERM');
    if (server.exitCode === null) await once(server, 'exit');
  };

  const call: GatewayProcess['call'] = (method, path, token, payload) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const cpuSeconds = async (): Promise<number | undefined> => {
    if (server.pid === undefined) return undefined;
    const stat = await readFile(`/proc/${server.pid.toString()}/stat`, 'utf8').catch(() => undefined);
    // Fields after the parenthesised command name: state is the 3rd field of the line, utime the 14th, stime the 15th.
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime] = [Number(fields?.[11]), Number(fields?.[12])];
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : undefined;
  };

  try {
    for (let i = 0; ; i++) {
      const up = await call('GET', '/healthz', undefined).then((reply) => reply.status === 200, () => false);
      if (up) break;
      if (i > 600 || server.exitCode !== null) throw new Error('the gateway did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const tokens = z.record(z.string(), z.string()).parse(JSON.parse(await readFile(join(options.dataDir, 'dev-tokens.json'), 'utf8')));
    return { url: `http://127.0.0.1:${port.toString()}`, tokens, call, cpuSeconds, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
