import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { orgKinds } from '@wr/chaincode/roles';
import { z } from 'zod';
import type { IdentityRecord, IdentityStore } from '../db/identity-store.js';
import type { DevCa } from './dev-ca.js';
import type { Identity } from '../ledger/port.js';
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

/** The demo identities of embedded mode; their keys in dev-tokens.json are a public contract (docs/design.md, issue 3). */
export const demoIdentities: readonly { readonly id: string; readonly org: OrgKey; readonly user: string; readonly role: string }[] = [
  { id: 'custodian.clerk', org: 'custodian', user: 'clerk', role: 'clerk' },
  { id: 'custodian.supervisor', org: 'custodian', user: 'supervisor', role: 'supervisor' },
  { id: 'custodian.device-gateway', org: 'custodian', user: 'device-gateway', role: 'device-gateway' },
  { id: 'custodian.oracle', org: 'custodian', user: 'oracle', role: 'oracle' },
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
  /** Where the gateway keeps the identities' keys. */
  readonly wallet: Wallet;
  /**
   * Issues a certificate for an identity the wallet lacks (embedded mode: the org's dev CA). Unset on Fabric, where
   * each organisation's CA issues identities into the connection bundle's wallet (network/enroll).
   */
  readonly issue?: (mspId: string, user: string, role: string) => Promise<Identity>;
}

/** Enrolment through the organisations' dev CAs (embedded mode). */
export function devCaEnrolment(identities: IdentityStore, wallet: Wallet, cas: ReadonlyMap<string, DevCa>): Enrolment {
  return {
    identities,
    wallet,
    issue: (mspId, user, role) => {
      const ca = cas.get(mspId);
      if (!ca) throw new Error(`no CA for ${mspId}`);
      return ca.issue(user, role);
    },
  };
}

/**
 * Makes an identity usable by the gateway: its key in the wallet (issued if the enrolment can, otherwise it must be
 * there already) and its record in the database. Existing records are kept.
 */
export async function ensureIdentity(
  enrolment: Enrolment,
  spec: { readonly id: string; readonly org: OrgKey; readonly user: string; readonly role: string },
): Promise<IdentityRecord> {
  const existing = await enrolment.identities.getIdentity(spec.id);
  const mspId = mspOf[spec.org];
  let held = await enrolment.wallet.get(spec.id);
  if (!held) {
    if (!enrolment.issue) throw new Error(`identity ${spec.id} is not in the wallet: enrol it with its organisation's CA (network/enroll)`);
    held = await enrolment.issue(mspId, spec.user, spec.role);
    await enrolment.wallet.put(spec.id, held);
  }
  if (existing) return existing;
  return enrolment.identities.createIdentity({ id: spec.id, mspId, org: spec.org, user: spec.user, role: spec.role, certificate: held.certificate });
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
