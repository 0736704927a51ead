import { EmbeddedLedger, endorsementOrgs, openDevCa, type DevCa, type Identity, type LedgerPort } from '@wr/gateway-api';
import { FabricLedger } from '@wr/gateway-api/fabric';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshChannel, gatewayBundle, onFabric, organisationCa } from '../fabric/network.js';

export const ORGS = ['CustodianMSP', 'LenderMSP', 'BorrowerMSP'] as const;

/** An empty ledger with the three organisations' CAs, on whichever backend the run uses. */
export interface World {
  readonly backend: 'embedded' | 'fabric';
  readonly ledger: LedgerPort;
  /** An identity issued by the org's CA (cached per user and role; same user with another role = same CN). */
  identity(mspId: string, user: string, role: string): Promise<Identity>;
  /** Submits and parses the JSON result. */
  submit(who: Identity, tx: string, ...args: string[]): Promise<unknown>;
  evaluate(who: Identity, tx: string, ...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** The embedded ledger's world, which also shows what only it can: key-level policies, chosen timestamps, restarts. */
export interface EmbeddedWorld extends World {
  readonly backend: 'embedded';
  readonly ledger: EmbeddedLedger;
  readonly dataDir: string;
  /** The organisations whose endorsement the key's state-based policy requires (empty if none is set). */
  endorsementOrgs(key: string): string[];
  /** Closes the ledger and opens it again on the same files, as after a restart. */
  restart(): Promise<EmbeddedWorld>;
}

/**
 * A world on the run's backend: the embedded ledger, or (WR_LEDGER=fabric, npm run test:fabric) a fresh channel of
 * the real network in network/ reached through the gateway's Fabric backend.
 */
export function startWorld(): Promise<World> {
  return onFabric() ? startFabricWorld() : startEmbeddedWorld();
}

/** Narrows to the embedded world, or skips the test with the reason when the run is on Fabric. */
export function embeddedOnly(context: Mocha.Context, world: World, why: string): EmbeddedWorld {
  if (world.backend !== 'embedded') {
    console.log(`      skipped on Fabric: ${why}`);
    context.skip();
  }
  return world as EmbeddedWorld;
}

export async function startEmbeddedWorld(options: { readonly dataDir?: string } = {}): Promise<EmbeddedWorld> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'wr-world-')));
  const cas = new Map<string, DevCa>();
  for (const mspId of ORGS) cas.set(mspId, await openDevCa(join(dataDir, 'ca'), mspId));
  return openEmbeddedWorld(dataDir, cas, new Map(), options.dataDir === undefined);
}

const parse = (bytes: Uint8Array): unknown => (bytes.length === 0 ? undefined : JSON.parse(Buffer.from(bytes).toString('utf8')));

/** Issues identities from `cas`, each user and role once. */
function issuer(cas: ReadonlyMap<string, DevCa>, identities: Map<string, Identity>): World['identity'] {
  return async (mspId, user, role) => {
    const cacheKey = `${mspId}/${user}/${role}`;
    const cached = identities.get(cacheKey);
    if (cached) return cached;
    const ca = cas.get(mspId);
    if (!ca) throw new Error(`no CA for ${mspId}`);
    const issued = await ca.issue(user, role);
    identities.set(cacheKey, issued);
    return issued;
  };
}

async function openEmbeddedWorld(dataDir: string, cas: Map<string, DevCa>, identities: Map<string, Identity>, owned: boolean): Promise<EmbeddedWorld> {
  const ledger = await EmbeddedLedger.open({
    dataDir: join(dataDir, 'ledger'),
    orgs: [...cas.values()].map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })),
  });
  return {
    backend: 'embedded',
    ledger,
    dataDir,
    identity: issuer(cas, identities),
    async submit(who, tx, ...args) {
      return parse((await ledger.submit(who, tx, args)).result);
    },
    async evaluate(who, tx, ...args) {
      return parse(await ledger.evaluate(who, tx, args));
    },
    endorsementOrgs(key) {
      const policy = ledger.validationParameter(key);
      return policy ? endorsementOrgs(policy).orgs : [];
    },
    async restart() {
      await ledger.close();
      return openEmbeddedWorld(dataDir, cas, identities, owned);
    },
    async close() {
      await ledger.close();
      if (owned) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startFabricWorld(): Promise<World> {
  const channel = freshChannel();
  const { bundle } = await gatewayBundle();
  const cas = new Map<string, DevCa>();
  for (const mspId of ORGS) cas.set(mspId, await organisationCa(mspId));
  const identity = issuer(cas, new Map());
  const ledger = new FabricLedger({
    bundle: { ...bundle, channel },
    gatewayMspId: 'CustodianMSP',
    eventReader: await identity('CustodianMSP', 'events', 'auditor'),
  });
  return {
    backend: 'fabric',
    ledger,
    identity,
    async submit(who, tx, ...args) {
      return parse((await ledger.submit(who, tx, args)).result);
    },
    async evaluate(who, tx, ...args) {
      return parse(await ledger.evaluate(who, tx, args));
    },
    close: () => ledger.close(),
  };
}
