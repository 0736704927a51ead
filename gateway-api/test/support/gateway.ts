import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/main.js';
import type { TestDatabase } from './postgres.js';

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly headers: Headers;
}

export interface RequestOptions {
  /** JSON body (sent with Content-Type: application/json). */
  readonly body?: unknown;
  /** A raw body, sent as is (for malformed-input tests); give the content type in headers. */
  readonly rawBody?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The real gateway on port 0 over a test database, with the demo identities' tokens. */
export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly tokens: Readonly<Record<string, string>>;
  readonly dataDir: string;
  /** A request as `who` (a dev-tokens.json key), or with no Authorization header when `who` is null. */
  request(who: string | null, method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /**
   * Stops the gateway and starts it again on the same data (database, ledger, wallet); `whileStopped` runs in
   * between, when nothing holds the database (e.g. to revoke a token as the admin CLI would).
   */
  restart(whileStopped?: () => Promise<void>): Promise<TestGateway>;
  /** Stops the gateway (the database is the caller's to clean up; a data folder made for it here is removed). */
  close(): Promise<void>;
}

/**
 * Starts the gateway over `target`. With PGlite its files live in the target's folder; a real PostgreSQL target names
 * the shared temporary folder, so the gateway's own files (ledger, wallet, CAs) get a fresh folder of their own.
 */
export async function startTestGateway(target: TestDatabase, env: Readonly<Record<string, string>> = {}, options: GatewayOptions = {}): Promise<TestGateway> {
  if (target.kind === 'pglite') return start(target, env, options, target.options.dataDir, false);
  return start(target, env, options, await mkdtemp(join(tmpdir(), 'wr-gateway-test-')), true);
}

async function start(target: TestDatabase, env: Readonly<Record<string, string>>, options: GatewayOptions, dataDir: string, ownsDataDir: boolean): Promise<TestGateway> {
  const { pino } = await import('pino');
  const config = loadConfig({
    DATA_DIR: dataDir,
    ...(target.options.databaseUrl ? { DATABASE_URL: target.options.databaseUrl } : {}),
    PORT: '0',
    ANCHOR_DEV_RPC_PORT: '0',
    // No embedded MQTT broker unless a suite asks for one (on a port of its own: reservePort()).
    MQTT_PORT: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_BURST: '100000',
    RATE_LIMIT_PER_SECOND: '100000',
    AUTH_FAILURE_BURST: '100000',
    AUTH_FAILURE_PER_SECOND: '100000',
    // The default cold-chain rules would watch every test device; the supervision suites turn them on themselves.
    RULES_DEFAULT_TEMPLATES: 'none',
    ...env,
  });
  const gateway = await startGateway(config, pino({ level: config.logLevel }), options);
  const tokens = gateway.devTokens ?? {};
  const request = async (who: string | null, method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (who !== null) {
      const token = tokens[who];
      if (token === undefined) throw new Error(`no dev token for ${who}`);
      headers.authorization = `Bearer ${token}`;
    }
    let body: string | Uint8Array | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${gateway.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined; // not JSON (e.g. /metrics); the text is there
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  return {
    gateway,
    url: gateway.url,
    tokens,
    dataDir,
    request,
    restart: async (whileStopped) => {
      await gateway.close();
      await whileStopped?.();
      return start(target, env, options, dataDir, ownsDataDir);
    },
    close: async () => {
      await gateway.close();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A running test gateway, as a suite's tests reach it. */
export interface GatewayHandle {
  (): TestGateway;
  /** Restarts it on the same data (see TestGateway.restart); later calls reach the new one. */
  restart(whileStopped?: () => Promise<void>): Promise<TestGateway>;
}

/**
 * Starts the gateway over `target` before the suite's tests, and closes it and removes the database after them; the
 * handle gives the running gateway inside the tests.
 */
export function useTestGateway(target: TestDatabase, env: Readonly<Record<string, string>> = {}, options: GatewayOptions = {}): GatewayHandle {
  let gateway: TestGateway | undefined;
  before(async function () {
    this.timeout(120_000);
    gateway = await startTestGateway(target, env, options);
  });
  after(async function () {
    this.timeout(60_000);
    await gateway?.close();
    await target.cleanup();
  });
  const running = (): TestGateway => {
    if (gateway === undefined) throw new Error(`the gateway on ${target.name} is not running`);
    return gateway;
  };
  return Object.assign(running, { restart: async (whileStopped?: () => Promise<void>) => (gateway = await running().restart(whileStopped)) });
}
