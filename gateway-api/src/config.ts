import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The gateway's configuration, from the environment variables of docs/design.md section 8, parsed once at start-up.
 * Every variable is listed here with its default; an invalid value stops the start with a message naming it.
 */
export interface Config {
  /** HOST: interface to listen on. Default 127.0.0.1 (loopback only). */
  readonly host: string;
  /** PORT: TCP port. Default 8080; 0 picks a free port (tests). */
  readonly port: number;
  /** DATA_DIR: PGlite files, dev CAs, wallet, dev tokens (dev-tokens.json), ledger blocks. Default `.data`. */
  readonly dataDir: string;
  /** DATABASE_URL: a PostgreSQL server. Unset: embedded PGlite under DATA_DIR. */
  readonly databaseUrl: string | undefined;
  /** LEDGER: `embedded` (default) or `fabric`. */
  readonly ledger: 'embedded' | 'fabric';
  /**
   * With LEDGER=fabric: FABRIC_CONNECTION, the connection bundle network/enroll writes (channel, chaincode, peers and
   * their TLS CAs, the wallet folder beside it; required), and FABRIC_GATEWAY_MSP, the organisation whose peer's Gateway
   * service the gateway talks to (default CustodianMSP).
   */
  readonly fabric: { readonly connection: string; readonly gatewayMspId: string } | undefined;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). Default info. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** BODY_LIMIT_BYTES: largest accepted request body. Default 262144 (256 KiB). */
  readonly bodyLimitBytes: number;
  /** RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND: per-token token bucket. Defaults 200 and 100. */
  readonly rateLimit: { readonly burst: number; readonly perSecond: number };
  /**
   * AUTH_FAILURE_BURST / AUTH_FAILURE_PER_SECOND: look-ups of unknown tokens allowed per client address (each costs a
   * database query); beyond them the address gets 429 until the bucket refills. Defaults 50 and 5.
   */
  readonly authFailureLimit: { readonly burst: number; readonly perSecond: number };
  /** DEV_IDENTITIES: create demo identities and write dev-tokens.json. Default: on with the embedded ledger. */
  readonly devIdentities: boolean;
  /**
   * EVIDENCE_CLOCK_SKEW_MS / EVIDENCE_MAX_AGE_MS: how far a device envelope's `ts` may be ahead of the gateway's clock
   * (device clocks drift) and how old it may be (a device that was offline uploads late). Defaults 300000 (5 minutes)
   * and 86400000 (24 hours); an envelope outside the window is refused with TS_OUT_OF_WINDOW.
   */
  readonly evidenceWindow: { readonly clockSkewMs: number; readonly maxAgeMs: number };
  /** Evidence anchoring (docs/design.md sections 6 and 8). */
  readonly anchor: AnchorConfig;
  /** Supervision (docs/supervision.md). */
  readonly supervision: SupervisionConfig;
  /** The event stream (docs/events.md). */
  readonly events: EventsConfig;
  /** MQTT intake (docs/mqtt.md). */
  readonly mqtt: MqttConfig;
  /** Signed webhooks (docs/webhooks.md). */
  readonly webhooks: WebhooksConfig;
  /** Collateral value: price marks, marking, margin calls (docs/collateral.md). */
  readonly collateral: CollateralConfig;
}

export interface CollateralConfig {
  /**
   * PRICE_FEED_URL: a JSON or CSV feed of marks (docs/collateral.md) the oracle pulls every PRICE_FEED_INTERVAL_MS
   * (default 3600000, an hour) and records on the ledger. Unset: marks come by hand only.
   */
  readonly feedUrl: string | undefined;
  readonly feedIntervalMs: number;
  /**
   * PRICE_STALE_HOURS: how old a commodity's latest mark may be before it raises a stale-mark alarm (default 48);
   * PRICE_STALE_LIMITS: per-commodity limits, a JSON object of hours (`{"copper cathode": 26}`).
   */
  readonly staleHours: number;
  readonly staleLimits: Readonly<Record<string, number>>;
  /** MARKING_POLL_MS: how often marking looks for ledger changes another process projected (default 1000). */
  readonly pollMs: number;
  /** MARKING_DAILY_MS: how often every loan is marked again whatever changed (default 86400000, once a day). */
  readonly dailyMs: number;
}

export interface WebhooksConfig {
  /**
   * WEBHOOK_ALLOW_PRIVATE: deliver to loopback, private, link-local and other non-public addresses (true, false).
   * Default: true exactly when the gateway runs on embedded dev defaults (DEV_IDENTITIES on), else false, so that a
   * deployed gateway cannot be made to call into its own network (SSRF).
   */
  readonly allowPrivate: boolean;
  /** WEBHOOK_TIMEOUT_MS: an attempt that has no complete answer within this long failed. Default 10000. */
  readonly timeoutMs: number;
  /**
   * WEBHOOK_RETRY_BASE_MS / WEBHOOK_RETRY_MAX_MS: the wait before retry n is random in [0, min(max, base * 2^(n-1))]
   * (exponential backoff with full jitter). Defaults 5000 and 3600000 (an hour).
   */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** WEBHOOK_RETRY_WINDOW_MS: a delivery still failing this long after its first attempt is dead. Default 259200000 (3 days). */
  readonly retryWindowMs: number;
  /** WEBHOOK_CONCURRENCY: attempts in flight at once, across every subscription. Default 32. */
  readonly concurrency: number;
}

export interface EventsConfig {
  /** EVENTS_HEARTBEAT_MS: a heartbeat comment is sent on GET /v1/events after this long without an event. Default 15000. */
  readonly heartbeatMs: number;
  /** EVENTS_SLOW_CLIENT_MS: a stream client whose socket stays full this long is dropped. Default 10000. */
  readonly slowClientMs: number;
  /** EVENTS_POLL_MS: how often the outbox is read for events other gateways on the same database wrote. Default 250. */
  readonly pollMs: number;
  /** How many recent events the stream's shared reader keeps in memory for the clients that are up to date. */
  readonly ringSize: number;
}

export interface MqttConfig {
  /**
   * MQTT_URL: a broker the gateway subscribes to (mqtt://, mqtts://, ws:// or wss://; `user:password@` in the URL
   * when the broker wants them), e.g. Mosquitto or EMQX. Unset: the embedded broker (MQTT_PORT).
   */
  readonly url: string | undefined;
  /**
   * MQTT_PORT: the embedded broker's port on 127.0.0.1, used when MQTT_URL is unset. Default 1883; 0 turns MQTT off
   * (no broker, no MQTT intake). Undefined here when it is off or MQTT_URL is set.
   */
  readonly embeddedPort: number | undefined;
  /**
   * MQTT_CLIENT_ID: with MQTT_URL, the client id of the gateway's subscription, fixed so that its persistent session
   * (the messages not yet acknowledged) survives a reconnect or a restart. Default `wr-gateway`. (The embedded broker
   * hands the items to the intake in-process: no client of the gateway's own.)
   */
  readonly clientId: string;
}

export interface SupervisionConfig {
  /**
   * RULES_DEFAULT_TEMPLATES: the cold-chain templates a warehouse gets when its first device is registered, comma
   * separated (`chilled`, `frozen`), or `none`. Default `chilled`.
   */
  readonly defaultTemplates: readonly ('chilled' | 'frozen')[];
  /** RULES_TICK_MS: how often wall-clock time is fed to the rules (offline detection). Default 10000. */
  readonly tickMs: number;
  /**
   * RULES_BATCH_SIZE: readings evaluated per step of the loop (one transaction). Default 10000: on PGlite's one
   * connection a step waits behind every intake transaction queued before it, so with 100 devices posting at once a
   * step of 2000 fell behind intake (evaluated 1,900 readings/s against 3,200 accepted in the supervision bench).
   */
  readonly batchSize: number;
}

export interface AnchorConfig {
  /** ANCHOR_RPC_URL: an EVM chain's JSON-RPC endpoint (http or https). Unset: the in-process dev chain under DATA_DIR/chain. */
  readonly rpcUrl: string | undefined;
  /**
   * ANCHOR_PRIVATE_KEY: the anchoring account's key (0x and 64 hex digits). Required with ANCHOR_RPC_URL; on the dev
   * chain the default is its well-known, public development account.
   */
  readonly privateKey: string | undefined;
  /** ANCHOR_CONTRACT: the Anchor contract's address. Unset: deployed on the first anchoring and remembered per chain. */
  readonly contract: string | undefined;
  /** ANCHOR_INTERVAL_MS: a checkpoint is cut this long after the previous one when leaves wait. Default 10000. */
  readonly intervalMs: number;
  /** ANCHOR_MAX_LEAVES: a checkpoint is cut at once when this many leaves wait; also its largest size. Default 10000. */
  readonly maxLeaves: number;
  /** ANCHOR_CONFIRMATIONS: blocks an anchoring must be buried under, its own counted. Default 1 (set more on public chains). */
  readonly confirmations: number;
  /** ANCHOR_DEV_RPC_PORT: the dev chain's read-only JSON-RPC, always on 127.0.0.1. Default 8545; 0: any free port. */
  readonly devRpcPort: number;
}

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const environment = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(8080),
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  LEDGER: z.enum(['embedded', 'fabric']).default('embedded'),
  FABRIC_CONNECTION: z.string().min(1).optional(),
  FABRIC_GATEWAY_MSP: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be an MSP id').default('CustodianMSP'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: integer(1024, 64 * 1024 * 1024).default(256 * 1024),
  RATE_LIMIT_BURST: integer(1, 1_000_000).default(200),
  RATE_LIMIT_PER_SECOND: integer(1, 1_000_000).default(100),
  AUTH_FAILURE_BURST: integer(1, 1_000_000).default(50),
  AUTH_FAILURE_PER_SECOND: integer(1, 1_000_000).default(5),
  DEV_IDENTITIES: flag.optional(),
  EVIDENCE_CLOCK_SKEW_MS: integer(0, 7 * 86_400_000).default(300_000),
  EVIDENCE_MAX_AGE_MS: integer(0, 366 * 86_400_000).default(86_400_000),
  ANCHOR_RPC_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
    .optional(),
  ANCHOR_PRIVATE_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x and 64 hex digits')
    .optional(),
  ANCHOR_CONTRACT: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address')
    .optional(),
  ANCHOR_INTERVAL_MS: integer(100, 86_400_000).default(10_000),
  ANCHOR_MAX_LEAVES: integer(1, 1_000_000).default(10_000),
  ANCHOR_CONFIRMATIONS: integer(1, 1_000).default(1),
  ANCHOR_DEV_RPC_PORT: integer(0, 65535).default(8545),
  RULES_DEFAULT_TEMPLATES: z
    .string()
    .regex(/^(none|(chilled|frozen)(,(chilled|frozen))*)$/, 'must be "none" or a comma-separated list of chilled, frozen')
    .default('chilled'),
  RULES_TICK_MS: integer(100, 3_600_000).default(10_000),
  RULES_BATCH_SIZE: integer(1, 100_000).default(10_000),
  EVENTS_HEARTBEAT_MS: integer(100, 3_600_000).default(15_000),
  EVENTS_SLOW_CLIENT_MS: integer(100, 3_600_000).default(10_000),
  EVENTS_POLL_MS: integer(10, 60_000).default(250),
  MQTT_URL: z
    .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' })
    .optional(),
  MQTT_PORT: integer(0, 65535).optional(),
  MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"')
    .default('wr-gateway'),
  WEBHOOK_ALLOW_PRIVATE: flag.optional(),
  WEBHOOK_TIMEOUT_MS: integer(10, 600_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: integer(1, 86_400_000).default(5_000),
  WEBHOOK_RETRY_MAX_MS: integer(1, 7 * 86_400_000).default(3_600_000),
  WEBHOOK_RETRY_WINDOW_MS: integer(0, 90 * 86_400_000).default(259_200_000),
  WEBHOOK_CONCURRENCY: integer(1, 1_000).default(32),
  PRICE_FEED_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
    .optional(),
  PRICE_FEED_INTERVAL_MS: integer(1_000, 7 * 86_400_000).default(3_600_000),
  PRICE_STALE_HOURS: integer(1, 8_760).default(48),
  PRICE_STALE_LIMITS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of hours, like {"copper cathode": 26}' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().min(1).max(100), z.int().min(1).max(8_760), { error: 'must be a JSON object of hours (1-8760), like {"copper cathode": 26}' }))
    .optional(),
  MARKING_POLL_MS: integer(10, 600_000).default(1_000),
  MARKING_DAILY_MS: integer(1_000, 7 * 86_400_000).default(86_400_000),
});

/** A configuration problem, reported before anything starts. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the configuration from `env` (process.env by default). */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.ANCHOR_RPC_URL !== undefined && e.ANCHOR_PRIVATE_KEY === undefined) {
    throw new ConfigError('invalid configuration: ANCHOR_PRIVATE_KEY: required with ANCHOR_RPC_URL (the anchoring account; no default outside the dev chain)');
  }
  if (e.LEDGER === 'fabric' && e.FABRIC_CONNECTION === undefined) {
    throw new ConfigError('invalid configuration: FABRIC_CONNECTION: required with LEDGER=fabric (the connection.json network/enroll writes)');
  }
  if (e.MQTT_URL !== undefined && e.MQTT_PORT !== undefined && e.MQTT_PORT !== 0) {
    throw new ConfigError('invalid configuration: MQTT_PORT: the embedded broker does not start with MQTT_URL (unset MQTT_PORT or set it to 0)');
  }
  const devIdentities = e.DEV_IDENTITIES ?? e.LEDGER === 'embedded';
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    ledger: e.LEDGER,
    fabric: e.LEDGER === 'fabric' && e.FABRIC_CONNECTION !== undefined ? { connection: resolve(e.FABRIC_CONNECTION), gatewayMspId: e.FABRIC_GATEWAY_MSP } : undefined,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimit: { burst: e.RATE_LIMIT_BURST, perSecond: e.RATE_LIMIT_PER_SECOND },
    authFailureLimit: { burst: e.AUTH_FAILURE_BURST, perSecond: e.AUTH_FAILURE_PER_SECOND },
    devIdentities,
    evidenceWindow: { clockSkewMs: e.EVIDENCE_CLOCK_SKEW_MS, maxAgeMs: e.EVIDENCE_MAX_AGE_MS },
    anchor: {
      rpcUrl: e.ANCHOR_RPC_URL,
      privateKey: e.ANCHOR_PRIVATE_KEY,
      contract: e.ANCHOR_CONTRACT?.toLowerCase(),
      intervalMs: e.ANCHOR_INTERVAL_MS,
      maxLeaves: e.ANCHOR_MAX_LEAVES,
      confirmations: e.ANCHOR_CONFIRMATIONS,
      devRpcPort: e.ANCHOR_DEV_RPC_PORT,
    },
    supervision: {
      defaultTemplates: e.RULES_DEFAULT_TEMPLATES === 'none' ? [] : [...new Set(e.RULES_DEFAULT_TEMPLATES.split(',').map((name) => z.enum(['chilled', 'frozen']).parse(name)))],
      tickMs: e.RULES_TICK_MS,
      batchSize: e.RULES_BATCH_SIZE,
    },
    events: { heartbeatMs: e.EVENTS_HEARTBEAT_MS, slowClientMs: e.EVENTS_SLOW_CLIENT_MS, pollMs: e.EVENTS_POLL_MS, ringSize: 10_000 },
    mqtt: {
      url: e.MQTT_URL,
      embeddedPort: e.MQTT_URL !== undefined || e.MQTT_PORT === 0 ? undefined : (e.MQTT_PORT ?? 1883),
      clientId: e.MQTT_CLIENT_ID,
    },
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE ?? devIdentities,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: Math.max(e.WEBHOOK_RETRY_MAX_MS, e.WEBHOOK_RETRY_BASE_MS),
      retryWindowMs: e.WEBHOOK_RETRY_WINDOW_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    collateral: {
      feedUrl: e.PRICE_FEED_URL,
      feedIntervalMs: e.PRICE_FEED_INTERVAL_MS,
      staleHours: e.PRICE_STALE_HOURS,
      staleLimits: e.PRICE_STALE_LIMITS ?? {},
      pollMs: e.MARKING_POLL_MS,
      dailyMs: e.MARKING_DAILY_MS,
    },
  };
}
