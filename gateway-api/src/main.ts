import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { lockDataDir } from './data-dir-lock.js';
import { auditLog } from './db/audit-log.js';
import { openDatabase } from './db/database.js';
import { idempotencyStore } from './db/idempotency-store.js';
import { identityStore, type IdentityStore } from './db/identity-store.js';
import { createApp } from './http/app.js';
import { serve } from './http/operation.js';
import { sessionOperations } from './http/session.js';
import { createMetrics } from './http/observability.js';
import { openDevCa, type DevCa } from './identity/dev-ca.js';
import { demoIdentities, devCaEnrolment, ensureDevIdentities, ensureIdentity, mspOf, type Enrolment } from './identity/dev-identities.js';
import { fileWallet } from './identity/wallet.js';
import { EmbeddedLedger } from './ledger/embedded/index.js';
import { FabricLedger, loadConnectionBundle } from './ledger/fabric/fabric-ledger.js';
import type { Identity, LedgerPort } from './ledger/port.js';
import { alarmsModule, anchoringModule, collateralModule, dashboardModule, devicesModule, documentsModule, eventsModule, leavesModule, mqttModule, readingsModule, receiptsModule, rulesModule, webhooksModule, workOrdersModule } from './modules/index.js';
import { projectorSpec } from './modules/receipts/index.js';
import { systemClock, type Clock } from './platform/clock.js';
import { startModules, type GatewayModule, type HealthCheck, type InfrastructureHealth, type ModuleApis } from './platform/module.js';
import { receiptRegistry } from './registry/receipt-registry.js';

/** A running gateway. */
export interface Gateway {
  readonly url: string;
  readonly port: number;
  /** Demo tokens by identity (embedded mode with DEV_IDENTITIES), as written to dev-tokens.json. */
  readonly devTokens: Readonly<Record<string, string>> | undefined;
  readonly ledger: LedgerPort;
  /** The embedded ledger, when the gateway runs on it (tests read its chain directly). */
  readonly embeddedLedger: EmbeddedLedger | undefined;
  /** The signing identity the gateway holds for an identity id (tests and benchmarks). */
  walletIdentity(id: string): Promise<Identity | undefined>;
  /** Waits until the projection has caught up with the ledger's current height. */
  projectionCaughtUp(timeoutMs?: number): Promise<void>;
  /** Cuts and anchors a checkpoint over every leaf accepted so far, and waits until it is recorded on the ledger. */
  anchoringSettled(timeoutMs?: number): Promise<void>;
  /** The MQTT broker the gateway subscribes to, without credentials (the embedded one's mqtt://127.0.0.1:{port}); undefined when MQTT is off. */
  mqttUrl(): string | undefined;
  /** A JSON-RPC URL where anchors can be checked (the dev chain's), once the anchoring chain is open. */
  anchorRpcUrl(): string | undefined;
  /** Waits until every reading accepted so far is evaluated, and every ledger action its alarms owe is done. */
  supervisionSettled(timeoutMs?: number): Promise<void>;
  /** Waits until the projection has caught up and marking has applied everything it stored (docs/collateral.md). */
  collateralSettled(timeoutMs?: number): Promise<void>;
  /** Stops accepting requests, lets those in flight finish, then stops the modules, the ledger and the database. */
  close(): Promise<void>;
}

/**
 * The gateway's capabilities, in start order: each may use those before it (events first: the others write to its
 * outbox; readings and documents append to the leaves; MQTT feeds the readings intake; anchoring cuts checkpoints over
 * them and reads devices for bundles; work orders read the receipts projection and the evidence table for visibility
 * and attachments; webhooks read only the outbox; the dashboard, last, only reads the others' tables). They stop in reverse.
 */
export const defaultModules: readonly GatewayModule[] = [
  eventsModule,
  receiptsModule,
  devicesModule,
  leavesModule,
  readingsModule,
  mqttModule,
  documentsModule,
  anchoringModule,
  workOrdersModule,
  alarmsModule,
  rulesModule,
  webhooksModule,
  collateralModule,
  dashboardModule,
];

export interface GatewayOptions {
  /** The modules to start (tests may start only those they need). Default: {@link defaultModules}. */
  readonly modules?: readonly GatewayModule[];
  readonly clock?: Clock;
}

/**
 * The composition root: the shared infrastructure (data folder, database, ledger, identities, HTTP), then the
 * modules in order; stopping runs the other way round.
 */
export async function startGateway(config: Config, logger: Logger = pino({ level: config.logLevel }), options: GatewayOptions = {}): Promise<Gateway> {
  const { modules = defaultModules, clock = systemClock } = options;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(config.dataDir);
  const cleanup: (() => Promise<void>)[] = [() => lock.release()];
  try {
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    cleanup.unshift(() => db.close());
    const identities = identityStore(db);
    const { ledger, enrolment, kind } = await openLedger(config, identities);
    cleanup.unshift(() => ledger.close());
    const { wallet } = enrolment;
    const devTokens = config.devIdentities ? await ensureDevIdentities(enrolment, config.dataDir) : undefined;

    let lastCommitted: bigint | undefined;
    const registry = receiptRegistry({
      ledger,
      clock,
      onCommit: (block) => {
        if (lastCommitted === undefined || block > lastCommitted) lastCommitted = block;
      },
    });
    const started = await startModules(modules, {
      config,
      logger,
      clock,
      db,
      ledger,
      registry,
      wallet,
      lastCommittedBlock: () => lastCommitted,
      async serviceIdentity(spec) {
        await ensureIdentity(enrolment, spec);
        const identity = await wallet.get(spec.id);
        if (!identity) throw new Error(`the wallet has no ${spec.id} identity${config.fabric ? `: run network/enroll for ${config.fabric.connection}` : ''}`);
        return identity;
      },
    });
    cleanup.unshift(() => started.stop());
    const use = <K extends keyof ModuleApis>(name: K): ModuleApis[K] => {
      const api = started.api(name);
      if (api === undefined) throw new Error(`the ${name} module is not started in this gateway`);
      return api;
    };

    let url = '';
    const app = createApp({
      logger,
      metrics: createMetrics(),
      operations: [...started.operations, ...serve(sessionOperations, undefined)],
      // People sign in as these; the device gateway's is a service identity that no one uses the console as.
      devIdentities: devTokens && demoIdentities.flatMap((spec) => { const token = devTokens[spec.id]; return token === undefined || spec.role === 'device-gateway' ? [] : [{ ...spec, token }]; }),
      identities,
      wallet,
      idempotency: idempotencyStore(db),
      audit: auditLog(db),
      health: async () => {
        const ledgerHeight = await ledger.height().catch(() => undefined);
        const databaseUp = await db.ping().catch(() => false);
        return { ...coreHealth(kind, db.kind, { ledgerHeight, databaseUp }), ...(await started.health({ ledgerHeight, databaseUp })) };
      },
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
    logger.info({ url, database: db.kind, ledger: kind, dataDir: config.dataDir, modules: modules.map((module) => module.name) }, 'gateway listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      devTokens,
      ledger,
      embeddedLedger: ledger instanceof EmbeddedLedger ? ledger : undefined,
      walletIdentity: (id) => wallet.get(id),
      projectionCaughtUp: async (timeoutMs) => use('receipts').caughtUp(timeoutMs),
      anchoringSettled: async (timeoutMs) => use('anchoring').settled(timeoutMs),
      anchorRpcUrl: () => started.api('anchoring')?.rpcUrl(),
      mqttUrl: () => started.api('mqtt')?.url(),
      collateralSettled: async (timeoutMs) => {
        await use('receipts').caughtUp(timeoutMs);
        await use('collateral').settled(timeoutMs);
      },
      supervisionSettled: async (timeoutMs) => {
        await use('rules').evaluated(timeoutMs);
        await use('alarms').settled(timeoutMs);
      },
      close: () =>
        (closing ??= (async () => {
          // Event streams never end on their own: end them, or closing would wait for their clients forever.
          started.api('events')?.endStreams();
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

/** The configured ledger backend, and how identities get into the wallet the gateway signs with. */
async function openLedger(config: Config, identities: IdentityStore): Promise<{ ledger: LedgerPort; enrolment: Enrolment; kind: Config['ledger'] }> {
  if (config.fabric) {
    const { bundle, wallet } = await loadConnectionBundle(config.fabric.connection);
    const eventReader = await wallet.get(projectorSpec.id);
    if (!eventReader) throw new Error(`the wallet of ${config.fabric.connection} has no ${projectorSpec.id} identity: run network/enroll`);
    const ledger = new FabricLedger({ bundle, gatewayMspId: config.fabric.gatewayMspId, eventReader });
    return { ledger, enrolment: { identities, wallet }, kind: 'fabric' };
  }
  const cas = new Map<string, DevCa>();
  for (const mspId of Object.values(mspOf)) cas.set(mspId, await openDevCa(join(config.dataDir, 'ca'), mspId));
  const ledger = await EmbeddedLedger.open({
    dataDir: join(config.dataDir, 'ledger'),
    orgs: [...cas.values()].map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })),
  });
  return { ledger, enrolment: devCaEnrolment(identities, fileWallet(join(config.dataDir, 'wallet')), cas), kind: 'embedded' };
}

/** What /healthz says of the shared infrastructure; the modules add their own checks. */
function coreHealth(kind: Config['ledger'], databaseKind: string, { ledgerHeight, databaseUp }: InfrastructureHealth): Record<string, HealthCheck> {
  return {
    ledger: ledgerHeight === undefined ? { status: 'down', kind } : { status: 'up', kind, height: ledgerHeight },
    database: { status: databaseUp ? 'up' : 'down', kind: databaseKind },
  };
}
