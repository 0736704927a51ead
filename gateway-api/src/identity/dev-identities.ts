import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { orgKinds } from '@wr/chaincode/roles';
import { z } from 'zod';
import type { IdentityRecord, IdentityStore } from '../db/identity-store.js';
import type { DevCa } from './dev-ca.js';
import type { Wallet } from './wallet.js';

export type OrgKey = IdentityRecord['org'];

/** Each kind of organisation's MSP id, from the chaincode's own map (the one place that says which MSP is which). */
export const mspOf: Readonly<Record<OrgKey, string>> = mspIdsByKind(orgKinds);

function mspIdsByKind(kinds: Readonly<Record<string, OrgKey>>): Readonly<Record<OrgKey, string>> {
  const found = new Map<OrgKey, string>();
  for (const [mspId, kind] of Object.entries(kinds)) found.set(kind, mspId);
  const [custodian, lender, borrower] = [found.get('custodian'), found.get('lender'), found.get('borrower')];
  if (!custodian || !lender || !borrower) throw new Error('the chaincode names no MSP for some kind of organisation');
  return { custodian, lender, borrower };
}

/** The demo identities of embedded mode; their keys in dev-tokens.json are a public contract (DESIGN.md, issue 3). */
export const demoIdentities: readonly { readonly id: string; readonly org: OrgKey; readonly user: string; readonly role: string }[] = [
  { id: 'custodian.clerk', org: 'custodian', user: 'clerk', role: 'clerk' },
  { id: 'custodian.supervisor', org: 'custodian', user: 'supervisor', role: 'supervisor' },
  { id: 'custodian.device-gateway', org: 'custodian', user: 'device-gateway', role: 'device-gateway' },
  { id: 'lender.officer', org: 'lender', user: 'officer', role: 'officer' },
  { id: 'lender.approver', org: 'lender', user: 'approver', role: 'approver' },
  { id: 'borrower.alice', org: 'borrower', user: 'alice', role: 'owner' },
  { id: 'borrower.bob', org: 'borrower', user: 'bob', role: 'owner' },
  { id: 'custodian.auditor', org: 'custodian', user: 'auditor', role: 'auditor' },
  { id: 'lender.auditor', org: 'lender', user: 'auditor', role: 'auditor' },
  { id: 'borrower.auditor', org: 'borrower', user: 'auditor', role: 'auditor' },
];

export interface Enrolment {
  readonly identities: IdentityStore;
  readonly wallet: Wallet;
  readonly cas: ReadonlyMap<string, DevCa>;
}

/** Creates an identity (certificate from its org's dev CA, key in the wallet, record in the database) unless it exists. */
export async function ensureIdentity(
  enrolment: Enrolment,
  spec: { readonly id: string; readonly org: OrgKey; readonly user: string; readonly role: string },
): Promise<IdentityRecord> {
  const existing = await enrolment.identities.getIdentity(spec.id);
  if (existing && (await enrolment.wallet.get(spec.id))) return existing;
  const mspId = mspOf[spec.org];
  const ca = enrolment.cas.get(mspId);
  if (!ca) throw new Error(`no CA for ${mspId}`);
  const issued = await ca.issue(spec.user, spec.role);
  await enrolment.wallet.put(spec.id, issued);
  if (existing) return existing;
  return enrolment.identities.createIdentity({ id: spec.id, mspId, org: spec.org, user: spec.user, role: spec.role, certificate: issued.certificate });
}

const tokenFile = z.record(z.string(), z.string());

/**
 * Embedded mode's demo identities and their tokens, written to `<dataDir>/dev-tokens.json` (mode 0600). Tokens in
 * an existing file that still resolve to their identity are kept, so a restart does not invalidate scripts.
 */
export async function ensureDevIdentities(enrolment: Enrolment, dataDir: string): Promise<Record<string, string>> {
  const path = join(dataDir, 'dev-tokens.json');
  const previous = await readTokenFile(path);
  const tokens: Record<string, string> = {};
  for (const spec of demoIdentities) {
    await ensureIdentity(enrolment, spec);
    const kept = previous[spec.id];
    if (kept !== undefined && (await enrolment.identities.resolveToken(kept))?.id === spec.id) {
      tokens[spec.id] = kept;
    } else {
      tokens[spec.id] = (await enrolment.identities.issueToken(spec.id, 'dev-tokens.json')).token;
    }
  }
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return tokens;
}

/** The tokens of an earlier dev-tokens.json; none when it is absent or unreadable (it is then written anew). */
async function readTokenFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  return tokenFile.safeParse(parsed).data ?? {};
}
