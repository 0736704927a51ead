import { EmbeddedLedger, endorsementOrgs, openDevCa, type DevCa, type Identity } from '@wr/gateway-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORGS = ['CustodianMSP', 'LenderMSP', 'BorrowerMSP'] as const;

/** A fresh embedded ledger with the three organisations' dev CAs, for tests. */
export interface World {
  readonly ledger: EmbeddedLedger;
  readonly dataDir: string;
  /** An identity issued by the org's dev CA (cached per user and role; same user with another role = same CN). */
  identity(mspId: string, user: string, role: string): Promise<Identity>;
  /** Submits and parses the JSON result. */
  submit(who: Identity, tx: string, ...args: string[]): Promise<unknown>;
  evaluate(who: Identity, tx: string, ...args: string[]): Promise<unknown>;
  /** The organisations whose endorsement the key's state-based policy requires (empty if none is set). */
  endorsementOrgs(key: string): string[];
  /** Closes the ledger and opens it again on the same files, as after a restart. */
  restart(): Promise<World>;
  close(): Promise<void>;
}

export async function startWorld(options: { readonly dataDir?: string } = {}): Promise<World> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'wr-world-')));
  const cas = new Map<string, DevCa>();
  for (const mspId of ORGS) cas.set(mspId, await openDevCa(join(dataDir, 'ca'), mspId));
  return openWorld(dataDir, cas, new Map(), options.dataDir === undefined);
}

async function openWorld(dataDir: string, cas: Map<string, DevCa>, identities: Map<string, Identity>, owned: boolean): Promise<World> {
  const ledger = await EmbeddedLedger.open({
    dataDir: join(dataDir, 'ledger'),
    orgs: [...cas.values()].map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })),
  });
  const parse = (bytes: Uint8Array): unknown => (bytes.length === 0 ? undefined : JSON.parse(Buffer.from(bytes).toString('utf8')));
  return {
    ledger,
    dataDir,
    async identity(mspId, user, role) {
      const cacheKey = `${mspId}/${user}/${role}`;
      const cached = identities.get(cacheKey);
      if (cached) return cached;
      const ca = cas.get(mspId);
      if (!ca) throw new Error(`no dev CA for ${mspId}`);
      const issued = await ca.issue(user, role);
      identities.set(cacheKey, issued);
      return issued;
    },
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
      return openWorld(dataDir, cas, identities, owned);
    },
    async close() {
      await ledger.close();
      if (owned) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
