import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createApp, type HealthCheck } from './app.js';
import { lockDataDir } from './data-dir-lock.js';
import type { Config } from './config.js';
import { checkpoint as checkpointRecord } from '@wr/chaincode/model';
import type { AnchorRecord, Checkpoint } from '@wr/anchor';
import { anchoringQueries } from './anchoring/bundles.js';
import { openAnchorChain, type AnchorChain } from './anchoring/chain.js';
import { checkpointStore } from './anchoring/checkpoint-store.js';
import { startAnchoring, type Anchoring, type AnchoringStatus } from './anchoring/worker.js';
import { auditLog } from './db/audit-log.js';
import { openDatabase } from './db/database.js';
import { idempotencyStore } from './db/idempotency-store.js';
import { identityStore, type IdentityStore } from './db/identity-store.js';
import { startProjection } from './db/projection.js';
import { receiptQueries } from './db/receipt-queries.js';
import { evidenceService } from './evidence/intake.js';
import { fileObjectStore } from './evidence/object-store.js';
import { createMetrics } from './http/observability.js';
import { openDevCa, type DevCa } from './identity/dev-ca.js';
import { devCaEnrolment, ensureDevIdentities, ensureIdentity, mspOf, type Enrolment } from './identity/dev-identities.js';
import { fileWallet } from './identity/wallet.js';
import { EmbeddedLedger } from './ledger/embedded/index.js';
import { LedgerError } from './ledger/errors.js';
import { FabricLedger, loadConnectionBundle } from './ledger/fabric/fabric-ledger.js';
import type { Identity, LedgerPort } from './ledger/port.js';
import { systemClock } from './platform/clock.js';
import { registry as createRegistry, type Registry } from './registry/registry.js';

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
  /** A JSON-RPC URL where anchors can be checked (the dev chain's), once the anchoring chain is open. */
  anchorRpcUrl(): string | undefined;
  /** Stops accepting requests, lets those in flight finish, then closes projection, ledger and database. */
  close(): Promise<void>;
}

/** The identity the projection reads receipts with: a custodian auditor sees every receipt of its warehouses. */
const projectorSpec = { id: 'service.projector', org: 'custodian', user: 'projector', role: 'auditor' } as const;
/** The identity the anchoring worker records checkpoints on the ledger with (RecordCheckpoint is the device gateway's). */
const anchorSpec = { id: 'service.anchor', org: 'custodian', user: 'anchor', role: 'device-gateway' } as const;

/** The composition root: builds every part from the configuration and starts listening. */
export async function startGateway(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<Gateway> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = await lockDataDir(config.dataDir);
  const cleanup: (() => Promise<void>)[] = [() => lock.release()];
  try {
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    cleanup.unshift(() => db.close());
    const identities = identityStore(db);
    const { ledger, enrolment, kind } = await openLedger(config, identities);
    cleanup.unshift(() => ledger.close());
    const wallet = enrolment.wallet;
    await ensureIdentity(enrolment, projectorSpec);
    await ensureIdentity(enrolment, anchorSpec);
    const devTokens = config.devIdentities ? await ensureDevIdentities(enrolment, config.dataDir) : undefined;

    const projector = await wallet.get(projectorSpec.id);
    if (!projector) throw new Error('the projector identity has no key in the wallet');
    // Read-your-writes for callers of projectionCaughtUp: the projection must reach the last block this gateway
    // committed to, whichever backend delivers the events.
    let lastCommitted: bigint | undefined;
    const registry = noteCommits(createRegistry({ ledger }), (block) => {
      if (lastCommitted === undefined || block > lastCommitted) lastCommitted = block;
    });
    const clock = systemClock;
    const projection = startProjection({
      db,
      clock,
      ledger,
      reader: { receipt: (id) => readOrNothing(registry, projector, 'GetReceipt', id), lot: (id) => readOrNothing(registry, projector, 'GetLot', id) },
      onError: (error) => logger.error({ err: error }, 'projection failed; retrying'),
    });
    cleanup.unshift(() => projection.stop());

    const checkpoints = checkpointStore(db);
    const anchorIdentity = await wallet.get(anchorSpec.id);
    if (!anchorIdentity) throw new Error(`the wallet has no ${anchorSpec.id} identity`);
    let chain: AnchorChain | undefined;
    const anchoring = startAnchoring({
      store: checkpoints,
      client: async () => (chain ??= await openAnchorChain(config.anchor, config.dataDir, checkpoints)).client,
      record: (checkpoint, anchor) => recordCheckpoint(registry, anchorIdentity, checkpoint, anchor),
      intervalMs: config.anchor.intervalMs,
      maxLeaves: config.anchor.maxLeaves,
      logger,
      holder: `${hostname()}:${config.dataDir}`,
      clock,
    });
    cleanup.unshift(async () => {
      await anchoring.stop();
      await chain?.close();
    });

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
      evidence: evidenceService({ db, objects: fileObjectStore(config.dataDir), audit: auditLog(db), ...config.evidenceWindow }),
      anchoring: anchoringQueries(db, checkpoints),
      health: () => health(db, ledger, kind, projection, anchoring, () => chain),
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
    logger.info({ url, database: db.kind, ledger: kind, dataDir: config.dataDir }, 'gateway listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      devTokens,
      ledger,
      embeddedLedger: ledger instanceof EmbeddedLedger ? ledger : undefined,
      walletIdentity: (id) => wallet.get(id),
      anchoringSettled: (timeoutMs) => anchoring.settled(timeoutMs),
      anchorRpcUrl: () => chain?.rpcUrl,
      projectionCaughtUp: async (timeoutMs) => {
        if (lastCommitted !== undefined) await projection.waitFor(lastCommitted, timeoutMs);
        await projection.caughtUp(timeoutMs);
      },
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

/** The registry, telling `onCommit` the block of every transaction it commits. */
function noteCommits(inner: Registry, onCommit: (blockNumber: bigint) => void): Registry {
  return {
    async submit(identity, tx, args) {
      const committed = await inner.submit(identity, tx, args);
      onCommit(committed.blockNumber);
      return committed;
    },
    evaluate: (identity, tx, args) => inner.evaluate(identity, tx, args),
  };
}

async function health(
  db: { ping(): Promise<boolean>; readonly kind: string },
  ledger: LedgerPort,
  kind: Config['ledger'],
  projection: { position(): Promise<{ blockNumber: bigint } | undefined> },
  anchoring: Anchoring,
  chain: () => AnchorChain | undefined,
): Promise<Record<string, HealthCheck>> {
  const height = await ledger.height().catch(() => undefined);
  const databaseUp = await db.ping().catch(() => false);
  const position = databaseUp ? await projection.position().catch(() => undefined) : undefined;
  const projected = position === undefined ? null : Number(position.blockNumber);
  return {
    ledger: height === undefined ? { status: 'down', kind } : { status: 'up', kind, height },
    database: { status: databaseUp ? 'up' : 'down', kind: db.kind },
    projection: {
      status: databaseUp ? 'up' : 'down',
      block: projected,
      lagBlocks: projected === null || height === undefined ? null : Math.max(0, height - 1 - projected),
    },
    anchor: anchorHealth(anchoring.status(), chain()),
  };
}

function anchorHealth(status: AnchoringStatus, chain: AnchorChain | undefined): HealthCheck {
  const detail = { state: status.state, chain: chain?.kind ?? null, rpcUrl: chain?.rpcUrl ?? null, contract: chain?.client.contract() ?? null, lastAnchoredSeq: status.lastAnchoredSeq ?? null, waitingLeaves: status.waitingLeaves ?? null };
  if (status.state === 'failing') return { status: 'degraded', ...detail, error: status.lastError };
  return { status: 'up', ...detail };
}

/**
 * RecordCheckpoint on the ledger, once: after a crash between the commit and noting its transaction id, the ledger
 * answers ALREADY_EXISTS and the recorded checkpoint (the same root and hash, or it is an error) gives the id.
 */
async function recordCheckpoint(registry: Registry, who: Identity, checkpoint: Checkpoint, anchor: AnchorRecord): Promise<string> {
  const { seq, root, hash, leafCount, firstLeafIndex } = checkpoint;
  const args = { seq, root, hash, leafCount, firstLeafIndex, anchor: { chainId: anchor.chainId, contract: anchor.contract, txHash: anchor.txHash, blockNumber: anchor.blockNumber } };
  try {
    return (await registry.submit(who, 'RecordCheckpoint', [JSON.stringify(args)])).txId;
  } catch (error) {
    if (!(error instanceof LedgerError) || error.code !== 'ALREADY_EXISTS') throw error;
    const recorded = checkpointRecord.parse(await registry.evaluate(who, 'GetCheckpoint', [seq.toString()]));
    if (recorded.root !== root || recorded.hash !== hash) {
      throw new Error(`the ledger holds another checkpoint ${seq.toString()} (root ${recorded.root}); refusing to anchor over it`);
    }
    return recorded.txId;
  }
}
