import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createApp, type HealthCheck } from './app.js';
import { lockDataDir } from './data-dir-lock.js';
import type { Config } from './config.js';
import { auditLog } from './db/audit-log.js';
import { openDatabase } from './db/database.js';
import { idempotencyStore } from './db/idempotency-store.js';
import { identityStore } from './db/identity-store.js';
import { startProjection } from './db/projection.js';
import { receiptQueries } from './db/receipt-queries.js';
import { createMetrics } from './http/observability.js';
import { openDevCa, type DevCa } from './identity/dev-ca.js';
import { ensureDevIdentities, ensureIdentity, mspOf, type Enrolment } from './identity/dev-identities.js';
import { fileWallet } from './identity/wallet.js';
import { EmbeddedLedger } from './ledger/embedded/index.js';
import { LedgerError } from './ledger/errors.js';
import type { Identity } from './ledger/port.js';
import { registry as createRegistry, type Registry } from './registry/registry.js';

/** A running gateway. */
export interface Gateway {
  readonly url: string;
  readonly port: number;
  /** Demo tokens by identity (embedded mode with DEV_IDENTITIES), as written to dev-tokens.json. */
  readonly devTokens: Readonly<Record<string, string>> | undefined;
  readonly ledger: EmbeddedLedger;
  /** The signing identity the gateway holds for an identity id (tests and benchmarks). */
  walletIdentity(id: string): Promise<Identity | undefined>;
  /** Waits until the projection has caught up with the ledger's current height. */
  projectionCaughtUp(timeoutMs?: number): Promise<void>;
  /** Stops accepting requests, lets those in flight finish, then closes projection, ledger and database. */
  close(): Promise<void>;
}

/** The identity the projection reads receipts with: a custodian auditor sees every receipt of its warehouses. */
const projectorSpec = { id: 'service.projector', org: 'custodian', user: 'projector', role: 'auditor' } as const;

/** The composition root: builds every part from the configuration and starts listening. */
export async function startGateway(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<Gateway> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(config.dataDir);
  const cleanup: (() => Promise<void>)[] = [() => lock.release()];
  try {
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    cleanup.unshift(() => db.close());
    const cas = new Map<string, DevCa>();
    for (const mspId of Object.values(mspOf)) cas.set(mspId, await openDevCa(join(config.dataDir, 'ca'), mspId));
    const ledger = await EmbeddedLedger.open({
      dataDir: join(config.dataDir, 'ledger'),
      orgs: [...cas.values()].map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })),
    });
    cleanup.unshift(() => ledger.close());

    const identities = identityStore(db);
    const wallet = fileWallet(join(config.dataDir, 'wallet'));
    const enrolment: Enrolment = { identities, wallet, cas };
    await ensureIdentity(enrolment, projectorSpec);
    const projector = await wallet.get(projectorSpec.id);
    if (!projector) throw new Error('the projector identity has no key in the wallet');
    const devTokens = config.devIdentities ? await ensureDevIdentities(enrolment, config.dataDir) : undefined;

    const registry = createRegistry({ ledger });
    const projection = startProjection({
      db,
      ledger,
      reader: { receipt: (id) => readOrNothing(registry, projector, 'GetReceipt', id), lot: (id) => readOrNothing(registry, projector, 'GetLot', id) },
      onError: (error) => logger.error({ err: error }, 'projection failed; retrying'),
    });
    cleanup.unshift(() => projection.stop());

    const metrics = createMetrics();
    let url = '';
    const app = createApp({
      logger,
      metrics,
      registry,
      identities,
      wallet,
      idempotency: idempotencyStore(db),
      audit: auditLog(db),
      receipts: receiptQueries(db),
      health: () => health(db, ledger, projection),
      bodyLimitBytes: config.bodyLimitBytes,
      rateLimit: config.rateLimit,
      authFailureLimit: config.authFailureLimit,
      publicUrl: () => url,
    });
    const server = app.listen(config.port, config.host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.keepAliveTimeout = 5_000;
    const { port } = server.address() as AddressInfo;
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info({ url, database: db.kind, ledger: 'embedded', dataDir: config.dataDir }, 'gateway listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      devTokens,
      ledger,
      walletIdentity: (id) => wallet.get(id),
      projectionCaughtUp: (timeoutMs) => projection.caughtUp(timeoutMs),
      close: () =>
        (closing ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          for (const step of cleanup) await step();
        })()),
    };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

async function readOrNothing(registry: Registry, who: Identity, tx: string, id: string): Promise<unknown> {
  try {
    return await registry.evaluate(who, tx, [id]);
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

async function health(
  db: { ping(): Promise<boolean>; readonly kind: string },
  ledger: EmbeddedLedger,
  projection: { position(): Promise<{ blockNumber: bigint } | undefined> },
): Promise<Record<string, HealthCheck>> {
  const height = ledger.chainInfo().height;
  const databaseUp = await db.ping().catch(() => false);
  const position = databaseUp ? await projection.position().catch(() => undefined) : undefined;
  const projected = position === undefined ? null : Number(position.blockNumber);
  return {
    ledger: { status: 'up', kind: 'embedded', height },
    database: { status: databaseUp ? 'up' : 'down', kind: db.kind },
    projection: { status: databaseUp ? 'up' : 'down', block: projected, lagBlocks: projected === null ? null : Math.max(0, height - 1 - projected) },
    anchor: { status: 'not-configured', detail: 'evidence anchoring is not part of this build yet' },
  };
}
